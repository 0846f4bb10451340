"""Answers that stay on the asked focus (docs/architecture.md, "Grounding").

Of the passages retrieval found, only those on the question's focus may be quoted, cited or
shown to a chat model, and within them no sentence about another condition. A question on a
topic the knowledge base does not cover is declined instead of answered from a neighbouring
one: when no passage found is on its focus, or when a word it asks about (not a generic word of the
domain nor of how people ask, but one medical texts use) appears in none of the passages on
its focus.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from itertools import pairwise

from shared.knowledge.focus import FocusLexicon, tokens
from shared.knowledge.vocabulary import (
    common_english,
    english_zipf,
    medical_vocabulary,
    stem,
    stems,
)
from shared.providers.vectorstore.base import Passage
from shared.text.terms import ASPECT_WORDS, SPANISH_FUNCTION_WORDS, STOPWORDS, split_sentences

# Words of the domain and of how people ask, which say nothing of what a question is about.
GENERIC_WORDS = frozenset(
    tokens(
        """woman women man men female male girl boy baby babies child children kid kids
        fertility fertile conceive conceiving conception trying try get getting got become
        becoming doctor doctors gp specialist nurse clinic body health healthy age aged old
        year years month months week weeks day days time times wife husband partner
        girlfriend boyfriend mom mum mother dad father family sister daughter son friend
        brother aunt uncle cousin niece nephew grandmother grandfather grandma grandpa
        gynecologist gynaecologist obstetrician ob gyn obgyn urologist pediatrician
        paediatrician endocrinologist geneticist midwife physician surgeon oncologist
        isn aren wasn weren hasn haven hadn doesn didn don won wouldn shouldn couldn can t ve
        ll re im youve ive underactive overactive
        feel feeling felt worried worry worrying scared afraid anxious concerned nervous
        problem problems issue issues condition conditions disease diseases disorder
        disorders thing things lot lots people person someone anyone anything something
        really actually just ok okay yes hi hello please thanks thank want wanted would
        like go going said says say told think thought heard read found find see look
        looking mean meaning called call name still ever even much many any every all
        some also one two first last next new recently currently now today already
        information info question questions answer explain explanation details detail
        exactly kind sort general generally basically wondering wonder curious help
        possible likely chance chances able live living life lead leads cause
        recommend recommended suggest advice advise happens happen okay normal option
        options choice choices"""
    )
)
# A word an answer must speak of: in at most this share of medical passages, and used in them
# at least 10**MIN_SPECIFICITY times as often as in English at large
# (docs/benchmarks/grounding.md: both chosen on half of the labelled questions).
SPECIFIC_SHARE = 0.002
MIN_SPECIFICITY = 2.0
# A word no medical text uses is asked about when English uses it, but at most this often (Zipf):
# "IUI", "Clomid", not chatter ("haywire") (docs/benchmarks/grounding.md).
MAX_UNHEARD_OF_ZIPF = 2.3
# A question asking about this many words, none of them in the passages, is not answered by them.
MIN_UNMENTIONED = 3
# The word a condition's own name ends with ("Asherman syndrome"): the words before it name it.
CONDITION_HEADS = frozenset({"syndrome", "disease"})
# Endings of terms coined from Greek and Latin parts: "salpinx", "itis", "ectomy", "scopy"...
MEDICAL_SUFFIXES = tuple(
    """salpinx itis osis oma ectomy otomy ostomy plasty scopy graphy gram emia aemia uria
    pathy algia rrhea rrhoea plasia trophy cele megaly penia lysis genesis""".split()
)
# What names one of several things a word names: "D" of "vitamin D", "B12".
_LETTER = re.compile(r"[a-z]\d{0,2}")
_CITATION = re.compile(r"\[(\d+)\]")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
# Words that ask about what follows them within ASKING_WINDOW words ("what are the signs of").
ASKING_WORDS = frozenset(
    tokens("what is are sign symptom risk cause treatment chance different difference")
)
ASKING_WINDOW = 3

_ASPECTS = frozenset(tokens(" ".join(ASPECT_WORDS)))
# As `tokens` spells them ("does" → "doe").
SKIPPED = frozenset(tokens(" ".join(STOPWORDS | SPANISH_FUNCTION_WORDS))) | GENERIC_WORDS | _ASPECTS
# A longer aspect's forms start with its first five letters ("treatable", "diagnostic"); a short
# one's would catch other words ("test" in "testicular").
ASPECT_PREFIXES = tuple(sorted({word[:5] for word in _ASPECTS if len(word) >= 5}))


@dataclass(frozen=True)
class Grounding:
    passages: list[Passage]  # on the focus, best first, other conditions' sentences removed
    foci: list[str]  # the question's
    uncovered: list[str]  # words asked about that no passage on the focus mentions
    lexicon: FocusLexicon | None = None  # None: not grounded (the passages as found)

    @property
    def declined(self) -> bool:
        """Nothing may be quoted; never so for an answer that is not grounded."""
        return self.lexicon is not None and not self.passages

    def audit(self) -> dict[str, object]:
        return {"foci": self.foci, "declined": self.declined, "uncovered": self.uncovered}

    def off_focus_claims(self, answer: str, passages: Sequence[Passage]) -> list[str]:
        """The sentences of a drafted `answer` whose [n] cites no passage shown, or that name
        another specific condition than the asked one and the cited passage's own."""
        if self.lexicon is None:
            return []
        return [
            sentence
            for sentence in split_sentences(answer)
            if any(self._off_focus(sentence, n, passages) for n in _cited(sentence))
        ]

    def _off_focus(self, sentence: str, number: int, passages: Sequence[Passage]) -> bool:
        if not 1 <= number <= len(passages) or self.lexicon is None:
            return True
        own = self.lexicon.passage_focus(passages[number - 1].title)
        return _about_other_condition(self.lexicon, sentence, self.foci, own)


