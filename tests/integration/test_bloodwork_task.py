"""The `bloodwork.extract` task's tries on real Postgres: a store that is down is retried, and a
report whose tries all failed ends `failed` instead of blocking its session's uploads."""

from __future__ import annotations

from typing import Any

import pytest
from arq import Retry

from shared.bloodwork.extraction import Reading
from shared.jobs import BloodworkJob
from shared.resources import Resources
from shared.storage.pdfs import PdfStoreUnavailable
from tests.integration.test_bloodwork_extraction import SAMPLE, reloaded, stored_report
from worker.tasks.bloodwork import UNAVAILABLE, extract_bloodwork

pytestmark = pytest.mark.integration

READING = Reading(extractor=None, timeout_seconds=60.0)


def context(resources: Resources, job_try: int) -> dict[str, Any]:
    return {"resources": resources, "job_try": job_try, "lab_reading": READING}


@pytest.fixture
def store_down(resources: Resources, monkeypatch: pytest.MonkeyPatch) -> None:
    async def unreachable(*_: object) -> bytes:
        raise PdfStoreUnavailable("the upload store could not be reached")

    monkeypatch.setattr(resources.pdf_store, "get", unreachable)


@pytest.mark.usefixtures("store_down")
async def test_a_store_that_is_down_is_retried_then_the_report_fails(
    resources: Resources,
) -> None:
    report_id = await stored_report(resources, SAMPLE)
    payload = BloodworkJob(report_id=report_id).model_dump(mode="json")
    max_tries = resources.settings.job_max_tries
    for job_try in range(1, max_tries):
        with pytest.raises(Retry):
            await extract_bloodwork(context(resources, job_try), payload)
        assert (await reloaded(resources, report_id)).status == "processing"
    last = await extract_bloodwork(context(resources, max_tries), payload)
    assert last == {"report_id": str(report_id), "status": "failed"}
    report = await reloaded(resources, report_id)
    assert (report.status, report.error, report.progress) == ("failed", UNAVAILABLE, 100)


async def test_a_report_left_by_workers_that_died_is_failed_by_the_extra_try(
    resources: Resources,
) -> None:
    report_id = await stored_report(resources, SAMPLE)
    payload = BloodworkJob(report_id=report_id).model_dump(mode="json")
    exhausted = context(resources, resources.settings.job_max_tries + 1)
    assert await extract_bloodwork(exhausted, payload) == {
        "report_id": str(report_id),
        "status": None,
    }
    assert (await reloaded(resources, report_id)).error == UNAVAILABLE


async def test_a_healthy_try_reads_the_report(resources: Resources) -> None:
    report_id = await stored_report(resources, SAMPLE)
    payload = BloodworkJob(report_id=report_id).model_dump(mode="json")
    result = await extract_bloodwork(context(resources, 1), payload)
    assert result == {"report_id": str(report_id), "status": "ready"}
