"""The admin dashboards on the real app in process (its lifespan on the test Redis and Postgres).

A known set of exchanges, knowledge gaps, citations and lab reports is seeded in January 2001,
a window no other test writes in, and each route's numbers are checked exactly against values
computed here from the seeded list. Rows just outside the window (the day before it, the day
after it) must not count. Everything seeded is removed again at the end.
"""

from __future__ import annotations

import csv
import io
import logging
import secrets
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import httpx
import numpy as np
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import delete, select
from sqlmodel import col

from api.app import create_app
from izana.processes import free_port
from shared.config import Settings
from shared.db.models import (
    AdminAudit,
    Conversation,
    DocumentUsage,
    KnowledgeDocument,
    KnowledgeGap,
    KnowledgePassage,
    LabReport,
    LabReportStatus,
    Message,
    Role,
    UserSession,
)
from shared.resources import Resources

pytestmark = pytest.mark.integration

ADMIN_PIN = "dashboards-pin-0123456789"
TAG = "dashboards-test"  # in every seeded key, so that the seed can be found and removed
COLLECTION = TAG
LAST_DAY = date(2001, 1, 31)
DAYS = 7
FIRST_DAY = LAST_DAY - timedelta(days=DAYS - 1)
WINDOW = f"days={DAYS}&until={LAST_DAY}"
BEFORE_WINDOW = datetime.combine(FIRST_DAY, time(), UTC) - timedelta(microseconds=1)
AFTER_WINDOW = datetime.combine(LAST_DAY + timedelta(days=1), time(), UTC)
ANSWERS = 51  # so that p50, p90 and p99 fall on a value or halfway between two: exact in floats
LANGUAGES = ("en", "en", "es", "ta", "hi")
SOURCES = ("pipeline", "cache", "pipeline", "shared", "personal", "pipeline", "gold")
LONG_ANSWER = "Anti-Müllerian hormone reflects the ovarian reserve. " * 10
DASHBOARDS = ("stats", "gaps", "documents", "feedback", "bloodwork")


def at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), UTC)


@dataclass
class Exchange:
    """A question and its answer, as the worker stores them."""

    number: int
    asked_at: datetime
    language: str
    source: str
    timings: dict[str, float]
    calls: list[dict[str, Any]] = field(default_factory=list)
    fallbacks: list[str] = field(default_factory=list)
    cooldowns: list[str] = field(default_factory=list)
    breakers_opened: list[str] = field(default_factory=list)
    rating: int | None = None
    reason: str | None = None

    @property
    def job_id(self) -> str:
        return f"{TAG}-job-{self.number}"

    @property
    def question(self) -> str:
        return f"Question {self.number}: what does AMH say?"

    @property
    def answer(self) -> str:
        return f"{self.number}. {LONG_ANSWER}"

    @property
    def answered_at(self) -> datetime:
        return self.asked_at + timedelta(seconds=2)

    @property
    def rated_at(self) -> datetime:
        return self.answered_at + timedelta(minutes=5)

    @property
    def retries(self) -> int:
        return sum(call["attempts"] - 1 for call in self.calls)

    def audit(self) -> dict[str, Any]:
        return {
            "source": self.source, "calls": self.calls, "retries": self.retries,
            "fallbacks": self.fallbacks, "cooldowns": self.cooldowns,
            "breakers_opened": self.breakers_opened,
        }  # fmt: skip


