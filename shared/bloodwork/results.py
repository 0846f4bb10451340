"""Lab results read from a report's text by what a result is, whatever the layout.

A result is a marker's name, then, anywhere around it on its line (or, for a name printed alone,
on the field lines below it: "Result: 6.8 IU/L", "Reference: 3.5 - 12.5"), the value, its unit,
the printed reference range and the flag. Names are found anywhere in a line (markers.LABEL);
what separates the parts does not matter (spaces, dot leaders, colons, tabs, table rules), nor
the order of a table's columns: on a line naming one marker, the range is recognised by its
notation ("a - b", an en dash, "[a-b]", "< b", "> a", "Ref:", "normal", "reference interval a
to b"), the unit by its shape, the flag by its word or sign, and the value is the number left.
Lines printed on every page (headers and footers) are left out first.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from shared.bloodwork.markers import LABEL, canonical_name, folded, with_misread_names
from shared.bloodwork.measurement import measured_marker
from shared.bloodwork.models import Flag, Marker, ReferenceRange
from shared.bloodwork.units import misread_unit

# What OCR puts for a character it could not read (shared/bloodwork/ocr.py).
UNREADABLE = "\ufffd"
_NUMBER = r"\d+(?:[.,]\d+)*"
_DASH = r"(?:-|~|\u2010|\u2011|\u2012|\u2013|\u2014|\bto\b|\ba\b|\bhasta\b)"
_RANGE = re.compile(
    rf"""
    (?P<low>{_NUMBER})\s*{_DASH}\s*(?P<high>{_NUMBER})(?![\d.,])
    | (?:<=?|≤|\bup\s+to|\bless\s+than|\bbelow|\bhasta|\bmenor\s+(?:de|que)|\binferior\s+a)
      \s*(?P<upper>{_NUMBER})
    | (?:>=?|≥|\b(?:greater|more)\s+than|\babove|\bmayor\s+(?:de|que)|\bsuperior\s+a)
      \s*(?P<lower>{_NUMBER})
    """,
    re.IGNORECASE | re.VERBOSE,
)
_HAS_DECIMALS = re.compile(r"\d[.,]\d")
_FLAG_WORDS = r"hh|ll|high|low|alt[oa]|baj[oa]|h|l"
# A value stands apart: "7.2", "(7.2)", "7.2H", "7.2LOW", "7.2*", never part of "5:2" or
# "1988-05".
_VALUE = re.compile(rf"(?<![^\s(\[]){_NUMBER}(?=[\s)*↑↓]|(?:{_FLAG_WORDS})\b|$)", re.IGNORECASE)
# A unit: "%", or a quotient of prefixed units ("mIU/mL", "µg/dL", "mmol/mol", "nmol /L").
_UNIT = re.compile(r"(?<![\w/])(?:%|[a-zA-Zµμ]{1,5}\s?/\s?[a-zA-Z]{1,4})(?![\w/])")
_FLAGS: dict[str, Flag | None] = {
    "h": "high", "hh": "high", "high": "high", "alto": "high", "alta": "high", "↑": "high",
    "l": "low", "ll": "low", "low": "low", "bajo": "low", "baja": "low", "↓": "low",
    "*": None, "**": None,
}  # fmt: skip
_FLAG = re.compile(rf"(?<![^\W\d]|\*)(?:{_FLAG_WORDS}|\*{{1,2}}|↑|↓)(?![\w*])", re.IGNORECASE)
# Words a result's field lines start with ("Result: 6.8 IU/L"), in English and Spanish.
_FIELD = re.compile(
    r"""^\s*(?:result|value|units?|reference(?:\s+(?:range|interval))?|ref\.?|range|normal
    (?:\s+range)?|flag|status|resultado|valor|unidad(?:es)?|referencia|rango|estado
    |valores\s+de\s+referencia)\b\s*[:=]?""",
    re.IGNORECASE | re.VERBOSE,
)
# What may follow a marker's name before its value: a specimen or a qualifier, never another
# analyte's words ("TSH receptor antibodies", "Free testosterone").
_QUALIFIERS = frozenset(
    """serum plasma level levels total basal result value resultado valor suero ecl eclia cmia
    clia immunoassay s""".split()
)
_NOT_THE_MARKER_BEFORE = frozenset("free bioavailable anti ratio libre".split())
_RANGE_WORDS = frozenset(
    """to up less than below above greater more hasta menor mayor de que interval range normal
    ref reference referencia valores rango intervalo""".split()
)
# An abbreviation in brackets after a name: "Total testosterone (TT)".
_ABBREVIATION = re.compile(r"^\s*\([^()\d]{1,12}\)")
_WORD = re.compile(r"[^\W\d_]{2,}")
_WORD_WITHOUT_DIGITS = re.compile(r"(?<!\S)[^\s\d]+(?!\S)")
# Lines a name printed alone reads its fields from, at most.
MAX_FIELD_LINES = 4
# A comma before 1, 2 or 4+ digits can only be a decimal comma. A report that has one is read
# with decimal commas (and "1.250" as 1250); any other with thousands commas ("1,250").
_DECIMAL_COMMA = re.compile(r"(?<![\d.,])\d+,(?:\d{1,2}|\d{4,})(?![\d.,])")
_THOUSANDS_DOT = re.compile(r"\.(?=\d{3}(?!\d))")
# OCR reads a decimal point or comma as a colon ("23:2"), which no result prints.
_DECIMAL_MARK_READ_AS_COLON = re.compile(r"(?<=\d):(?=\d)")
_BEFORE_VALUE = re.compile(r"(?<=[^\W\d_])[:=](?=\d)")
# Dot leaders and table rules, which separate a result's parts and say nothing.
_FILLER = re.compile(r"\.{3,}|…+|[|¦│┃]")


@dataclass(frozen=True)
class _Reading:
    decimal_comma: bool  # the report writes 7,2 (and 1.250 for 1250)
    scanned: bool  # its text is OCR's


@dataclass(frozen=True)
class _Parts:
    value: str
    unit: str
    range: re.Match[str] | None
    flag: Flag | None


def read_results(text: str, scanned: bool = False) -> list[Marker]:
    """Every marker result in the text, in reading order; lines that are not results skipped.
    From a scan (OCR), a result is left out rather than risked: one holding a character OCR
    could not read (UNREADABLE), one whose unit is not the marker's, and one that seems to have
    lost its decimal point."""
    lines = [_cleaned(line) for line in unicodedata.normalize("NFC", text).splitlines()]
    if scanned:
        lines = [with_misread_names(line) for line in lines]
    lines = _without_furniture(lines)
    reading = _Reading(decimal_comma=_DECIMAL_COMMA.search(text) is not None, scanned=scanned)
    return [marker for index in range(len(lines)) for marker in _results(lines, index, reading)]


def _without_furniture(lines: list[str]) -> list[str]:
    """The lines without the page headers and footers (lines printed again and again with only
    their numbers changed, naming no marker), which would split a result across a page break."""
    shapes = Counter(_shape(line) for line in lines)
    return [
        line
        for line in lines
        if shapes[_shape(line)] < 2
        or LABEL.search(folded(line))
        or _FIELD.match(line)
        or _only_parts(line)
    ]


def _shape(line: str) -> str:
    return " ".join(re.sub(r"\d+", "0", line).split())


def _cleaned(line: str) -> str:
    """Separators made spaces: tabs, dot leaders, rules, and a colon or = before a value."""
    return _BEFORE_VALUE.sub(" ", _FILLER.sub(" ", line.replace("\t", "    ")))


def _results(lines: Sequence[str], index: int, reading: _Reading) -> Iterator[Marker]:
    line = lines[index]
    labels = list(LABEL.finditer(folded(line)))
    for position, label in enumerate(labels):
        if not _names_the_marker(line, label):
            continue
        if len(labels) == 1:  # the line is this result's, its columns in any order
            text = line[label.end() :] + "  " + line[: label.start()]
            if _parts(text) is None:
                text = " ".join([text, *_field_lines(lines, index)])
        else:  # several results side by side: each runs to the next name
            end = labels[position + 1].start() if position + 1 < len(labels) else len(line)
            text = line[label.end() : end]
        marker = _marker(line[label.start() : label.end()], label, text, reading)
        if marker is not None:
            yield marker


def _names_the_marker(line: str, label: re.Match[str]) -> bool:
    """Whether the name found is this marker's and not part of another analyte's name."""
    before = _WORD.findall(line[: label.start()].lower())
    if before and before[-1] in _NOT_THE_MARKER_BEFORE:
        return False
    if line[label.end() : label.end() + 1] == "/" or line[: label.start()].endswith("/"):
        return False  # "LH/FSH ratio"
    if UNREADABLE in line[max(label.start() - 1, 0) : label.end() + 2]:
        return False  # an unread word may be part of the name ("Haemoglobin A1c")
    after = _ABBREVIATION.sub("", line[label.end() :], count=1)
    up_to_value = _UNIT.sub(" ", re.split(r"\d", after, maxsplit=1)[0])
    next_words = [word for word in _WORD.findall(up_to_value.lower()) if not _is_part(word)]
    return not next_words or next_words[0] in _QUALIFIERS


def _is_part(word: str) -> bool:
    """A flag or a word of a range or a field, not part of a name."""
    return bool(_FLAG.fullmatch(word) or _FIELD.match(word)) or word in _RANGE_WORDS


def _field_lines(lines: Sequence[str], index: int) -> list[str]:
    """The lines below a name printed alone that hold its fields."""
    fields = []
    for line in lines[index + 1 : index + 1 + MAX_FIELD_LINES]:
        if LABEL.search(folded(line)) or not (_FIELD.match(line) or _only_parts(line)):
            break
        fields.append(_FIELD.sub(" ", line))
    return fields


def _only_parts(line: str) -> bool:
    rest = _RANGE.sub(" ", line)
    rest = _UNIT.sub(" ", _VALUE.sub(" ", rest))
    return bool(line.strip()) and not _WORD.search(_FLAG.sub(" ", rest))


def _parts(text: str) -> _Parts | None:
    """The value, unit, range and flag in a result's text; None without a value and a unit.
    Words OCR could not read (UNREADABLE) are allowed only where the unit stands between them
    and the value ("0,46 ng/mL ����", an unread range): anywhere else they may hide the value."""
    readable = re.sub(rf"\S*{UNREADABLE}\S*", _blank, text)
    found_range = _RANGE.search(readable)
    rest = _FIELD.sub(_blank, readable if found_range is None else _blanked(readable, found_range))
    unit = _UNIT.search(rest)
    if unit is None:
        return None
    without_unit = _blanked(rest, unit)
    value = _VALUE.search(without_unit)
    if value is None or not _unit_between(value, unit, _unread_positions(text)):
        return None
    flags = [_FLAGS[flag.lower()] for flag in _FLAG.findall(without_unit[value.end() :])]
    flag = next((flag for flag in flags if flag is not None), None)
    return _Parts(value[0], unit[0], found_range, flag)


def _blank(match: re.Match[str]) -> str:
    return " " * len(match[0])


def _blanked(text: str, match: re.Match[str]) -> str:
    """The text with the match's characters made spaces, every other character in its place."""
    return text[: match.start()] + _blank(match) + text[match.end() :]


