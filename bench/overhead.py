"""Time to first token through API + queue + worker + SSE, against the pipeline in-process.

For every request through the system, the added overhead is the client's time to first token
minus the pipeline's own time to first token for that job (measured by the worker and reported
in `done.timings.ttft_ms`). The in-process run calls the same pipeline with the same providers,
Redis and Postgres, so its distribution is the baseline for the end-to-end one.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import httpx

from bench.stats import summary
from shared.events import Citation, Stage
from shared.rag.assembly import Providers
from shared.rag.pipeline import RetrievalConfig, answer_question, prepare_question
from shared.resources import Resources

QUESTIONS = (
    "What are the symptoms of polycystic ovary syndrome?",
    "What causes male infertility?",
    "How is endometriosis treated?",
    "Is Turner syndrome inherited?",
    "What is primary ovarian insufficiency?",
    "What are the risk factors for ovarian cancer?",
    "How is Klinefelter syndrome diagnosed?",
    "What is premature ovarian failure and can I still get pregnant?",
    "What causes irregular periods?",
    "Can uterine fibroids affect fertility?",
)


@dataclass(frozen=True)
class Sample:
    ttft_ms: float  # as the caller sees it
    pipeline_ttft_ms: float  # the pipeline's own, from its start
    total_ms: float
    # From the enqueue to the worker's start of the job (`done.timings.queue_ms`); 0 in-process.
    queue_ms: float = 0.0

    @property
    def overhead_ms(self) -> float:
        return self.ttft_ms - self.pipeline_ttft_ms


class FirstTokenSink:
    """Pipeline sink for the in-process baseline: notes when the first token arrives."""

    def __init__(self) -> None:
        self.first_token_at: float | None = None

    async def status(self, stage: Stage) -> None:
        return None

    async def token(self, text: str) -> None:
        if self.first_token_at is None:
            self.first_token_at = time.perf_counter()

    async def reset(self, reason: str) -> None:
        self.first_token_at = None

    async def citations(self, citations: list[Citation]) -> None:
        return None

    async def suggestions(self, suggestions: list[str]) -> None:
        return None


async def in_process_sample(resources: Resources, providers: Providers, question: str) -> Sample:
    sink = FirstTokenSink()
    started = time.perf_counter()
    config = RetrievalConfig.from_settings(resources.settings)
    prepared = prepare_question(question, None, config.max_question_chars)
    result = await answer_question(prepared, providers, sink, config)
    assert sink.first_token_at is not None
    ttft_ms = (sink.first_token_at - started) * 1000
    return Sample(ttft_ms, result.ttft_ms, (time.perf_counter() - started) * 1000)


async def _first_token_and_done(response: httpx.Response, started: float) -> tuple[float, Any]:
    ttft_ms: float | None = None
    event = ""
    async for line in response.aiter_lines():
        if line.startswith("event: "):
            event = line[7:]
            if event == "token" and ttft_ms is None:
                ttft_ms = (time.perf_counter() - started) * 1000
        elif line.startswith("data: ") and event in {"done", "error"}:
            if event == "error":
                raise RuntimeError(f"job failed: {line}")
            assert ttft_ms is not None
            return ttft_ms, json.loads(line[6:])
    raise RuntimeError("stream ended without a done event")


async def system_sample(
    client: httpx.AsyncClient, base_url: str, auth: dict[str, str], question: str
) -> Sample:
    started = time.perf_counter()
    headers = {**auth, "Accept": "text/event-stream"}
    async with client.stream(
        "POST", f"{base_url}/v1/chat", json={"message": question}, headers=headers
    ) as response:
        response.raise_for_status()
        ttft_ms, done = await _first_token_and_done(response, started)
    total_ms = (time.perf_counter() - started) * 1000
    timings = done["timings"]
    return Sample(ttft_ms, timings["ttft_ms"], total_ms, timings["queue_ms"])


async def new_auth(client: httpx.AsyncClient, base_url: str) -> dict[str, str]:
    response = await client.post(f"{base_url}/v1/sessions")
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['token']}"}


async def run_system(
    base_url: str, requests: int, concurrency: int, stagger_seconds: float = 0.0
) -> list[Sample]:
    """`concurrency` clients through the API, each asking its share of `requests` in turn; they
    start evenly over `stagger_seconds` rather than all at once."""
    questions = itertools.cycle(QUESTIONS)
    limits = httpx.Limits(max_connections=concurrency + 5)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        auths = [await new_auth(client, base_url) for _ in range(concurrency)]

        async def one_client(index: int, auth: dict[str, str], count: int) -> list[Sample]:
            await asyncio.sleep(stagger_seconds * index / concurrency)
            return [
                await system_sample(client, base_url, auth, next(questions)) for _ in range(count)
            ]

        shares = _split(requests, concurrency)
        batches = await asyncio.gather(
            *(one_client(i, a, n) for i, (a, n) in enumerate(zip(auths, shares, strict=True)))
        )
    return [sample for batch in batches for sample in batch]


async def run_in_process(
    resources: Resources,
    providers: Providers,
    requests: int,
    concurrency: int,
    stagger_seconds: float = 0.0,
) -> list[Sample]:
    """The same clients calling the pipeline in this process."""
    questions = itertools.cycle(QUESTIONS)

    async def one_client(index: int, count: int) -> list[Sample]:
        await asyncio.sleep(stagger_seconds * index / concurrency)
        return [
            await in_process_sample(resources, providers, next(questions)) for _ in range(count)
        ]

    shares = _split(requests, concurrency)
    batches = await asyncio.gather(*(one_client(i, n) for i, n in enumerate(shares)))
    return [sample for batch in batches for sample in batch]


def _split(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


def describe(samples: Sequence[Sample]) -> dict[str, Any]:
    return {
        "requests": len(samples),
        "ttft_ms": summary([s.ttft_ms for s in samples]),
        "pipeline_ttft_ms": summary([s.pipeline_ttft_ms for s in samples]),
        "overhead_ms": summary([s.overhead_ms for s in samples]),
        "queue_ms": summary([s.queue_ms for s in samples]),
        "total_ms": summary([s.total_ms for s in samples]),
    }


def raw(samples: Sequence[Sample]) -> list[dict[str, float]]:
    return [asdict(sample) | {"overhead_ms": sample.overhead_ms} for sample in samples]
