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
from urllib.parse import urlsplit

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


TOKEN_EVENT = b"event: token"


class EventStreamConnection:
    """One keep-alive HTTP/1.1 connection that asks questions with `Accept: text/event-stream`
    and reads each answer's chunked event stream, noting when its first token arrived. It parses
    no more than that and the `done` event, so that the client's own work (an HTTP library's
    parsing of every event) is not counted as the system's overhead."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer

    @classmethod
    async def open(cls, base_url: str) -> EventStreamConnection:
        address = urlsplit(base_url)
        reader, writer = await asyncio.open_connection(address.hostname, address.port)
        return cls(reader, writer)

    async def ask(self, auth: dict[str, str], question: str) -> Sample:
        body = json.dumps({"message": question}).encode()
        head = "".join(f"{name}: {value}\r\n" for name, value in auth.items())
        request = (
            f"POST /v1/chat HTTP/1.1\r\nHost: bench\r\n{head}Accept: text/event-stream\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode()
        started = time.perf_counter()
        self._writer.write(request + body)
        await self._read_head()
        ttft_ms, done = await self._read_events(started)
        total_ms = (time.perf_counter() - started) * 1000
        timings = done["timings"]
        return Sample(ttft_ms, timings["ttft_ms"], total_ms, timings["queue_ms"])

    async def _read_head(self) -> None:
        head = await self._reader.readuntil(b"\r\n\r\n")
        status = head.split(b" ", 2)[1]
        if status != b"200" or b"transfer-encoding: chunked" not in head.lower():
            raise RuntimeError(f"unexpected response: {head[:200]!r}")

    async def _read_events(self, started: float) -> tuple[float, Any]:
        ttft_ms: float | None = None
        stream = bytearray()
        while size := int((await self._reader.readuntil(b"\r\n")).strip(), 16):
            searched_to = max(0, len(stream) - len(TOKEN_EVENT) + 1)  # a marker may span chunks
            stream += (await self._reader.readexactly(size + 2))[:-2]
            if ttft_ms is None and stream.find(TOKEN_EVENT, searched_to) >= 0:
                ttft_ms = (time.perf_counter() - started) * 1000
        await self._reader.readexactly(2)  # the last chunk's CRLF
        done = _terminal_data(stream.decode())
        if ttft_ms is None:
            raise RuntimeError("the answer ended without a token")
        return ttft_ms, done

    def close(self) -> None:
        self._writer.close()


def _terminal_data(stream: str) -> Any:
    """The data of the stream's `done` event; an `error` event or none is the job's failure."""
    event = ""
    for line in stream.splitlines():
        if line.startswith("event: "):
            event = line[7:]
        elif line.startswith("data: ") and event in {"done", "error"}:
            if event == "error":
                raise RuntimeError(f"job failed: {line}")
            return json.loads(line[6:])
    raise RuntimeError("stream ended without a done event")


async def new_auth(client: httpx.AsyncClient, base_url: str) -> dict[str, str]:
    response = await client.post(f"{base_url}/v1/sessions")
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['token']}"}


async def run_system(
    base_url: str, requests: int, concurrency: int, stagger_seconds: float = 0.0
) -> list[Sample]:
    """`concurrency` clients through the API, each asking its share of `requests` in turn on a
    connection of its own; they start evenly over `stagger_seconds` rather than all at once."""
    questions = itertools.cycle(QUESTIONS)
    async with httpx.AsyncClient(timeout=60) as client:
        auths = [await new_auth(client, base_url) for _ in range(concurrency)]

    async def one_client(index: int, auth: dict[str, str], count: int) -> list[Sample]:
        await asyncio.sleep(stagger_seconds * index / concurrency)
        connection = await EventStreamConnection.open(base_url)
        try:
            return [await connection.ask(auth, next(questions)) for _ in range(count)]
        finally:
            connection.close()

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
