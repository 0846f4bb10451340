"""The knowledge base's documents by how often answers cited them (`document_usage`, counted once
per answer and passage since the passage was first cited).

A document is what its passages share: title, publisher (`source`), URL and, when ingested
from a file, that file. Citations of passages that are no longer in the knowledge base are left
out: nothing names their document any more.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

_CITED_DOCUMENTS = """
SELECT p.title, p.source, p.url, d.source_key AS file, count(*) AS passages,
       sum(u.citations) AS citations, max(u.last_cited_at) AS last_cited_at
FROM document_usage u
JOIN knowledge_passage p ON p.collection = u.collection AND p.id = u.passage_id
LEFT JOIN kb_document d ON d.id = p.document_id
WHERE u.collection = :collection
GROUP BY p.title, p.source, p.url, d.source_key"""
_PAGE = text(f"""{_CITED_DOCUMENTS}
ORDER BY citations DESC, last_cited_at DESC, p.title, p.url LIMIT :limit OFFSET :offset""")
_COUNT = text(f"SELECT count(*) FROM ({_CITED_DOCUMENTS}) AS documents")


class CitedDocument(BaseModel):
    title: str
    source: str = Field(description="The publisher, or the title of an ingested file.")
    url: str
    file: str | None = Field(description="The ingested file; null for passages stored before.")
    passages: int = Field(description="Of its passages, those cited at least once.")
    citations: int = Field(description="Answers citing one of its passages, once per passage.")
    last_cited_at: datetime


class DocumentPage(BaseModel):
    collection: str
    total: int
    documents: list[CitedDocument] = Field(description="Most cited first.")


async def cited_documents(
    sessionmaker: async_sessionmaker[AsyncSession], collection: str, limit: int, offset: int
) -> DocumentPage:
    params = {"collection": collection, "limit": limit, "offset": offset}
    async with sessionmaker() as db:
        rows = (await db.execute(_PAGE, params)).mappings().all()
        total = await db.scalar(_COUNT, params)
    documents = [CitedDocument.model_validate(row) for row in rows]
    return DocumentPage(collection=collection, total=total or 0, documents=documents)
