"""Cursor pages, newest first: a cursor names the last item of a page by its creation time and
id, so the next page starts after it whatever was added since."""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import datetime

from api.errors import InvalidCursor

PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


def encode_cursor(created_at: datetime, item_id: uuid.UUID) -> str:
    raw = f"{created_at.isoformat()}|{item_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    """The creation time and id of the item a cursor names; 400 invalid_cursor otherwise."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        created_at, item_id = raw.split("|")
        return datetime.fromisoformat(created_at), uuid.UUID(item_id)
    except (binascii.Error, UnicodeDecodeError, ValueError) as error:
        raise InvalidCursor from error
