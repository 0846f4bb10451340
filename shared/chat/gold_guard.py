"""Whether a question may be answered with the gold answer of another question.

Embeddings place "Can I take ibuprofen while trying to conceive?" and "Should I avoid ibuprofen
while trying to conceive?" side by side, and "What is a normal AMH level?" next to the same
question about FSH. The guard reads what such pairs differ in, and a question passes only when
it shares all of it with the gold answer's question:

- the language and the knowledge-base version the answer was made from;
- the entities: hormones, drugs, conditions, procedures, body parts, substances and habits, read
  through a lexicon of their names and synonyms in English and Spanish (`gold_lexicon.py`);
- the focus: what the question asks about them (symptoms, causes, treatment, the normal range,
  risks, timing, cost...);
- the numbers, with their units (ages, doses, durations, cycle days), and codes such as "B12";
- the polarity: negation (not, never, without, can't), avoidance (avoid, stop), harm (unsafe,
  dangerous), direction (increase or decrease, high or low), time (before or after, early or
  late), sex (men or women), thresholds (over or under), results (positive or negative).

All of them must be equal, so the guard is an equivalence: gold answers are grouped by their
`GuardKey`, and a new question finds the only group it may take an answer from in one lookup.
Languages the lexicon does not read (Tamil, Hindi, Telugu, Malayalam, Japanese) pass only for
the same question, normalised as the response cache normalises it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields
from decimal import Decimal
from enum import Enum
from types import MappingProxyType
from typing import TypeVar

from shared.cache.response_cache import normalise_question
from shared.chat import gold_lexicon

READ_LANGUAGES = frozenset({"en", "es"})


@dataclass(frozen=True)
class Traits:
    """What a question asks, as far as the guard reads it."""

    entities: frozenset[str]
    focus: frozenset[str]
    numbers: tuple[str, ...]  # sorted, with units: ("35", "5 mg", "b12")
    polarity: frozenset[str]
    verbatim: str = ""  # the normalised question, for a language the lexicon does not read


@dataclass(frozen=True)
class GuardKey:
    """A question as the guard compares it: equal keys, and only they, pass."""

    language: str
    kb_version: str
    traits: Traits


def guard_key(question: str, language: str, kb_version: str) -> GuardKey:
    return GuardKey(language, kb_version, read_traits(question, language))


def mismatches(asked: GuardKey, gold: GuardKey) -> list[str]:
    """What keeps `asked` from taking `gold`'s answer: names of the traits that differ."""
    differing = [
        name for name in ("language", "kb_version") if getattr(asked, name) != getattr(gold, name)
    ]
    differing += [
        field.name
        for field in fields(Traits)
        if getattr(asked.traits, field.name) != getattr(gold.traits, field.name)
    ]
    return differing


def passes(asked: GuardKey, gold: GuardKey) -> bool:
    return asked == gold


class _Kind(Enum):
    ENTITY = "entity"
    FOCUS = "focus"
    POLARITY = "polarity"


_APOSTROPHES = re.compile("[\u2019\u2018`\u00b4]")
_NEGATIONS = (
    (re.compile(r"\bcan'?t\b|\bcannot\b"), "can not"),
    (re.compile(r"\bwon'?t\b"), "will not"),
    (
        re.compile(
            r"\b(do|does|did|is|are|was|were|has|have|had|should|would|could|must|need)n'?t\b"
        ),
        r"\1 not",
    ),
)
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_DECIMAL_COMMA = re.compile(r"(?<=\d),(?=\d)")
# A number glued to its unit or ordinal suffix ("5mg", "10dpo", "2nd"), pulled apart.
_GLUED_UNIT = re.compile(
    r"(?<=\d)(?=(?:mg|mcg|ug|iu|ml|ng|kg|lbs?|cm|mm|dpo|dpt|yo|yrs?|wks?|days?|weeks?|months?"
    r"|hrs?|h|st|nd|rd|th)\b)"
)
_SEPARATORS = re.compile(r"[-_/&+]")
_TOKEN = re.compile(r"\d+(?:\.\d+)?(?![^\W_])|[^\W_]+")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_ORDINAL_SUFFIXES = frozenset({"st", "nd", "rd", "th"})
_PLURAL_MIN_CHARS = 3
_AND = frozenset({"and", "y"})
_TENS = frozenset(range(20, 100, 10))  # twenty to ninety: a units word may follow
_OPENING_FILLER = frozenset({"and", "so", "but", "also", "ok", "okay", "y", "pero", "entonces"})
_LEFT_OUT_UNITS = frozenset({"year"})  # an age is in years unless said otherwise


