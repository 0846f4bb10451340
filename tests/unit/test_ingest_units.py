import io
import json
from pathlib import Path

import pytest

from shared.knowledge.documents.reader import ParsedDocument, QAPair, Section
from shared.knowledge.ingest.ingestor import file_hash
from shared.knowledge.ingest.passages import document_passages
from shared.knowledge.ingest.progress import RecordProgress, json_lines
from shared.knowledge.ingest.sources import source_files
from shared.providers.vectorstore.timings import RetrievalTimings
from shared.rag.evaluation import (
    QueryResult,
    check_collection,
    latency_summary,
    read_queries,
)

pytestmark = pytest.mark.unit


def pair(id: str | None = "GHR_1_Sec1.txt", question: str = "What is PCOS?") -> QAPair:
    return QAPair(
        id=id, question=question, answer="PCOS is a hormonal disorder of the ovaries.",
        focus="PCOS", question_type="information", source="3_GHR_QA", url="https://x/pcos",
    )  # fmt: skip


def test_a_directory_gives_its_knowledge_files_but_not_its_readme(tmp_path: Path) -> None:
    for name in ("README.md", "LICENSE.txt", "guide.md", "notes.txt", "image.png"):
        (tmp_path / name).write_text("text")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "qa.jsonl").write_text("{}")
    assert [f.key for f in source_files([tmp_path])] == ["guide.md", "notes.txt", "qa.jsonl"]


def test_a_named_file_is_kept_whatever_its_name_and_duplicates_are_marked(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    files = source_files([tmp_path / "a" / "guide.md", tmp_path / "b" / "guide.md"])
    assert [(f.key, f.duplicate) for f in files] == [("guide.md", False), ("guide.md", True)]


def test_qa_pairs_keep_their_ids_embed_their_question_and_name_the_publisher() -> None:
    (passage,) = document_passages([pair()], "corpus.jsonl", None)
    assert passage.record.id == "GHR_1_Sec1.txt"
    assert passage.embed_text == "What is PCOS?"
    assert passage.record.source == "MedlinePlus Genetics"
    assert passage.record.category == "reproductive-conditions"


def test_pairs_without_ids_are_numbered_after_the_file() -> None:
    passages = document_passages([pair(None), pair(None, "What causes PCOS?")], "My QA.jsonl", None)
    assert [p.record.id for p in passages] == ["my-qa-1", "my-qa-2"]


def test_document_chunks_keep_title_and_heading_and_the_category_can_be_forced() -> None:
    document = ParsedDocument(
        title="IVF guide",
        sections=[Section("Egg retrieval", " ".join(["The eggs are collected."] * 20))],
        kind="markdown",
    )
    (chunk,) = document_passages(document, "guide.md", "fertility-treatment")
    assert chunk.record.id.startswith("guide-") and chunk.record.id.endswith("-1")
    assert chunk.record.title == "IVF guide" and chunk.record.question == "Egg retrieval"
    assert chunk.embed_text.startswith("IVF guide. Egg retrieval\n")
    assert chunk.record.category == "fertility-treatment"


def test_the_content_hash_follows_every_field() -> None:
    (first,) = document_passages([pair()], "corpus.jsonl", None)
    (same,) = document_passages([pair()], "corpus.jsonl", None)
    (changed,) = document_passages([pair(question="What is PCOS exactly?")], "corpus.jsonl", None)
    assert first.content_hash == same.content_hash != changed.content_hash


def test_the_file_hash_changes_with_the_embedding_models() -> None:
    assert file_hash(b"x", ["e5"]) == file_hash(b"x", ["e5"])
    assert file_hash(b"x", ["e5"]) != file_hash(b"x", ["e5", "minilm"]) != file_hash(b"y", [])


def test_record_progress_writes_json_lines() -> None:
    stream = io.StringIO()
    progress = RecordProgress(json_lines(stream))
    progress.start("guide.md", 3)
    progress.advance(1)  # throttled: within the interval of the start record
    progress.finish("guide.md", {"status": "added", "passages": 3})
    records = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert records == [
        {"event": "progress", "file": "guide.md", "done": 0, "total": 3},
        {"event": "file", "file": "guide.md", "status": "added", "passages": 3},
    ]


def test_queries_are_read_and_a_bad_line_is_named(tmp_path: Path) -> None:
    good = tmp_path / "q.jsonl"
    good.write_text('{"qid": "Q1", "question": "What is IVF?"}\n\n')
    assert [q.qid for q in read_queries(good)] == ["Q1"]
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"qid": "Q1", "question": "What is IVF?"}\n{"qid": "Q2"}\n')
    with pytest.raises(ValueError, match=r"bad.jsonl:2"):
        read_queries(bad)


@pytest.mark.parametrize("name", ["kb", "Bad Name", "", "x" * 65, "../etc"])
def test_evaluation_collections_are_checked(name: str) -> None:
    with pytest.raises(ValueError, match=r"index name .*(lowercase|own knowledge base)"):
        check_collection(name)


def test_latency_summary_reports_p50_and_p95_of_each_part() -> None:
    results = [
        QueryResult(f"q{n}", [], float(n), RetrievalTimings(lexical_ms=float(n)))
        for n in range(1, 101)
    ]
    summary = latency_summary(results)
    assert summary["total"] == {"p50": 50.5, "p95": 95.05}
    assert summary["lexical_ms"] == summary["total"] and summary["dense_ms"]["p95"] == 0.0