def exchange(number: int, asked_at: datetime) -> Exchange:
    """The `number`th exchange: languages, sources, timings and ratings vary with it."""
    source = SOURCES[number % len(SOURCES)]
    seeded = Exchange(
        number=number,
        asked_at=asked_at,
        language=LANGUAGES[number % len(LANGUAGES)],
        source=source,
        timings={
            "queue_ms": float((number * 37) % 101),
            "retrieval_ms": 40.0,
            "ttft_ms": float(100 + (number * 53) % 211),
            "total_ms": float(1000 + (number * 29) % 503),
        },
    )
    if source in ("pipeline", "personal"):
        seeded.calls = [
            {"role": "draft", "model": "groq:big", "attempts": 1 + (number % 3 == 0)},
            {"role": "review", "model": "groq:small", "attempts": 1},
        ]
        seeded.fallbacks = ["groq:small"] if number % 10 == 0 else []
        seeded.cooldowns = ["groq:big"] if number % 4 == 0 else []
        seeded.breakers_opened = ["groq:big"] if number == 12 else []
    if number % 4 == 1:
        seeded.rating = (number // 4) % 5 + 1
        seeded.reason = "@SUM(1) unclear" if number == 1 else f"reason {number}"
    return seeded


IN_WINDOW = [
    exchange(n, at(FIRST_DAY + timedelta(days=1 + n % 6), minute=n)) for n in range(ANSWERS)
]
# Asked, answered and rated before the window, or at its end (excluded).
OUTSIDE = [
    exchange(ANSWERS, BEFORE_WINDOW - timedelta(minutes=10)),
    exchange(ANSWERS + 1, AFTER_WINDOW),
]
for outside in OUTSIDE:
    outside.rating, outside.reason = 1, "outside the window"


@dataclass(frozen=True)
class Gap:
    question: str
    language: str
    best_score: float  # binary fractions: sums and means are exact
    created_at: datetime
    terms: str  # the group it belongs to


STRESS = "cause infertility stress"
GAPS = [
    Gap("What is AMH?", "en", 0.25, at(date(2001, 1, 26)), "amh"),
    Gap("AMH: what is it", "es", 0.125, at(date(2001, 1, 28)), "amh"),
    Gap("what is amh", "en", 0.375, at(date(2001, 1, 30)), "amh"),
    Gap("Can stress cause infertility?", "en", 0.5, at(date(2001, 1, 27)), STRESS),
    Gap("Stress, infertility: can it cause?", "hi", 0.0625, at(date(2001, 1, 29)), STRESS),
    Gap('=HYPERLINK("http://x")', "en", 0.25, at(date(2001, 1, 31), hour=23), "http hyperlink"),
    Gap("What is AMH?", "en", 0.0, AFTER_WINDOW, "amh"),
]  # fmt: skip
GAPS_OUTSIDE = 1


@dataclass(frozen=True)
class Cited:
    passage_id: str
    title: str
    source: str
    url: str
    in_file: bool
    citations: int
    last_cited_at: datetime


CITED = [
    Cited("leaflet-1", "Clinic leaflet", "Clinic leaflet", "", True, 3, at(date(2001, 1, 3))),
    Cited("leaflet-2", "Clinic leaflet", "Clinic leaflet", "", True, 2, at(date(2001, 1, 5))),
    Cited("endo-1", "Endometriosis", "NIH", "https://example.org/endo", False, 4, at(LAST_DAY)),
    Cited("endo-2", "Endometriosis", "NIH", "https://example.org/endo", False, 4, at(FIRST_DAY)),
    Cited("formula-1", "=cmd|' /C calc'!A0", "-2+3", "", False, 1, at(date(2001, 1, 2))),
]
FILE = "leaflet.md"
GONE_PASSAGE = "no-longer-there"


@dataclass(frozen=True)
class Report:
    status: LabReportStatus
    created_at: datetime
    missing: list[str] = field(default_factory=list)
    error: str | None = None


DAMAGED = "the PDF is damaged or incomplete (truncated); download or export it again"
TOO_SLOW = "the report took too long to read; please upload another copy"
REPORTS = [
    Report(LabReportStatus.READY, at(date(2001, 1, 26)), ["AMH", "Prolactin"]),
    Report(LabReportStatus.READY, at(date(2001, 1, 27)), ["AMH"]),
    Report(LabReportStatus.READY, at(date(2001, 1, 28)), ["TSH", "AMH", "Prolactin"]),
    Report(LabReportStatus.FAILED, at(date(2001, 1, 28)), error=DAMAGED),
    Report(LabReportStatus.FAILED, at(date(2001, 1, 29)), error=TOO_SLOW),
    Report(LabReportStatus.FAILED, at(date(2001, 1, 30)), error=DAMAGED),
    Report(LabReportStatus.NEEDS_OCR, at(date(2001, 1, 30))),
    Report(LabReportStatus.QUEUED, at(date(2001, 1, 31))),
    Report(LabReportStatus.PROCESSING, at(date(2001, 1, 31))),
    Report(LabReportStatus.READY, AFTER_WINDOW, ["Estradiol"]),
    Report(LabReportStatus.FAILED, BEFORE_WINDOW, error=TOO_SLOW),
]


# The app and its seed


@pytest.fixture(scope="module")
def app(settings: Settings) -> Iterator[FastAPI]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield create_app(settings.model_copy(update={"admin_pin": SecretStr(ADMIN_PIN)}))
    root.handlers[:], root.level = handlers, level  # create_app configured the process's logging


@pytest.fixture(scope="module")
async def running(app: FastAPI) -> AsyncIterator[FastAPI]:
    async with app.router.lifespan_context(app):
        yield app


def fresh_ip() -> str:
    """A client address no earlier request was counted for (the admin limit is per IP)."""
    return "10." + ".".join(str(secrets.randbelow(256)) for _ in range(3))


def client_for(app: FastAPI, ip: str | None = None) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app, client=(ip or fresh_ip(), 40_000))
    return httpx.AsyncClient(transport=transport, base_url="http://test")


