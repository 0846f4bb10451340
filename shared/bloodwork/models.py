"""A marker as read from a lab report: in the marker's canonical unit, flagged."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

Flag = Literal["low", "normal", "high"]


class ReferenceRange(BaseModel):
    """The report's own range; bounds in the marker's unit, `text` as printed."""

    low: float | None
    high: float | None
    text: str


class Marker(BaseModel):
    """`value` and `unit` are canonical (`reported_*` as printed) unless `unit_unknown`, when
    the unit had no known conversion and both are kept as reported."""

    name: str
    canonical_name: str
    value: float
    unit: str
    reference_range: ReferenceRange | None
    flag: Flag | None
    reported_value: float
    reported_unit: str
    unit_unknown: bool = False
    # The model and the offline reader read different values: the user is asked which is right
    # (`value` is the model's, `other_value` the reader's, in the same unit).
    needs_confirmation: bool = False
    other_value: float | None = None
