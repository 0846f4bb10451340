"""`izana ingest` and `izana eval` as a user runs them: separate processes, real services."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from itertools import islice
from pathlib import Path

import pytest

from izana.embedded import ServiceUrls
from izana.processes import service_env
from tests.constants import NO_PROVIDERS, ROOT

pytestmark = pytest.mark.e2e

# The shipped sample is in MedQuAD's question-answer form too, so it serves as a small corpus.
CORPUS = ROOT / "data" / "knowledge_base" / "medquad_fertility.jsonl"
SCORER = ROOT.parent / "shared" / "datasets" / "score_retrieval.py"
QUERIES = [
    {"qid": "Q1", "question": "What are the symptoms of polycystic ovary syndrome? Thank you"},
    {"qid": "Q2", "question": "how is IVF done"},
]


def izana(urls: ServiceUrls, *arguments: str) -> subprocess.CompletedProcess[str]:
    env = service_env(urls, **NO_PROVIDERS, LOG_LEVEL="WARNING")
    return subprocess.run(
        [sys.executable, "-m", "izana.cli", *arguments],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def write_lines(path: Path, records: list[dict[str, str]]) -> Path:
    path.write_text("".join(json.dumps(record) + "\n" for record in records))
    return path


@pytest.fixture
def small_corpus(tmp_path: Path) -> Path:
    with CORPUS.open() as lines:
        (tmp_path / "corpus.jsonl").write_text("".join(islice(lines, 40)))
    return tmp_path / "corpus.jsonl"


def test_eval_writes_the_scorer_run_format_and_reuses_its_index(
    service_urls: ServiceUrls, small_corpus: Path, tmp_path: Path
) -> None:
    queries = write_lines(tmp_path / "queries.jsonl", QUERIES)
    index = f"test-{uuid.uuid4().hex[:8]}"
    arguments = ["eval", "--queries", str(queries), "--index", index, "--corpus", str(small_corpus)]
    first = izana(service_urls, *arguments, "--out", str(tmp_path / "run.jsonl"))
    assert first.returncode == 0, first.stderr
    summary = json.loads(first.stdout.splitlines()[-1])
    assert summary["queries"] == 2 and summary["index"]["files"][0]["status"] == "added"
    assert set(summary["latency_ms"]) >= {"total", "lexical_ms", "embedding_ms", "dense_ms"}
    run = [json.loads(line) for line in (tmp_path / "run.jsonl").read_text().splitlines()]
    assert [line["qid"] for line in run] == ["Q1", "Q2"]
    assert all(len(set(line["ranked"])) == 10 for line in run)

    again = izana(service_urls, *arguments, "--out", str(tmp_path / "again.jsonl"))
    assert json.loads(again.stdout.splitlines()[-1])["index"]["files"][0]["status"] == "unchanged"
    assert (tmp_path / "again.jsonl").read_text() == (tmp_path / "run.jsonl").read_text()

    cleanup = izana(service_urls, "ingest", "--delete", "--collection", index, str(small_corpus))
    assert cleanup.returncode == 0


def test_the_official_scorer_reads_the_run(
    service_urls: ServiceUrls, small_corpus: Path, tmp_path: Path
) -> None:
    if not SCORER.exists():
        pytest.skip(f"score_retrieval.py is not beside the repository ({SCORER})")
    queries = write_lines(tmp_path / "queries.jsonl", QUERIES)
    index, run_file = f"test-{uuid.uuid4().hex[:8]}", tmp_path / "run.jsonl"
    arguments = ["--queries", str(queries), "--index", index, "--corpus", str(small_corpus)]
    assert izana(service_urls, "eval", *arguments, "--out", str(run_file)).returncode == 0
    best = json.loads(run_file.read_text().splitlines()[0])["ranked"][0]
    qrels = tmp_path / "qrels.tsv"
    qrels.write_text(f"qid\tanswer_id\tgrade\nQ1\t{best}\t3\n")
    command = [sys.executable, str(SCORER), "--qrels", str(qrels), "--run", str(run_file)]
    scored = subprocess.run(command, capture_output=True, text=True, check=True)
    assert json.loads(scored.stdout.splitlines()[-1])["p@1"] == 1.0
    izana(service_urls, "ingest", "--delete", "--collection", index, str(small_corpus))


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--index", "kb"], "index name 'kb' is the product's own knowledge base"),
        (["--index", "Bad Name"], "index name 'Bad Name'"),
        (["--queries", "/nonexistent/q.jsonl"], "No such file"),
    ],
)
def test_eval_explains_bad_arguments(
    service_urls: ServiceUrls, tmp_path: Path, arguments: list[str], message: str
) -> None:
    queries = write_lines(tmp_path / "queries.jsonl", QUERIES)
    result = izana(
        service_urls, "eval", "--queries", str(queries), "--out", str(tmp_path / "r"), *arguments
    )
    assert result.returncode != 0 and message in result.stderr


def test_ingest_reports_each_file_and_exits_1_when_one_failed(
    service_urls: ServiceUrls, tmp_path: Path
) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "ivf.md").write_text(
        "# IVF basics\n\n## Egg retrieval\n\n" + "The eggs are collected under sedation. " * 10
    )
    (tmp_path / "docs" / "empty.txt").write_text("")
    collection = f"test-{uuid.uuid4().hex[:8]}"
    result = izana(service_urls, "ingest", "--collection", collection, str(tmp_path / "docs"))
    assert result.returncode == 1
    outcomes = {
        record["file"]: record
        for record in map(json.loads, result.stdout.splitlines())
        if record["event"] == "file"
    }
    assert outcomes["ivf.md"]["status"] == "added" and outcomes["ivf.md"]["passages"] >= 1
    assert outcomes["empty.txt"] == {
        "event": "file", "file": "empty.txt", "status": "failed", "error": "empty file",
        "passages": 0, "embedded": 0, "reused": 0,
    }  # fmt: skip
    removed = izana(
        service_urls, "ingest", "--delete", "--collection", collection, str(tmp_path / "docs")
    )
    assert removed.returncode == 0
    assert '"status": "deleted"' in removed.stdout
