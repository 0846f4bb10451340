"""`izana ingest` against real Postgres + pgvector, real Redis and the real local E5 model.

Each test ingests files under its own `tmp_path` into a collection of its own, so the tests are
independent of each other and of the product's `kb` collection.
"""

from __future__ import annotations

import io
import json
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from sqlalchemy import event, text

from shared.knowledge.hybrid_store import HybridStore, dense_views
from shared.knowledge.ingest.ingestor import EMBED_BATCH, FileOutcome, Ingestor
from shared.knowledge.ingest.progress import RecordProgress, json_lines
from shared.knowledge.version import documents_version, kb_version, version_key
from shared.providers.embeddings.local_e5 import DIMENSIONS, LocalE5Embedder
from shared.providers.vectorstore.base import SearchQuery
from shared.providers.vectorstore.pgvector import PgVectorIndex, pgvector_installed
from shared.resources import Resources
from tests.integration.ingest_helpers import (
    BAD_FILES,
    GOOD_FILES,
    GUIDE_SECTIONS,
    MEDQUAD_IDS,
    CountingEmbedder,
    EmbedderBroke,
    FailingEmbedder,
    guide_markdown,
    qa_jsonl,
    qa_line,
    words,
    write_knowledge_dir,
)

pytestmark = pytest.mark.integration

MODEL = LocalE5Embedder.name
# Chunk ids of guide.md: its slug, the first 8 hex digits of sha256("guide.md"), a number.
GUIDE = "guide-dc0dbe13"
GUIDE_IDS = {f"{GUIDE}-{n}" for n in range(1, 5)}  # three sections, the last one in 2 chunks
PASSAGES = {"guide.md": 4, "leaflet.pdf": 1, "medquad.jsonl": 3, "notes.txt": 2}


@pytest.fixture(scope="module", autouse=True)
async def _needs_pgvector(resources: Resources) -> None:
    if not await pgvector_installed(resources.sessionmaker):
        pytest.skip("pgvector is not installed in this Postgres: ingestion stores no vectors")


@pytest.fixture(scope="module")
def e5() -> LocalE5Embedder:
    """One real model for the module (it loads on first use)."""
    return LocalE5Embedder()


@pytest.fixture
def spy(e5: LocalE5Embedder) -> CountingEmbedder:
    return CountingEmbedder(e5)


@pytest.fixture
async def collection(resources: Resources) -> AsyncIterator[str]:
    """A collection of the test's own; its rows, version and HNSW index go afterwards."""
    name = f"test-{uuid4().hex[:8]}"
    yield name
    async with resources.sessionmaker() as session, session.begin():
        # Passages and vectors cascade from their document; loose passages are deleted too.
        await session.execute(text("DELETE FROM kb_document WHERE collection = :c"), {"c": name})
        await session.execute(
            text("DELETE FROM knowledge_passage WHERE collection = :c"), {"c": name}
        )
        await session.execute(
            text(f"DROP INDEX IF EXISTS {PgVectorIndex(MODEL).index_name(name, DIMENSIONS)}")
        )
    await resources.redis.delete(version_key(name))


def ingestor(
    resources: Resources, embedder: CountingEmbedder, collection: str, **options: Any
) -> Ingestor:
    return Ingestor(resources.sessionmaker, resources.redis, [embedder], collection, **options)


def by_file(outcomes: list[FileOutcome]) -> dict[str, FileOutcome]:
    return {outcome.file: outcome for outcome in outcomes}


async def fetch(resources: Resources, sql: str, collection: str, **params: str) -> list[Any]:
    async with resources.sessionmaker() as session:
        return list((await session.execute(text(sql), {"c": collection, **params})).all())


async def documents(resources: Resources, collection: str) -> dict[str, tuple[str, int]]:
    """source_key -> (kind, passages) of the collection's documents."""
    rows = await fetch(
        resources,
        "SELECT source_key, kind, passages FROM kb_document WHERE collection = :c",
        collection,
    )
    return {key: (kind, passages) for key, kind, passages in rows}


