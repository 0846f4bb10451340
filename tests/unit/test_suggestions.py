import pytest

from shared.rag.suggestions import ASKED_TYPE_HINTS, asked_types, suggest_follow_ups
from shared.text.localized import localized
from tests.unit.passages import passage

pytestmark = pytest.mark.unit


def test_three_suggestions_about_the_cited_topic() -> None:
    suggestions = suggest_follow_ups("What is PCOS?", [passage()], "en")
    assert len(suggestions) == 3
    assert all("Polycystic ovary syndrome" in s for s in suggestions)
    assert "What is Polycystic ovary syndrome?" not in suggestions  # the type already answered


def test_the_type_the_user_asked_is_not_suggested_again() -> None:
    suggestions = suggest_follow_ups("How is PCOS treated?", [passage()], "en")
    assert not any("treated" in s for s in suggestions)


def test_general_questions_fill_in_without_passages() -> None:
    assert suggest_follow_ups("hello", [], "en") == list(localized("en").general_follow_ups)


def test_no_duplicates_across_passages_with_the_same_topic() -> None:
    suggestions = suggest_follow_ups("x", [passage(id="a"), passage(id="b")], "en", count=6)
    assert len(suggestions) == len(set(suggestions)) == 6


def test_suggestions_come_in_the_users_language_around_the_english_topic() -> None:
    suggestions = suggest_follow_ups("¿Qué es el SOP?", [passage()], "es")
    assert suggestions == [
        "¿Cuáles son las causas de Polycystic ovary syndrome?",
        "¿Cuáles son los síntomas de Polycystic ovary syndrome?",
        "¿Cómo se diagnostica Polycystic ovary syndrome?",
    ]  # the top passage answers "information", so "¿Qué es …?" is not suggested
    assert suggest_follow_ups("PCOS क्या है?", [], "hi") == list(localized("hi").general_follow_ups)


def test_asked_types_from_keywords() -> None:
    assert asked_types("What causes low sperm count and how is it diagnosed?") == {
        "causes", "exams and tests",
    }  # fmt: skip


def test_every_type_a_question_can_ask_has_a_follow_up_template() -> None:
    assert set(ASKED_TYPE_HINTS) <= set(localized("en").follow_ups)