def _fold(text: str) -> str:
    """Lower case, no accents, contractions spelt out, number separators made plain."""
    text = _APOSTROPHES.sub("'", unicodedata.normalize("NFKC", text).casefold())
    for pattern, replacement in _NEGATIONS:
        text = pattern.sub(replacement, text)
    text = text.replace("'", "")
    decomposed = unicodedata.normalize("NFKD", text)
    text = "".join(char for char in decomposed if not unicodedata.combining(char))
    text = _DECIMAL_COMMA.sub(".", _THOUSANDS.sub("", text)).replace("%", " percent ")
    return _SEPARATORS.sub(" ", _GLUED_UNIT.sub(" ", text))


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(_fold(text))


def _phrases(table: str) -> Iterator[tuple[str, tuple[str, ...]]]:
    """(name, alias as tokens) for every alias of a lexicon table, with its plural in "s"."""
    for entry in re.split(r"\n(?=\S)", table.strip()):
        name, aliases = entry.split(":", 1)
        for alias in aliases.split(","):
            words = tuple(tokens(alias))
            yield name.strip(), words
            if not words[-1].endswith("s") and len(words[-1]) >= _PLURAL_MIN_CHARS:
                yield name.strip(), (*words[:-1], words[-1] + "s")


T = TypeVar("T")


def _lookup(entries: Iterator[tuple[T, tuple[str, ...]]]) -> Mapping[tuple[str, ...], T]:
    table: dict[tuple[str, ...], T] = {}
    for value, words in entries:
        if table.setdefault(words, value) != value:
            raise ValueError(f"{' '.join(words)!r} means both {table[words]} and {value}")
    return MappingProxyType(table)


@dataclass(frozen=True)
class _Term:
    kind: _Kind
    name: str


_TERMS = _lookup(
    (_Term(kind, name), words)
    for kind, table in (
        (_Kind.ENTITY, gold_lexicon.ENTITIES),
        (_Kind.FOCUS, gold_lexicon.FOCUS),
        (_Kind.POLARITY, gold_lexicon.POLARITY),
    )
    for name, words in _phrases(table)
)
_OPENINGS = _lookup(_phrases(gold_lexicon.OPENING_FOCUS))
_UNITS = _lookup(_phrases(gold_lexicon.UNITS))
_NUMBER_WORDS = _lookup(
    (int(name), words) for name, words in _phrases(gold_lexicon.NUMBER_WORDS) if len(words) == 1
)
_LONGEST = max(len(words) for table in (_TERMS, _OPENINGS, _UNITS) for words in table)


def _longest_match(
    table: Mapping[tuple[str, ...], T], words: list[str], start: int
) -> tuple[T, int] | None:
    """The longest phrase of `table` at `start`, and its length."""
    for length in range(min(_LONGEST, len(words) - start), 0, -1):
        value = table.get(tuple(words[start : start + length]))
        if value is not None:
            return value, length
    return None


def _number_at(words: list[str], start: int) -> tuple[str, int] | None:
    """The number written at `start` (digits, an ordinal, or words: "thirty five", "treinta y
    cinco"), and how many words it took."""
    if start >= len(words):
        return None
    word = words[start]
    if _NUMBER.fullmatch(word):
        ordinal = start + 1 < len(words) and words[start + 1] in _ORDINAL_SUFFIXES
        return format(Decimal(word).normalize(), "f"), 2 if ordinal else 1
    value = _NUMBER_WORDS.get((word,))
    if value is None:
        return None
    if value in _TENS:
        units, length = _units_after(words, start + 1)
        return str(value + units), 1 + length
    return str(value), 1