async def passages(resources: Resources, collection: str) -> dict[str, tuple[str | None, str]]:
    """passage id -> (its document's file name, content hash), loose passages included."""
    rows = await fetch(
        resources,
        "SELECT p.id, d.source_key, p.content_hash FROM knowledge_passage p "
        "LEFT JOIN kb_document d ON d.id = p.document_id WHERE p.collection = :c",
        collection,
    )
    return {id: (key, content_hash) for id, key, content_hash in rows}


async def vectors(resources: Resources, collection: str) -> dict[str, str]:
    """passage id -> vector (as text) of every row of the collection in passage_embedding."""
    rows = await fetch(
        resources,
        "SELECT passage_id, model, embedding::text FROM passage_embedding WHERE collection = :c",
        collection,
    )
    assert {model for _, model, _ in rows} <= {MODEL}
    return {passage_id: vector for passage_id, _, vector in rows}


def owners(rows: dict[str, tuple[str | None, str]]) -> Counter[str | None]:
    return Counter(key for key, _ in rows.values())


async def test_a_folder_is_ingested_and_each_bad_file_fails_with_its_reason(
    resources: Resources, spy: CountingEmbedder, collection: str, tmp_path: Path
) -> None:
    folder = write_knowledge_dir(tmp_path / "kb")

    report = await ingestor(resources, spy, collection).ingest([folder])

    outcomes = by_file(report.files)
    assert sorted(outcomes) == sorted([*GOOD_FILES, *BAD_FILES])  # README.md is not there
    assert {o.file: o.error for o in report.failed} == BAD_FILES
    assert all(o.passages == o.embedded == o.reused == 0 for o in report.failed)
    good = {o.file: (o.status, o.passages, o.embedded, o.reused) for o in report.files}
    assert {f: good[f] for f in GOOD_FILES} == {f: ("added", n, n, 0) for f, n in PASSAGES.items()}
    assert report.embedded == spy.texts == sum(PASSAGES.values()) == 10

    kinds = {
        "guide.md": "markdown",
        "leaflet.pdf": "pdf",
        "medquad.jsonl": "qa",
        "notes.txt": "text",
    }
    assert await documents(resources, collection) == {f: (kinds[f], n) for f, n in PASSAGES.items()}
    stored = await passages(resources, collection)
    assert owners(stored) == Counter(PASSAGES)  # none for a bad file, none without a document
    assert set(MEDQUAD_IDS) | GUIDE_IDS <= set(stored)
    assert "bad-1" not in stored  # the valid first line of bad-line.jsonl
    ((intro,),) = await fetch(
        resources,
        "SELECT body FROM knowledge_passage WHERE collection = :c AND id = :id",
        collection,
        id=f"{GUIDE}-1",
    )
    assert intro.startswith("Cycle guide\nA short guide, with markup and a link.\n")
    assert set(await vectors(resources, collection)) == set(stored)  # one vector per passage
    dims = await fetch(
        resources,
        "SELECT DISTINCT vector_dims(embedding) FROM passage_embedding WHERE collection = :c",
        collection,
    )
    assert dims == [(DIMENSIONS,)]
    assert report.version == await kb_version(resources.redis, collection)
    assert report.version == await documents_version(resources.sessionmaker, collection)


