import pytest

from shared.providers.llm.base import AnswerMode, AnswerRequest, WrittenAnswer
from shared.providers.llm.extractive import (
    ExtractiveAnswerer,
    compose_extractive_answer,
    extractive_answer,
)
from shared.text.localized import localized
from tests.unit.passages import passage

pytestmark = pytest.mark.unit

PCOS = passage(
    body=(
        "Polycystic ovary syndrome is a hormonal disorder. "
        "Women with PCOS often have irregular periods and trouble getting pregnant. "
        "The weather was lovely that day in the clinic garden."
    )
)
ENDOMETRIOSIS = passage(
    id="p2",
    title="Endometriosis",
    body="Endometriosis can also make it harder to get pregnant for many women.",
)


def test_answer_quotes_matching_sentences_with_citation_markers() -> None:
    answer = compose_extractive_answer(
        "Can PCOS make it hard to get pregnant?", [PCOS, ENDOMETRIOSIS]
    )
    assert "trouble getting pregnant" in answer
    assert "harder to get pregnant" in answer
    assert answer.index("[1]") < answer.index("[2]")
    assert "weather" not in answer


def test_answer_respects_sentence_budget() -> None:
    answer = compose_extractive_answer("PCOS pregnant periods", [PCOS, ENDOMETRIOSIS], 1)
    assert answer.count(".") == 1


def test_list_lead_ins_and_fragments_are_not_quoted() -> None:
    fragment = passage(body="Causes of infertility include - Blocked tubes - Low sperm count")
    assert compose_extractive_answer("causes of infertility", [fragment]) is None


def test_nothing_to_quote_is_said_in_the_users_own_language() -> None:
    assert extractive_answer("anything", "en", []) == WrittenAnswer(
        localized("en").nothing_quotable, "en"
    )
    assert extractive_answer("何でも", "ja", []) == WrittenAnswer(
        localized("ja").nothing_quotable, "ja"
    )


def test_english_quotes_open_with_a_note_in_the_users_language() -> None:
    quoted = compose_extractive_answer("PCOS pregnant", [PCOS])
    assert quoted is not None
    assert extractive_answer("PCOS pregnant", "en", [PCOS]) == WrittenAnswer(quoted, "en")
    spanish = extractive_answer("PCOS pregnant", "es", [PCOS])
    assert spanish == WrittenAnswer(
        f"Las fuentes están en inglés; estas son las citas relevantes.\n\n{quoted}", "en"
    )  # `en`: what it says is the knowledge base's English


class ChunkCollector:
    def __init__(self) -> None:
        self.chunks: list[str] = []

    async def token(self, text: str) -> None:
        self.chunks.append(text)

    async def reset(self, reason: str) -> None:
        self.chunks.clear()


async def test_streamed_chunks_join_to_the_composed_answer() -> None:
    answerer = ExtractiveAnswerer()
    request = AnswerRequest(question="PCOS pregnant", language="en", passages=[PCOS])
    out = ChunkCollector()
    answer = await answerer.write_answer(request, out)
    assert len(out.chunks) > 5
    assert "".join(out.chunks) == answer.text == compose_extractive_answer("PCOS pregnant", [PCOS])
    assert answerer.mode is AnswerMode.EXTRACTIVE


def test_question_headings_are_not_quoted() -> None:
    heading = passage(body="What are the symptoms of PCOS? Periods may often be irregular.")
    assert compose_extractive_answer("PCOS symptoms periods", [heading]) == (
        "Periods may often be irregular. [1]"
    )


def test_weak_passages_are_not_quoted() -> None:
    strong = passage(id="s", body="PCOS often makes getting pregnant harder.", score=0.8)
    weak = passage(id="w", body="Getting pregnant later in life is harder.", score=0.3)
    answer = compose_extractive_answer("PCOS getting pregnant", [strong, weak])
    assert answer == "PCOS often makes getting pregnant harder. [1]"
