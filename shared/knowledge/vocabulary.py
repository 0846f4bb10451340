"""The medical vocabulary: the words medical texts use, how often, and how much more often than
English at large (`medical_words.txt`, built from MedQuAD and wordfreq by
scripts/build_medical_words.py). Names, typos and chatter are in no medical text; "someday" is,
but far less than in English at large, while "acupuncture" is used more there. Words are
compared by their Snowball stems, so "ovulating" is known from "ovulation"."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import Stemmer
import wordfreq

MEDICAL_WORDS_PATH = Path(__file__).with_name("medical_words.txt")
_PASSAGES = re.compile(r"\(of (\d+)\)")


# Zipf frequencies count uses per billion words; below 1 (once per billion) wordfreq says 0.
ZIPF_OFFSET = 9
MIN_ZIPF = 1.0


@dataclass(frozen=True)
class Word:
    share: float  # of the medical passages that use it
    zipf: float  # its frequency in English at large

    @property
    def specificity(self) -> float:
        """How many times (log10) more medical texts use it than English at large does."""
        return math.log10(self.share) + ZIPF_OFFSET - max(self.zipf, MIN_ZIPF)


_STEMMER = Stemmer.Stemmer("english")


def stem(word: str) -> str:
    """The word's Snowball (Porter 2) stem: "ovulating" and "ovulation" → "ovul"."""
    return str(_STEMMER.stemWord(word))


def stems(words: list[str]) -> list[str]:
    return list(_STEMMER.stemWords(words))


@dataclass(frozen=True)
class MedicalVocabulary:
    passages: int  # in the corpus counted
    words: dict[str, Word]
    stems: frozenset[str]  # of every word

    def get(self, word: str) -> Word | None:
        """`word` as medical texts use it; None for a word none uses."""
        return self.words.get(word)

    def knows(self, word: str) -> bool:
        """Medical texts use the word or another form of it."""
        return word in self.words or stem(word) in self.stems


@cache
def medical_vocabulary() -> MedicalVocabulary:
    text = MEDICAL_WORDS_PATH.read_text(encoding="utf-8")
    header = "".join(line for line in text.splitlines() if line.startswith("#"))
    found = _PASSAGES.search(header)
    if found is None:
        raise ValueError(f"{MEDICAL_WORDS_PATH} does not say how many passages it counted")
    passages = int(found.group(1))
    rows = (line.split() for line in text.splitlines() if line and line[0] != "#")
    words = {word: Word(int(count) / passages, float(zipf)) for word, count, zipf in rows}
    return MedicalVocabulary(passages, words, frozenset(stems(list(words))))


# English words used at least about once per 2 million words (Zipf ≥ 2.7): what a typo is
# one letter away from.
COMMON_ENGLISH_WORDS = 40_000


def english_zipf(word: str) -> float:
    """How common `word` is in English at large (wordfreq's Zipf frequency; 0 when unheard of)."""
    return float(wordfreq.zipf_frequency(word, "en"))


@cache
def common_english() -> frozenset[str]:
    return frozenset(wordfreq.top_n_list("en", COMMON_ENGLISH_WORDS))
