"""`scripts/bench.py retrieval`: retrieval quality and latency on consumer health questions.

The MedQuAD corpus is indexed by the product's Ingestor (the e5 view, then e5 + MiniLM) on
fresh embedded Redis and Postgres in a temporary data directory; plain and fielded BM25, each
dense view, their fusions and the product's own path (as `izana eval` runs it) then answer the
LiveQA-Med dev questions, scored by the dataset's `score_retrieval.py`. The product's best
retrieval score also gives the knowledge-gap threshold.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from bm25s.stopwords import STOPWORDS_EN
from sqlalchemy import text

from bench import REPO_ROOT
from bench.report import BENCHMARKS_DIR, machine, markdown_table, measured_run, publish
from bench.retrieval_methods import (
    COVERAGE_DEPTH,
    TOP_K,
    PlainBM25,
    QueryRun,
    RecordingStore,
    Scorer,
    Search,
    TermCoverageReranker,
    best_gap_threshold,
    dense_search,
    fielded_search,
    gap_at,
    mean_metrics,
    store_search,
    timed_runs,
)
from bench.stats import summary
from izana.embedded import embedded_services, exit_on_sigterm
from shared.config import Settings
from shared.db.migrate import upgrade_to_head
from shared.knowledge.hybrid_store import DenseView, HybridStore, dense_views
from shared.knowledge.ingest.ingestor import Ingestor
from shared.knowledge.ingest.progress import BarProgress
from shared.providers.embeddings import local_e5, local_minilm
from shared.providers.factory import build_embedders, build_guard
from shared.providers.vectorstore.base import Passage
from shared.providers.vectorstore.lexical import FieldedBM25
from shared.rag.assembly import Providers
from shared.rag.evaluation import (
    EvalQuery,
    QueryResult,
    evaluation_providers,
    latency_summary,
    read_queries,
    run_config,
    run_query,
)
from shared.rag.pipeline import RetrievalConfig
from shared.resources import Resources, open_resources

DATASETS = REPO_ROOT.parent / "shared" / "datasets"
COLLECTION = "medquad"
LOCAL_VIEWS = (local_e5.MODEL_NAME, local_minilm.MODEL_NAME)
# The re-index leaves every passage and e5 vector of the first step dead; autovacuum would
# clean them (HNSW graph repairs included) while the first queries are timed.
VACUUMED_TABLES = ("knowledge_passage", "passage_embedding")
WARMUP_QUESTION = "What are the symptoms of iron deficiency anemia?"  # not a dev question
BUSY_LOAD = 0.5

BASELINE = "bm25 q+a (baseline)"
STOPWORDS = "bm25 q+a, English stopwords"
FIELDED = "bm25 fielded (question, focus, answer)"
DENSE_E5 = "dense e5 (questions)"
DENSE_MINILM = "dense MiniLM (questions)"
HYBRID_E5 = "hybrid bm25 + e5"
HYBRID_MINILM = "hybrid bm25 + MiniLM"
PRODUCT = "hybrid bm25 + e5 + MiniLM (product)"
COVERAGE = "product + term-coverage rerank"

METRIC_LABELS = {
    "ndcg@10": "nDCG@10",
    "mrr@10": "MRR@10",
    "p@1": "P@1",
    "liveqa_avg_score": "LiveQA avg",
    "judged@10": "judged@10",
}
PART_LABELS = {
    "total": "whole retrieval",
    "lexical_ms": "lexical (fielded BM25)",
    "embedding_ms": "query embedding (both views)",
    "dense_ms": "dense (pgvector, both views)",
    "fusion_ms": "fusion (RRF)",
    "rerank_ms": "rerank",
}


@dataclass(frozen=True)
class Inputs:
    corpus: Path
    queries: Path
    qrels: Path
    scorer: Path
    corpus_lines: int | None


@dataclass(frozen=True)
class IndexTimes:
    passages: int
    ingest_seconds: dict[str, float]  # "e5", "e5+MiniLM"
    vacuum_seconds: float
    lexical_seconds: dict[str, float]  # per lexical method
    files: list[dict[str, object]]


@dataclass(frozen=True)
class Lexical:
    """The in-memory lexical indexes over the collection's passages, and their build times."""

    passages: list[Passage]
    fielded: FieldedBM25
    baseline: PlainBM25
    stopwords: PlainBM25
    seconds: dict[str, float]  # per method


