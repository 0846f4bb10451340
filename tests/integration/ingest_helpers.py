"""Knowledge files and a counting embedder for the ingestion integration tests."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from shared.providers.embeddings.base import Embedder, Purpose
from tests.pdfs import pdf_bytes


class CountingEmbedder:
    """The real embedder, counting the texts and calls it is given (a spy, not a mock)."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.name = inner.name
        self.texts = 0
        self.calls = 0
        self.embedded: list[str] = []

    async def embed(self, texts: Sequence[str], purpose: Purpose = "passage") -> list[list[float]]:
        self.calls += 1
        self.texts += len(texts)
        self.embedded.extend(texts)
        return await self.inner.embed(texts, purpose)


class EmbedderBroke(RuntimeError):
    pass


class FailingEmbedder(CountingEmbedder):
    """Embeds its first `healthy_calls` calls with the real model, then raises."""

    def __init__(self, inner: Embedder, healthy_calls: int) -> None:
        super().__init__(inner)
        self.healthy_calls = healthy_calls

    async def embed(self, texts: Sequence[str], purpose: Purpose = "passage") -> list[list[float]]:
        if self.calls >= self.healthy_calls:
            raise EmbedderBroke(f"embedder down after {self.calls} calls")
        return await super().embed(texts, purpose)


def words(topic: str, sentences: int) -> str:
    """`sentences` distinct numbered sentences about `topic`."""
    return " ".join(
        f"Point {n} on {topic} gives the reader one more detail." for n in range(1, sentences + 1)
    )


# Three sections of at least MIN_SECTION_WORDS words; the short introduction under the title goes
# into the first section's chunk, and the last section (16 sentences, about 200 words) is longer
# than MAX_WORDS: it makes two chunks, four in all.
GUIDE_SECTIONS = {
    "Cycle basics": words("the menstrual cycle", 4),
    "Tracking the cycle": words("tracking basal temperature", 4),
    "When to see a doctor": words("irregular periods and pain", 16),
}


def guide_markdown(sections: dict[str, str] = GUIDE_SECTIONS) -> str:
    body = "\n\n".join(f"## {heading}\n\n{text}" for heading, text in sections.items())
    return (
        f"# Cycle guide\n\nA short guide, with **markup** and a [link](https://x.org).\n\n{body}\n"
    )


def qa_line(id: str, question: str, answer: str, focus: str = "Endometriosis") -> str:
    return json.dumps(
        {
            "id": id,
            "question": question,
            "answer": answer,
            "focus": focus,
            "qtype": "information",
            "source": "GHR",
            "url": f"https://medlineplus.gov/{id}",
        }
    )


def qa_jsonl(ids: Sequence[str], topic: str = "endometriosis") -> str:
    return "".join(
        qa_line(id, f"Question {n} about {topic}?", f"Answer {n}: {words(topic, 2)}") + "\n"
        for n, id in enumerate(ids, start=1)
    )


GOOD_FILES = ("guide.md", "leaflet.pdf", "medquad.jsonl", "notes.txt")
MEDQUAD_IDS = ("0000001-1", "0000001-2", "0000001-3")

# Each bad file and the reason it is refused.
BAD_FILES = {
    "empty.txt": "empty file",
    "junk.txt": "binary data, not text",
    "long-line.txt": "a line is longer than 100,000 characters",
    "latin1.txt": "not UTF-8 text (byte 0xe9 at offset 3)",
    "truncated.pdf": "not a PDF we can read: file is truncated",
    "bad-line.jsonl": "line 2: invalid JSON",
}


def write_knowledge_dir(root: Path) -> Path:
    """A folder of good knowledge files, bad ones and a README."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "guide.md").write_text(guide_markdown())
    (root / "notes.txt").write_text(
        f"Ovulation notes\n\n{words('ovulation timing', 3)}\n\n"
        f"Luteal phase\n{words('the luteal phase', 3)}\n"
    )
    questions = (
        "What is endometriosis?",
        "What are the symptoms of endometriosis?",
        "How is endometriosis treated?",
    )
    answers = (
        "Endometriosis is tissue like the uterine lining growing outside the uterus.",
        "Pelvic pain, painful periods and infertility are common symptoms.",
        "Pain medicine, hormone therapy and surgery are the usual treatments.",
    )
    lines = [qa_line(*fields) for fields in zip(MEDQUAD_IDS, questions, answers, strict=True)]
    (root / "medquad.jsonl").write_text("\n".join(lines) + "\n")
    leaflet = ["Fertility leaflet", words("semen analysis", 3), words("egg reserve", 3)]
    (root / "leaflet.pdf").write_bytes(pdf_bytes([leaflet], title="Fertility leaflet"))
    (root / "README.md").write_text("# About this folder\n\nThese files are test knowledge.\n")
    (root / "empty.txt").write_bytes(b"")
    (root / "junk.txt").write_bytes(bytes(range(256)) * 8)
    (root / "long-line.txt").write_text("x" * 200_000)
    (root / "latin1.txt").write_bytes(
        "Caf\u00e9 au lait, cr\u00e8me br\u00fbl\u00e9e.\n".encode("latin-1")
    )
    complete = pdf_bytes([["A complete page of text before the cut."]])
    (root / "truncated.pdf").write_bytes(complete[: len(complete) // 2])
    (root / "bad-line.jsonl").write_text(
        qa_line("bad-1", "What is PCOS?", "A hormonal disorder.") + '\n{"id": "bad-2", "quest\n'
    )
    return root
