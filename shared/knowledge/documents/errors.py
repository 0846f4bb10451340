"""The one error a document file can raise while it is read."""

from __future__ import annotations


class DocumentError(Exception):
    """A file that cannot be ingested; `reason` says why in a few words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