def _cited(sentence: str) -> list[int]:
    return [int(number) for number in _CITATION.findall(sentence)]


def question_foci(lexicon: FocusLexicon, question: str) -> list[str]:
    """The question's focus (the first of `named_foci`); none when no sentence names one."""
    return named_foci(lexicon, question)[:1]


def named_foci(lexicon: FocusLexicon, question: str) -> list[str]:
    """The foci the question names, the likeliest to be asked about first: specific ones before
    broad topics; of the sentences that ask (those ending "?") before those that tell, the last
    first (people ask after telling their story); in a sentence, `_asked_first`."""
    sentences = list(reversed(split_question(question)))
    asking = [sentence for sentence in sentences if sentence.rstrip().endswith("?")]
    telling = [sentence for sentence in sentences if not sentence.rstrip().endswith("?")]
    named_by_sentence = [_asked_first(lexicon, sentence) for sentence in asking + telling]
    ordered = [
        focus
        for broad in (False, True)
        for named in named_by_sentence
        for focus in named
        if lexicon.is_broad(focus) is broad
    ]
    refined = [
        next((other for other in ordered if lexicon.refines(other, focus)), focus)
        for focus in ordered
    ]
    return list(dict.fromkeys(refined + ordered))


def _asked_first(lexicon: FocusLexicon, sentence: str) -> list[str]:
    """The foci a sentence names: those right after words that ask ("the signs of a miscarriage",
    "what is uterine sarcoma"), then the others, the last named first ("does PCOS raise my risk
    of endometrial cancer")."""
    words = tokens(sentence)
    named = lexicon.mentions_at(sentence)
    asked = [
        focus
        for start, focus in named
        if ASKING_WORDS.intersection(words[max(0, start - ASKING_WINDOW) : start])
    ]
    return list(dict.fromkeys(asked + [focus for _, focus in reversed(named)]))


def split_question(question: str) -> list[str]:
    return [part for part in _SENTENCE_END.split(question) if part.strip()]


def _within(lexicon: FocusLexicon, focus: str, foci: Sequence[str]) -> bool:
    """`focus` is one of `foci`, or one that a broad one covers ("male infertility" of
    "infertility")."""
    return any(lexicon.within(focus, topic) for topic in foci)


