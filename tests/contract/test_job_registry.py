"""Every job the API can enqueue has a worker function and a payload model."""

import pytest

from shared.config import Settings
from shared.jobs import JOB_PAYLOADS, JobName
from shared.streamed_jobs.tries import arq_max_tries
from worker.settings import TASKS, cron_jobs, functions

pytestmark = pytest.mark.contract


def test_every_job_name_has_a_registered_worker_function() -> None:
    settings = Settings(redis_url="redis://127.0.0.1:1/0", database_url="postgresql://x/y")
    registered = {function.name for function in functions(settings)}
    assert registered == {name.value for name in JobName}
    assert set(TASKS) == set(JobName)


def test_every_job_name_has_a_payload_model() -> None:
    assert set(JOB_PAYLOADS) == set(JobName)


def test_worker_retries_and_deadline_come_from_settings() -> None:
    settings = Settings(job_max_tries=4, job_deadline_seconds=30, bloodwork_read_timeout_seconds=45)
    chat, ingest, bloodwork, analysis = functions(settings)
    # Tries beyond the attempts let the job report exhaustion itself, even through an outage.
    reporting = arq_max_tries(4)
    assert reporting > 4
    assert chat.max_tries == reporting
    assert chat.timeout_s is not None and chat.timeout_s > 30
    assert ingest.max_tries == 4 and ingest.timeout_s == settings.ingest_timeout_seconds
    assert bloodwork.max_tries == reporting  # a try past them fails a report whose tries died
    assert bloodwork.timeout_s is not None and bloodwork.timeout_s > 45  # a backstop only
    assert analysis.max_tries == reporting
    assert analysis.timeout_s is not None and analysis.timeout_s > 30


def test_expired_sessions_are_erased_every_ten_minutes_by_one_worker() -> None:
    (erasure,) = cron_jobs()
    assert erasure.name == "sessions.erase_expired" and erasure.unique
    assert erasure.minute == set(range(0, 60, 10))