async def admin_headers(client: httpx.AsyncClient) -> dict[str, str]:
    response = await client.post("/v1/admin/login", json={"pin": ADMIN_PIN})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


@pytest.fixture
async def admin(running: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client logged in as admin, on an address of its own."""
    async with client_for(running) as client:
        client.headers.update(await admin_headers(client))
        yield client


async def remove_seed(resources: Resources) -> None:
    async with resources.sessionmaker() as db, db.begin():
        # The sessions take their conversations, messages and lab reports with them.
        await db.execute(delete(UserSession).where(col(UserSession.token_hash).startswith(TAG)))
        await db.execute(delete(KnowledgeGap).where(col(KnowledgeGap.job_id).startswith(TAG)))
        await db.execute(delete(DocumentUsage).where(col(DocumentUsage.collection) == COLLECTION))
        for table in (KnowledgeDocument, KnowledgePassage):  # the passages go with a document
            await db.execute(delete(table).where(col(table.collection) == COLLECTION))


def new_session(number: int) -> UserSession:
    return UserSession(token_hash=f"{TAG}-{number}", expires_at=at(date(2001, 12, 31)))


def messages(conversation: Conversation, seeded: Exchange) -> list[Message]:
    question = Message(
        conversation_id=conversation.id, role=Role.USER, content=seeded.question,
        language=seeded.language, job_id=seeded.job_id, created_at=seeded.asked_at,
    )  # fmt: skip
    answer = Message(
        conversation_id=conversation.id, role=Role.ASSISTANT, content=seeded.answer,
        language="en", job_id=seeded.job_id, answer_mode="extractive",
        timings=seeded.timings, audit=seeded.audit(), created_at=seeded.answered_at,
        rating=seeded.rating, rating_reason=seeded.reason,
        rated_at=seeded.rated_at if seeded.rating else None,
    )  # fmt: skip
    return [question, answer]


def knowledge_base() -> list[Any]:
    document = KnowledgeDocument(
        collection=COLLECTION, source_key=FILE, kind="markdown", title="Clinic leaflet",
        content_hash="0" * 64, passages=2,
    )  # fmt: skip
    rows: list[Any] = [document]
    for cited in CITED:
        rows.append(
            KnowledgePassage(
                collection=COLLECTION, id=cited.passage_id, title=cited.title,
                question="", body="", source=cited.source, url=cited.url, category="general",
                question_type="document", document_id=document.id if cited.in_file else None,
            )
        )  # fmt: skip
        rows.append(
            DocumentUsage(
                collection=COLLECTION, passage_id=cited.passage_id,
                citations=cited.citations, last_cited_at=cited.last_cited_at,
            )
        )  # fmt: skip
    rows.append(DocumentUsage(collection=COLLECTION, passage_id=GONE_PASSAGE, citations=99))
    return rows


def lab_reports(sessions: list[UserSession]) -> list[LabReport]:
    """One report per session: at most one of a session may be pending."""
    return [
        LabReport(
            session_id=session.id, job_id=f"{TAG}-report-{number}", status=report.status,
            size_bytes=1000, pages=1, missing_markers=report.missing, error=report.error,
            created_at=report.created_at, updated_at=report.created_at + timedelta(seconds=9),
        )
        for number, (session, report) in enumerate(zip(sessions, REPORTS, strict=True))
    ]  # fmt: skip


@pytest.fixture(scope="module")
async def seeded(resources: Resources) -> AsyncIterator[None]:
    await remove_seed(resources)
    sessions = [new_session(number) for number in range(len(REPORTS))]
    conversation = Conversation(session_id=sessions[0].id, created_at=at(FIRST_DAY))
    gaps = [
        KnowledgeGap(
            job_id=f"{TAG}-gap-{number}", question=gap.question, language=gap.language,
            best_score=gap.best_score, created_at=gap.created_at,
        )
        for number, gap in enumerate(GAPS)
    ]  # fmt: skip
    async with resources.sessionmaker() as db, db.begin():
        db.add_all(sessions)
        await db.flush()
        db.add(conversation)
        await db.flush()
        db.add_all([m for seeded in IN_WINDOW + OUTSIDE for m in messages(conversation, seeded)])
        db.add_all([*gaps, *lab_reports(sessions)])
        document, *cited = knowledge_base()
        db.add(document)
        await db.flush()
        db.add_all(cited)
    yield
    await remove_seed(resources)


# What the seed should give, computed here


def percentiles(values: list[float]) -> dict[str, float]:
    """Postgres's percentile_cont: linear interpolation between the closest ranks."""
    p50, p90, p99 = np.percentile(values, [50, 90, 99], method="linear")
    return {"p50": float(p50), "p90": float(p90), "p99": float(p99)}


def counted(counter: Counter[str], key: str, value: str) -> list[dict[str, Any]]:
    """`counter` as the route lists it: most first, then by name."""
    ranked = sorted(counter.items(), key=lambda item: (-item[1], item[0]))
    return [{key: name, value: count} for name, count in ranked]


def expected_stats() -> dict[str, Any]:
    per_day = Counter(seeded.asked_at.date() for seeded in IN_WINDOW)
    days = [FIRST_DAY + timedelta(days=n) for n in range(DAYS)]
    sources = Counter(seeded.source for seeded in IN_WINDOW)
    calls: Counter[tuple[str, str]] = Counter()
    attempts: Counter[tuple[str, str]] = Counter()
    for seeded in IN_WINDOW:
        for call in seeded.calls:
            calls[call["role"], call["model"]] += 1
            attempts[call["role"], call["model"]] += call["attempts"]
    ratings = [seeded.rating for seeded in IN_WINDOW if seeded.rating is not None]

    def models(event: str) -> list[dict[str, Any]]:
        listed = Counter(model for seeded in IN_WINDOW for model in getattr(seeded, event))
        return counted(listed, "model", "times")

    return {
        "window": {"first_day": str(FIRST_DAY), "last_day": str(LAST_DAY), "days": DAYS},
        "questions": len(IN_WINDOW),
        "questions_per_day": [{"day": str(day), "questions": per_day[day]} for day in days],
        "languages": counted(Counter(s.language for s in IN_WINDOW), "language", "questions"),
        "latency": {
            "answers": len(IN_WINDOW),
            **{
                name: percentiles([seeded.timings[name] for seeded in IN_WINDOW])
                for name in ("queue_ms", "ttft_ms", "total_ms")
            },
        },
        "sources": [
            {"source": source, "answers": n, "share": n / len(IN_WINDOW)}
            for source, n in sorted(sources.items(), key=lambda item: (-item[1], item[0]))
        ],
        "providers": {
            "calls": [
                {"role": role, "model": model, "calls": n, "attempts": attempts[role, model]}
                for (role, model), n in sorted(calls.items(), key=lambda i: (-i[1], *i[0]))
            ],
            "retries": sum(seeded.retries for seeded in IN_WINDOW),
            "fallbacks": models("fallbacks"),
            "cooldowns": models("cooldowns"),
            "breakers_opened": models("breakers_opened"),
        },
        "ratings": {
            "rated": len(ratings),
            "average": sum(ratings) / len(ratings),
            "distribution": [{"rating": r, "answers": ratings.count(r)} for r in range(1, 6)],
        },
    }


def expected_gap_groups() -> list[dict[str, Any]]:
    groups: dict[str, list[Gap]] = {}
    for gap in GAPS[: len(GAPS) - GAPS_OUTSIDE]:
        groups.setdefault(gap.terms, []).append(gap)
    rows = [
        {
            "terms": key,
            "questions": len(members),
            "example": max(members, key=lambda gap: gap.created_at).question,
            "worst_score": min(gap.best_score for gap in members),
            "average_score": sum(gap.best_score for gap in members) / len(members),
            "languages": sorted({gap.language for gap in members}),
            "last_seen": max(gap.created_at for gap in members),
        }
        for key, members in groups.items()
    ]
    rows.sort(key=lambda row: (-row["questions"], -row["last_seen"].timestamp(), row["terms"]))
    return [
        row | {"last_seen": row["last_seen"].isoformat().replace("+00:00", "Z")} for row in rows
    ]


def expected_documents() -> list[dict[str, Any]]:
    documents: dict[tuple[str, str], dict[str, Any]] = {}
    for cited in CITED:
        document = documents.setdefault(
            (cited.title, cited.url),
            {
                "title": cited.title, "source": cited.source, "url": cited.url,
                "file": FILE if cited.in_file else None, "passages": 0, "citations": 0,
                "last_cited_at": cited.last_cited_at,
            },
        )  # fmt: skip
        document["passages"] += 1
        document["citations"] += cited.citations
        document["last_cited_at"] = max(document["last_cited_at"], cited.last_cited_at)
    rows = sorted(documents.values(), key=lambda row: -row["citations"])
    return [row | {"last_cited_at": iso(row["last_cited_at"])} for row in rows]


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def expected_feedback(max_rating: int = 5) -> list[dict[str, Any]]:
    rated = [s for s in IN_WINDOW if s.rating is not None and s.rating <= max_rating]
    rated.sort(key=lambda s: (s.rating, -s.rated_at.timestamp()))
    return [
        {
            "rating": s.rating, "reason": s.reason, "question": s.question,
            "answer_excerpt": s.answer[:300], "language": s.language,
            "created_at": iso(s.answered_at), "rated_at": iso(s.rated_at),
        }
        for s in rated
    ]  # fmt: skip


def in_window(report: Report) -> bool:
    return BEFORE_WINDOW < report.created_at < AFTER_WINDOW


def expected_bloodwork(markers: int) -> dict[str, Any]:
    reports = [report for report in REPORTS if in_window(report)]
    statuses = Counter(report.status for report in reports)
    missing = Counter(marker for report in reports for marker in report.missing)
    failed = [report for report in reports if report.status is LabReportStatus.FAILED]
    reasons = Counter(report.error or "" for report in failed)
    return {
        "window": {"first_day": str(FIRST_DAY), "last_day": str(LAST_DAY), "days": DAYS},
        "statuses": [{"status": s.value, "reports": statuses[s]} for s in LabReportStatus],
        "missing_markers": counted(missing, "marker", "reports")[:markers],
        "failures": [
            {
                "reason": reason,
                "reports": n,
                "last_failed_at": iso(
                    max(r.created_at for r in failed if r.error == reason) + timedelta(seconds=9)
                ),
            }
            for reason, n in sorted(reasons.items(), key=lambda item: (-item[1], item[0]))
        ],
    }


# The dashboards


async def test_stats_match_the_seed_exactly(admin: httpx.AsyncClient, seeded: None) -> None:
    response = await admin.get(f"/v1/admin/stats?{WINDOW}")
    assert response.status_code == 200, response.text
    assert response.json() == expected_stats()


async def test_stats_of_an_empty_window_are_zero(admin: httpx.AsyncClient, seeded: None) -> None:
    response = await admin.get("/v1/admin/stats?days=3&until=1970-01-03")
    assert response.status_code == 200, response.text
    stats = response.json()
    assert stats["questions"] == 0
    assert [day["questions"] for day in stats["questions_per_day"]] == [0, 0, 0]
    assert stats["latency"]["queue_ms"] == {"p50": None, "p90": None, "p99": None}
    assert stats["sources"] == [] and stats["ratings"]["average"] is None


async def test_gaps_are_grouped_by_content_terms(admin: httpx.AsyncClient, seeded: None) -> None:
    response = await admin.get(f"/v1/admin/gaps?{WINDOW}")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["groups"] == expected_gap_groups()
    assert [group["terms"] for group in body["groups"]] == ["amh", STRESS, "http hyperlink"]
    second = await admin.get(f"/v1/admin/gaps?{WINDOW}&limit=1&offset=1")
    assert second.json()["groups"] == expected_gap_groups()[1:2]
    assert second.json()["total_groups"] == body["total_groups"] == 3


async def test_documents_are_ranked_by_citations(admin: httpx.AsyncClient, seeded: None) -> None:
    response = await admin.get(f"/v1/admin/documents?collection={COLLECTION}")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "collection": COLLECTION, "total": 3, "documents": expected_documents(),
    }  # fmt: skip
    page = await admin.get(f"/v1/admin/documents?collection={COLLECTION}&limit=2&offset=2")
    assert page.json()["documents"] == expected_documents()[2:]


