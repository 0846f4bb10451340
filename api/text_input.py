"""Text the API accepts: a `str` that Postgres, the logs and JSON can all carry.

A NUL character cannot be stored in a Postgres text column, nor passed in a file path, and a
lone surrogate cannot be encoded as UTF-8; either one, anywhere in accepted text, is refused
with 422 (`validation_error`) before it reaches them.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator


def plain_text(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text (no lone surrogates)") from None
    return value


Text = Annotated[str, AfterValidator(plain_text)]
