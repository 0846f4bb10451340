"""What a question or a passage is about: its focus, a condition, test, treatment or topic.

A passage's focus is its title (MedQuAD's focus for the shipped knowledge base; an ingested
document's title or heading otherwise), normalised: "Klinefelter's Syndrome" and "Klinefelter
syndrome" are one focus. `focus_aliases.json` beside this module names each focus's synonyms
and abbreviations (PCOS, POF/POI, IVF/ART...), folds titles that name one condition into one
focus, and marks the broad topics (infertility, pregnancy...) that a specific focus belongs to.
A question's foci are the foci whose names or aliases it mentions, longest first.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Protocol

from redis.asyncio import Redis
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from shared.db.models import DEFAULT_COLLECTION, KnowledgePassage
from shared.knowledge.version import kb_version

ALIASES_PATH = Path(__file__).with_name("focus_aliases.json")

_TOKEN = re.compile(r"[a-z0-9]+")
_TITLE_PREFIX = re.compile(r"^(what i need to know about|do you have information about)\s+")
_TITLE_QUALIFIER = re.compile(r"\s+(familial|isolated|\d+)$")


def tokens(text: str) -> list[str]:
    """Lower-case word tokens, accents folded, a plural "s" dropped ("cysts" → "cyst")."""
    folded = unicodedata.normalize("NFKD", text.lower().replace("'s", ""))
    ascii_text = folded.encode("ascii", "ignore").decode()
    return [_singular(token) for token in _TOKEN.findall(ascii_text)]


def _singular(token: str) -> str:
    if len(token) > 3 and token.endswith("s") and not token.endswith(("ss", "is", "us")):
        return token[:-1]
    return token


def focus_name(title: str) -> str:
    """A title as a focus: lower case, tokens joined by spaces, qualifiers dropped."""
    name = " ".join(tokens(title))
    name = _TITLE_PREFIX.sub("", name)
    return _TITLE_QUALIFIER.sub("", name).strip()


@dataclass(frozen=True)
class Aliases:
    """The curated vocabulary (`focus_aliases.json`)."""

    same_as: dict[str, str]  # a focus name or alias → the focus it names
    broad: frozenset[str]  # topics a specific focus may belong to

    @classmethod
    def load(cls, path: Path = ALIASES_PATH) -> Aliases:
        raw = json.loads(path.read_text(encoding="utf-8"))
        same_as = {
            focus_name(alias): focus_name(focus)
            for focus, aliases in raw["aliases"].items()
            for alias in aliases
        }
        return cls(same_as, frozenset(focus_name(topic) for topic in raw["broad"]))


@cache
def shipped_aliases() -> Aliases:
    return Aliases.load()


Phrase = tuple[str, ...]


@dataclass(frozen=True)
class FocusLexicon:
    """Every focus of a knowledge base and the phrases that name each one."""

    phrases: dict[str, list[tuple[Phrase, str]]]  # first token → (a name or alias, its focus)
    broad: frozenset[str]
    aliases: Aliases

    @classmethod
    def build(cls, titles: Iterable[str], aliases: Aliases | None = None) -> FocusLexicon:
        aliases = aliases or shipped_aliases()
        named: dict[Phrase, str] = {}
        for title in titles:
            name = focus_name(title)
            focus = aliases.same_as.get(name, name)
            named[tuple(name.split())] = focus
            named[tuple(focus.split())] = focus
        known = set(named.values())
        for alias, focus in aliases.same_as.items():
            if focus in known:
                named.setdefault(tuple(alias.split()), focus)
        phrases: dict[str, list[tuple[Phrase, str]]] = {}
        for phrase, focus in named.items():
            if phrase:
                phrases.setdefault(phrase[0], []).append((phrase, focus))
        return cls(phrases, aliases.broad & known, aliases)

    def passage_focus(self, title: str) -> str:
        name = focus_name(title)
        return self.aliases.same_as.get(name, name)

    def _spans(self, words: Sequence[str]) -> list[tuple[int, int, str]]:
        return [
            (start, start + len(phrase), focus)
            for start, word in enumerate(words)
            for phrase, focus in self.phrases.get(word, ())
            if tuple(words[start : start + len(phrase)]) == phrase
        ]

    def mentions(self, text: str) -> list[str]:
        """The foci `text` names, in order of appearance, each once; a longer phrase wins over
        the shorter ones inside it ("fragile X-associated primary ovarian insufficiency" over
        "primary ovarian insufficiency")."""
        foci = [focus for _, _, focus in _outermost(self._spans(tokens(text)))]
        return list(dict.fromkeys(foci))

    def naming_words(self, text: str) -> set[str]:
        """The tokens of `text` that belong to a phrase naming a focus."""
        words = tokens(text)
        return {word for start, end, _ in self._spans(words) for word in words[start:end]}

    def is_broad(self, focus: str) -> bool:
        return focus in self.broad


def _outermost(spans: Sequence[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """The spans not inside a longer one, in order."""
    kept: list[tuple[int, int, str]] = []
    for span in sorted(spans, key=lambda s: (s[0], -(s[1] - s[0]))):
        if not kept or span[1] > kept[-1][1]:
            kept.append(span)
    return kept


class FocusSource(Protocol):
    async def lexicon(self) -> FocusLexicon: ...


class FocusCatalogue:
    """The foci of a collection's passages, reloaded when its knowledge-base version moves on."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        redis: Redis,
        collection: str = DEFAULT_COLLECTION,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._redis = redis
        self._collection = collection
        self._loaded: tuple[str, FocusLexicon] | None = None

    async def lexicon(self) -> FocusLexicon:
        version = await kb_version(self._redis, self._collection)
        if self._loaded is None or self._loaded[0] != version:
            self._loaded = (version, FocusLexicon.build(await self._titles()))
        return self._loaded[1]

    async def _titles(self) -> list[str]:
        query = (
            select(col(KnowledgePassage.title))
            .where(col(KnowledgePassage.collection) == self._collection)
            .distinct()
        )
        async with self._sessionmaker() as session:
            return list((await session.scalars(query)).all())


@dataclass(frozen=True)
class FixedFoci:
    """The foci of a fixed set of titles (a knowledge base held in memory)."""

    titles: tuple[str, ...]

    async def lexicon(self) -> FocusLexicon:
        return FocusLexicon.build(self.titles)