async def test_feedback_lists_low_ratings_first(admin: httpx.AsyncClient, seeded: None) -> None:
    response = await admin.get(f"/v1/admin/feedback?{WINDOW}")
    assert response.status_code == 200, response.text
    body = response.json()
    rows = [{k: v for k, v in row.items() if k != "message_id"} for row in body["answers"]]
    assert rows == expected_feedback()
    assert body["total"] == len(expected_feedback())
    low = await admin.get(f"/v1/admin/feedback?{WINDOW}&max_rating=2&limit=2&offset=1")
    assert [row["rating"] for row in low.json()["answers"]] == [
        row["rating"] for row in expected_feedback(2)[1:3]
    ]
    assert low.json()["total"] == len(expected_feedback(2))


async def test_feedback_names_the_rated_message(
    admin: httpx.AsyncClient, seeded: None, resources: Resources
) -> None:
    response = await admin.get(f"/v1/admin/feedback?{WINDOW}&limit=1")
    (row,) = response.json()["answers"]
    async with resources.sessionmaker() as db:
        message = await db.get(Message, uuid.UUID(row["message_id"]))
    assert message is not None and message.role == Role.ASSISTANT
    assert (message.rating, message.rating_reason) == (row["rating"], row["reason"])


async def test_bloodwork_counts_statuses_markers_and_failures(
    admin: httpx.AsyncClient, seeded: None
) -> None:
    response = await admin.get(f"/v1/admin/bloodwork?{WINDOW}&markers=2")
    assert response.status_code == 200, response.text
    assert response.json() == expected_bloodwork(markers=2)


