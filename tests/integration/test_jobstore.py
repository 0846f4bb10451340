import pytest

from shared.jobs import ACTIVE_STATUSES, JobRecord, JobStatus, new_job_id, now_ms
from shared.resources import Resources

pytestmark = pytest.mark.integration


def queued(job_id: str) -> JobRecord:
    return JobRecord(
        job_id=job_id, name="chat.answer", status=JobStatus.QUEUED, session_id="s",
        conversation_id="c", created_at_ms=now_ms(),
    )  # fmt: skip


async def test_attempts_count_up_while_the_job_is_active(resources: Resources) -> None:
    job_id = new_job_id()
    await resources.jobs.create(queued(job_id))
    assert await resources.jobs.start_attempt(job_id) == 1
    assert await resources.jobs.start_attempt(job_id) == 2
    record = await resources.jobs.get(job_id)
    assert record is not None and record.status is JobStatus.IN_PROGRESS


async def test_a_cancelled_job_cannot_complete_or_restart(resources: Resources) -> None:
    job_id = new_job_id()
    await resources.jobs.create(queued(job_id))
    assert await resources.jobs.transition(job_id, JobStatus.CANCELLED, ACTIVE_STATUSES)
    assert not await resources.jobs.transition(
        job_id, JobStatus.COMPLETE, frozenset({JobStatus.IN_PROGRESS}), message_id="m"
    )
    assert await resources.jobs.start_attempt(job_id) == 0
    record = await resources.jobs.get(job_id)
    assert record is not None
    assert (record.status, record.message_id) == (JobStatus.CANCELLED, None)


async def test_unknown_jobs_are_not_created_by_transitions(resources: Resources) -> None:
    job_id = new_job_id()
    assert not await resources.jobs.transition(job_id, JobStatus.CANCELLED, ACTIVE_STATUSES)
    assert await resources.jobs.get(job_id) is None
