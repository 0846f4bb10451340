"""A record that code deep in a call fills in for the caller who opened it, through a ContextVar:
each concurrent answer (an asyncio task) sees its own."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Generic, TypeVar

Record = TypeVar("Record")


class Collector(Generic[Record]):
    def __init__(self, name: str, new_record: Callable[[], Record]) -> None:
        self._current: ContextVar[Record | None] = ContextVar(name, default=None)
        self._new_record = new_record

    @contextmanager
    def collecting(self) -> Iterator[Record]:
        """A new record, current for the code run inside the block."""
        record = self._new_record()
        token = self._current.set(record)
        try:
            yield record
        finally:
            self._current.reset(token)

    def current(self) -> Record:
        """The record being collected, or a throwaway one outside any `collecting` block."""
        record = self._current.get()
        return self._new_record() if record is None else record
