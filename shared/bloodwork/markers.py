"""The fertility markers a lab report is read for, and the labels labs print for them.

Labels are matched case-insensitively and without accents (`folded`), in English and Spanish.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass

from rapidfuzz.distance import Hamming

MARKER_ALIASES: dict[str, tuple[str, ...]] = {
    "FSH": (
        "FSH",
        "Follicle-stimulating hormone",
        "Follicle stimulating hormone",
        "Hormona foliculoestimulante",
        "Hormona folículo estimulante",
        "Hormona foliculo estimulante",
        "Follitropin",
    ),
    "LH": (
        "LH",
        "Luteinizing hormone",
        "Luteinising hormone",
        "Hormona luteinizante",
        "Lutropin",
    ),
    "AMH": (
        "AMH",
        "Anti-Müllerian hormone",
        "Anti-Mullerian hormone",
        "Antimüllerian hormone",
        "Antimullerian hormone",
        "Hormona antimülleriana",
        "Hormona antimulleriana",
        "Hormona anti-mülleriana",
        "Müllerian-inhibiting substance",
        "Mullerian-inhibiting substance",
    ),
    "Estradiol": ("Estradiol", "Oestradiol", "17-beta-estradiol", "E2"),
    "Progesterone": ("Progesterone", "Progesterona", "P4"),
    "Prolactin": ("Prolactin", "Prolactina", "PRL"),
    "TSH": (
        "TSH",
        "Thyroid-stimulating hormone",
        "Thyroid stimulating hormone",
        "Thyrotropin",
        "Tirotropina",
        "Hormona estimulante del tiroides",
        "Hormona tiroestimulante",
    ),
    "Free T4": ("Free T4", "FT4", "Free thyroxine", "Tiroxina libre", "T4 libre", "T4L"),
    "Testosterone": (
        "Testosterone",
        "Total testosterone",
        "Testosterone, total",
        "Testosterona",
        "Testosterona total",
    ),
    "DHEA-S": (
        "DHEA-S",
        "DHEA-SO4",
        "DHEAS",
        "DHEA sulfate",
        "DHEA sulphate",
        "Dehydroepiandrosterone sulfate",
        "Sulfato de DHEA",
        "Sulfato de dehidroepiandrosterona",
    ),
    "SHBG": (
        "SHBG",
        "Sex hormone-binding globulin",
        "Sex hormone binding globulin",
        "Globulina fijadora de hormonas sexuales",
    ),
    "Vitamin D": (
        "Vitamin D (25-OH)",
        "Vitamin D, 25-OH",
        "25-OH Vitamin D",
        "25-hydroxyvitamin D",
        "25-hydroxy vitamin D",
        "25-OH D",
        "25(OH)D",
        "25(OH) vitamin D",
        "Vitamin D, 25-hydroxy",
        "Vitamin D",
        "Vitamina D (25-OH)",
        "25-OH Vitamina D",
        "25-hidroxivitamina D",
        "Vitamina D",
    ),
    "HbA1c": (
        "HbA1c",
        "Hemoglobin A1c",
        "Haemoglobin A1c",
        "Glycated hemoglobin",
        "Glycated haemoglobin",
        "Hemoglobina glicosilada",
        "Hemoglobina glucosilada",
        "Hemoglobina A1c",
    ),
    "Hemoglobin": ("Hemoglobin", "Haemoglobin", "Hemoglobina", "Hb", "Hgb"),
}

KEY_MARKERS = ("FSH", "AMH", "LH", "Estradiol", "TSH", "Prolactin")


def folded(text: str) -> str:
    """`text` with its letters' accents dropped, one character for one ("ü" → "u"; "µ" kept):
    OCR reads "antimülleriana" as "antimúlleriana", and positions stay those of `text`."""
    return "".join(unicodedata.normalize("NFD", char)[0] for char in text)


_CANONICAL_BY_ALIAS = {
    folded(alias).casefold(): name for name, aliases in MARKER_ALIASES.items() for alias in aliases
}
# Characters OCR confuses in a name with digits ("HbAlc", "EZ", "25-OHD", "25-0H D"): such a
# name is matched with them, and with or without its spaces.
_DIGIT_LOOKALIKES = {"1": "[1lI|]", "2": "[2Z]", "0": "[0O]", "o": "[o0]"}  # aliases casefolded


def _pattern(alias: str) -> str:
    escaped = re.escape(alias)
    if not any(char.isdigit() for char in alias):
        return escaped.replace(r"\ ", r"\s+")
    lookalike = "".join(_DIGIT_LOOKALIKES.get(char, char) for char in escaped)
    return lookalike.replace(r"\ ", r"\s*")


_ALIAS_PATTERNS = [
    (re.compile(_pattern(alias), re.IGNORECASE), name)
    for alias, name in sorted(_CANONICAL_BY_ALIAS.items(), key=lambda item: -len(item[0]))
]
# Longest first, so that "Hemoglobina glicosilada" is taken whole rather than as "Hemoglobina".
_ALIASES = "|".join(pattern.pattern for pattern, _ in _ALIAS_PATTERNS)
# A label is an alias, optionally followed by another one in brackets: "Estradiol (E2)". Match
# it in `folded` text.
LABEL = re.compile(
    rf"(?<![\w-])(?P<alias>{_ALIASES})(?:\s*\((?:{_ALIASES})\))?(?![\w-])", re.IGNORECASE
)


def canonical_name(alias: str) -> str:
    """The canonical marker an alias names ("Prolactina" → "Prolactin", "HbAlc" → "HbA1c");
    KeyError if none."""
    key = folded(" ".join(alias.split())).casefold()
    for pattern, name in _ALIAS_PATTERNS:
        if pattern.fullmatch(key):
            return name
    raise KeyError(alias)


# A name OCR misread by one letter ("Sex hormone binding giobulin") is read, in a scan, as the
# alias it is one letter from: aliases of at least MIN_MISREAD_ALIAS characters and no digit (a
# digit is what tells "Free T3" from "Free T4"), and only when no other marker's alias is as near.
MIN_MISREAD_ALIAS = 8


@dataclass(frozen=True)
class _Spelling:
    key: str  # folded and casefolded
    alias: str
    name: str


def _spellings_by_shape() -> dict[tuple[int, ...], list[_Spelling]]:
    """The aliases a misread name may be, by the lengths of their words."""
    by_shape: dict[tuple[int, ...], list[_Spelling]] = defaultdict(list)
    for name, aliases in MARKER_ALIASES.items():
        for alias in aliases:
            if len(alias) >= MIN_MISREAD_ALIAS and not any(char.isdigit() for char in alias):
                shape = tuple(len(word) for word in alias.split())
                by_shape[shape].append(_Spelling(folded(alias).casefold(), alias, name))
    return by_shape


_SPELLINGS_BY_SHAPE = _spellings_by_shape()
_TOKEN = re.compile(r"\S+")


def with_misread_names(line: str) -> str:
    """The line with each name OCR misread by one letter spelled as the alias it is."""
    words = list(_TOKEN.finditer(line))
    for first in range(len(words)):
        for shape, spellings in _SPELLINGS_BY_SHAPE.items():
            span = words[first : first + len(shape)]
            if tuple(len(word[0]) for word in span) == shape:
                printed = " ".join(folded(word[0]).casefold() for word in span)
                alias = _misread_alias(printed, spellings)
                if alias is not None:
                    line = _respelled(line, span, alias)
    return line


def _misread_alias(printed: str, spellings: list[_Spelling]) -> str | None:
    """The alias one letter from `printed`, if one marker's aliases alone are that near."""
    distances = [(Hamming.distance(printed, spelling.key), spelling) for spelling in spellings]
    if any(distance == 0 for distance, _ in distances):
        return None  # spelled right
    near = [spelling for distance, spelling in distances if distance == 1]
    return near[0].alias if len({spelling.name for spelling in near}) == 1 else None


def _respelled(line: str, words: list[re.Match[str]], alias: str) -> str:
    """The line with `words` replaced by the alias's, each as long as the word it replaces."""
    for word, spelled in zip(words, alias.split(), strict=True):
        line = line[: word.start()] + spelled + line[word.end() :]
    return line
