"""`?format=csv` on the admin's lists: the same rows as the JSON, as a CSV file, one column per
field of the row's model (a list is one cell, its items space-separated).

Cells are written by Python's csv module (RFC 4180 quoting). A text cell that a spreadsheet would
run as a formula (starting with `=`, `+`, `-`, `@`, a tab or a carriage return; OWASP's CSV
injection list) gets a leading apostrophe: user questions and reasons are text, never formulas.
Numbers are written as numbers, negative ones included.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from fastapi import Response
from pydantic import BaseModel

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class ExportFormat(StrEnum):
    JSON = "json"
    CSV = "csv"


def csv_cell(value: object) -> object:
    """What the CSV holds for `value`: formulas defused, times in ISO 8601."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list):
        return csv_cell(" ".join(str(item) for item in value))
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_response(filename: str, model: type[BaseModel], rows: Sequence[BaseModel]) -> Response:
    """A CSV attachment named `filename`.csv: a header row of `model`'s fields, then `rows`."""
    columns = list(model.model_fields)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    writer.writerows([csv_cell(getattr(row, column)) for column in columns] for row in rows)
    disposition = f'attachment; filename="{filename}.csv"'
    return Response(
        buffer.getvalue(), media_type=CSV_MEDIA_TYPE, headers={"Content-Disposition": disposition}
    )


def csv_documented(model: type[BaseModel]) -> dict[int | str, dict[str, Any]]:
    """`responses=` entry documenting the CSV form of a route's 200, rows of `model`."""
    columns = ", ".join(model.model_fields)
    return {
        200: {
            "description": f"JSON; with `format=csv`, a CSV file with the columns {columns}.",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    }