async def test_ingesting_the_same_folder_again_changes_and_embeds_nothing(
    resources: Resources, e5: LocalE5Embedder, collection: str, tmp_path: Path
) -> None:
    folder = write_knowledge_dir(tmp_path / "kb")
    first = await ingestor(resources, CountingEmbedder(e5), collection).ingest([folder])
    ids_before = await fetch(
        resources, "SELECT source_key, id FROM kb_document WHERE collection = :c", collection
    )
    vectors_before = await vectors(resources, collection)

    again = CountingEmbedder(e5)
    report = await ingestor(resources, again, collection).ingest([folder])

    statuses = {o.file: (o.status, o.passages) for o in report.files}
    assert {f: statuses[f] for f in GOOD_FILES} == {
        f: ("unchanged", n) for f, n in PASSAGES.items()
    }
    assert {o.file for o in report.failed} == set(BAD_FILES)  # still refused, still not stored
    assert again.texts == again.calls == 0
    assert report.embedded == 0
    assert report.version == first.version == await kb_version(resources.redis, collection)
    ids_after = await fetch(
        resources, "SELECT source_key, id FROM kb_document WHERE collection = :c", collection
    )
    assert sorted(ids_after) == sorted(ids_before)  # the documents were not even replaced
    assert await vectors(resources, collection) == vectors_before


async def test_an_edited_section_is_re_embedded_and_the_other_chunks_keep_their_vectors(
    resources: Resources, e5: LocalE5Embedder, collection: str, tmp_path: Path
) -> None:
    folder = tmp_path / "kb"
    folder.mkdir()
    guide = folder / "guide.md"
    guide.write_text(guide_markdown())
    (folder / "notes.txt").write_text(f"Ovulation notes\n\n{words('ovulation timing', 3)}\n")
    first = await ingestor(resources, CountingEmbedder(e5), collection).ingest([folder])
    assert [(o.file, o.status) for o in first.files] == [
        ("guide.md", "added"),
        ("notes.txt", "added"),
    ]
    passages_before = await passages(resources, collection)
    vectors_before = await vectors(resources, collection)
    assert {id for id, (key, _) in passages_before.items() if key == "guide.md"} == GUIDE_IDS

    # The last section shrinks from two chunks to one; the first two sections stay as they are.
    edited = {**GUIDE_SECTIONS, "When to see a doctor": words("irregular periods and pain", 4)}
    guide.write_text(guide_markdown(edited))
    again = CountingEmbedder(e5)
    report = await ingestor(resources, again, collection).ingest([folder])

    assert report.files == [
        FileOutcome("guide.md", "updated", passages=3, embedded=1, reused=2),
        FileOutcome("notes.txt", "unchanged", passages=1),
    ]
    assert again.texts == report.embedded == 1
    assert again.embedded[0].startswith("Cycle guide. When to see a doctor\n")

    after = await passages(resources, collection)
    vectors_after = await vectors(resources, collection)
    kept, changed, gone = [f"{GUIDE}-1", f"{GUIDE}-2"], f"{GUIDE}-3", f"{GUIDE}-4"
    assert {id for id, (key, _) in after.items() if key == "guide.md"} == {*kept, changed}
    assert gone not in after and gone not in vectors_after
    assert all(after[id] == passages_before[id] for id in kept)
    assert all(vectors_after[id] == vectors_before[id] for id in kept)  # reused, not recomputed
    assert after[changed][1] != passages_before[changed][1]
    assert vectors_after[changed] != vectors_before[changed]
    assert set(vectors_after) == set(after)
    assert report.version != first.version
    assert report.version == await kb_version(resources.redis, collection)


async def test_a_deleted_document_loses_its_passages_and_vectors(
    resources: Resources, spy: CountingEmbedder, collection: str, tmp_path: Path
) -> None:
    folder = tmp_path / "kb"
    folder.mkdir()
    (folder / "guide.md").write_text(guide_markdown())
    (folder / "notes.txt").write_text(f"Ovulation notes\n\n{words('ovulation timing', 3)}\n")
    first = await ingestor(resources, spy, collection).ingest([folder])

    deleted = await ingestor(resources, spy, collection).delete([folder / "guide.md"])

    assert deleted.files == [FileOutcome("guide.md", "deleted", passages=4)]
    assert await documents(resources, collection) == {"notes.txt": ("text", 1)}
    stored = await passages(resources, collection)
    assert owners(stored) == Counter({"notes.txt": 1})
    assert set(await vectors(resources, collection)) == set(stored)
    assert not GUIDE_IDS & set(stored)
    assert deleted.version != first.version
    assert deleted.version == await kb_version(resources.redis, collection)

    # A document is known by its name: any folder (even a missing one) names the same document.
    again = await ingestor(resources, spy, collection).delete([tmp_path / "gone" / "guide.md"])
    assert again.files == [FileOutcome("guide.md", "missing")]
    assert again.version == deleted.version


