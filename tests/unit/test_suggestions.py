import pytest

from shared.rag.suggestions import GENERAL_FOLLOW_UPS, asked_types, suggest_follow_ups
from tests.unit.passages import passage

pytestmark = pytest.mark.unit


def test_three_suggestions_about_the_cited_topic() -> None:
    suggestions = suggest_follow_ups("What is PCOS?", [passage()])
    assert len(suggestions) == 3
    assert all("Polycystic ovary syndrome" in s for s in suggestions)
    assert "What is Polycystic ovary syndrome?" not in suggestions  # the type already answered


def test_the_type_the_user_asked_is_not_suggested_again() -> None:
    suggestions = suggest_follow_ups("How is PCOS treated?", [passage()])
    assert not any("treated" in s for s in suggestions)


def test_general_questions_fill_in_without_passages() -> None:
    assert suggest_follow_ups("hello", []) == list(GENERAL_FOLLOW_UPS)


def test_no_duplicates_across_passages_with_the_same_topic() -> None:
    suggestions = suggest_follow_ups("x", [passage(id="a"), passage(id="b")], count=6)
    assert len(suggestions) == len(set(suggestions)) == 6


def test_asked_types_from_keywords() -> None:
    assert asked_types("What causes low sperm count and how is it diagnosed?") == {
        "causes", "exams and tests",
    }  # fmt: skip
