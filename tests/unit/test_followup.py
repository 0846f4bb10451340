"""The offline follow-up rule on real conversational turns: what a question takes over from the
earlier one, and when it stands alone."""

from __future__ import annotations

import pytest

from shared.providers.llm.chat import ChatMessage
from shared.rag.followup import FocusCarryOver

pytestmark = pytest.mark.unit


def turns(*questions: str) -> list[ChatMessage]:
    history: list[ChatMessage] = []
    for question in questions:
        history += [ChatMessage("user", question), ChatMessage("assistant", "An answer [1].")]
    return history


CARRIED = [
    # (earlier question, follow-up, what the follow-up searches for)
    ("What is endometriosis?", "How is it treated?", "How is it treated? endometriosis"),
    ("What is endometriosis?", "What are its symptoms?", "What are its symptoms? endometriosis"),
    (
        "What are the symptoms of PCOS?",
        "Does it affect IVF?",
        "Does it affect IVF? pcos",
    ),
    ("What is a normal AMH level?", "And the symptoms?", "And the symptoms? amh"),
    (
        "Is letrozole used for ovulation induction?",
        "Is it safe?",
        "Is it safe? letrozole ovulation induction",
    ),
    (
        "What are the symptoms of PCOS?",
        "What about endometriosis?",
        "What about endometriosis? symptoms",
    ),
    (
        "¿Qué es la endometriosis?",
        "¿Cuáles son sus síntomas?",
        "¿Cuáles son sus síntomas? endometriosis",
    ),
]

STANDALONE = [
    ("What is PCOS?", "What is endometriosis?"),
    ("What is endometriosis?", "Can stress cause infertility?"),
    ("What is a normal AMH level?", "Are there foods that help fertility?"),
]


@pytest.mark.parametrize(("earlier", "question", "searched"), CARRIED)
async def test_a_follow_up_takes_over_the_earlier_questions_terms(
    earlier: str, question: str, searched: str
) -> None:
    assert await FocusCarryOver().standalone(question, turns(earlier)) == searched


@pytest.mark.parametrize(("earlier", "question"), STANDALONE)
async def test_a_question_that_names_its_own_focus_stands_alone(
    earlier: str, question: str
) -> None:
    assert await FocusCarryOver().standalone(question, turns(earlier)) == question


async def test_the_latest_question_with_a_focus_is_the_one_followed() -> None:
    history = turns("What is PCOS?", "What is endometriosis?", "What are its symptoms?")
    searched = await FocusCarryOver().standalone("How is it diagnosed?", history)
    assert searched == "How is it diagnosed? endometriosis"


async def test_without_history_a_question_is_unchanged() -> None:
    assert await FocusCarryOver().standalone("How is it treated?", []) == "How is it treated?"
