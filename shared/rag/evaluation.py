"""`izana eval`: the chat pipeline's own retrieval over an evaluation collection, written in the
run format of `score_retrieval.py` (`{"qid", "ranked": [ids]}` per line)."""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from pydantic import BaseModel, ValidationError

from shared.config import Settings
from shared.db.models import DEFAULT_COLLECTION
from shared.events import Citation, Stage
from shared.knowledge.hybrid_store import HybridStore, dense_views
from shared.knowledge.ingest.ingestor import IngestReport
from shared.knowledge.ingest.progress import Progress
from shared.knowledge.names import check_name
from shared.providers.vectorstore.timings import RetrievalTimings, timing_retrieval
from shared.rag.assembly import Providers, build_providers, product_ingestor
from shared.rag.pipeline import RetrievalConfig, prepare_question, retrieve, search_text
from shared.resources import Resources

RESERVED_COLLECTIONS = frozenset({DEFAULT_COLLECTION})


class EvalQuery(BaseModel):
    qid: str
    question: str


@dataclass(frozen=True)
class QueryResult:
    qid: str
    ranked: list[str]
    total_ms: float
    timings: RetrievalTimings


class SilentSink:
    """The pipeline's sink, with nobody listening."""

    async def status(self, stage: Stage) -> None:
        pass

    async def token(self, text: str) -> None:
        pass

    async def reset(self, reason: str) -> None:
        pass

    async def citations(self, citations: list[Citation]) -> None:
        pass

    async def suggestions(self, suggestions: list[str]) -> None:
        pass


def check_collection(name: str) -> str:
    if name in RESERVED_COLLECTIONS:
        raise ValueError(f"index name {name!r} is the product's own knowledge base")
    return check_name("index name", name)


def read_queries(path: Path) -> list[EvalQuery]:
    """`{"qid", "question"}` per line; a bad line is an error naming its number."""
    queries = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                queries.append(EvalQuery.model_validate_json(line))
            except ValidationError as error:
                raise ValueError(f"{path}:{number}: not a {{qid, question}} object") from error
    return queries


def evaluation_providers(resources: Resources, collection: str) -> Providers:
    """The product's providers with the store switched to the evaluation collection."""
    providers = build_providers(resources)
    views = dense_views(providers.embedders)
    store = HybridStore(resources.sessionmaker, resources.redis, views, collection)
    return replace(providers, store=store)


async def build_index(
    resources: Resources, providers: Providers, corpus: Path, collection: str, progress: Progress
) -> IngestReport:
    """Index the corpus into the collection; unchanged since last time, nothing is redone."""
    return await product_ingestor(resources, providers, collection, None, progress).ingest([corpus])


def run_config(settings: Settings, top_k: int) -> RetrievalConfig:
    """The chat pipeline's retrieval settings, returning `top_k` passages."""
    return RetrievalConfig(
        top_k=max(top_k, settings.retrieval_top_k),
        top_n=top_k,
        max_question_chars=settings.max_message_chars,
    )


async def run_query(query: EvalQuery, providers: Providers, config: RetrievalConfig) -> QueryResult:
    """One query through sanitizing, language detection, translation, search and rerank."""
    sink = SilentSink()
    started = time.perf_counter()
    with timing_retrieval() as timings:
        prepared = prepare_question(query.question, None, config.max_question_chars)
        text = await search_text(prepared.text, prepared.language, providers, sink)
        retrieved = await retrieve(text, providers, sink, config)
    total_ms = round((time.perf_counter() - started) * 1000, 3)
    return QueryResult(query.qid, [p.id for p in retrieved.passages], total_ms, timings)


def write_run(path: Path, results: Sequence[QueryResult]) -> None:
    with path.open("w", encoding="utf-8") as out:
        for result in results:
            out.write(json.dumps({"qid": result.qid, "ranked": result.ranked}) + "\n")


def percentile(values: Sequence[float], share: float) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[round(share * 100) - 1]


def latency_summary(results: Sequence[QueryResult]) -> dict[str, dict[str, float]]:
    """p50 and p95 in ms of the whole retrieval and of each of its parts."""
    parts = {
        "total": [r.total_ms for r in results],
        **{
            name: [r.timings.as_dict()[name] for r in results]
            for name in RetrievalTimings().as_dict()
        },
    }
    return {
        name: {"p50": round(percentile(values, 0.5), 2), "p95": round(percentile(values, 0.95), 2)}
        for name, values in parts.items()
    }
