"""Supported answer languages, a script-based detector and a code parser."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType


class Language(StrEnum):
    """ISO 639-1 codes of the languages Izana answers in."""

    EN = "en"
    TA = "ta"
    HI = "hi"
    TE = "te"
    ML = "ml"
    ES = "es"
    JA = "ja"


LANGUAGE_NAMES: Mapping[Language, str] = MappingProxyType(
    {
        Language.EN: "English",
        Language.TA: "Tamil",
        Language.HI: "Hindi",
        Language.TE: "Telugu",
        Language.ML: "Malayalam",
        Language.ES: "Spanish",
        Language.JA: "Japanese",
    }
)
# Each language's name for itself, as a language menu shows it.
NATIVE_NAMES: Mapping[Language, str] = MappingProxyType(
    {
        Language.EN: "English",
        Language.TA: "தமிழ்",
        Language.HI: "हिन्दी",
        Language.TE: "తెలుగు",
        Language.ML: "മലയാളം",
        Language.ES: "Español",
        Language.JA: "日本語",
    }
)

# Unicode blocks per script. Latin letters count under EN and are split into en/es afterwards.
_SCRIPT_BLOCKS: tuple[tuple[int, int, Language], ...] = (
    (0x0041, 0x024F, Language.EN),  # Basic Latin to Latin Extended-B
    (0x1E00, 0x1EFF, Language.EN),  # Latin Extended Additional
    (0x0900, 0x097F, Language.HI),  # Devanagari
    (0x0B80, 0x0BFF, Language.TA),  # Tamil
    (0x0C00, 0x0C7F, Language.TE),  # Telugu
    (0x0D00, 0x0D7F, Language.ML),  # Malayalam
    (0x3040, 0x30FF, Language.JA),  # Hiragana and Katakana
    (0x31F0, 0x31FF, Language.JA),  # Katakana Phonetic Extensions
    (0x3400, 0x4DBF, Language.JA),  # CJK Unified Ideographs Extension A
    (0x4E00, 0x9FFF, Language.JA),  # CJK Unified Ideographs
    (0xF900, 0xFAFF, Language.JA),  # CJK Compatibility Ideographs
)

# Words spelt the same in both languages ("a", "me", "no", "he") are in neither list.
_SPANISH_WORDS = frozenset(
    "de la que el en los las por para con una un es mi mis y o del al se lo le su sus te como"
    " cómo qué cuál cuándo cuánto cuántos dónde pero más muy está estoy tengo quiero puedo puede"
    " debo hay hola gracias embarazo embarazada fertilidad ovulación después antes también".split()
)
_ENGLISH_WORDS = frozenset(
    "the an is are am was were be been i you my your we our it this that what how when why"
    " can could should would do does did will of to in on for with and or not after before"
    " about have has had if there which hello hi please thanks pregnant pregnancy".split()
)
_SPANISH_MARKS = frozenset("áéíóúñü¿¡")
_WORD = re.compile(r"[^\W\d_]+")


def detect_language(text: str, default: Language = Language.EN) -> Language:
    """Language of `text` from the script with the most letters; `default` when undecidable."""
    normalised = unicodedata.normalize("NFKC", text)
    counts = Counter(filter(None, map(_script_of, normalised)))
    if not counts:
        return default
    script = counts.most_common(1)[0][0]
    return _latin_language(normalised, default) if script is Language.EN else script


def parse_language(value: str | None) -> Language | None:
    """Language for a code such as "EN", "es" or "ja-JP"; None for None."""
    if value is None:
        return None
    primary = value.strip().replace("_", "-").split("-", 1)[0].lower()
    try:
        return Language(primary)
    except ValueError:
        supported = ", ".join(Language)
        raise ValueError(
            f"Unsupported language {value!r}: supported codes are {supported}."
        ) from None


def _script_of(char: str) -> Language | None:
    """Script bucket of a letter or combining mark; None for anything else."""
    if not (char.isalpha() or unicodedata.category(char).startswith("M")):
        return None
    code = ord(char)
    return next((lang for start, end, lang in _SCRIPT_BLOCKS if start <= code <= end), None)


def _latin_language(text: str, default: Language) -> Language:
    """Spanish or English by counting signals of each; `default` on a tie."""
    lowered = text.lower()
    words = _WORD.findall(lowered)
    spanish = sum(word in _SPANISH_WORDS for word in words)
    spanish += sum(char in _SPANISH_MARKS for char in lowered)
    english = sum(word in _ENGLISH_WORDS for word in words)
    if spanish == english:
        return default
    return Language.ES if spanish > english else Language.EN
