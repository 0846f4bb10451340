"""Admin dashboards: usage statistics, knowledge gaps, cited documents, rated answers and
blood-work outcomes, each as JSON or (`format=csv`) a CSV file."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, Field

from api.admin_auth import ADMIN_ERRORS, AdminDep
from api.csv_export import ExportFormat, csv_documented, csv_response
from api.deps import ResourcesDep
from api.error_docs import error_responses
from api.errors import ValidationFailed
from api.ratelimit import LIMIT_ERRORS, limit_admin
from shared.admin.bloodwork import BloodworkSummary, bloodwork_summary
from shared.admin.documents import CitedDocument, DocumentPage, cited_documents
from shared.admin.feedback import FeedbackPage, RatedAnswer, rated_answers
from shared.admin.gaps import GapGroup, GapPage, gap_groups
from shared.admin.stats import ModelCount, Percentiles, Stats, usage_stats
from shared.admin.window import Window
from shared.chat.ratings import MAX_RATING, MIN_RATING
from shared.db.models import DEFAULT_COLLECTION
from shared.jobs import NAME_PATTERN

router = APIRouter(
    prefix="/v1/admin", tags=["admin"], dependencies=[Depends(limit_admin), AdminDep]
)

DEFAULT_DAYS = 30
MAX_DAYS = 365
PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
MAX_OFFSET = 100_000
MARKERS = 20
MAX_MARKERS = 100
ERRORS = error_responses(*LIMIT_ERRORS, *ADMIN_ERRORS, ValidationFailed)


async def report_window(
    days: Annotated[int, Query(ge=1, le=MAX_DAYS, description="How many days, 1 to 365.")] = (
        DEFAULT_DAYS
    ),
    until: Annotated[
        date | None, Query(description="The last day covered (UTC, included); today if omitted.")
    ] = None,
) -> Window:
    return Window.ending(until, days)


async def export_format(
    output: Annotated[
        ExportFormat, Query(alias="format", description="`json` (default) or `csv`.")
    ] = ExportFormat.JSON,
) -> ExportFormat:
    return output


WindowDep = Annotated[Window, Depends(report_window)]
FormatDep = Annotated[ExportFormat, Depends(export_format)]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="Rows per page, 1 to 500.")]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Rows to skip.")]


def _filename(name: str, window: Window) -> str:
    return f"izana-{name}-{window.first_day}-{window.last_day}"


class StatRow(BaseModel):
    """One value of the statistics, in their CSV form."""

    series: str
    key: str
    value: int | float | None


def _stat_rows(stats: Stats) -> list[StatRow]:
    """The statistics flattened, one row per value."""
    rows: list[tuple[str, str, int | float | None]] = [("questions", "total", stats.questions)]
    rows += [("questions_per_day", str(day.day), day.questions) for day in stats.questions_per_day]
    rows += [("language", lang.language, lang.questions) for lang in stats.languages]
    rows.append(("answers", "total", stats.latency.answers))
    for name in ("queue_ms", "ttft_ms", "total_ms"):
        percentiles: Percentiles = getattr(stats.latency, name)
        rows += [(name, key, value) for key, value in percentiles.model_dump().items()]
    rows += [("source", source.source, source.answers) for source in stats.sources]
    rows += [("source_share", source.source, source.share) for source in stats.sources]
    calls = stats.providers.calls
    rows += [("provider_calls", f"{call.role} {call.model}", call.calls) for call in calls]
    rows += [("provider_attempts", f"{call.role} {call.model}", call.attempts) for call in calls]
    rows.append(("retries", "total", stats.providers.retries))
    for name in ("fallbacks", "cooldowns", "breakers_opened"):
        counts: list[ModelCount] = getattr(stats.providers, name)
        rows += [(name, count.model, count.times) for count in counts]
    rows += [("rating", str(count.rating), count.answers) for count in stats.ratings.distribution]
    rows.append(("rating", "average", stats.ratings.average))
    return [StatRow(series=series, key=key, value=value) for series, key, value in rows]


@router.get("/stats", response_model=Stats, responses={**csv_documented(StatRow), **ERRORS})
async def admin_stats(
    resources: ResourcesDep, window: WindowDep, output: FormatDep
) -> Stats | Response:
    """Questions per day and per language; queue, first-token and total time percentiles
    (p50, p90, p99); the share of answers per source (pipeline, cache, shared, personal…);
    provider calls, retries, fallbacks, cooldowns and opened breakers; ratings 1 to 5."""
    usage = await usage_stats(resources.sessionmaker, window)
    if output is ExportFormat.CSV:
        return csv_response(_filename("stats", window), StatRow, _stat_rows(usage))
    return usage


@router.get("/gaps", response_model=GapPage, responses={**csv_documented(GapGroup), **ERRORS})
async def admin_gaps(
    resources: ResourcesDep,
    window: WindowDep,
    output: FormatDep,
    limit: Limit = PAGE_SIZE,
    offset: Offset = 0,
) -> GapPage | Response:
    """Questions the knowledge base answered poorly, near-identical ones grouped (same content
    terms), most frequent first."""
    page = await gap_groups(resources.sessionmaker, window, limit, offset)
    if output is ExportFormat.CSV:
        return csv_response(_filename("gaps", window), GapGroup, page.groups)
    return page


@router.get(
    "/documents", response_model=DocumentPage, responses={**csv_documented(CitedDocument), **ERRORS}
)
async def admin_documents(
    resources: ResourcesDep,
    output: FormatDep,
    collection: Annotated[str, Query(pattern=NAME_PATTERN)] = DEFAULT_COLLECTION,
    limit: Limit = PAGE_SIZE,
    offset: Offset = 0,
) -> DocumentPage | Response:
    """The knowledge base's documents by their citations in answers, since each was first
    cited (not limited to a window)."""
    page = await cited_documents(resources.sessionmaker, collection, limit, offset)
    if output is ExportFormat.CSV:
        return csv_response(f"izana-documents-{collection}", CitedDocument, page.documents)
    return page


@router.get(
    "/feedback", response_model=FeedbackPage, responses={**csv_documented(RatedAnswer), **ERRORS}
)
async def admin_feedback(
    resources: ResourcesDep,
    window: WindowDep,
    output: FormatDep,
    max_rating: Annotated[int, Query(ge=MIN_RATING, le=MAX_RATING)] = MAX_RATING,
    limit: Limit = PAGE_SIZE,
    offset: Offset = 0,
) -> FeedbackPage | Response:
    """Answers rated in the window (at most `max_rating` stars), lowest rating first, then the
    newest rating: the rating and its reason, the question and the start of the answer."""
    page = await rated_answers(resources.sessionmaker, window, max_rating, limit, offset)
    if output is ExportFormat.CSV:
        return csv_response(_filename("feedback", window), RatedAnswer, page.answers)
    return page


class BloodworkRow(BaseModel):
    """One count of the blood-work summary, in its CSV form."""

    section: str = Field(description="status, missing_marker or failure.")
    name: str
    reports: int


def _bloodwork_rows(summary: BloodworkSummary) -> list[BloodworkRow]:
    rows = [("status", count.status.value, count.reports) for count in summary.statuses]
    rows += [("missing_marker", item.marker, item.reports) for item in summary.missing_markers]
    rows += [("failure", failure.reason, failure.reports) for failure in summary.failures]
    return [BloodworkRow(section=section, name=name, reports=n) for section, name, n in rows]


@router.get(
    "/bloodwork",
    response_model=BloodworkSummary,
    responses={**csv_documented(BloodworkRow), **ERRORS},
)
async def admin_bloodwork(
    resources: ResourcesDep,
    window: WindowDep,
    output: FormatDep,
    markers: Annotated[int, Query(ge=1, le=MAX_MARKERS, description="Missing markers listed.")] = (
        MARKERS
    ),
) -> BloodworkSummary | Response:
    """Lab reports uploaded in the window: how many per status, the markers most often missing
    from the reports read, and the reasons the failed ones failed."""
    summary = await bloodwork_summary(resources.sessionmaker, window, markers)
    if output is ExportFormat.CSV:
        return csv_response(_filename("bloodwork", window), BloodworkRow, _bloodwork_rows(summary))
    return summary