@dataclass(frozen=True)
class Asked:
    """The words a question asks about beyond its foci, aspects and chatter."""

    words: list[str]
    specific: list[str]  # of `words`, those an answer must speak of


def asked(lexicon: FocusLexicon, question: str) -> Asked:
    naming = lexicon.naming_words(question)
    said = tokens(question)
    words = [
        word
        for word in dict.fromkeys(said)
        if word not in naming and word not in SKIPPED and not word.startswith(ASPECT_PREFIXES)
    ]
    names = _condition_names(said)
    specific = [
        word
        for word in words
        if word in names or _specific(word) or _unheard_of(word) or _medical_coinage(word)
    ]
    specific += [name for name in _lettered_names(said) if name.split("_")[0] not in naming]
    return Asked([word for word in words if len(word) > 2 and not word.isdigit()], specific)


def _lettered_names(said: Sequence[str]) -> list[str]:
    """Names made of a word and a letter ("vitamin D", "hepatitis B", "vitamin B12"), spelt
    "vitamin_d": the word alone does not say which is meant."""
    return [
        f"{word}_{letter}"
        for word, letter in pairwise(said)
        if _LETTER.fullmatch(letter) and len(word) > 2 and word not in SKIPPED
        and letter not in SKIPPED
    ]  # fmt: skip


def _specific(word: str) -> bool:
    known = medical_vocabulary().get(word)
    return (
        known is not None and known.share <= SPECIFIC_SHARE and known.specificity >= MIN_SPECIFICITY
    )


def _unheard_of(word: str) -> bool:
    """No medical text uses the word in any form, yet English does, rarely: a term medical texts
    lack ("IUI", "Clomid", "hyperstimulation"). A word English never uses is a typo or a name."""
    if word.isdigit() or medical_vocabulary().knows(word) or word in common_english():
        return False
    return 0 < english_zipf(word) <= MAX_UNHEARD_OF_ZIPF


def _condition_names(said: Sequence[str]) -> frozenset[str]:
    """The words naming a syndrome or disease ("Asherman syndrome", "Crohn's disease"), which
    an answer must speak of however rare or unheard of they are."""
    return frozenset(word for word, next_word in pairwise(said) if next_word in CONDITION_HEADS)


def _medical_coinage(word: str) -> bool:
    """A word no text uses, built like a medical term ("hydrosalpinx", "...ectomy"), that is
    not a misspelling of a word medical texts use."""
    return (
        word.endswith(MEDICAL_SUFFIXES)
        and english_zipf(word) == 0
        and not medical_vocabulary().knows(word)
        and not any(medical_vocabulary().get(near) for near in _one_edit_away(word))
    )