@dataclass(frozen=True)
class Method:
    name: str
    runs: list[QueryRun]
    index_seconds: float


@dataclass(frozen=True)
class ProductRuns:
    cold: list[QueryResult]  # no query embedding cached yet
    cached: list[QueryResult]  # the same questions again
    best_scores: dict[str, float]  # per qid, the best score of the passages found (cold)


@dataclass(frozen=True)
class Measured:
    index: IndexTimes
    methods: list[Method]
    product: ProductRuns
    providers: dict[str, str]
    gap_threshold: float  # the product's KNOWLEDGE_GAP_THRESHOLD


def seconds_since(started: float) -> float:
    return round(time.perf_counter() - started, 2)


def offline_settings(data_dir: Path) -> Settings:
    """The product's offline configuration, whatever keys the environment holds."""
    return Settings(
        data_dir=data_dir, redis_url=None, database_url=None, openai_api_key=None,
        groq_api_key=None, cohere_api_key=None, pinecone_api_key=None, llm_base_url=None,
        local_embeddings=True, local_minilm=True,
    )  # fmt: skip


@contextmanager
def fresh_services(data_dir: Path) -> Iterator[Settings]:
    """Embedded Redis and Postgres (with pgvector) of their own under `data_dir`, migrated."""
    base = offline_settings(data_dir)
    with embedded_services(base) as urls:
        upgrade_to_head(urls.database_url)
        yield base.model_copy(
            update={"redis_url": urls.redis_url, "database_url": urls.database_url}
        )


def corpus_file(corpus: Path, lines: int | None, data_dir: Path) -> Path:
    """The corpus, or a copy of its first `lines` lines under the same file name."""
    if lines is None:
        return corpus
    copy = data_dir / corpus.name
    with corpus.open(encoding="utf-8") as source, copy.open("w", encoding="utf-8") as out:
        out.writelines(itertools.islice(source, lines))
    return copy


def say(message: str) -> None:
    print(f"retrieval bench: {message}", file=sys.stderr, flush=True)


async def build_views(
    resources: Resources, corpus: Path
) -> tuple[dict[str, float], list[dict[str, object]]]:
    """Ingest with the e5 view, then with e5 + MiniLM (reusing e5's vectors): seconds each."""
    embedders = build_embedders(
        resources.settings, resources.redis, build_guard(resources.settings, resources.redis)
    )
    if tuple(embedder.name for embedder in embedders) != LOCAL_VIEWS:
        raise SystemExit("the retrieval benchmark needs both local views (the minilm extra)")
    seconds: dict[str, float] = {}
    files: list[dict[str, object]] = []
    for label, views in (("e5", embedders[:1]), ("e5+MiniLM", embedders)):
        say(f"indexing {corpus} with {label}")
        progress = BarProgress(sys.stderr)
        ingestor = Ingestor(
            resources.sessionmaker, resources.redis, views, COLLECTION, None, progress
        )
        started = time.perf_counter()
        report = await ingestor.ingest([corpus])
        seconds[label] = seconds_since(started)
        if report.failed:
            raise SystemExit(f"cannot index {corpus}: {report.failed[0].error}")
        files += [{"step": label, **outcome.summary()} for outcome in report.files]
    return seconds, files


async def vacuum(resources: Resources) -> float:
    """VACUUM ANALYZE the passage tables now; the seconds it took."""
    started = time.perf_counter()
    async with resources.engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        for table in VACUUMED_TABLES:
            await autocommit.execute(text(f"VACUUM ANALYZE {table}"))
    return seconds_since(started)


def uncached_views(resources: Resources) -> list[DenseView]:
    """The same models as the product's views without the embedding cache in front."""
    settings = resources.settings.model_copy(update={"embedding_cache_ttl_seconds": 0})
    guard = build_guard(settings, resources.redis)
    return dense_views(build_embedders(settings, resources.redis, guard))


async def warm_up(providers: Providers, config: RetrievalConfig) -> None:
    await providers.store.warm()  # loads the index and models, as `izana eval` does first
    await run_query(EvalQuery(qid="warm-up", question=WARMUP_QUESTION), providers, config)