def _unread_positions(text: str) -> list[int]:
    return [position for position, character in enumerate(text) if character == UNREADABLE]


def _unit_between(value: re.Match[str], unit: re.Match[str], positions: list[int]) -> bool:
    if value.end() <= unit.start():
        return all(position >= unit.end() for position in positions)
    return all(position < unit.start() for position in positions)


def _marker(printed: str, label: re.Match[str], text: str, reading: _Reading) -> Marker | None:
    canonical = canonical_name(label["alias"])
    if reading.scanned:
        text = _DECIMAL_MARK_READ_AS_COLON.sub("," if reading.decimal_comma else ".", text)
    marker = _read_marker(printed, canonical, text, reading)
    if marker is None and reading.scanned:
        with_units = _WORD_WITHOUT_DIGITS.sub(lambda word: _as_unit(word[0], canonical), text)
        if with_units != text:
            marker = _read_marker(printed, canonical, with_units, reading)
    return marker


def _as_unit(word: str, canonical: str) -> str:
    """The word, or the marker's unit that OCR misread as it."""
    return misread_unit(canonical, word) or word


def _read_marker(printed: str, canonical: str, text: str, reading: _Reading) -> Marker | None:
    parts = _parts(text)
    if parts is None or (reading.scanned and _misread(parts)):
        return None
    try:
        value = _number(parts.value, reading.decimal_comma)
        printed_range = _printed_range(parts.range, reading.decimal_comma)
    except ValueError:  # a date or a version number where a value was expected
        return None
    name = " ".join(printed.split())
    marker = measured_marker(name, canonical, value, parts.unit, printed_range)
    if reading.scanned and marker.unit_unknown:
        return None  # a unit OCR misread beyond recognition ("pg/dL" for µg/dL)
    if marker.flag is None and parts.flag is not None:
        return marker.model_copy(update={"flag": parts.flag})
    return marker


