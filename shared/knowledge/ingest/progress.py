"""Ingestion progress: a bar on a terminal; JSON lines in a pipe; log records in a worker."""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Callable
from typing import Any, Protocol, TextIO

from tqdm import tqdm

# Progress records at most this often per file (plus one at the start and one at the end).
RECORD_INTERVAL_SECONDS = 2.0

Record = dict[str, Any]


class Progress(Protocol):
    def start(self, file: str, total: int) -> None: ...

    def advance(self, done: int) -> None: ...

    def finish(self, file: str, outcome: Record) -> None: ...


class SilentProgress:
    def start(self, file: str, total: int) -> None:
        pass

    def advance(self, done: int) -> None:
        pass

    def finish(self, file: str, outcome: Record) -> None:
        pass


class BarProgress:
    """A tqdm bar per file counting passages indexed; one summary line when a file is done."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._bar: tqdm[Any] | None = None

    def start(self, file: str, total: int) -> None:
        self._bar = tqdm(total=total, desc=file, unit="passage", file=self._stream, leave=False)

    def advance(self, done: int) -> None:
        if self._bar is not None:
            self._bar.update(done - self._bar.n)

    def finish(self, file: str, outcome: Record) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        details = ", ".join(f"{key} {value}" for key, value in outcome.items())
        print(f"{file}: {details}", file=self._stream, flush=True)


class RecordProgress:
    """`{"event": "progress" | "file", "file", ...}` records, throttled, to any `emit`."""

    def __init__(self, emit: Callable[[Record], None]) -> None:
        self._emit = emit
        self._file = ""
        self._total = 0
        self._last = 0.0

    def start(self, file: str, total: int) -> None:
        self._file, self._total, self._last = file, total, time.monotonic()
        self._emit({"event": "progress", "file": file, "done": 0, "total": total})

    def advance(self, done: int) -> None:
        now = time.monotonic()
        if now - self._last >= RECORD_INTERVAL_SECONDS:
            self._last = now
            self._emit(
                {"event": "progress", "file": self._file, "done": done, "total": self._total}
            )

    def finish(self, file: str, outcome: Record) -> None:
        self._emit({"event": "file", "file": file, **outcome})


def json_lines(stream: TextIO) -> Callable[[Record], None]:
    def emit(record: Record) -> None:
        stream.write(json.dumps(record) + "\n")
        stream.flush()

    return emit


def log_records(logger: logging.Logger) -> Callable[[Record], None]:
    def emit(record: Record) -> None:
        event = record.pop("event")
        logger.info(f"ingest {event}", extra=record)

    return emit


def terminal_progress() -> Progress:
    """A bar when stderr is a terminal, JSON lines on stdout otherwise."""
    return (
        BarProgress(sys.stderr) if sys.stderr.isatty() else RecordProgress(json_lines(sys.stdout))
    )
