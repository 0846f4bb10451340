"""The gold-answer guard on real question pairs: what it lets through and what it stops, and why."""

from __future__ import annotations

import pytest

from bench.gold import load_pairs
from shared.chat.gold_guard import guard_key, mismatches, passes, read_traits

pytestmark = pytest.mark.unit

KB = "kb-1"
IBUPROFEN = "Can I take ibuprofen while trying to conceive?"
AMH = "What is a normal AMH level?"


def differences(
    asked: str, gold: str, language: str = "en", gold_language: str = "en"
) -> list[str]:
    return mismatches(guard_key(asked, language, KB), guard_key(gold, gold_language, KB))


@pytest.mark.parametrize(
    ("asked", "differing"),
    [
        ("Can I not take ibuprofen while trying to conceive?", ["polarity"]),
        ("Should I avoid ibuprofen while trying to conceive?", ["polarity"]),
        ("Why can't I take ibuprofen while trying to conceive?", ["focus", "polarity"]),
        ("Can I take ibuprofen while pregnant?", ["entities"]),
        ("Can I take aspirin while trying to conceive?", ["entities"]),
        ("Can I take 400 mg of ibuprofen while trying to conceive?", ["numbers"]),
    ],
)
def test_turned_questions_never_take_the_ibuprofen_answer(asked: str, differing: list[str]) -> None:
    assert differences(asked, IBUPROFEN) == differing


@pytest.mark.parametrize(
    ("asked", "differing"),
    [
        ("What is a normal FSH level?", ["entities"]),
        ("What is a normal estradiol level?", ["entities"]),
        ("What does a high AMH level mean?", ["focus", "polarity"]),
        ("What is a normal AMH level at 40?", ["numbers"]),
        ("What is a normal AMH level for men?", ["polarity"]),
        ("What is AMH?", ["focus"]),
        ("What causes a low AMH level?", ["focus", "polarity"]),
    ],
)
def test_near_misses_never_take_the_amh_answer(asked: str, differing: list[str]) -> None:
    assert differences(asked, AMH) == differing


@pytest.mark.parametrize(
    ("asked", "gold"),
    [
        ("What's a normal AMH level?", AMH),
        ("What is the normal range for AMH?", AMH),
        ("What is a normal anti-Müllerian hormone level?", AMH),
        ("Is it okay to take Advil when trying to get pregnant?", IBUPROFEN),
        ("Is ibuprofen safe to take while TTC?", IBUPROFEN),
        ("How long is one round of IVF?", "How long does an IVF cycle take?"),
        ("What is a normal AMH for a 35-year-old?", "What is a normal AMH level at 35?"),
        ("What's a normal AMH at thirty five?", "What is a normal AMH level at 35?"),
        ("Is 2.5mg of letrozole enough?", "Is 2.5 mg of letrozole enough?"),
        ("¿Qué nivel de AMH es normal?", "¿Cuál es el nivel normal de AMH?"),
        ("¿Es seguro tomar ibuprofeno mientras busco embarazo?",
         "¿Puedo tomar ibuprofeno si estoy buscando embarazo?"),
    ],
)  # fmt: skip
def test_paraphrases_pass(asked: str, gold: str) -> None:
    language = "es" if asked.startswith("¿") else "en"
    assert differences(asked, gold, language, language) == []


def test_a_spanish_paraphrase_never_takes_the_english_answer() -> None:
    spanish = "¿Puedo tomar ibuprofeno mientras busco embarazo?"
    assert differences(spanish, IBUPROFEN, "es", "en") == ["language"]
    assert differences("¿Cuál es el nivel normal de AMH?", AMH, "es", "en") == ["language"]


def test_the_same_question_after_a_knowledge_base_version_bump_does_not_pass() -> None:
    gold = guard_key(AMH, "en", KB)
    assert passes(guard_key(AMH, "en", KB), gold)
    assert mismatches(guard_key(AMH, "en", "kb-2"), gold) == ["kb_version"]


