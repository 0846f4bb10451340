"""Names of collections and categories: lowercase slugs, since they become Pinecone namespaces,
index predicates and Redis keys."""

from __future__ import annotations

import re

from shared.jobs import NAME_PATTERN

_NAME = re.compile(NAME_PATTERN)


def check_name(kind: str, name: str) -> str:
    if not _NAME.match(name):
        raise ValueError(f"{kind} {name!r}: use up to 64 lowercase letters, digits, '-' or '_'")
    return name