async def test_an_embedder_failure_leaves_nothing_of_the_file_half_written(
    resources: Resources, e5: LocalE5Embedder, collection: str, tmp_path: Path
) -> None:
    folder = tmp_path / "kb"
    folder.mkdir()
    (folder / "a-notes.txt").write_text(f"Ovulation notes\n\n{words('ovulation timing', 3)}\n")
    pairs = EMBED_BATCH + 1  # two embedding batches
    (folder / "b-many.jsonl").write_text(qa_jsonl([f"many-{n}" for n in range(1, pairs + 1)]))
    # Call 1 embeds a-notes.txt, call 2 the first batch of b-many.jsonl; call 3 raises.
    failing = FailingEmbedder(e5, healthy_calls=2)

    # The Ingestor catches only DocumentError and IngestConflict: the embedder's error ends the
    # run. b-many.jsonl's transaction rolls back; a-notes.txt, committed before, stays.
    with pytest.raises(EmbedderBroke):
        await ingestor(resources, failing, collection).ingest([folder])

    assert failing.calls == 2 and failing.texts == 1 + EMBED_BATCH
    assert await documents(resources, collection) == {"a-notes.txt": ("text", 1)}
    stored = await passages(resources, collection)
    assert owners(stored) == Counter({"a-notes.txt": 1})
    assert set(await vectors(resources, collection)) == set(stored)

    # Nothing of the file was kept, so the next run adds it whole (no vector of it to reuse).
    healthy = CountingEmbedder(e5)
    report = await ingestor(resources, healthy, collection).ingest([folder])
    assert report.files == [
        FileOutcome("a-notes.txt", "unchanged", passages=1),
        FileOutcome("b-many.jsonl", "added", passages=pairs, embedded=pairs),
    ]
    assert healthy.calls == 2 and healthy.texts == pairs
    assert len(await vectors(resources, collection)) == pairs + 1


async def test_a_passage_id_owned_by_another_document_fails_the_second_file(
    resources: Resources, spy: CountingEmbedder, collection: str, tmp_path: Path
) -> None:
    folder = tmp_path / "kb"
    folder.mkdir()
    (folder / "a.jsonl").write_text(qa_jsonl(["shared-1", "shared-2"], "endometriosis"))
    (folder / "b.jsonl").write_text(qa_jsonl(["b-1", "shared-2"], "fibroids"))

    report = await ingestor(resources, spy, collection).ingest([folder])

    assert report.files == [
        FileOutcome("a.jsonl", "added", passages=2, embedded=2),
        FileOutcome(
            "b.jsonl",
            "failed",
            error="passage id 'shared-2' already belongs to a.jsonl",
        ),
    ]
    assert spy.texts == 2  # the conflict is found before b.jsonl is embedded
    assert await documents(resources, collection) == {"a.jsonl": ("qa", 2)}
    stored = await passages(resources, collection)
    assert {id: key for id, (key, _) in stored.items()} == {
        "shared-1": "a.jsonl",
        "shared-2": "a.jsonl",
    }
    body = await fetch(
        resources,
        "SELECT body FROM knowledge_passage WHERE collection = :c AND id = 'shared-2'",
        collection,
    )
    assert "endometriosis" in body[0][0]  # still a.jsonl's answer
    assert set(await vectors(resources, collection)) == {"shared-1", "shared-2"}


