"""Turn document names and headings into clean human titles for citations."""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

UNTITLED = "Untitled document"

_KNOWN_EXTENSION = r"\.(?:pdf|txt|md|docx|jsonl)$"
# A file name: a known extension, a backslash, or a leading "/", "./" or "../".
_FILE_HINT = re.compile(rf"{_KNOWN_EXTENSION}|\\|^\.{{0,2}}/", re.IGNORECASE)
_EXTENSION = re.compile(_KNOWN_EXTENSION, re.IGNORECASE)
_PATH_SEPARATOR = re.compile(r"[\\/]")
# MedQuAD "_Sec1"; possessive runs keep long separator runs linear.
_SECTION_SUFFIX = re.compile(r"(?<![\s_-])[\s_-]++sec[\s_-]*+\d+$", re.IGNORECASE)
_LEADING_NUMBER = re.compile(r"^(?>\d+(?:\.\d+)*)\s*[-_.)]+\s*")  # "01 - ", "3_", "2. "
_SEPARATOR_HYPHENS = re.compile(r"(?<!\S)-+|-+(?!\S)")  # hyphens not joining two words
_ALL_HYPHENS = re.compile(r"-+")
_WHITESPACE = re.compile(r"\s+")
_ACRONYMS: Mapping[str, str] = MappingProxyType(
    {
        acronym.lower(): acronym
        for acronym in (
            "IVF", "ICSI", "IUI", "AMH", "FSH", "LH", "hCG", "TSH", "PCOS", "PCOD", "OHSS",
            "HSG", "FET", "PGT", "BMI", "HPV", "HIV", "STI", "FAQ",
        )
    }
)  # fmt: skip
_ACRONYM = re.compile(rf"\b(?:{'|'.join(_ACRONYMS)})\b", re.IGNORECASE)


def clean_title(raw: str) -> str:
    """A citation title from a file name or heading; UNTITLED when nothing is left."""
    name = raw.strip()
    is_file = bool(_FILE_HINT.search(name))
    if is_file:
        name = _EXTENSION.sub("", _PATH_SEPARATOR.split(name.rstrip("\\/"))[-1])
    name = _LEADING_NUMBER.sub("", _SECTION_SUFFIX.sub("", name))
    name = _fix_case(_split_words(name, from_file=is_file))
    return name if any(char.isalnum() for char in name) else UNTITLED


def _split_words(name: str, *, from_file: bool) -> str:
    """Underscores and separator hyphens to spaces; every hyphen in a space-free file name."""
    name = name.replace("_", " ")
    hyphens = _ALL_HYPHENS if from_file and not _WHITESPACE.search(name) else _SEPARATOR_HYPHENS
    return _WHITESPACE.sub(" ", hyphens.sub(" ", name)).strip()


def _fix_case(name: str) -> str:
    """Sentence case for all-lower or all-upper names, then canonical acronyms."""
    if name.islower() or name.isupper():
        name = name[:1].upper() + name[1:].lower()
    return _ACRONYM.sub(lambda match: _ACRONYMS[match.group().lower()], name)
