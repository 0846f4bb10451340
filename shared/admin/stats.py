"""Usage statistics over a window: questions, languages, answer times, where answers came from,
the provider calls behind them and their ratings.

Questions are the user messages created in the window, answers the assistant messages created
in it (their `timings` and `audit`, shared/rag/answer.py), ratings those given in it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.admin.window import Window
from shared.chat.ratings import MAX_RATING, MIN_RATING

PERCENTILES = (0.5, 0.9, 0.99)
# The answer timings summarised, as `message.timings` names them.
TIMINGS = ("queue_ms", "ttft_ms", "total_ms")
# The lists of model keys an answer's audit keeps (shared/resilience/trail.py).
MODEL_EVENTS = ("fallbacks", "cooldowns", "breakers_opened")

_IN_WINDOW = "created_at >= :since AND created_at < :before"

_QUESTIONS_PER_DAY = text(f"""
SELECT (created_at AT TIME ZONE 'UTC')::date AS day, count(*) FROM message
WHERE role = 'user' AND {_IN_WINDOW} GROUP BY day""")

_LANGUAGES = text(f"""
SELECT language, count(*) AS questions FROM message
WHERE role = 'user' AND {_IN_WINDOW} GROUP BY language ORDER BY questions DESC, language""")

_PERCENTILES = ", ".join(
    f"percentile_cont(CAST(:percentiles AS float8[])) WITHIN GROUP "
    f"(ORDER BY CAST(timings->>'{name}' AS float8))"
    for name in TIMINGS
)
_LATENCY = text(f"""
SELECT count(*), {_PERCENTILES}, coalesce(sum(CAST(audit->>'retries' AS integer)), 0)
FROM message WHERE role = 'assistant' AND {_IN_WINDOW}""")

_SOURCES = text(f"""
SELECT coalesce(audit->>'source', 'unknown') AS source, count(*) AS answers FROM message
WHERE role = 'assistant' AND {_IN_WINDOW} GROUP BY source ORDER BY answers DESC, source""")

_CALLS = text(f"""
SELECT call->>'role' AS role, call->>'model' AS model, count(*) AS calls,
       sum(CAST(call->>'attempts' AS integer)) AS attempts
FROM message CROSS JOIN LATERAL jsonb_array_elements(audit->'calls') AS call
WHERE role = 'assistant' AND {_IN_WINDOW}
GROUP BY 1, 2 ORDER BY calls DESC, role, model""")

_MODEL_EVENTS = text(f"""
SELECT event, model, count(*) AS times
FROM message CROSS JOIN LATERAL unnest(CAST(:events AS text[])) AS event
  CROSS JOIN LATERAL jsonb_array_elements_text(audit->event) AS model
WHERE role = 'assistant' AND {_IN_WINDOW}
GROUP BY event, model ORDER BY event, times DESC, model""")

_RATINGS = text("""
SELECT rating, count(*) FROM message
WHERE role = 'assistant' AND rating IS NOT NULL AND rated_at >= :since AND rated_at < :before
GROUP BY rating""")


class Percentiles(BaseModel):
    p50: float | None
    p90: float | None
    p99: float | None


class Latency(BaseModel):
    answers: int
    queue_ms: Percentiles = Field(description="Waiting in the queue before a worker took it.")
    ttft_ms: Percentiles = Field(description="From the worker's start to the first token.")
    total_ms: Percentiles = Field(description="From the worker's start to the whole answer.")


class DayCount(BaseModel):
    day: date
    questions: int


class LanguageCount(BaseModel):
    language: str
    questions: int


class SourceShare(BaseModel):
    source: str = Field(description="The audit's `source`: pipeline, cache, shared, personal…")
    answers: int
    share: float = Field(description="Of all answers in the window, 0 to 1.")


class ProviderCalls(BaseModel):
    role: str
    model: str
    calls: int
    attempts: int


class ModelCount(BaseModel):
    model: str
    times: int


class Providers(BaseModel):
    calls: list[ProviderCalls]
    retries: int
    fallbacks: list[ModelCount] = Field(description="The models fallen back to.")
    cooldowns: list[ModelCount] = Field(description="Shared cooldowns set after a 429.")
    breakers_opened: list[ModelCount]


class RatingCount(BaseModel):
    rating: int
    answers: int


class Ratings(BaseModel):
    rated: int
    average: float | None
    distribution: list[RatingCount] = Field(description="Every rating from 1 to 5.")


class Stats(BaseModel):
    window: Window
    questions: int
    questions_per_day: list[DayCount] = Field(description="Every day of the window, oldest first.")
    languages: list[LanguageCount] = Field(description="Questions per language, most first.")
    latency: Latency
    sources: list[SourceShare]
    providers: Providers
    ratings: Ratings


def _percentiles(values: list[float] | None) -> Percentiles:
    p50, p90, p99 = values or (None, None, None)
    return Percentiles(p50=p50, p90=p90, p99=p99)


def _shares(rows: list[Any]) -> list[SourceShare]:
    total = sum(answers for _, answers in rows)
    return [SourceShare(source=s, answers=n, share=n / total) for s, n in rows]


def _ratings(counts: dict[int, int]) -> Ratings:
    rated = sum(counts.values())
    stars = sum(rating * answers for rating, answers in counts.items())
    return Ratings(
        rated=rated,
        average=stars / rated if rated else None,
        distribution=[
            RatingCount(rating=rating, answers=counts.get(rating, 0))
            for rating in range(MIN_RATING, MAX_RATING + 1)
        ],
    )


async def _providers(db: AsyncSession, params: dict[str, Any], retries: int) -> Providers:
    calls = [
        ProviderCalls(role=role, model=model, calls=calls, attempts=attempts)
        for role, model, calls, attempts in await db.execute(_CALLS, params)
    ]
    events: dict[str, list[ModelCount]] = {event: [] for event in MODEL_EVENTS}
    for event, model, times in await db.execute(_MODEL_EVENTS, params):
        events[event].append(ModelCount(model=model, times=times))
    return Providers(calls=calls, retries=retries, **events)


async def usage_stats(sessionmaker: async_sessionmaker[AsyncSession], window: Window) -> Stats:
    params = window.params() | {"percentiles": list(PERCENTILES), "events": list(MODEL_EVENTS)}
    async with sessionmaker() as db:
        per_day: dict[date, int] = dict((await db.execute(_QUESTIONS_PER_DAY, params)).all())
        languages = (await db.execute(_LANGUAGES, params)).all()
        answers, queue, ttft, total, retries = (await db.execute(_LATENCY, params)).one()
        sources = _shares(list(await db.execute(_SOURCES, params)))
        providers = await _providers(db, params, retries)
        ratings = _ratings(dict((await db.execute(_RATINGS, params)).all()))
    return Stats(
        window=window,
        questions=sum(per_day.values()),
        questions_per_day=[
            DayCount(day=day, questions=per_day.get(day, 0)) for day in window.each_day()
        ],
        languages=[LanguageCount(language=lang, questions=n) for lang, n in languages],
        latency=Latency(
            answers=answers,
            queue_ms=_percentiles(queue),
            ttft_ms=_percentiles(ttft),
            total_ms=_percentiles(total),
        ),
        sources=sources,
        providers=providers,
        ratings=ratings,
    )