def _units_after(words: list[str], start: int) -> tuple[int, int]:
    """The units word after a tens word ("five" of "thirty five", "cinco" of "treinta y cinco"),
    and how many words it took; (0, 0) when there is none."""
    skip = 1 if start < len(words) and words[start] in _AND else 0
    units = _NUMBER_WORDS.get(tuple(words[start + skip : start + skip + 1]))
    if units is None or not 0 < units < 10:
        return 0, 0
    return units, skip + 1


def _unit_at(words: list[str], start: int) -> tuple[str | None, int]:
    """The unit at `start` ("mg", or a ratio such as "ng/ml"), and how many words it took."""
    first = _longest_match(_UNITS, words, start)
    if first is None:
        return None, 0
    per = _longest_match(_UNITS, words, start + first[1])
    if per is None:
        return first[0], first[1]
    return f"{first[0]}/{per[0]}", first[1] + per[1]


def _quantity(number: str, unit: str | None) -> str:
    return number if unit is None or unit in _LEFT_OUT_UNITS else f"{number} {unit}"


class _Reading:
    """One pass over a question's words, collecting its traits."""

    def __init__(self, words: list[str]) -> None:
        self.words = words
        self.entities: set[str] = set()
        self.focus: set[str] = set()
        self.numbers: list[str] = []
        self.polarity: set[str] = set()

    def traits(self) -> Traits:
        self._opening()
        position = 0
        while position < len(self.words):
            position += self._read_at(position)
        return Traits(
            frozenset(self.entities), frozenset(self.focus), tuple(sorted(self.numbers)),
            frozenset(self.polarity),
        )  # fmt: skip

    def _opening(self) -> None:
        start = next((i for i, word in enumerate(self.words) if word not in _OPENING_FILLER), 0)
        found = _longest_match(_OPENINGS, self.words, start)
        if found is not None:
            self.focus.add(found[0])

    def _read_at(self, position: int) -> int:
        """Reads what starts at `position`; how many words it took."""
        unit_first = self._unit_then_number(position)
        if unit_first:
            return unit_first
        term = _longest_match(_TERMS, self.words, position)
        if term is not None:
            found, length = term
            {
                _Kind.ENTITY: self.entities,
                _Kind.FOCUS: self.focus,
                _Kind.POLARITY: self.polarity,
            }[found.kind].add(found.name)
            return length
        return self._number(position) or self._code(position)

    def _number(self, position: int) -> int:
        number = _number_at(self.words, position)
        if number is None:
            return 0
        value, length = number
        unit, unit_length = _unit_at(self.words, position + length)
        self.numbers.append(_quantity(value, unit))
        return length + unit_length

    def _unit_then_number(self, position: int) -> int:
        """A unit before its number: "day 5", "cycle 2"."""
        unit = _longest_match(_UNITS, self.words, position)
        if unit is None:
            return 0
        number = _number_at(self.words, position + unit[1])
        if number is None or _longest_match(_UNITS, self.words, position + unit[1] + number[1]):
            return 0
        self.numbers.append(_quantity(number[0], unit[0]))
        return unit[1] + number[1]

    def _code(self, position: int) -> int:
        """A word with digits in it ("b12", a reference number) must recur as it is."""
        word = self.words[position]
        if any(char.isdigit() for char in word):
            self.numbers.append(word)
        return 1


def read_traits(question: str, language: str) -> Traits:
    if language not in READ_LANGUAGES:
        empty: frozenset[str] = frozenset()
        return Traits(empty, empty, (), empty, verbatim=normalise_question(question))
    return _Reading(tokens(question)).traits()
