"""`izana ingest` keeps Pinecone (the emulator's) in step with Postgres, namespace per category."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from emulator import RunningEmulator
from shared.knowledge.ingest.ingestor import Ingestor
from shared.providers.factory import build_embedders
from shared.providers.vectorstore.pinecone import PineconeStore, pinecone_index
from shared.resources import Resources
from tests.contract.providers import KEY, emulated, guard_for

pytestmark = pytest.mark.contract

PAIRS = {
    "ivf": ("What is IVF?", "In vitro fertilisation joins egg and sperm in a laboratory."),
    "pcos": ("What is PCOS?", "Polycystic ovary syndrome is a hormonal disorder."),
    "menopause": ("What is menopause?", "Menopause is when menstrual periods stop for good."),
}


def write_pairs(path: Path, answers: dict[str, tuple[str, str]]) -> Path:
    lines = [
        json.dumps({"id": key, "question": question, "answer": answer, "focus": key})
        for key, (question, answer) in answers.items()
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
async def mirror(emulator: RunningEmulator, resources: Resources) -> AsyncIterator[PineconeStore]:
    await emulator.configure(embedding_dimensions=64)
    settings = emulated(emulator, resources)
    guard = guard_for(settings, resources.redis)
    (embedder,) = build_embedders(settings, resources.redis, guard)
    index = pinecone_index(KEY, emulator.url, 2.0)
    yield PineconeStore(index, embedder, guard)
    await index.close()


@pytest.fixture
def ingestor(resources: Resources, mirror: PineconeStore) -> Ingestor:
    # No local views: the vectors that matter here are the ones in Pinecone.
    collection = f"test-{uuid.uuid4().hex[:8]}"
    return Ingestor(resources.sessionmaker, resources.redis, [], collection, mirror=mirror)


async def namespace_counts(emulator: RunningEmulator) -> dict[str, int]:
    """Vectors per namespace, as Pinecone's own client reads them."""
    index = pinecone_index(KEY, emulator.url, 2.0)
    try:
        stats = await index.describe_index_stats()
    finally:
        await index.close()
    return {name: int(summary.vector_count) for name, summary in stats.namespaces.items()}


async def upserts(emulator: RunningEmulator) -> int:
    series = (await emulator.stats())["series"]
    return sum(s["totals"]["requests"] for s in series if s["model"] == "upsert")


async def test_passages_go_to_their_category_namespace_and_follow_changes(
    ingestor: Ingestor, emulator: RunningEmulator, tmp_path: Path
) -> None:
    path = write_pairs(tmp_path / "qa.jsonl", PAIRS)
    (added,) = (await ingestor.ingest([path])).files
    assert added.status == "added"
    assert await namespace_counts(emulator) == {
        "fertility-treatment": 1, "reproductive-conditions": 1, "menopause": 1,
    }  # fmt: skip

    before = await upserts(emulator)
    assert (await ingestor.ingest([path])).files[0].status == "unchanged"
    assert await upserts(emulator) == before  # nothing sent again

    changed = dict(PAIRS, pcos=("What is PCOS?", "PCOS affects ovulation and hormones."))
    del changed["menopause"]
    write_pairs(path, changed)
    assert (await ingestor.ingest([path])).files[0].status == "updated"
    assert await upserts(emulator) == before + 1  # only the changed pair
    remaining = await namespace_counts(emulator)
    assert {name: count for name, count in remaining.items() if count} == {
        "fertility-treatment": 1, "reproductive-conditions": 1,
    }  # fmt: skip

    assert (await ingestor.delete([path])).files[0].status == "deleted"
    assert not any((await namespace_counts(emulator)).values())


async def test_a_failed_sync_is_reported_and_repaired_by_the_next_ingest(
    ingestor: Ingestor, emulator: RunningEmulator, tmp_path: Path
) -> None:
    path = write_pairs(tmp_path / "qa.jsonl", PAIRS)
    await emulator.configure(rate_500=1.0, fault_kinds=["pinecone"])
    (failed,) = (await ingestor.ingest([path])).files
    assert failed.status == "failed" and "ingest it again" in (failed.error or "")
    await emulator.configure(rate_500=0.0)
    (repaired,) = (await ingestor.ingest([path])).files
    assert repaired.status == "updated"
    assert sum((await namespace_counts(emulator)).values()) == 3
    await ingestor.delete([path])
