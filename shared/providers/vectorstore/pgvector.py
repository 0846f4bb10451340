"""Dense search in Postgres with pgvector: one HNSW index per collection and embedding model.

Vectors of every model share the `passage_embedding` table (column type `vector`, any size); an
HNSW index needs one size, so each (collection, model) gets a partial expression index on
`embedding::vector(N)`. Collection and model go into the SQL as literals, which lets the planner
prove the partial index applies (a bound parameter would not).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

HNSW_M = 16
HNSW_EF_CONSTRUCTION = 64
MIN_EF_SEARCH = 40
# The HNSW candidate list per result wanted. Embedding similarities crowd into a narrow band, where
# a list of top_k misses true neighbours: on one MedQuAD evaluation index (izana eval, dev
# questions) ef_search 100 for a top 100 gave nDCG@10 0.520, 400 gave 0.549 and 1000, close to
# exact, 0.552, for dense search times of 8, 11 and 25 ms (two views, p50).
EF_SEARCH_PER_RESULT = 4


@dataclass(frozen=True)
class DenseHit:
    passage_id: str
    similarity: float  # cosine similarity, 1 = same direction


def vector_literal(vector: Sequence[float]) -> str:
    return "[" + ",".join(f"{value:.7g}" for value in vector) + "]"


def _quoted(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


async def pgvector_installed(sessionmaker: async_sessionmaker[AsyncSession]) -> bool:
    """Whether migrations created the embedding table (they do when pgvector is available)."""
    async with sessionmaker() as session:
        found = await session.scalar(text("SELECT to_regclass('passage_embedding') IS NOT NULL"))
    return bool(found)


def _as_vector(dimensions: int) -> str:
    return f"embedding::vector({dimensions})"


class PgVectorIndex:
    """The vectors of one embedding model; their size is read off the vectors themselves."""

    def __init__(self, model: str) -> None:
        self.model = model

    def _rows_of(self, collection: str) -> str:
        return f"collection = {_quoted(collection)} AND model = {_quoted(self.model)}"

    def index_name(self, collection: str, dimensions: int) -> str:
        key = f"{collection}\x00{self.model}\x00{dimensions}".encode()
        return f"passage_embedding_hnsw_{hashlib.sha1(key).hexdigest()[:16]}"

    async def ensure_index(self, session: AsyncSession, collection: str, dimensions: int) -> None:
        name = self.index_name(collection, dimensions)
        await session.execute(
            text(
                f"CREATE INDEX IF NOT EXISTS {name} ON passage_embedding "
                f"USING hnsw (({_as_vector(dimensions)}) vector_cosine_ops) "
                f"WITH (m = {HNSW_M}, ef_construction = {HNSW_EF_CONSTRUCTION}) "
                f"WHERE {self._rows_of(collection)}"
            )
        )

    async def write(
        self, session: AsyncSession, collection: str, rows: Sequence[tuple[str, str]]
    ) -> None:
        """Store `(passage_id, vector literal)` pairs inside the caller's transaction."""
        if not rows:
            return
        await session.execute(
            text(
                "INSERT INTO passage_embedding (collection, passage_id, model, embedding) "
                "VALUES (:collection, :passage_id, :model, CAST(:embedding AS vector)) "
                "ON CONFLICT (collection, passage_id, model) "
                "DO UPDATE SET embedding = EXCLUDED.embedding"
            ),
            [
                {"collection": collection, "passage_id": pid, "model": self.model, "embedding": v}
                for pid, v in rows
            ],
        )

    async def stored_by_hash(
        self, session: AsyncSession, collection: str, hashes: Sequence[str]
    ) -> dict[str, str]:
        """Vectors already computed for passages whose embedded text has these hashes."""
        if not hashes:
            return {}
        result = await session.execute(
            text(
                "SELECT DISTINCT ON (p.embed_hash) p.embed_hash, e.embedding::text "
                "FROM knowledge_passage p JOIN passage_embedding e "
                "ON e.collection = p.collection AND e.passage_id = p.id "
                "WHERE p.collection = :collection AND e.model = :model "
                "AND p.embed_hash = ANY(:hashes)"
            ),
            {"collection": collection, "model": self.model, "hashes": list(hashes)},
        )
        return dict(result.all())

    async def search(
        self, session: AsyncSession, collection: str, vector: Sequence[float], top_k: int
    ) -> list[DenseHit]:
        """The `top_k` nearest passages by cosine distance, through the HNSW index."""
        ef_search = max(MIN_EF_SEARCH, EF_SEARCH_PER_RESULT * top_k)
        await session.execute(text(f"SET LOCAL hnsw.ef_search = {ef_search}"))
        as_vector = _as_vector(len(vector))
        result = await session.execute(
            text(
                f"SELECT passage_id, 1 - ({as_vector} <=> CAST(:query AS vector)) "
                f"FROM passage_embedding WHERE {self._rows_of(collection)} "
                f"ORDER BY {as_vector} <=> CAST(:query AS vector) LIMIT :top_k"
            ),
            {"query": vector_literal(vector), "top_k": top_k},
        )
        return [DenseHit(passage_id, float(similarity)) for passage_id, similarity in result.all()]

    async def similarities(
        self, session: AsyncSession, collection: str, vector: Sequence[float], ids: Sequence[str]
    ) -> dict[str, float]:
        """Exact cosine similarity of the query to each of the given passages."""
        result = await session.execute(
            text(
                f"SELECT passage_id, 1 - ({_as_vector(len(vector))} <=> CAST(:query AS vector)) "
                f"FROM passage_embedding WHERE {self._rows_of(collection)} "
                "AND passage_id = ANY(:ids)"
            ),
            {"query": vector_literal(vector), "ids": list(ids)},
        )
        return {passage_id: float(similarity) for passage_id, similarity in result.all()}