async def product_passes(
    providers: Providers, config: RetrievalConfig, queries: Sequence[EvalQuery]
) -> ProductRuns:
    """`izana eval`'s path twice: embeddings computed, then found in the cache."""
    recorder = RecordingStore(providers.store)
    recording = replace(providers, store=recorder)
    await warm_up(recording, config)
    cold, best = [], {}
    for query in queries:
        cold.append(await run_query(query, recording, config))
        best[query.qid] = max((passage.score for passage in recorder.found), default=0.0)
    cached = [await run_query(query, recording, config) for query in queries]
    return ProductRuns(cold, cached, best)


async def coverage_runs(
    providers: Providers, config: RetrievalConfig, queries: Sequence[EvalQuery]
) -> list[QueryResult]:
    """The product's fused top 20 re-ordered by the old term-coverage reranker."""
    reranked = replace(providers, reranker=TermCoverageReranker())
    deeper = replace(config, top_k=COVERAGE_DEPTH)
    await warm_up(reranked, deeper)
    return [await run_query(query, reranked, deeper) for query in queries]


def as_runs(results: Sequence[QueryResult]) -> list[QueryRun]:
    return [QueryRun(result.qid, result.ranked, result.total_ms) for result in results]


async def lexical_indexes(resources: Resources) -> Lexical:
    """The product's fielded BM25 loaded as a worker loads it, then the plain BM25 indexes."""
    store = HybridStore(resources.sessionmaker, resources.redis, [], COLLECTION)
    started = time.perf_counter()
    snapshot = await store.snapshot()
    fielded = seconds_since(started)
    started = time.perf_counter()
    baseline = PlainBM25(snapshot.passages, [])
    baseline_seconds = seconds_since(started)
    started = time.perf_counter()
    stopwords = PlainBM25(snapshot.passages, STOPWORDS_EN)
    seconds = {FIELDED: fielded, BASELINE: baseline_seconds, STOPWORDS: seconds_since(started)}
    return Lexical(snapshot.passages, snapshot.lexical, baseline, stopwords, seconds)


async def other_methods(
    resources: Resources,
    lexical: Lexical,
    ingest_seconds: dict[str, float],
    queries: Sequence[EvalQuery],
) -> list[Method]:
    """Every method but the product's, in the report's order."""
    e5, minilm = uncached_views(resources)
    e5_s, both_s = ingest_seconds["e5"], ingest_seconds["e5+MiniLM"]
    fielded = lexical.seconds[FIELDED]

    def hybrid(view: DenseView) -> Search:
        store = HybridStore(resources.sessionmaker, resources.redis, [view], COLLECTION)
        return store_search(store)

    searches: list[tuple[str, Search, float]] = [
        (BASELINE, lexical.baseline.search, lexical.seconds[BASELINE]),
        (STOPWORDS, lexical.stopwords.search, lexical.seconds[STOPWORDS]),
        (FIELDED, fielded_search(lexical.fielded, lexical.passages), fielded),
        (DENSE_E5, dense_search(resources.sessionmaker, COLLECTION, e5), e5_s),
        (DENSE_MINILM, dense_search(resources.sessionmaker, COLLECTION, minilm), both_s),
        (HYBRID_E5, hybrid(e5), fielded + e5_s),
        (HYBRID_MINILM, hybrid(minilm), fielded + both_s),
    ]
    methods = []
    for name, search, seconds in searches:
        say(f"evaluating {name}")
        runs = await timed_runs(queries, search, WARMUP_QUESTION)
        methods.append(Method(name, runs, round(seconds, 2)))
    return methods


async def measure(settings: Settings, corpus: Path, queries: Sequence[EvalQuery]) -> Measured:
    async with open_resources(settings) as resources:
        ingest_seconds, files = await build_views(resources, corpus)
        vacuum_seconds = await vacuum(resources)
        providers = evaluation_providers(resources, COLLECTION)
        config = run_config(settings, TOP_K)
        # Before anything else embeds through the product's cache: no question is in it yet.
        say(f"evaluating {PRODUCT}, then {COVERAGE}")
        product = await product_passes(providers, config, queries)
        coverage = await coverage_runs(providers, config, queries)
        lexical = await lexical_indexes(resources)
        methods = await other_methods(resources, lexical, ingest_seconds, queries)
        product_seconds = round(sum(ingest_seconds.values()) + lexical.seconds[FIELDED], 2)
        methods += [
            Method(PRODUCT, as_runs(product.cold), product_seconds),
            Method(COVERAGE, as_runs(coverage), product_seconds),
        ]
        index = IndexTimes(
            len(lexical.passages), ingest_seconds, vacuum_seconds, lexical.seconds, files
        )
        return Measured(
            index, methods, product, providers.describe(), settings.knowledge_gap_threshold
        )


