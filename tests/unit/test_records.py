import pytest

from shared.db.session import async_database_url
from shared.events import is_stream_id, parse_entry, stream_id_key
from shared.jobs import JobRecord, JobStatus

pytestmark = pytest.mark.unit


def test_job_record_round_trips_through_a_redis_hash() -> None:
    record = JobRecord(
        job_id="a" * 32, name="chat.answer", status=JobStatus.QUEUED, session_id="s",
        conversation_id="c", created_at_ms=1700000000000, attempts=2, error_code="x",
    )  # fmt: skip
    values = record.to_hash()
    assert "message_id" not in values
    assert JobRecord.from_hash(values) == record


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u:p@h:5432/db", "postgresql+asyncpg://u:p@h:5432/db"),
        ("postgresql://u@h/db", "postgresql+asyncpg://u@h/db"),
        (
            "postgresql://postgres:@/postgres?host=/tmp/pg",
            "postgresql+asyncpg://postgres:@/postgres?host=%2Ftmp%2Fpg",
        ),
    ],
)
def test_database_urls_use_asyncpg(given: str, expected: str) -> None:
    assert async_database_url(given) == expected


@pytest.mark.parametrize(("value", "valid"), [
    ("1700000000000-0", True), ("0-0", True), ("abc", False), ("1-2-3", False), ("", False),
    ("1700000000000", False), ("-1-0", False),
])  # fmt: skip
def test_stream_ids_are_validated(value: str, valid: bool) -> None:
    assert is_stream_id(value) is valid


def test_stream_ids_compare_numerically() -> None:
    assert stream_id_key("999-10") < stream_id_key("1000-0")
    assert stream_id_key("5-2") > stream_id_key("5-1")


def test_stream_entries_parse_into_events() -> None:
    event = parse_entry("5-0", {"event": "done", "data": '{"answer":"x"}'})
    assert event.is_terminal
    assert event.payload() == {"answer": "x"}