# CSV


FORMULA_STARTS = ("=", "+", "-", "@")


def same_cell(cell: str, column: str, value: Any) -> bool:
    """Whether a CSV cell holds what the JSON holds for the same row and column."""
    if value is None:
        return cell == ""
    if isinstance(value, int | float):
        return float(cell) == value
    if isinstance(value, list):
        return cell == " ".join(value)
    if column.endswith("_at") or column == "last_seen":
        return datetime.fromisoformat(cell) == datetime.fromisoformat(value)
    if value.startswith(FORMULA_STARTS):  # a spreadsheet must not run it
        return cell == "'" + value
    return bool(cell == value)


def parsed_csv(response: httpx.Response, filename: str) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == f'attachment; filename="{filename}.csv"'
    return list(csv.DictReader(io.StringIO(response.text)))


def assert_same_rows(table: list[dict[str, str]], rows: list[dict[str, Any]]) -> None:
    assert len(table) == len(rows)
    for parsed, row in zip(table, rows, strict=True):
        assert list(parsed) == list(row)
        mismatched = [c for c in row if not same_cell(parsed[c], c, row[c])]
        assert not mismatched, (mismatched, parsed, row)


async def test_gaps_as_csv(admin: httpx.AsyncClient, seeded: None) -> None:
    groups = (await admin.get(f"/v1/admin/gaps?{WINDOW}")).json()["groups"]
    response = await admin.get(f"/v1/admin/gaps?{WINDOW}&format=csv")
    table = parsed_csv(response, f"izana-gaps-{FIRST_DAY}-{LAST_DAY}")
    assert_same_rows(table, groups)
    assert table[2]["example"] == '\'=HYPERLINK("http://x")'