def method_report(method: Method, scorer: Scorer) -> dict[str, Any]:
    per_query = scorer.per_query(method.runs)
    return {
        "name": method.name,
        "metrics": mean_metrics(per_query),
        "latency_ms": summary([run.ms for run in method.runs]),
        "index_seconds": method.index_seconds,
        "queries": [
            {"qid": run.qid, "ms": run.ms, "ranked": run.ranked, **per_query.get(run.qid, {})}
            for run in method.runs
        ],
    }


def gap_report(product: ProductRuns, scorer: Scorer, configured: float) -> dict[str, Any]:
    ranked = {result.qid: result.ranked for result in product.cold}
    best = {qid: score for qid, score in product.best_scores.items() if qid in scorer.qrels}
    answered = {qid: scorer.answered(qid, ranked[qid]) for qid in best}
    found = best_gap_threshold(best, answered)
    return {
        "best": found.as_dict() if found else None,
        "configured": gap_at(configured, best, answered).as_dict() if found else None,
        "queries": [
            {"qid": qid, "best_score": round(score, 4), "answered_in_top3": answered[qid]}
            for qid, score in best.items()
        ],
    }


def product_report(product: ProductRuns) -> dict[str, Any]:
    same = sum(a.ranked == b.ranked for a, b in zip(product.cold, product.cached, strict=True))
    return {
        "first_pass_ms": latency_summary(product.cold),
        "cached_pass_ms": latency_summary(product.cached),
        "cached_pass_same_ranking": same,
        "cached_pass_queries": [
            {"qid": result.qid, "ms": result.total_ms, **result.timings.as_dict()}
            for result in product.cached
        ],
        "first_pass_parts": [
            {"qid": result.qid, **result.timings.as_dict()} for result in product.cold
        ],
    }


def build_report(
    inputs: Inputs, measured: Measured, scorer: Scorer, run_info: dict[str, Any]
) -> dict[str, Any]:
    index = measured.index
    return {
        "benchmark": "retrieval",
        "machine": machine(),
        "run": run_info,
        "data": {
            "corpus": str(inputs.corpus),
            "corpus_lines": inputs.corpus_lines,
            "passages": index.passages,
            "queries": str(inputs.queries),
            "qrels": str(inputs.qrels),
            "qrels_queries": len(scorer.qrels),
        },
        "providers": measured.providers,
        "index": {
            "ingest_seconds": index.ingest_seconds,
            "vacuum_seconds": index.vacuum_seconds,
            "lexical_seconds": index.lexical_seconds,
            "files": index.files,
        },
        "methods": [method_report(method, scorer) for method in measured.methods],
        "product": product_report(measured.product),
        "knowledge_gap": gap_report(measured.product, scorer, measured.gap_threshold),
    }


def run(inputs: Inputs) -> dict[str, Any]:
    exit_on_sigterm()
    queries = read_queries(inputs.queries)
    scorer = Scorer(inputs.scorer, inputs.qrels)
    with (
        measured_run() as run_info,
        tempfile.TemporaryDirectory(prefix="izana-bench-") as data_dir,
    ):
        corpus = corpus_file(inputs.corpus, inputs.corpus_lines, Path(data_dir))
        with fresh_services(Path(data_dir)) as settings:
            measured = asyncio.run(measure(settings, corpus, queries))
    report = build_report(inputs, measured, scorer, run_info)
    publish("retrieval", report, markdown(report))
    plot(report)
    return report


