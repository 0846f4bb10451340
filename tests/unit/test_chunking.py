from __future__ import annotations

import re
from itertools import pairwise

import pytest

from shared.knowledge.documents.chunking import Chunk, chunk_document
from shared.knowledge.documents.reader import ParsedDocument, Section

pytestmark = pytest.mark.unit

TITLE = "Understanding IVF"


def sentence(number: int, words: int = 12) -> str:
    """A sentence of exactly `words` words that names its number, ending in a full stop."""
    return " ".join([f"Sentence{number}", *["word"] * (words - 2), "ends."])


def section_text(count: int, words: int = 12, start: int = 0) -> str:
    return " ".join(sentence(number, words) for number in range(start, start + count))


def document(*sections: Section) -> ParsedDocument:
    return ParsedDocument(TITLE, list(sections), "text")


def word_count(text: str) -> int:
    return len(text.split())


def sentence_numbers(text: str) -> list[int]:
    return [int(number) for number in re.findall(r"Sentence(\d+)", text)]


def test_chunks_stay_within_max_words_and_keep_title_and_heading() -> None:
    chunks = chunk_document(document(Section("Steps", section_text(40))), max_words=100)
    assert len(chunks) > 3
    assert all(word_count(chunk.text) <= 100 for chunk in chunks)
    assert {(chunk.title, chunk.section) for chunk in chunks} == {(TITLE, "Steps")}


def test_chunks_hold_whole_sentences_in_order() -> None:
    chunks = chunk_document(document(Section("Steps", section_text(40))), max_words=100)
    for chunk in chunks:
        assert re.fullmatch(
            r"(Sentence\d+( word)+ ends\.)( Sentence\d+( word)+ ends\.)*", chunk.text
        )
    seen = sorted({number for chunk in chunks for number in sentence_numbers(chunk.text)})
    assert seen == list(range(40))


def test_consecutive_chunks_share_whole_sentences_up_to_the_overlap() -> None:
    chunks = chunk_document(
        document(Section("Steps", section_text(40))), max_words=100, overlap_words=30
    )
    for before, after in pairwise(chunks):
        shared = [
            number
            for number in sentence_numbers(after.text)
            if number in sentence_numbers(before.text)
        ]
        assert shared == sentence_numbers(before.text)[-2:]  # two 12-word sentences fit in 30
        assert sentence_numbers(after.text)[: len(shared)] == shared


def test_no_overlap_when_the_last_sentence_is_longer_than_the_overlap() -> None:
    chunks = chunk_document(
        document(Section("Steps", section_text(6, words=40))), max_words=100, overlap_words=30
    )
    assert [sentence_numbers(chunk.text) for chunk in chunks] == [[0, 1], [2, 3], [4, 5]]


def test_sections_are_chunked_separately() -> None:
    chunks = chunk_document(
        document(Section("First", section_text(3)), Section("Second", section_text(3, start=3)))
    )
    assert [(chunk.section, sentence_numbers(chunk.text)) for chunk in chunks] == [
        ("First", [0, 1, 2]),
        ("Second", [3, 4, 5]),
    ]


def test_tiny_sections_go_into_the_next_sections_first_chunk_with_their_headings() -> None:
    chunks = chunk_document(
        document(
            Section("Overview", "IVF helps many couples."),
            Section("Who can have it", "Most adults under 43."),
            Section("Steps", section_text(20)),
        ),
        max_words=100,
    )
    assert chunks[0].section == "Steps"
    assert chunks[0].text.startswith(
        "Overview\nIVF helps many couples.\n\nWho can have it\nMost adults under 43.\n\nSentence0 "
    )
    assert all("Overview" not in chunk.text for chunk in chunks[1:])
    assert all(word_count(chunk.text) <= 100 for chunk in chunks)


def test_a_tiny_last_section_is_kept_on_its_own() -> None:
    chunks = chunk_document(
        document(Section("Steps", section_text(3)), Section("Contact", "Call the clinic."))
    )
    assert chunks[-1] == Chunk(TITLE, "Contact", "Call the clinic.")


def test_a_sentence_longer_than_max_words_is_cut_by_words() -> None:
    giant = " ".join(f"W{index}" for index in range(250)) + "."
    chunks = chunk_document(
        document(Section("Long", f"{sentence(1)} {giant} {sentence(2)}")), max_words=100
    )
    assert [word_count(chunk.text) for chunk in chunks] == [12, 100, 100, 50 + 12]
    assert chunks[1].text.startswith("W0 ") and chunks[2].text.startswith("W100 ")
    assert chunks[3].text == " ".join(f"W{index}" for index in range(200, 250)) + ". " + sentence(2)


def test_abbreviations_and_lowercase_continuations_do_not_end_sentences() -> None:
    text = "Compare IUI vs. IVF with Dr. Smith first. Take 2.5 mg. daily for five days. Then rest."
    chunks = chunk_document(document(Section("Tests", text)), max_words=10, overlap_words=0)
    assert [chunk.text for chunk in chunks] == [
        "Compare IUI vs. IVF with Dr. Smith first.",
        "Take 2.5 mg. daily for five days. Then rest.",
    ]


def test_paragraphs_stay_apart_inside_a_chunk() -> None:
    chunks = chunk_document(document(Section("Steps", f"{sentence(1)}\n\n{sentence(2)}")))
    assert chunks == [Chunk(TITLE, "Steps", f"{sentence(1)}\n\n{sentence(2)}")]


def test_overlap_must_be_smaller_than_the_chunk() -> None:
    with pytest.raises(ValueError, match="overlap_words"):
        chunk_document(document(Section("Steps", section_text(3))), max_words=30, overlap_words=30)
