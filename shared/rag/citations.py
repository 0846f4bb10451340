"""Citations shown under an answer: clean titles, publisher, link, relevance score."""

from __future__ import annotations

from collections.abc import Sequence

from shared.events import Citation
from shared.providers.vectorstore.base import Passage
from shared.text.titles import clean_title


def build_citations(passages: Sequence[Passage]) -> list[Citation]:
    """One citation per passage, in the order the answer's [n] markers refer to them."""
    return [
        Citation(
            title=clean_title(passage.title),
            source=passage.source,
            url=passage.url,
            score=round(passage.score, 4),
            passage_id=passage.id,
        )
        for passage in passages
    ]