def methods_table(methods: list[dict[str, Any]]) -> str:
    header = [
        "method", *METRIC_LABELS.values(), "index s", "query p50 ms", "query p95 ms"
    ]  # fmt: skip
    rows = [
        [
            method["name"],
            *(f"{method['metrics'][name]:.4f}" for name in METRIC_LABELS),
            f"{method['index_seconds']:.1f}",
            f"{method['latency_ms']['p50']:.1f}",
            f"{method['latency_ms']['p95']:.1f}",
        ]
        for method in methods
    ]
    return markdown_table(header, rows)


def parts_table(product: dict[str, Any]) -> str:
    cold, cached = product["first_pass_ms"], product["cached_pass_ms"]
    header = ["part", "first pass p50", "first pass p95", "cached p50", "cached p95"]
    rows = [
        [label, cold[part]["p50"], cold[part]["p95"], cached[part]["p50"], cached[part]["p95"]]
        for part, label in PART_LABELS.items()
    ]
    return markdown_table(header, rows)


def index_table(index: dict[str, Any]) -> str:
    ingest, lexical = index["ingest_seconds"], index["lexical_seconds"]
    rows = [
        ["ingest, e5 view only (passages, e5 vectors, HNSW)", ingest["e5"]],
        ["ingest again with e5 + MiniLM (e5 vectors reused: the MiniLM view)", ingest["e5+MiniLM"]],
        [
            "VACUUM ANALYZE after the re-index (not in any method's index s)",
            index["vacuum_seconds"],
        ],
        [f"{FIELDED}: load from Postgres and index, as a worker does", lexical[FIELDED]],
        [f"{BASELINE}: index in memory", lexical[BASELINE]],
        [f"{STOPWORDS}: index in memory", lexical[STOPWORDS]],
    ]
    return markdown_table(["step", "seconds"], rows)


def gap_lines(gap: dict[str, Any]) -> list[str]:
    best, configured = gap["best"], gap["configured"]
    if best is None:
        return ["Every question had, or every question lacked, a grade ≥ 2 answer in the "
                "product's top 3: no threshold separates them."]  # fmt: skip
    header = ["threshold", "balanced accuracy", "gaps flagged", "answered flagged (false alarms)"]
    rows = [
        [f"{row['threshold']:.4f}{note}", f"{row['balanced_accuracy']:.3f}",
         f"{row['gaps_flagged']} of {row['gaps']}",
         f"{row['answered_flagged']} of {row['answered']}"]
        for row, note in ((best, " (best)"), (configured, " (KNOWLEDGE_GAP_THRESHOLD now)"))
    ]  # fmt: skip
    return [
        "A question is a *gap* when none of the product's top 3 passages has grade ≥ 2. Its best "
        "retrieval score is the highest `score` of the passages the product returned (cosine "
        "similarity in the e5 view). The threshold is the observed score t that maximises the "
        "balanced accuracy (mean of the share of gaps with score < t and the share of answered "
        f"questions with score ≥ t; lowest t on ties): **t = {best['threshold']:.4f}**.",
        "",
        markdown_table(header, rows),
    ]


