"""The one way a marker is built, whoever read its value (the offline parser, a chat model, the
user confirming or editing it): the value and its range in the marker's canonical unit, and the
flag of the one against the other."""

from __future__ import annotations

from shared.bloodwork.models import Flag, Marker, ReferenceRange
from shared.bloodwork.units import to_canonical


def measured_marker(
    name: str,
    canonical: str,
    reported_value: float,
    reported_unit: str,
    reference_range: ReferenceRange | None,
    range_unit: str | None = None,
) -> Marker:
    """The marker `canonical` (named `name` where it was read) at `reported_value`
    `reported_unit`, flagged against `reference_range`, whose bounds are in `range_unit` (by
    default the reported unit, as a report prints them)."""
    measured = to_canonical(canonical, reported_value, reported_unit)
    in_canonical = _converted(reference_range, canonical, range_unit or reported_unit)
    return Marker(
        name=name,
        canonical_name=canonical,
        value=measured.value,
        unit=measured.unit,
        reference_range=in_canonical,
        flag=flag_against(measured.value, in_canonical),
        reported_value=reported_value,
        reported_unit=reported_unit,
        unit_unknown=measured.unit_unknown,
    )


def _converted(
    reference_range: ReferenceRange | None, canonical: str, unit: str
) -> ReferenceRange | None:
    if reference_range is None:
        return None
    return ReferenceRange(
        low=_bound(reference_range.low, canonical, unit),
        high=_bound(reference_range.high, canonical, unit),
        text=reference_range.text,
    )


def _bound(value: float | None, canonical: str, unit: str) -> float | None:
    return None if value is None else to_canonical(canonical, value, unit).value


def flag_against(value: float, reference_range: ReferenceRange | None) -> Flag | None:
    """The value against the range, both in the same unit; None without a range."""
    if reference_range is None:
        return None
    if reference_range.low is not None and value < reference_range.low:
        return "low"
    if reference_range.high is not None and value > reference_range.high:
        return "high"
    return "normal"