@pytest.mark.parametrize(
    ("asked", "gold"),
    [
        ("Is it safe to drink coffee during IVF?", "Is it unsafe to drink coffee during IVF?"),
        ("How can I increase my AMH?", "How can I lower my AMH?"),
        ("Can I drink coffee before embryo transfer?", "Can I drink coffee after embryo transfer?"),
        ("What does a positive ovulation test mean?", "What does a negative ovulation test mean?"),
        ("Is it harder to get pregnant over 40?", "Is it harder to get pregnant under 40?"),
        ("Is spotting normal after IUI?", "Isn't spotting normal after IUI?"),
        ("Is it safe to take letrozole with food?", "Is it safe to take letrozole without food?"),
        ("¿Puedo tomar café?", "¿No puedo tomar café?"),
        ("¿Es bueno el ejercicio durante la FIV?", "¿Debo evitar el ejercicio durante la FIV?"),
    ],
)
def test_polarity_changes_are_read(asked: str, gold: str) -> None:
    language = "es" if asked.startswith("¿") else "en"
    assert "polarity" in differences(asked, gold, language, language)


@pytest.mark.parametrize(
    ("asked", "gold", "trait"),
    [
        ("What is ICSI?", "What is IUI?", "entities"),
        ("Does metformin help with PCOS?", "Does letrozole help with PCOS?", "entities"),
        ("What are the symptoms of endometriosis?", "What causes endometriosis?", "focus"),
        ("How is PCOS treated?", "How is PCOS diagnosed?", "focus"),
        ("How much does IVF cost?", "How long does IVF take?", "focus"),
        ("Is 5 mg of letrozole a normal dose?", "Is 7.5 mg of letrozole a normal dose?", "numbers"),
        ("Is 400 mcg of folic acid enough?", "Is 400 mg of folic acid enough?", "numbers"),
        ("Cramps 3 days after transfer?", "Cramps 3 weeks after transfer?", "numbers"),
        ("What about a day 5 transfer?", "What about a day 3 transfer?", "numbers"),
        ("Do I need vitamin B12?", "Do I need vitamin B6?", "entities"),
    ],
)
def test_entities_focus_and_numbers_are_read(asked: str, gold: str, trait: str) -> None:
    assert trait in differences(asked, gold)


def test_numbers_are_read_with_their_units_and_ages_in_years_by_default() -> None:
    traits = read_traits("I'm 35 years old and my AMH is 1,2 ng/mL after day 3", "en")
    assert traits.numbers == ("1.2 ng/ml", "3 day", "35")
    assert read_traits("At 35 with 2 cycles of IUI", "en").numbers == ("2 cycle", "35")
    assert read_traits("treinta y cinco años", "es").numbers == ("35",)


def test_a_question_with_a_code_in_it_passes_only_with_the_same_code() -> None:
    """Words with digits (a reference, a vitamin not in the lexicon) must recur as they are."""
    assert differences("What is AMH? (ref 3a8f)", "What is AMH? (ref 3a8f)") == []
    assert differences("What is AMH? (ref 3a8f)", "What is AMH? (ref 9c1e)") == ["numbers"]


def test_languages_the_lexicon_does_not_read_pass_only_for_the_same_question() -> None:
    japanese = "AMHの正常値は何ですか?"
    assert differences(japanese, japanese, "ja", "ja") == []
    assert differences("AMHの正常値は何ですか", japanese, "ja", "ja") == []  # punctuation aside
    assert differences("AMHの正常値を教えてください?", japanese, "ja", "ja") == ["verbatim"]


def test_every_labelled_pair_is_read_as_labelled() -> None:
    """The guard passes every paraphrase of data/gold_pairs.jsonl and stops every near-miss it
    can read; `unread` near-misses differ only in what the embedding must tell apart."""
    for pair in load_pairs():
        differing = differences(pair.a, pair.b, pair.language_a, pair.language_b)
        expected_to_pass = pair.hit or pair.kind == "unread"
        assert (differing == []) == expected_to_pass, (pair.a, pair.b, differing)
