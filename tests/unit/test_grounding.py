"""Grounding on the shipped knowledge base's own passages: what a question is about, which
passages and sentences may answer it, and when it is declined."""

from __future__ import annotations

import json
from dataclasses import replace
from functools import cache

import pytest

from shared.config import Settings
from shared.knowledge.focus import FocusLexicon, focus_name, key_words, shipped_aliases
from shared.providers.vectorstore.base import Passage
from shared.rag.grounding import ground, question_foci

pytestmark = pytest.mark.unit


@cache
def knowledge_base() -> tuple[Passage, ...]:
    path = Settings().knowledge_base_path / "medquad_fertility.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines()
    return tuple(Passage(**json.loads(line)) for line in lines)


@cache
def lexicon() -> FocusLexicon:
    return FocusLexicon.build(passage.title for passage in knowledge_base())


def titled(title: str) -> list[Passage]:
    return [passage for passage in knowledge_base() if passage.title == title]


@pytest.mark.parametrize(
    ("question", "focus"),
    [
        ("What are the signs of cancer in the fallopian tubes?", "fallopian tube cancer"),
        ("How is small cell carcinoma of the ovary treated?", "ovarian small cell carcinoma"),
        ("What treatment is there for XXY boys?", "klinefelter syndrome"),
        ("Is Klinefelter's syndrome inherited?", "klinefelter syndrome"),
        ("Can I get pregnant with PCOS?", "polycystic ovary syndrome"),
        ("Is fragile X POI inherited?", "fragile x associated primary ovarian insufficiency"),
        ("what are the signs of pre-eclampsia", "preeclampsia"),
        # the story first, then the question: the question's sentence decides
        (
            "I'm past menopause and started spotting. What are the symptoms of endometrial cancer?",
            "endometrial cancer",
        ),
        ("What causes infertility?", "infertility"),
        # a specific focus before a broad topic, wherever each is named
        ("what causes turner syndrome? is it something I did while pregnant", "turner syndrome"),
        # of two foci in a sentence, the one after words that ask, else the last
        ("Does having PCOS increase my risk of endometrial cancer?", "endometrial cancer"),
        ("what are the signs of a miscarriage, im 8 weeks and spotting", "miscarriage"),
        ("what is uterine sarcoma and how is it unlike endometrial cancer", "uterine sarcoma"),
        ("will a pap smear pick up endometrial cancer", "endometrial cancer"),
        # a focus whose name refines another's ("ovarian insufficiency")
        (
            "how many women with an FMR1 premutation end up with ovarian insufficiency",
            "fragile x associated primary ovarian insufficiency",
        ),
        ("how long will I bleed after giving birth", "postpartum care"),
    ],
)
def test_a_question_is_about_the_focus_it_names(question: str, focus: str) -> None:
    assert question_foci(lexicon(), question) == [focus]


def test_no_two_foci_are_named_alike() -> None:
    aliases = shipped_aliases()
    named: dict[frozenset[str], set[str]] = {}
    for passage in knowledge_base():
        focus = lexicon().passage_focus(passage.title)
        named.setdefault(key_words(focus_name(passage.title)), set()).add(focus)
    for alias, focus in aliases.same_as.items():
        named.setdefault(key_words(alias), set()).add(focus)
    assert {keys: foci for keys, foci in named.items() if len(foci) > 1} == {}


def test_an_answer_on_endometriosis_leaves_endometrial_cancer_out() -> None:
    candidates = titled("Endometrial Cancer")[:2] + titled("Endometriosis")
    grounded = ground(lexicon(), "What are the symptoms of endometriosis?", candidates)
    assert [p.title for p in grounded.passages] == ["Endometriosis"]


def test_a_sentence_about_another_condition_is_not_kept() -> None:
    (endometriosis,) = titled("Endometriosis")
    aside = "Signs and symptoms of endometrial cancer include unusual vaginal bleeding."
    mixed = replace(endometriosis, body=f"{endometriosis.body} {aside}")
    grounded = ground(lexicon(), "What are the symptoms of endometriosis?", [mixed])
    kept = grounded.passages[0].body
    assert aside not in kept
    assert "Endometriosis is when the kind of tissue" in kept and "may need surgery." in kept


@pytest.mark.parametrize(
    ("question", "title"),
    [
        ("Does acupuncture improve IVF success?", "Assisted Reproductive Technology"),
        ("Can antiphospholipid syndrome cause recurrent miscarriage?", "Miscarriage"),
        ("What is a normal AMH level?", "Female Infertility"),
        ("How do I fix my car's gearbox?", "Endometriosis"),
        # terms no medical text uses, which English uses rarely
        ("What's the success rate of IUI compared with IVF?", "Assisted Reproductive Technology"),
        ("How many rounds of Clomid should I try first?", "Assisted Reproductive Technology"),
        # three words asked about, none of which the passages mention
        (
            "What does a cycle of IVF cost, and will my insurance pay for it?",
            "Assisted Reproductive Technology",
        ),
        # the name of a syndrome, however rare the word
        ("Can Sheehan's syndrome stop my periods?", "Menstruation"),
        # a word no text uses, coined like a medical term
        (
            "My scan showed a hydrosalpinx. Can I still have IVF?",
            "Assisted Reproductive Technology",
        ),
        # a word and a letter name one thing: pregnancy passages speak of vitamins, not this one
        ("Does vitamin B12 matter when pregnant?", "Pregnancy and Nutrition"),
    ],
)
def test_a_topic_the_knowledge_base_lacks_is_declined(question: str, title: str) -> None:
    grounded = ground(lexicon(), question, titled(title))
    assert grounded.declined and grounded.passages == []


def test_names_and_small_talk_do_not_decline_a_covered_question() -> None:
    question = "My name is Zephyrine Quillfeather and I'm worried: how is endometriosis treated?"
    grounded = ground(lexicon(), question, titled("Endometriosis"))
    assert not grounded.declined


def test_a_misspelt_medical_term_does_not_decline_a_covered_question() -> None:
    grounded = ground(
        lexicon(), "Is endometriosis treated with laparascopy?", titled("Endometriosis")
    )
    assert not grounded.declined


def test_a_lettered_name_the_passages_speak_of_is_covered() -> None:
    question = "Does vitamin D lower the risk of endometrial cancer?"
    grounded = ground(lexicon(), question, titled("Endometrial Cancer"))
    assert not grounded.declined and grounded.foci == ["endometrial cancer"]


def test_another_form_of_an_asked_word_covers_it() -> None:
    question = "my palms itch like crazy at 32 weeks, is that cholestasis of pregnancy?"
    passages = titled("Intrahepatic cholestasis of pregnancy")
    assert "itching" in " ".join(p.body for p in passages) and "itch " not in question[-20:]
    assert not ground(lexicon(), question, passages).declined


def test_another_named_focus_answers_what_the_first_cannot() -> None:
    question = (
        "My nephew has fragile X and I may carry the premutation. Can that cause early menopause?"
    )
    candidates = titled("Premature Ovarian Failure") + titled(
        "fragile X-associated primary ovarian insufficiency"
    )
    grounded = ground(lexicon(), question, candidates)
    assert grounded.foci == ["fragile x associated primary ovarian insufficiency"]
    assert {p.title for p in grounded.passages} == {
        "fragile X-associated primary ovarian insufficiency"
    }
