"""Split a parsed document into overlapping chunks of whole sentences for the embedder."""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import groupby

from shared.knowledge.documents.reader import ParsedDocument, Section

# multilingual-e5-small reads at most 512 tokens. 180 English words are about 250 of them
# (other languages take more per word), which leaves room for the "passage: " prefix, the
# document title and the section heading that go in front of each chunk.
MAX_WORDS = 180
OVERLAP_WORDS = 30
MIN_SECTION_WORDS = 20  # a shorter section is merged into the next section's first chunk

_PARAGRAPH_BREAK = re.compile(r"\n[^\S\n]*\n")
# After . ! ? or …, maybe closed by a quote or bracket (\u201d and \u2019 are curly quotes).
_SENTENCE_BREAK = re.compile(r"(?:(?<=[.!?…])|(?<=[.!?…][\"'\u201d\u2019)\]]))\s+")
_ABBREVIATIONS = frozenset(
    {"dr.", "mr.", "mrs.", "ms.", "prof.", "st.", "vs.", "approx.", "fig.", "e.g.", "i.e.", "cf."}
)


@dataclass(frozen=True)
class Chunk:
    title: str
    section: str
    text: str


@dataclass(frozen=True)
class _Piece:
    """A sentence, or a run of words cut from a longer one; paragraph numbers its paragraph."""

    text: str
    words: int
    paragraph: int


def chunk_document(
    document: ParsedDocument, max_words: int = MAX_WORDS, overlap_words: int = OVERLAP_WORDS
) -> list[Chunk]:
    """Chunks of at most `max_words` words, each with the document title and its heading.

    A chunk ends at a sentence boundary; only a sentence longer than `max_words` is cut by
    words. Consecutive chunks of a section share their last and first whole sentences, at
    most `overlap_words` words (none when the last sentence alone is longer). A section under
    MIN_SECTION_WORDS words goes, heading first, into the next section's first chunk; the
    last section is never merged.
    """
    if not 0 <= overlap_words < max_words:
        raise ValueError("overlap_words must be at least 0 and less than max_words")
    chunks: list[Chunk] = []
    carried: list[str] = []
    for index, section in enumerate(document.sections):
        if index < len(document.sections) - 1 and _word_count(section.text) < MIN_SECTION_WORDS:
            carried.append(_with_heading(section))
            continue
        pieces = _pieces(carried, section.text, max_words)
        carried = []
        chunks.extend(
            Chunk(document.title, section.heading, text)
            for text in _pack(pieces, max_words, overlap_words)
        )
    return chunks


def _word_count(text: str) -> int:
    return len(text.split())


def _with_heading(section: Section) -> str:
    return f"{section.heading}\n{section.text}".strip()


def _pieces(carried: list[str], text: str, max_words: int) -> list[_Piece]:
    """The carried sections, a paragraph each, then the section's sentences by paragraph."""
    paragraphs = [[merged] for merged in carried] + [
        _sentences(paragraph) for paragraph in _PARAGRAPH_BREAK.split(text)
    ]
    return [
        piece
        for number, sentences in enumerate(paragraphs)
        for sentence in sentences
        for piece in _fit(sentence, number, max_words)
    ]


def _sentences(paragraph: str) -> list[str]:
    """Split after . ! ? … unless an abbreviation ends the text before or lowercase follows."""
    sentences: list[list[str]] = []
    for part in _SENTENCE_BREAK.split(" ".join(paragraph.split())):
        if sentences and (_ends_in_abbreviation(sentences[-1][-1]) or part[:1].islower()):
            sentences[-1].append(part)
        elif part:
            sentences.append([part])
    return [" ".join(parts) for parts in sentences]


def _ends_in_abbreviation(text: str) -> bool:
    return text.rsplit(" ", 1)[-1].lower() in _ABBREVIATIONS


def _fit(sentence: str, paragraph: int, max_words: int) -> list[_Piece]:
    """The sentence as one piece, or cut into runs of `max_words` words when it is longer."""
    words = sentence.split()
    if len(words) <= max_words:
        return [_Piece(sentence, len(words), paragraph)]
    runs = [words[start : start + max_words] for start in range(0, len(words), max_words)]
    return [_Piece(" ".join(run), len(run), paragraph) for run in runs]


def _pack(pieces: list[_Piece], max_words: int, overlap_words: int) -> list[str]:
    groups: list[list[_Piece]] = []
    current: list[_Piece] = []
    for piece in pieces:
        if current and _total_words(current) + piece.words > max_words:
            groups.append(current)
            current = _overlap(current, min(overlap_words, max_words - piece.words))
        current.append(piece)
    if current:
        groups.append(current)
    return [_join(group) for group in groups]


def _overlap(previous: list[_Piece], budget: int) -> list[_Piece]:
    """The longest run of final pieces of `previous` within `budget` words."""
    kept: list[_Piece] = []
    for piece in reversed(previous):
        if _total_words(kept) + piece.words > budget:
            break
        kept.insert(0, piece)
    return kept


def _total_words(pieces: list[_Piece]) -> int:
    return sum(piece.words for piece in pieces)


def _join(pieces: list[_Piece]) -> str:
    """Sentences of one paragraph joined by a space, paragraphs by a blank line."""
    paragraphs = groupby(pieces, key=lambda piece: piece.paragraph)
    return "\n\n".join(" ".join(piece.text for piece in group) for _, group in paragraphs)