async def test_documents_as_csv(admin: httpx.AsyncClient, seeded: None) -> None:
    url = f"/v1/admin/documents?collection={COLLECTION}"
    documents = (await admin.get(url)).json()["documents"]
    table = parsed_csv(await admin.get(f"{url}&format=csv"), f"izana-documents-{COLLECTION}")
    assert_same_rows(table, documents)
    assert (table[2]["title"], table[2]["source"]) == ("'=cmd|' /C calc'!A0", "'-2+3")


async def test_feedback_as_csv(admin: httpx.AsyncClient, seeded: None) -> None:
    answers = (await admin.get(f"/v1/admin/feedback?{WINDOW}")).json()["answers"]
    response = await admin.get(f"/v1/admin/feedback?{WINDOW}&format=csv")
    table = parsed_csv(response, f"izana-feedback-{FIRST_DAY}-{LAST_DAY}")
    assert_same_rows(table, answers)
    assert "'@SUM(1) unclear" in [row["reason"] for row in table]


async def test_bloodwork_as_csv(admin: httpx.AsyncClient, seeded: None) -> None:
    summary = (await admin.get(f"/v1/admin/bloodwork?{WINDOW}")).json()
    response = await admin.get(f"/v1/admin/bloodwork?{WINDOW}&format=csv")
    table = parsed_csv(response, f"izana-bloodwork-{FIRST_DAY}-{LAST_DAY}")
    assert [(row["section"], row["name"], int(row["reports"])) for row in table] == [
        *(("status", row["status"], row["reports"]) for row in summary["statuses"]),
        *(("missing_marker", row["marker"], row["reports"]) for row in summary["missing_markers"]),
        *(("failure", row["reason"], row["reports"]) for row in summary["failures"]),
    ]