def how_measured(report: dict[str, Any]) -> list[str]:
    meta, data, run_info = report["machine"], report["data"], report["run"]
    lines = data["corpus_lines"]
    subset = (
        f"**a development run on the first {lines} lines of the corpus, not the result**"
        if lines
        else "the whole corpus"
    )
    load = run_info["load_average_before"]
    busy = " (busy: another job shared the CPUs)" if load >= BUSY_LOAD else ""
    return [
        f"Measured {meta['measured_at']} on {meta['cpus']} CPUs ({meta['platform']}), Python "
        f"{meta['python']}, by `python scripts/bench.py retrieval` in {run_info['seconds']:.0f} s, "
        f"1-minute load average {load} at the start{busy}. Per-question rankings, metrics and "
        "times are in `retrieval.json`; the plot is `retrieval.png`.",
        "",
        f"Corpus: {data['passages']} MedQuAD passages, {subset}. Questions: "
        f"{data['qrels_queries']} LiveQA-Med dev questions, scored by the dataset's "
        "`score_retrieval.py` (`load_qrels`, `score_query`) on each method's top 10; an "
        "unjudged answer counts as grade 0, judged@10 shows how many were judged.",
        "",
        "How measured: fresh embedded Redis and Postgres (pgvector) in a temporary data "
        "directory, offline providers only. The product's Ingestor indexes the corpus into one "
        "collection, first with the e5 view, then with e5 + MiniLM: the file re-indexes with "
        "e5's vectors reused by content hash, so the second step times the MiniLM view (and "
        "re-inserting the passages); the rows the re-index left dead are vacuumed before any "
        "query is timed. A method's *index s* is the sum of the steps it needs. "
        "Each method answers one warm-up question (models loaded, connections open), then every "
        "dev question once, one at a time; latency is `time.perf_counter` around one search. "
        f"*{BASELINE}*: one bm25s index over question + answer, bm25s's lower-case tokens, no "
        "stopwords, k1 1.2, b 0.75; the next row adds bm25s's English stopwords. *Fielded* is the "
        "product's `FieldedBM25` (English + product stopwords). *Dense* rows are one view's "
        "pgvector search, *hybrid* rows the product's `HybridStore` with one view (RRF of the "
        "fielded BM25 and that view, 100 candidates each); both embed the question with uncached "
        "copies of the models. The *product* row is `izana eval`'s path "
        "(`evaluation_providers` + `run_query`: sanitizing, language detection, the hybrid store "
        "with both views behind the embedding cache, the offline reranker); its parts are "
        "shown for a first pass (no question embedded yet) and a second pass of the same "
        "questions (embedding cache hits). The *term-coverage* row re-orders the product's "
        "fused top 20 by 0.7 · term coverage + 0.3 · (1 - rank / 20); it runs after the "
        "product, so its embeddings come from the cache: compare its latency with the cached "
        "pass. pgvector builds its HNSW graphs with random levels, so the dense and hybrid "
        "rows can move slightly from one run to the next.",
    ]


def markdown(report: dict[str, Any]) -> str:
    product = report["product"]
    same = product["cached_pass_same_ranking"]
    return "\n".join(
        [
            "# Retrieval on consumer health questions",
            "",
            *how_measured(report),
            "",
            "## Methods",
            "",
            methods_table(report["methods"]),
            "",
            "## Index",
            "",
            index_table(report["index"]),
            "",
            "## The product's retrieval, by part (ms)",
            "",
            parts_table(product),
            "",
            f"The cached pass returned the same top 10 for {same} of "
            f"{len(product['cached_pass_queries'])} questions.",
            "",
            "## Knowledge-gap threshold",
            "",
            *gap_lines(report["knowledge_gap"]),
            "",
        ]
    )


def plot(report: dict[str, Any]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    methods = report["methods"]
    names = [method["name"] for method in methods]
    figure, axes = plt.subplots(1, 2, figsize=(13, 5), sharey=True)
    for axis, metric in zip(axes, ("ndcg@10", "liveqa_avg_score"), strict=True):
        bars = axis.barh(names, [method["metrics"][metric] for method in methods])
        axis.bar_label(bars, fmt="%.3f")
        axis.set_title(f"{METRIC_LABELS[metric]}, {report['data']['qrels_queries']} questions")
        axis.grid(True, axis="x", alpha=0.3)
        axis.margins(x=0.12)  # room for the labels
    axes[0].invert_yaxis()  # the axes share it: first method on top
    axes[1].set_xlabel("grade of the top answer (0-3)")
    figure.tight_layout()
    figure.savefig(BENCHMARKS_DIR / "retrieval.png", dpi=120)


def add_dataset_arguments(parser: argparse.ArgumentParser) -> None:
    """The MedQuAD corpus, the LiveQA-Med dev questions and judgments, and their scorer."""
    parser.add_argument("--corpus", type=Path, default=DATASETS / "medquad" / "corpus.jsonl")
    parser.add_argument(
        "--queries", type=Path, default=DATASETS / "liveqa_med" / "dev_queries.jsonl"
    )
    parser.add_argument("--qrels", type=Path, default=DATASETS / "liveqa_med" / "dev_qrels.tsv")
    parser.add_argument("--scorer", type=Path, default=DATASETS / "score_retrieval.py")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_dataset_arguments(parser)
    parser.add_argument(
        "--corpus-lines", type=int, help="index only the first N corpus lines (development)"
    )


def run_from_args(args: argparse.Namespace) -> str:
    inputs = Inputs(args.corpus, args.queries, args.qrels, args.scorer, args.corpus_lines)
    return markdown(run(inputs))
