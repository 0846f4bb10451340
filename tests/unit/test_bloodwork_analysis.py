"""Confirmed markers: canonical units, flags against the report's ranges, offline wording."""

import pytest

from shared.bloodwork.analysis import (
    FERTILITY_MARKERS_QUESTION,
    analysis_question,
    confirmed_marker,
    marker_sentences,
    offline_question,
)

pytestmark = pytest.mark.unit

REPORT = [
    {
        "canonical_name": "FSH",
        "unit": "mIU/mL",
        "reference_range": {"low": 3.5, "high": 12.5, "text": "3.5 - 12.5"},
    },
    {
        "canonical_name": "AMH",
        "unit": "ng/mL",
        "reference_range": {"low": 1.4006, "high": 6.7927, "text": "10.0 - 48.5"},
    },
]


def test_an_edited_value_is_flagged_against_the_reports_range() -> None:
    marker = confirmed_marker("fsh", 17.3, "IU/L", REPORT)
    assert (marker.canonical_name, marker.value, marker.unit) == ("FSH", 17.3, "mIU/mL")
    assert marker.flag == "high" and marker.reference_range is not None


def test_a_value_in_another_unit_is_converted_before_it_is_flagged() -> None:
    marker = confirmed_marker("AMH", 20.0, "pmol/L", REPORT)
    assert marker.unit == "ng/mL" and marker.value == pytest.approx(2.8011, rel=1e-3)
    assert marker.flag == "normal"


def test_a_marker_not_on_the_report_has_no_flag() -> None:
    marker = confirmed_marker("TSH", 2.0, "mIU/L", REPORT)
    assert marker.flag is None and marker.reference_range is None


def test_an_unknown_marker_is_refused() -> None:
    with pytest.raises(KeyError):
        confirmed_marker("Unobtainium", 1.0, "g/L", REPORT)


def test_offline_sentences_and_questions_name_the_confirmed_values() -> None:
    markers = [
        confirmed_marker("FSH", 17.3, "mIU/mL", REPORT),
        confirmed_marker("TSH", 2.0, "mIU/L", REPORT),
    ]
    assert marker_sentences(markers) == (
        "Your FSH is 17.3 mIU/mL, above the range on your report (3.5-12.5 mIU/mL). "
        "Your TSH is 2 mIU/L."
    )
    assert offline_question(markers) == "What does high FSH mean for fertility?"
    assert offline_question(markers[1:]) == FERTILITY_MARKERS_QUESTION
    question = analysis_question(markers, "stimulation")
    assert "FSH 17.3 mIU/mL (high, range 3.5-12.5 mIU/mL)" in question
    assert question.endswith("Treatment stage: stimulation.")
