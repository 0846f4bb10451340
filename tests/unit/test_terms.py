import pytest

from shared.text.terms import content_terms, split_sentences, words

pytestmark = pytest.mark.unit


def test_words_are_lowercase_alphanumeric() -> None:
    assert words("What's AMH? It's anti-Müllerian hormone!") == [
        "what", "s", "amh", "it", "s", "anti", "müllerian", "hormone",
    ]  # fmt: skip


def test_content_terms_drop_stopwords_and_single_letters() -> None:
    assert content_terms("What is the normal level of AMH for a woman of 35?") == [
        "normal", "level", "amh", "woman", "35",
    ]  # fmt: skip


def test_split_sentences_on_terminal_punctuation() -> None:
    text = "IVF has several steps. Eggs are retrieved! Is it painful? Usually not."
    assert split_sentences(text) == [
        "IVF has several steps.", "Eggs are retrieved!", "Is it painful?", "Usually not.",
    ]  # fmt: skip


def test_split_sentences_splits_flattened_bullet_lists() -> None:
    text = "Causes include - Blocked tubes - Ovulation problems. More text follows."
    assert split_sentences(text) == [
        "Causes include", "Blocked tubes", "Ovulation problems.", "More text follows.",
    ]  # fmt: skip


def test_split_sentences_keeps_abbreviation_followed_by_lowercase() -> None:
    assert split_sentences("Levels e.g. of FSH rise. Then fall.") == [
        "Levels e.g. of FSH rise.", "Then fall.",
    ]  # fmt: skip
