"""Reading the markers a user confirmed (or edited): each value flagged against the report's range
for the same marker, and the question put to the chat pipeline about them. Marker values are
never logged."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from shared.bloodwork.markers import canonical_name
from shared.bloodwork.measurement import measured_marker
from shared.bloodwork.models import Marker, ReferenceRange
from shared.bloodwork.units import to_canonical

FERTILITY_MARKERS_QUESTION = (
    "What do fertility blood tests such as FSH, AMH, LH, estradiol, TSH and prolactin show?"
)
FLAG_WORDS: dict[str, str] = {"high": "above", "low": "below", "normal": "within"}


def confirmed_marker(
    name: str, value: float, unit: str, report_markers: Sequence[dict[str, Any]]
) -> Marker:
    """The user's value in the marker's canonical unit, flagged against the report's range for
    the same marker. KeyError when `name` is no known marker."""
    canonical = canonical_name(name)
    unit_measured = to_canonical(canonical, value, unit).unit
    reference = _report_range(canonical, unit_measured, report_markers)
    marker = measured_marker(canonical, canonical, value, unit, reference, unit_measured)
    return marker.model_copy(update={"value": round(marker.value, 4)})


def _report_range(
    canonical: str, unit: str, report_markers: Sequence[dict[str, Any]]
) -> ReferenceRange | None:
    for stored in report_markers:
        if stored.get("canonical_name") == canonical and stored.get("unit") == unit:
            reference = stored.get("reference_range")
            return None if reference is None else ReferenceRange.model_validate(reference)
    return None  # not on the report, or in another unit: no range to compare with


def _number(value: float) -> str:
    return f"{value:.4g}" if abs(value) < 1e4 else f"{value:.0f}"


def _range_text(marker: Marker) -> str:
    reference = marker.reference_range
    if reference is None:
        return ""
    if reference.low is not None and reference.high is not None:
        return f"{_number(reference.low)}-{_number(reference.high)} {marker.unit}"
    return reference.text


def _measured(marker: Marker) -> str:
    return f"{marker.canonical_name} {_number(marker.value)} {marker.unit}"


def analysis_question(markers: Sequence[Marker], treatment_stage: str | None) -> str:
    """The question the model answers: every confirmed value, its flag and range."""
    parts = []
    for marker in markers:
        details: list[str] = [marker.flag] if marker.flag else []
        if marker.reference_range is not None:
            details.append(f"range {_range_text(marker)}")
        parts.append(_measured(marker) + (f" ({', '.join(details)})" if details else ""))
    question = "Explain these fertility blood test results: " + "; ".join(parts) + "."
    if treatment_stage:
        question += f" Treatment stage: {treatment_stage}."
    return question


def marker_sentences(markers: Sequence[Marker]) -> str:
    """One sentence per confirmed marker, for the offline answer that cannot read values."""
    sentences = []
    for marker in markers:
        sentence = f"Your {marker.canonical_name} is {_number(marker.value)} {marker.unit}"
        if marker.flag is not None and marker.reference_range is not None:
            sentence += (
                f", {FLAG_WORDS[marker.flag]} the range on your report ({_range_text(marker)})"
            )
        sentences.append(sentence + ".")
    return " ".join(sentences)


def offline_question(markers: Sequence[Marker]) -> str:
    """What the extractive answerer should quote passages about: the markers out of range."""
    out_of_range = [f"{m.flag} {m.canonical_name}" for m in markers if m.flag in {"low", "high"}]
    if not out_of_range:
        return FERTILITY_MARKERS_QUESTION
    return f"What does {' and '.join(out_of_range)} mean for fertility?"
