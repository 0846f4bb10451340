"""Parsed files turned into knowledge passages, each with the text to embed and a content hash.

What is embedded is chosen by cost: a question-answer pair embeds its (short) question, a
document chunk its title, section heading and text. Lexical search covers every field anyway.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from shared.knowledge.documents.categories import categorize
from shared.knowledge.documents.chunking import Chunk, chunk_document
from shared.knowledge.documents.reader import ParsedDocument, QAPair
from shared.knowledge.medquad import PUBLISHERS
from shared.providers.vectorstore.base import Passage

MAX_ID_LENGTH = 128


@dataclass(frozen=True)
class IndexedPassage:
    record: Passage
    embed_text: str
    content_hash: str  # of every field: a change is sent to a mirror
    embed_hash: str  # of the embedded text: vectors are reused while it stays the same


def _hash(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()


def _indexed(record: Passage, embed_text: str) -> IndexedPassage:
    fields = record.content()
    content_hash = _hash(embed_text, *(str(fields[k]) for k in fields))
    return IndexedPassage(record, embed_text, content_hash, _hash(embed_text))


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "document"


def _pair_passage(pair: QAPair, number: int, stem: str, category: str | None) -> IndexedPassage:
    record = Passage(
        id=(pair.id or f"{stem}-{number}")[:MAX_ID_LENGTH],
        title=pair.focus,
        question=pair.question,
        body=pair.answer,
        source=PUBLISHERS.get(pair.source, pair.source),
        url=pair.url,
        category=category or categorize(f"{pair.focus} {pair.question} {pair.answer}"),
        question_type=pair.question_type,
    )
    return _indexed(record, pair.question)


def _chunk_passage(chunk: Chunk, number: int, prefix: str, category: str) -> IndexedPassage:
    record = Passage(
        id=f"{prefix}-{number}",
        title=chunk.title,
        question=chunk.section,
        body=chunk.text,
        source=chunk.title,
        url="",
        category=category,
        question_type="document",
    )
    heading = f"{chunk.title}. {chunk.section}" if chunk.section else chunk.title
    return _indexed(record, f"{heading}\n{chunk.text}")


def document_passages(
    parsed: ParsedDocument | list[QAPair], source_key: str, category: str | None
) -> list[IndexedPassage]:
    """The passages of one file; `category` overrides the automatic one."""
    stem = _slug(Path(source_key).stem)[:60]
    if isinstance(parsed, list):
        return [_pair_passage(pair, n, stem, category) for n, pair in enumerate(parsed, start=1)]
    # The name's hash keeps apart names that slug alike ("My QA.md", "my-qa.md").
    prefix = f"{stem}-{_hash(source_key)[:8]}"
    text = " ".join(section.text for section in parsed.sections)
    chosen = category or categorize(f"{parsed.title} {text}")
    chunks = chunk_document(parsed)
    return [_chunk_passage(chunk, n, prefix, chosen) for n, chunk in enumerate(chunks, start=1)]
