"""Question normalisation, response-cache key isolation and the knowledge-base content version."""

import pytest

from shared.cache.response_cache import ANSWER_KEY_PREFIX, cache_key, normalise_question
from shared.cache.single_flight import FLIGHT_KEY_PREFIX, flight_key

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("What is IVF?", "what is ivf"),
        ("  what   is\tIVF \n ?? ", "what is ivf"),
        ("¿Qué es la FIV?", "qué es la fiv"),
        ('"Is PCOS genetic?!"', "is pcos genetic"),
        ("\uff29\uff36\uff26とは\uff1f", "ivfとは"),  # full-width IVF and question mark
        ("IVF क्या है।", "ivf क्या है"),  # the danda ends a Hindi sentence
        ("Is 5.5 mg of folic acid safe?", "is 5.5 mg of folic acid safe"),
        ("Can't I take 20% more?", "can't i take 20% more"),
        ("STRASSE or Straße", "strasse or strasse"),
        ("???", ""),
    ],
)
def test_normalise_question(given: str, expected: str) -> None:
    assert normalise_question(given) == expected


def key(
    question: str = "What is IVF?",
    language: str = "en",
    kb_version: str = "kb1",
    model_config: str = "groq:llama-3.3-70b-versatile",
) -> str:
    return cache_key(question, language, kb_version, model_config)


@pytest.mark.parametrize(
    "variant",
    ["what is ivf", "WHAT IS IVF?", "  What  is IVF ? ", "What is IVF??", "What is IVF"],
)
def test_case_whitespace_and_question_marks_share_a_key(variant: str) -> None:
    assert key(variant) == key()


@pytest.mark.parametrize(
    "other",
    [
        {"language": "es"},
        {"kb_version": "kb2"},
        {"model_config": "openai:gpt-4o-mini"},
        {"question": "What is not IVF?"},
        {"question": "What is IVF 2?"},
    ],
)
def test_anything_else_that_differs_changes_the_key(other: dict[str, str]) -> None:
    assert key(**other) != key()


def test_negation_keeps_questions_apart() -> None:
    assert key("Is it safe to take ibuprofen?") != key("Is it not safe to take ibuprofen?")


def test_parts_cannot_run_into_each_other() -> None:
    assert key("a", "b c") != key("a b", "c")


def test_key_format_and_its_flight_key() -> None:
    answer_key = key()
    digest = answer_key.removeprefix(ANSWER_KEY_PREFIX)
    assert len(digest) == 64
    assert int(digest, 16) >= 0
    assert flight_key(answer_key) == FLIGHT_KEY_PREFIX + digest
