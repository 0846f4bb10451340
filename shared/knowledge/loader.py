"""Loads the shipped knowledge base into Postgres when the store is empty."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db.models import KnowledgePassage
from shared.knowledge.medquad import PassageRecord, read_passages

BATCH_SIZE = 500


async def insert_passages(
    sessionmaker: async_sessionmaker[AsyncSession], passages: Iterable[PassageRecord]
) -> int:
    rows = [passage.model_dump() for passage in passages]
    async with sessionmaker() as session, session.begin():
        for start in range(0, len(rows), BATCH_SIZE):
            batch = rows[start : start + BATCH_SIZE]
            await session.execute(insert(KnowledgePassage).values(batch).on_conflict_do_nothing())
    return len(rows)


async def load_if_empty(sessionmaker: async_sessionmaker[AsyncSession], directory: Path) -> int:
    """Insert every `*.jsonl` passage file under `directory` if no passage exists yet."""
    async with sessionmaker() as session:
        existing = await session.scalar(select(func.count()).select_from(KnowledgePassage))
    if existing:
        return 0
    passages = await asyncio.to_thread(_read_directory, directory)
    return await insert_passages(sessionmaker, passages)


def _read_directory(directory: Path) -> list[PassageRecord]:
    return [
        passage for path in sorted(directory.glob("*.jsonl")) for passage in read_passages(path)
    ]