def _misread(parts: _Parts) -> bool:
    """What OCR misreads more often than a lab prints it: a value without decimals beside a
    range with some (a lost decimal point, "4,6" read "46"), a range whose low bound is not
    below its high one ("[3.5-12.5]" read "13.5-12.5")."""
    found = parts.range
    if found is None:
        return False
    lost_point = _HAS_DECIMALS.search(found[0]) and not _HAS_DECIMALS.search(parts.value)
    low, high = found["low"], found["high"]
    reversed_range = low is not None and high is not None and _digits(low) >= _digits(high)
    return bool(lost_point) or reversed_range


def _digits(number: str) -> float:
    return float(number.replace(",", "."))


def _printed_range(found: re.Match[str] | None, decimal_comma: bool) -> ReferenceRange | None:
    """The printed range, its bounds in the value's unit."""
    if found is None:
        return None
    low, high = found["low"] or found["lower"], found["high"] or found["upper"]
    return ReferenceRange(
        low=None if low is None else _number(low, decimal_comma),
        high=None if high is None else _number(high, decimal_comma),
        text=" ".join(found[0].split()),
    )


def _number(printed: str, decimal_comma: bool) -> float:
    if decimal_comma:
        printed = _THOUSANDS_DOT.sub("", printed).replace(",", ".")
    number = float(printed.replace(",", ""))
    if not math.isfinite(number):  # hundreds of digits
        raise ValueError(printed)
    return number
