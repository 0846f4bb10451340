"""Keyset pages, newest first: a page ends where the next starts, named by the last item's
creation time and id, so paging is stable while items are added (api/pagination.py turns that
position into the opaque cursor of docs/api.md)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from sqlalchemy import Select, tuple_
from sqlalchemy.orm import Mapped

Item = TypeVar("Item")
Query = TypeVar("Query", bound=Select)  # type: ignore[type-arg]
Position = tuple[datetime, uuid.UUID]  # of an item: its creation time and id


@dataclass(frozen=True)
class Page(Generic[Item]):
    items: list[Item]
    next: Item | None  # the last of this page when more follow


def newest_first(
    query: Query,
    created_at: Mapped[datetime],
    item_id: Mapped[uuid.UUID],
    limit: int,
    before: Position | None,
) -> Query:
    """`query` ordered newest first, from after `before`, one row more than `limit` (which
    tells whether another page follows)."""
    query = query.order_by(created_at.desc(), item_id.desc()).limit(limit + 1)
    if before is not None:
        query = query.where(tuple_(created_at, item_id) < before)
    return query


def page_of(items: list[Item], limit: int) -> Page[Item]:
    """The page of `items` read by a `newest_first` query of `limit`."""
    page = items[:limit]
    return Page(page, page[-1] if len(items) > limit else None)