async def test_stats_as_csv(admin: httpx.AsyncClient, seeded: None) -> None:
    stats = (await admin.get(f"/v1/admin/stats?{WINDOW}")).json()
    response = await admin.get(f"/v1/admin/stats?{WINDOW}&format=csv")
    table = parsed_csv(response, f"izana-stats-{FIRST_DAY}-{LAST_DAY}")
    values = {(row["series"], row["key"]): row["value"] for row in table}
    assert len(values) == len(table)  # each value once
    assert values["questions", "total"] == str(stats["questions"])  # counts stay integers
    for day in stats["questions_per_day"]:
        assert float(values["questions_per_day", day["day"]]) == day["questions"]
    for name in ("queue_ms", "ttft_ms", "total_ms"):
        for key, value in stats["latency"][name].items():
            assert float(values[name, key]) == value
    for source in stats["sources"]:
        assert float(values["source_share", source["source"]]) == source["share"]
    for call in stats["providers"]["calls"]:
        key = f"{call['role']} {call['model']}"
        assert float(values["provider_attempts", key]) == call["attempts"]
    assert float(values["rating", "average"]) == stats["ratings"]["average"]


# Refusals


@pytest.mark.parametrize("dashboard", DASHBOARDS)
async def test_dashboards_refuse_without_an_admin_token(running: FastAPI, dashboard: str) -> None:
    async with client_for(running) as client:
        anonymous = await client.get(f"/v1/admin/{dashboard}")
        session = (await client.post("/v1/sessions")).json()["token"]
        as_session = await client.get(
            f"/v1/admin/{dashboard}", headers={"Authorization": f"Bearer {session}"}
        )
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "admin_required"
    assert as_session.status_code == 401
    assert as_session.json()["error"]["code"] == "admin_token_invalid"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("format=xml", "format"),
        ("days=0", "days"),
        ("days=366", "days"),
        ("until=2001-02-30", "until"),
        ("limit=501", "limit"),
    ],
)
async def test_bad_parameters_are_named(admin: httpx.AsyncClient, query: str, field: str) -> None:
    response = await admin.get(f"/v1/admin/gaps?{query}")
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert [detail["field"] for detail in error["details"]] == [field]