async def test_dense_search_runs_through_the_collections_hnsw_index(
    resources: Resources, spy: CountingEmbedder, e5: LocalE5Embedder, collection: str,
    tmp_path: Path,
) -> None:  # fmt: skip
    await ingestor(resources, spy, collection).ingest([write_knowledge_dir(tmp_path / "kb")])
    index = PgVectorIndex(MODEL)
    name = index.index_name(collection, DIMENSIONS)
    definitions = await fetch(
        resources,
        "SELECT indexdef FROM pg_indexes WHERE tablename = 'passage_embedding' "
        "AND indexname = :name AND indexdef LIKE '%' || :c || '%'",
        collection,
        name=name,
    )
    assert len(definitions) == 1
    assert "USING hnsw" in definitions[0][0] and f"'{collection}'" in definitions[0][0]

    # The SQL and parameters PgVectorIndex.search itself sends, caught on their way out.
    sent: list[tuple[str, Any]] = []

    def catch(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "ORDER BY" in statement:
            sent.append((statement, parameters))

    (query,) = await e5.embed(["What are the symptoms of endometriosis?"], "query")
    engine = resources.engine.sync_engine
    event.listen(engine, "before_cursor_execute", catch)
    try:
        async with resources.sessionmaker() as session, session.begin():
            hits = await index.search(session, collection, query, 5)  # sets hnsw.ef_search
            ((statement, parameters),) = sent
            connection = await session.connection()
            ef_search = await connection.exec_driver_sql("SHOW hnsw.ef_search")
            assert ef_search.scalar() == "40"  # SET LOCAL by search: max(MIN_EF_SEARCH, 4 * top_k)
            # On a table this small the planner may rather take the primary key (which starts
            # with the collection) and sort the few rows: neither `enable_seqscan = off` nor
            # that plan says anything about the HNSW index. With sorting off, only an index
            # that returns rows in distance order can answer the ORDER BY ... LIMIT.
            await connection.exec_driver_sql("SET LOCAL enable_sort = off")
            plan = await connection.exec_driver_sql(f"EXPLAIN {statement}", parameters)
            lines = [row[0] for row in plan.all()]
    finally:
        event.remove(engine, "before_cursor_execute", catch)

    assert len(hits) == 5 and hits[0].passage_id in MEDQUAD_IDS
    assert any(f"Index Scan using {name}" in line for line in lines), lines


async def test_the_hybrid_store_sees_a_new_file_at_once_and_forgets_it_when_deleted(
    resources: Resources, spy: CountingEmbedder, e5: LocalE5Embedder, collection: str,
    tmp_path: Path,
) -> None:  # fmt: skip
    folder = tmp_path / "kb"
    folder.mkdir()
    (folder / "guide.md").write_text(guide_markdown())
    first = await ingestor(resources, spy, collection).ingest([folder])
    store = HybridStore(resources.sessionmaker, resources.redis, dense_views([e5]), collection)
    question = SearchQuery(text="What is zorblax syndrome?", top_k=3)
    before = await store.search(question)
    assert len(before) == 3 and {p.id for p in before} <= GUIDE_IDS
    assert (await store.snapshot()).version == first.version

    new = folder / "zorblax.md"
    new.write_text(
        "# Zorblax syndrome\n\nZorblax syndrome is an invented condition of the test suite. "
        "Zorblax syndrome makes every lamp in the house hum a little tune at night.\n"
    )
    added = await ingestor(resources, spy, collection).ingest([new])
    stored = await passages(resources, collection)
    (zorblax_id,) = [id for id, (key, _) in stored.items() if key == "zorblax.md"]

    found = await store.search(question)
    assert found[0].id == zorblax_id and found[0].title == "Zorblax syndrome"
    assert (await store.snapshot()).version == added.version != first.version
    assert await store.count() == len(GUIDE_IDS) + 1

    await ingestor(resources, spy, collection).delete([new])
    assert zorblax_id not in {p.id for p in await store.search(question)}
    assert await store.count() == len(GUIDE_IDS)


async def test_record_progress_writes_json_lines(
    resources: Resources, spy: CountingEmbedder, collection: str, tmp_path: Path
) -> None:
    folder = tmp_path / "kb"
    folder.mkdir()
    (folder / "empty.txt").write_bytes(b"")
    (folder / "guide.md").write_text(guide_markdown())
    stream = io.StringIO()

    progress = RecordProgress(json_lines(stream))
    await ingestor(resources, spy, collection, progress=progress).ingest([folder])

    output = stream.getvalue()
    assert output.endswith("\n")
    records = [json.loads(line) for line in output.splitlines()]
    failed, started, *advanced, done = records
    assert failed == {
        "event": "file", "file": "empty.txt", "status": "failed", "passages": 0, "embedded": 0,
        "reused": 0, "error": "empty file",
    }  # fmt: skip
    assert started == {"event": "progress", "file": "guide.md", "done": 0, "total": 4}
    # Further progress records are throttled by time: there may be none.
    assert all(r["event"] == "progress" and r["file"] == "guide.md" for r in advanced)
    assert all(0 < r["done"] <= r["total"] == 4 for r in advanced)
    assert done == {
        "event": "file", "file": "guide.md", "status": "added", "passages": 4, "embedded": 4,
        "reused": 0,
    }  # fmt: skip


# Bugs found while writing these tests, kept as strict expected failures: each one turns into an
# unexpected pass (a failure) once the Ingestor is fixed, and its marker should go then.


async def test_a_new_category_option_re_indexes_an_unchanged_file(
    resources: Resources, spy: CountingEmbedder, collection: str, tmp_path: Path
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text(f"Ovulation notes\n\n{words('ovulation timing', 3)}\n")
    await ingestor(resources, spy, collection).ingest([notes])

    report = await ingestor(resources, spy, collection, category="pregnancy").ingest([notes])

    categories = await fetch(
        resources,
        "SELECT DISTINCT category FROM knowledge_passage WHERE collection = :c",
        collection,
    )
    assert [o.status for o in report.files] == ["updated"]
    assert categories == [("pregnancy",)]


async def test_a_field_too_long_for_its_column_fails_only_that_file(
    resources: Resources, spy: CountingEmbedder, collection: str, tmp_path: Path
) -> None:
    folder = tmp_path / "kb"
    folder.mkdir()
    record = json.loads(qa_jsonl(["long-1"]))
    (folder / "a-long.jsonl").write_text(json.dumps({**record, "qtype": "q" * 65}) + "\n")
    (folder / "b-notes.txt").write_text(f"Ovulation notes\n\n{words('ovulation timing', 3)}\n")

    report = await ingestor(resources, spy, collection).ingest([folder])

    assert [(o.file, o.status) for o in report.files] == [
        ("a-long.jsonl", "failed"),
        ("b-notes.txt", "added"),
    ]
    assert "could not be stored: " in (report.failed[0].error or "")
    assert "too long" in (report.failed[0].error or "")


async def test_vectors_follow_the_embedded_text_not_the_rest_of_the_passage(
    resources: Resources, e5: LocalE5Embedder, collection: str, tmp_path: Path
) -> None:
    qa = tmp_path / "qa.jsonl"
    same_question = "What is endometriosis?"
    qa.write_text(
        qa_line("pair-1", same_question, "Tissue like the lining of the womb grows elsewhere.")
        + "\n"
        + qa_line("pair-2", same_question, "A condition that can cause pelvic pain.", "Pain")
        + "\n"
    )
    first = CountingEmbedder(e5)
    (added,) = (await ingestor(resources, first, collection).ingest([qa])).files
    assert (added.embedded, added.reused, first.texts) == (1, 1, 1)  # one text, embedded once
    vectors_before = await vectors(resources, collection)

    # New answers, same questions: the passages change, the embedded text does not.
    qa.write_text(qa.read_text().replace("grows elsewhere", "grows outside the womb"))
    again = CountingEmbedder(e5)
    (updated,) = (await ingestor(resources, again, collection).ingest([qa])).files
    assert (updated.status, updated.embedded, updated.reused, again.texts) == ("updated", 0, 2, 0)
    assert await vectors(resources, collection) == vectors_before