def _one_edit_away(word: str) -> set[str]:
    """Every string one deletion, transposition, replacement or insertion away (Norvig's)."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = {left + right[1:] for left, right in splits if right}
    transposes = {
        left + right[1] + right[0] + right[2:] for left, right in splits if len(right) > 1
    }
    replaces = {left + c + right[1:] for left, right in splits if right for c in letters}
    inserts = {left + c + right for left, right in splits for c in letters}
    return deletes | transposes | replaces | inserts


def _vocabulary(passages: Sequence[Passage]) -> frozenset[str]:
    return frozenset().union(*(_stems_of(f"{p.title} {p.question} {p.body}") for p in passages))


@lru_cache(maxsize=4096)  # a passage is grounded for many questions
def _stems_of(text: str) -> frozenset[str]:
    said = tokens(text)
    return frozenset(stems(said)) | {_stem(name) for name in _lettered_names(said)}


def _stem(word: str) -> str:
    """The stem a word or lettered name ("vitamin_d") is compared by."""
    head, lettered, letter = word.partition("_")
    return f"{stem(head)}{lettered}{letter}"


def _about_other_condition(
    lexicon: FocusLexicon, sentence: str, own: Sequence[str], passage_focus: str
) -> bool:
    """The sentence names a specific condition other than the asked and the passage's own,
    and not these."""
    named = lexicon.mentions(sentence)
    mentions_own = any(_within(lexicon, f, own) or f == passage_focus for f in named)
    other = [f for f in named if not lexicon.is_broad(f) and f not in own and f != passage_focus]
    return bool(other) and not mentions_own


def _on_focus_sentences(lexicon: FocusLexicon, passage: Passage, foci: Sequence[str]) -> Passage:
    focus = lexicon.passage_focus(passage.title)
    kept = [
        sentence
        for sentence in split_sentences(passage.body)
        if not _about_other_condition(lexicon, sentence, foci, focus)
    ]
    return replace(passage, body=" ".join(kept))


def _on_focus(
    lexicon: FocusLexicon, foci: Sequence[str], candidates: Sequence[Passage]
) -> list[Passage]:
    return [p for p in candidates if _within(lexicon, lexicon.passage_focus(p.title), foci)]


def focus_query(lexicon: FocusLexicon, question: str, candidates: Sequence[Passage]) -> str | None:
    """A search for the passages on the question's foci, when it names some and none of the
    candidates is on them (retrieval missed "how rare is AIS?"); None otherwise."""
    foci = question_foci(lexicon, question)
    if not foci or _on_focus(lexicon, foci, candidates):
        return None
    return " ".join([question, *foci])


def _one_focus(
    lexicon: FocusLexicon, asked: Sequence[str], candidates: Sequence[Passage]
) -> list[Passage]:
    """The candidates on one focus: that of the best candidate speaking of every specific word
    the question asks about, else the best candidate's."""
    if not candidates:
        return []
    covering = [p for p in candidates if not _missing(asked, [p])]
    focus = lexicon.passage_focus((covering or candidates)[0].title)
    return [p for p in candidates if lexicon.passage_focus(p.title) == focus]


def ground(lexicon: FocusLexicon, question: str, candidates: Sequence[Passage]) -> Grounding:
    """The candidates (best first) that may answer `question`: those on the first focus it names
    whose passages speak of what it asks about; none when it is declined."""
    words = asked(lexicon, question)
    named = named_foci(lexicon, question)
    if not named:  # only the specific words it asks about can tell what it is about
        on_focus = _one_focus(lexicon, words.specific, candidates) if words.specific else []
        return _answerable(lexicon, [], words, on_focus)
    tried = [
        _answerable(lexicon, [focus], words, _on(lexicon, focus, words.specific, candidates))
        for focus in named
    ]
    return next((grounding for grounding in tried if not grounding.declined), tried[0])


def _on(
    lexicon: FocusLexicon, focus: str, specific: Sequence[str], candidates: Sequence[Passage]
) -> list[Passage]:
    on_focus = _on_focus(lexicon, [focus], candidates)
    if lexicon.is_broad(focus):  # "how much iodine do I need while pregnant"
        return _one_focus(lexicon, specific, on_focus)
    return on_focus


def _answerable(
    lexicon: FocusLexicon, foci: list[str], words: Asked, on_focus: list[Passage]
) -> Grounding:
    uncovered = _uncovered(words, on_focus)
    if uncovered or not on_focus:
        return Grounding([], foci, uncovered, lexicon)
    own = foci or [lexicon.passage_focus(on_focus[0].title)]
    trimmed = [_on_focus_sentences(lexicon, passage, own) for passage in on_focus]
    return Grounding([p for p in trimmed if p.body], foci, [], lexicon)


def _uncovered(words: Asked, passages: Sequence[Passage]) -> list[str]:
    """The specific words the passages never speak of; or all the words asked, when there are
    at least MIN_UNMENTIONED and the passages speak of none ("IVF cost, insurance cover")."""
    if missing := _missing(words.specific, passages):
        return missing
    unmentioned = _missing(words.words, passages)
    if len(words.words) >= MIN_UNMENTIONED and len(unmentioned) == len(words.words):
        return unmentioned
    return []


def _missing(asked: Sequence[str], passages: Sequence[Passage]) -> list[str]:
    vocabulary = _vocabulary(passages)
    return [word for word in asked if _stem(word) not in vocabulary]
