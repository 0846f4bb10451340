"""What a question or a passage is about: its focus, a condition, test, treatment or topic.

A passage's focus is its title (MedQuAD's focus for the shipped knowledge base; an ingested
document's title or heading otherwise), normalised: "Klinefelter's Syndrome" and "Klinefelter
syndrome" are one focus. `focus_aliases.json` beside this module names each focus's synonyms
and abbreviations (PCOS, POF/POI, IVF/ART...), folds titles that name one condition into one
focus, and marks the broad topics (infertility, pregnancy...) that a specific focus belongs to.

A text names a focus when it holds every key word of the focus's name or of an alias close
together, in any order ("cancer of the fallopian tubes" names "Fallopian tube cancer"): the
words of the name as
nouns ("ovarian" as "ovary"), less the ones that name no condition ("syndrome", "of", "and").
Of two foci named, one whose key words are part of the other's is not counted.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, cached_property
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
# Adjectives and other forms of a word as the noun a focus's name may use instead.
NOUN_FORMS = {
    "ovarian": "ovary", "ovarie": "ovary", "uterine": "uterus", "testicular": "testicle",
    "testis": "testicle", "teste": "testicle", "cervical": "cervix", "endometrial": "endometrium",
    "vaginal": "vagina", "pelvic": "pelvis", "menstrual": "menstruation", "pregnant": "pregnancy",
    "infertile": "infertility", "fertile": "fertility", "menopausal": "menopause",
    "diabetic": "diabete", "hormonal": "hormone", "genetic": "gene", "chromosomal": "chromosome",
    "prolactin": "prolactin", "tubal": "tube", "sterilisation": "sterilization",
    "fertilisation": "fertilization", "labour": "labor", "oestrogen": "estrogen",
    "caesarean": "cesarean", "foetus": "fetus", "foetal": "fetus", "fetal": "fetus",
}  # fmt: skip
# How many other words may come between the key words of one name ("cancer of the fallopian
# tubes" for "fallopian tube cancer").
SPAN_SLACK = 3
# Words of a focus's name that name no condition of their own.
FILLER_WORDS = frozenset(
    "a an the and or of with in on to for due by from syndrome disease disorder".split()
)


def tokens(text: str) -> list[str]:
    """Lower-case word tokens, accents folded, a plural "s" dropped ("cysts" → "cyst")."""
    folded = unicodedata.normalize("NFKD", text.lower().replace("'s", ""))
    ascii_text = folded.encode("ascii", "ignore").decode()
    return [_singular(token) for token in _TOKEN.findall(ascii_text)]


def _singular(token: str) -> str:
    if len(token) > 3 and token.endswith("s") and not token.endswith(("ss", "is", "us")):
        return token[:-1]
    return token


def key_words(text: str) -> frozenset[str]:
    """The words of `text` as a focus's name is matched: nouns, no filler."""
    return frozenset(NOUN_FORMS.get(word, word) for word in tokens(text)) - FILLER_WORDS


def focus_name(title: str) -> str:
    """A title as a focus: lower case, tokens joined by spaces, qualifiers dropped."""
    name = " ".join(tokens(title))
    name = _TITLE_PREFIX.sub("", name)
    return _TITLE_QUALIFIER.sub("", name).strip()


@dataclass(frozen=True)
class Aliases:
    """The curated vocabulary (`focus_aliases.json`)."""

    same_as: dict[str, str]  # a focus name or alias → the focus it names
    broad: dict[str, frozenset[str]]  # a broad topic → the specific foci it covers

    @classmethod
    def load(cls, path: Path = ALIASES_PATH) -> Aliases:
        raw = json.loads(path.read_text(encoding="utf-8"))
        same_as = {
            focus_name(alias): focus_name(focus)
            for focus, aliases in raw["aliases"].items()
            for alias in aliases
        }
        broad = {
            focus_name(topic): frozenset(_folded(same_as, focus) for focus in foci)
            for topic, foci in raw["broad"].items()
        }
        return cls(same_as, broad)


def _first_span(words: list[str], keys: frozenset[str]) -> int | None:
    """Where the first run of words holding every key, with at most SPAN_SLACK others among
    them, starts; None when the keys are never that close."""
    width = len(keys) + SPAN_SLACK
    for start, word in enumerate(words):
        if word in keys and keys <= set(words[start : start + width]):
            return start
    return None


def _folded(same_as: dict[str, str], title: str) -> str:
    name = focus_name(title)
    return same_as.get(name, name)


@cache
def shipped_aliases() -> Aliases:
    return Aliases.load()


@dataclass(frozen=True)
class FocusLexicon:
    """Every focus of a knowledge base and the key words of each name that names it."""

    names: dict[frozenset[str], str]  # a name's or an alias's key words → its focus
    aliases: Aliases

    @classmethod
    def build(cls, titles: Iterable[str], aliases: Aliases | None = None) -> FocusLexicon:
        aliases = aliases or shipped_aliases()
        named: dict[frozenset[str], str] = {}
        for title in sorted(titles):  # of two foci named alike, the same one always wins
            name = focus_name(title)
            focus = aliases.same_as.get(name, name)
            named.setdefault(key_words(focus), focus)
            named.setdefault(key_words(name), focus)
        known = set(named.values())
        for alias, focus in aliases.same_as.items():
            if focus in known:
                named.setdefault(key_words(alias), focus)
        named.pop(frozenset(), None)
        return cls(named, aliases)

    def passage_focus(self, title: str) -> str:
        return _folded(self.aliases.same_as, title)

    def _named(self, text: str) -> list[tuple[int, frozenset[str]]]:
        """Where `text` names each key-word set it holds close together, in order, less the
        sets inside another one it holds."""
        words = [NOUN_FORMS.get(word, word) for word in tokens(text)]
        present = set(words)
        held = [
            (start, keys)
            for keys in self.names
            if keys <= present and (start := _first_span(words, keys)) is not None
        ]
        kept = [(start, keys) for start, keys in held if not any(keys < other for _, other in held)]
        return sorted(kept, key=lambda item: item[0])

    def mentions(self, text: str) -> list[str]:
        """The foci `text` names, in the order it names them, each once."""
        return list(dict.fromkeys(focus for _, focus in self.mentions_at(text)))

    def mentions_at(self, text: str) -> list[tuple[int, str]]:
        """Each focus `text` names with the index (in `tokens(text)`) of its first word."""
        return [(start, self.names[keys]) for start, keys in self._named(text)]

    def naming_words(self, text: str) -> set[str]:
        """The words of `text` that name one of its foci."""
        named = set().union(*(keys for _, keys in self._named(text)))
        return {word for word in tokens(text) if NOUN_FORMS.get(word, word) in named}

    def refines(self, focus: str, other: str) -> bool:
        """A name of `focus` holds every key word of a name of `other`, and more ("fragile X
        associated primary ovarian insufficiency" refines "ovarian insufficiency")."""
        return focus != other and any(
            mine > theirs for mine in self.names_of[focus] for theirs in self.names_of[other]
        )

    @cached_property
    def names_of(self) -> dict[str, list[frozenset[str]]]:
        names: dict[str, list[frozenset[str]]] = {}
        for keys, focus in self.names.items():
            names.setdefault(focus, []).append(keys)
        return names

    def is_broad(self, focus: str) -> bool:
        return focus in self.aliases.broad

    def within(self, focus: str, topic: str) -> bool:
        """`focus` is `topic`, or one of the specific foci of the broad `topic`."""
        return focus == topic or focus in self.aliases.broad.get(topic, frozenset())


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
