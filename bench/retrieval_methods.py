"""The retrieval methods `scripts/bench.py retrieval` compares, the official scorer and the
knowledge-gap threshold. Each method is a search from a question's text to passage ids, best
first; the product's own path is run by `shared.rag.evaluation` instead."""

from __future__ import annotations

import importlib.util
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import bm25s
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.knowledge.hybrid_store import DenseView
from shared.observability.clock import elapsed_ms
from shared.providers.rerank.coverage import coverage_score
from shared.providers.vectorstore.base import Passage, SearchQuery, VectorStore
from shared.providers.vectorstore.lexical import FieldedBM25
from shared.rag.evaluation import EvalQuery

TOP_K = 10
# The baseline: one BM25 over question + answer, bm25s's tokens, no stopwords.
BASELINE_K1 = 1.2
BASELINE_B = 0.75
# The old offline reranker: the fused top 20 re-ordered by term coverage and fused rank.
COVERAGE_DEPTH = 20
COVERAGE_WEIGHT = 0.7
# The knowledge-gap question: is an answer of grade >= 2 (the scorer's REL) in the top 3?
GAP_TOP = 3

Search = Callable[[str], Awaitable[list[str]]]
Qrels = dict[str, dict[str, int]]


@dataclass(frozen=True)
class QueryRun:
    qid: str
    ranked: list[str]
    ms: float


async def timed_runs(queries: Sequence[EvalQuery], search: Search, warmup: str) -> list[QueryRun]:
    """Each query's top ids and its time (perf_counter around the search), after one warm-up."""
    await search(warmup)
    runs = []
    for query in queries:
        started = time.perf_counter()
        ranked = await search(query.question)
        runs.append(QueryRun(query.qid, ranked[:TOP_K], elapsed_ms(started)))
    return runs


class PlainBM25:
    """One bm25s index over each passage's question and answer."""

    def __init__(self, passages: Sequence[Passage], stopwords: Sequence[str]) -> None:
        self._ids = [passage.id for passage in passages]
        self._stopwords = list(stopwords)
        self._index = bm25s.BM25(k1=BASELINE_K1, b=BASELINE_B)
        texts = [f"{passage.question} {passage.body}" for passage in passages]
        self._index.index(self._tokens(texts), show_progress=False)

    def _tokens(self, texts: list[str]) -> list[list[str]]:
        tokenized: list[list[str]] = bm25s.tokenize(
            texts, stopwords=self._stopwords, return_ids=False, show_progress=False
        )
        return tokenized

    async def search(self, text: str) -> list[str]:
        known = [token for token in self._tokens([text])[0] if token in self._index.vocab_dict]
        if not known:  # bm25s fails on an empty query
            return []
        k = min(TOP_K, len(self._ids))
        found, scores = self._index.retrieve([known], k=k, show_progress=False)
        return [self._ids[i] for i, score in zip(found[0], scores[0], strict=True) if score > 0]


def fielded_search(lexical: FieldedBM25, passages: Sequence[Passage]) -> Search:
    async def search(text: str) -> list[str]:
        return [passages[hit.index].id for hit in lexical.search(text, TOP_K)]

    return search


def dense_search(
    sessionmaker: async_sessionmaker[AsyncSession], collection: str, view: DenseView
) -> Search:
    """The query embedded by the view's model, then pgvector's nearest passages."""

    async def search(text: str) -> list[str]:
        vector = (await view.embedder.embed([text], "query"))[0]
        async with sessionmaker() as session, session.begin():
            hits = await view.index.search(session, collection, vector, TOP_K)
        return [hit.passage_id for hit in hits]

    return search


def store_search(store: VectorStore) -> Search:
    async def search(text: str) -> list[str]:
        return [passage.id for passage in await store.search(SearchQuery(text, TOP_K))]

    return search


class RecordingStore:
    """A store that keeps what its last search returned (the product's scores)."""

    def __init__(self, inner: VectorStore) -> None:
        self._inner = inner
        self.name = inner.name
        self.found: list[Passage] = []

    async def search(self, query: SearchQuery) -> list[Passage]:
        self.found = await self._inner.search(query)
        return self.found

    async def count(self) -> int:
        return await self._inner.count()

    async def warm(self) -> None:
        await self._inner.warm()


class TermCoverageReranker:
    """The old offline reranker: 0.7 · term coverage + 0.3 · (1 - rank / 20)."""

    name = "term-coverage"

    async def rerank(self, query: str, passages: Sequence[Passage], top_n: int) -> list[Passage]:
        def score(ranked: tuple[int, Passage]) -> float:
            rank, passage = ranked
            position = 1 - rank / COVERAGE_DEPTH
            return (
                COVERAGE_WEIGHT * coverage_score(query, passage) + (1 - COVERAGE_WEIGHT) * position
            )

        ordered = sorted(enumerate(passages), key=score, reverse=True)
        return [passage for _, passage in ordered[:top_n]]


class Scorer:
    """`score_retrieval.py`'s own `load_qrels` and `score_query`, averaged as it does."""

    def __init__(self, script: Path, qrels: Path) -> None:
        self._module = _load_script(script)
        self.qrels: Qrels = self._module.load_qrels(str(qrels))
        self.relevant: int = self._module.REL

    def per_query(self, runs: Sequence[QueryRun]) -> dict[str, dict[str, float]]:
        """Every qid of the qrels (one missing from the run scores 0)."""
        ranked = {run.qid: run.ranked for run in runs}
        return {
            qid: self._module.score_query(judged, ranked.get(qid, []))
            for qid, judged in sorted(self.qrels.items())
        }

    def answered(self, qid: str, ranked: Sequence[str]) -> bool:
        """Whether an answer of grade >= REL is among the top GAP_TOP."""
        judged = self.qrels[qid]
        return any(judged.get(answer, 0) >= self.relevant for answer in ranked[:GAP_TOP])


def _load_script(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("score_retrieval", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load the scorer {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def mean_metrics(per_query: dict[str, dict[str, float]]) -> dict[str, float]:
    names = next(iter(per_query.values()))
    return {
        name: round(statistics.fmean(scores[name] for scores in per_query.values()), 4)
        for name in names
    }


@dataclass(frozen=True)
class GapThreshold:
    """ "best score < threshold ⇒ no grade >= 2 answer in the top 3", at its best."""

    threshold: float
    balanced_accuracy: float
    gaps: int  # queries without such an answer
    answered: int  # queries with one
    gaps_flagged: int  # gaps whose best score is under the threshold
    answered_flagged: int  # answered queries under it (false alarms)

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__ | {
            "threshold": round(self.threshold, 4),
            "balanced_accuracy": round(self.balanced_accuracy, 4),
        }


def gap_at(threshold: float, best: dict[str, float], answered: dict[str, bool]) -> GapThreshold:
    gaps = [best[qid] for qid in best if not answered[qid]]
    kept = [best[qid] for qid in best if answered[qid]]
    gaps_flagged = sum(score < threshold for score in gaps)
    answered_flagged = sum(score < threshold for score in kept)
    accuracy = (gaps_flagged / len(gaps) + 1 - answered_flagged / len(kept)) / 2
    return GapThreshold(threshold, accuracy, len(gaps), len(kept), gaps_flagged, answered_flagged)


def best_gap_threshold(best: dict[str, float], answered: dict[str, bool]) -> GapThreshold | None:
    """The observed score that separates best (the lowest on ties); None without both kinds."""
    if all(answered.values()) or not any(answered.values()):
        return None
    candidates = [gap_at(score, best, answered) for score in sorted(set(best.values()))]
    return max(candidates, key=lambda gap: gap.balanced_accuracy)
