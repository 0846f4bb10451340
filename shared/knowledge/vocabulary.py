"""The medical vocabulary: words a question can ask about, as opposed to names, typos and
chatter, which no medical text uses (`medical_words.txt`, built from MedQuAD by
scripts/build_medical_words.py)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

MEDICAL_WORDS_PATH = Path(__file__).with_name("medical_words.txt")


@cache
def medical_words() -> frozenset[str]:
    lines = MEDICAL_WORDS_PATH.read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))