async def test_an_unknown_format_says_which_are_known(admin: httpx.AsyncClient) -> None:
    response = await admin.get("/v1/admin/feedback?format=xlsx")
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["message"] == "Input should be 'json' or 'csv'"


# The audit


@dataclass(frozen=True)
class AdminCall:
    method: str
    path: str
    status: int  # the answer expected
    query: str = ""
    body: dict[str, Any] | None = None
    admin: bool = True  # with the admin token
    request_id: str = field(default_factory=lambda: f"{TAG}-{uuid.uuid4().hex}")


async def test_every_admin_request_leaves_an_audit_row(
    running: FastAPI, resources: Resources, seeded: None
) -> None:
    calls = [
        AdminCall("POST", "/v1/admin/login", 200, body={"pin": ADMIN_PIN}, admin=False),
        AdminCall("POST", "/v1/admin/kb/reindex", 400, body={"paths": ["/etc"]}),
        AdminCall("GET", f"/v1/admin/kb/jobs/{uuid.uuid4().hex}", 404),
        AdminCall("GET", "/v1/admin/stats", 200, WINDOW),
        AdminCall("GET", "/v1/admin/gaps", 200, f"{WINDOW}&format=csv"),
        AdminCall("GET", "/v1/admin/documents", 200, f"collection={COLLECTION}"),
        AdminCall("GET", "/v1/admin/feedback", 200, "limit=1"),
        AdminCall("GET", "/v1/admin/bloodwork", 200),
        AdminCall("GET", "/v1/admin/stats", 401, admin=False),
        AdminCall("GET", "/v1/admin/gaps", 422, "format=xml"),
    ]
    ip = fresh_ip()
    async with client_for(running, ip) as client:
        token = await admin_headers(client)
        for call in calls:
            headers = {"X-Request-ID": call.request_id, **(token if call.admin else {})}
            url = f"{call.path}?{call.query}" if call.query else call.path
            response = await client.request(call.method, url, json=call.body, headers=headers)
            assert response.status_code == call.status, (call, response.text)
    ids = [call.request_id for call in calls]
    async with resources.sessionmaker() as db:
        audited = await db.scalars(select(AdminAudit).where(col(AdminAudit.request_id).in_(ids)))
        rows = {row.request_id: row for row in audited}
    assert len(rows) == len(calls)
    for call in calls:
        row = rows[call.request_id]
        assert (row.method, row.path, row.query, row.client_ip, row.status) == (
            call.method, call.path, call.query, ip, call.status,
        )  # fmt: skip


async def test_a_path_that_is_no_admin_route_is_not_audited(
    admin: httpx.AsyncClient, resources: Resources
) -> None:
    request_id = f"{TAG}-{uuid.uuid4().hex}"
    response = await admin.get("/v1/admin/nothing-here", headers={"X-Request-ID": request_id})
    assert response.status_code == 404
    async with resources.sessionmaker() as db:
        audited = await db.scalar(
            select(AdminAudit).where(col(AdminAudit.request_id) == request_id)
        )
    assert audited is None


async def test_no_response_leaves_without_its_audit(settings: Settings) -> None:
    """With Postgres out of reach the audit cannot be written: a right PIN, which needs only
    Redis, gets 503 and no token."""
    unreachable = f"postgresql://izana@127.0.0.1:{free_port()}/izana"
    update = {"admin_pin": SecretStr(ADMIN_PIN), "database_url": unreachable}
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    app = create_app(settings.model_copy(update=update))
    try:
        async with app.router.lifespan_context(app), client_for(app) as client:
            response = await client.post("/v1/admin/login", json={"pin": ADMIN_PIN})
    finally:
        root.handlers[:], root.level = handlers, level
    assert response.status_code == 503, response.text
    assert response.json() == {
        "error": {"code": "unavailable", "message": response.json()["error"]["message"]}
    }
    assert response.headers["retry-after"] == "5"
    assert "x-request-id" in response.headers
