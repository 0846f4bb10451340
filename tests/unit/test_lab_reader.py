"""The offline reader on layouts it was not written for: generated reports across every axis, and
the forms the issue's private layouts used (dot leaders, "Ref:" and "(normal a - b)" ranges, a
trailing LOW), names of other analytes that contain a marker's name, and columns in any order."""

from __future__ import annotations

import pytest

from shared.bloodwork.markers import canonical_name
from shared.bloodwork.models import Marker
from shared.bloodwork.parser import extract_text, parse_markers
from shared.bloodwork.results import UNREADABLE
from tests.lab_generator import AXES, GeneratedReport, generate

pytestmark = pytest.mark.unit

# Seeds whose reports together take every value of every axis (checked below).
SEEDS = range(60)


def read(report: GeneratedReport) -> dict[str, Marker]:
    markers = parse_markers("\n".join(extract_text(report.pdf())))
    return {marker.canonical_name: marker for marker in reversed(markers)}


def test_the_seeds_cover_every_axis_value() -> None:
    seen = {(axis, value) for seed in SEEDS for axis, value in generate(seed).axes.items()}
    assert seen == {(axis, value) for axis, values in AXES.items() for value in values}


@pytest.mark.parametrize("seed", SEEDS)
def test_a_generated_report_is_read_exactly(seed: int) -> None:
    report = generate(seed)
    markers = read(report)
    assert set(markers) == {truth.canonical for truth in report.truth}, report.axes
    for truth in report.truth:
        marker = markers[truth.canonical]
        assert (marker.unit, marker.flag) == (truth.unit, truth.flag), report.axes
        assert marker.value == pytest.approx(truth.value, rel=0.005), report.axes
        printed = marker.reference_range
        assert printed is not None
        assert (printed.low is None, printed.high is None) == (
            truth.low is None,
            truth.high is None,
        )
        for bound, true in ((printed.low, truth.low), (printed.high, truth.high)):
            assert bound == (None if true is None else pytest.approx(true, rel=0.005))


def one(line: str, scanned: bool = False) -> Marker:
    markers = parse_markers(line, scanned)
    assert len(markers) == 1, markers
    return markers[0]


def test_a_dot_leader_a_ref_range_and_a_trailing_low() -> None:
    marker = one("Follicle-stimulating hormone ........ 6.8 IU/L   Ref: 3.5 - 12.5")
    assert (marker.canonical_name, marker.value, marker.unit, marker.flag) == (
        "FSH",
        6.8,
        "mIU/mL",
        "normal",
    )
    vitamin_d = one("Vitamin D ...... 41 nmol/L (normal 75 - 250) LOW")
    assert vitamin_d.flag == "low" and vitamin_d.value == pytest.approx(41 / 2.496)
    estradiol = one("Estradiol: 95 pmol/L   reference interval 99 to 591   LOW")
    assert estradiol.flag == "low" and estradiol.reference_range is not None


@pytest.mark.parametrize(
    ("line", "flag"),
    [
        ("Prolactin  30.1  ng/mL  H", "high"),
        ("Prolactin  30.1 HIGH ng/mL", "high"),
        ("Prolactina  30,1  ng/mL  ALTO", "high"),
        ("Prolactin  30.1 ↑ ng/mL", "high"),
        ("Prolactin  3.1  ng/mL  L", "low"),
        ("Prolactina  3,1  ng/mL  BAJO", "low"),
        ("Prolactin  3.1 ↓ ng/mL", "low"),
        ("Prolactin  3.1 * ng/mL", None),  # out of range, but which way only a range says
    ],
)
def test_a_printed_flag_is_read_when_no_range_is_printed(line: str, flag: str | None) -> None:
    assert one(line).flag == flag


@pytest.mark.parametrize(
    "line",
    [
        "TSH receptor antibodies   0.8 IU/L   < 1.75",
        "LH/FSH ratio   1.4",
        "Free testosterone   6.1 pg/mL   0.3 - 19.0",
        "Anti-TPO antibodies   12 IU/mL   < 34",
    ],
)
def test_another_analyte_named_like_a_marker_is_not_read_as_it(line: str) -> None:
    assert parse_markers(line) == []


def test_table_columns_in_any_order() -> None:
    text = "\n".join(
        [
            "Reference range      Units     Result    Test",
            "3.5 - 12.5           IU/L      8.9       FSH",
            "(normal 27 - 161)    pg/mL     180 H     Estradiol (E2)",
        ]
    )
    fsh, estradiol = parse_markers(text)
    assert (fsh.value, fsh.reference_range and fsh.reference_range.high) == (8.9, 12.5)
    assert (estradiol.value, estradiol.flag) == (180.0, "high")


def test_a_labelled_block() -> None:
    text = "\n".join(
        [
            "Anti-Mullerian hormone",
            "   Result: 0.8 ng/mL",
            "   Reference: 1.0 - 3.5",
            "   Status: LOW",
            "Ferritin",
            "   Result: 45 ng/mL",
        ]
    )
    amh = one(text)
    assert (amh.canonical_name, amh.value, amh.flag) == ("AMH", 0.8, "low")


def test_a_scans_unread_word_beside_a_name_or_value_drops_the_result() -> None:
    assert parse_markers(f"Haemoglobin {UNREADABLE * 3}  2.4 %  4.0 - 5.6", scanned=True) == []
    assert parse_markers(f"FSH  {UNREADABLE * 3}  mIU/mL  3.5 - 12.5", scanned=True) == []


@pytest.mark.parametrize(
    "line",
    [
        f"P4   0,46   ng/mL   {UNREADABLE * 9}",  # the range unread, after the unit
        f"{UNREADABLE * 9}   ng/mL   0,46   P4",  # before the unit, the value after it
    ],
)
def test_a_scans_unread_range_keeps_the_value_the_unit_stands_between(line: str) -> None:
    progesterone = one(line, scanned=True)
    assert (progesterone.value, progesterone.reference_range) == (0.46, None)


def test_a_scans_unread_word_on_the_values_side_of_the_unit_drops_the_result() -> None:
    assert parse_markers(f"FSH  {UNREADABLE * 3} - 12.5  mIU/mL", scanned=True) == []
    assert parse_markers(f"FSH  8.9 {UNREADABLE}  mIU/mL  3.5 - 12.5", scanned=True) == []
    # a number the unread range leaves may be taken for the value
    assert parse_markers(f"{UNREADABLE * 5} 12:5  IU/L  8.9  FSH", scanned=True) == []


@pytest.mark.parametrize(
    ("line", "value", "unit"),
    [
        ("AMH   0.59L   ngmL   > 1.00", 0.59, "ng/mL"),  # the slash lost
        ("SHBG   179 H   nmo/L   < 144", 179.0, "nmol/L"),
        ("DHEA-S   Hg/dt.   119   Ref: 35 - 430", 119.0, "µg/dL"),  # µ read H, L read t
        ("Testosterone, total   23:2   ng/dL   [8.4-48.1]", 23.2, "ng/dL"),  # the point a colon
        ("DHEA-S   298   pg/dL   [35-430]", 298.0, "µg/dL"),  # µ read p: no DHEA-S unit
        ("P4   2,45   nmol /L   (normal 0,64 - 4,77)", 2.45 / 3.18, "ng/mL"),
        ("Testosterone, total   12.8   ng/dL_   [8.4-48.1]", 12.8, "ng/dL"),  # a mark after it
    ],
)
def test_a_scans_misread_units_and_decimal_marks(line: str, value: float, unit: str) -> None:
    marker = one(line, scanned=True)
    assert (marker.value, marker.unit) == (pytest.approx(value), unit)


@pytest.mark.parametrize(
    "line",
    [
        "Estradiol   180   ng/mL   27 - 161",  # ng/L and pg/mL are as near: neither is chosen
        "FSH   8.9   mg/dL   3.5 - 12.5",  # a real unit that is not FSH's is no misreading
        "Prolactin   20.6   xq/zz   4.8 - 23.3",  # too far from any of prolactin's units
    ],
)
def test_a_scans_unit_is_not_guessed(line: str) -> None:
    assert parse_markers(line, scanned=True) == []


def test_a_flag_word_printed_against_the_value() -> None:
    lh = one("LH   1,9LOW   mIU/mL   [2,4-12,6]")
    assert (lh.value, lh.flag) == (1.9, "low")


def test_a_scans_value_that_lost_its_decimal_point_is_dropped() -> None:
    assert parse_markers("FSH  46  mIU/mL  3,5 - 12,5", scanned=True) == []
    assert len(parse_markers("FSH  46  mIU/mL  3,5 - 12,5")) == 1  # a digital report is trusted


@pytest.mark.parametrize(
    ("printed", "canonical"),
    [
        ("HbAlc", "HbA1c"),
        ("EZ", "Estradiol"),
        ("25-OHD", "Vitamin D"),
        ("25-0H D", "Vitamin D"),
        ("antimúlleriana", None),
    ],
)
def test_ocr_look_alikes_of_names(printed: str, canonical: str | None) -> None:
    if canonical is None:
        assert canonical_name(f"Hormona {printed}") == "AMH"  # accents do not matter
    else:
        assert canonical_name(printed) == canonical


@pytest.mark.parametrize(
    ("line", "canonical"),
    [
        ("Sex hormone binding giobulin   251   nmol/L   18 - 144", "SHBG"),
        ("Hormona luteinizamte   11,3   mIU/mL   2,4 - 12,6", "LH"),
        ("Progesterome   1.37   ng/mL   0.20 - 1.50", "Progesterone"),
    ],
)
def test_a_scans_name_misread_by_one_letter(line: str, canonical: str) -> None:
    assert one(line, scanned=True).canonical_name == canonical
    assert parse_markers(line) == []  # a digital report's text is as printed


@pytest.mark.parametrize(
    "line",
    [
        "Free T3   3.1   pg/mL   2.0 - 4.4",  # one character from Free T4: a digit tells them apart
        "Estrone   52   pg/mL   17 - 200",  # no alias of its length is near
    ],
)
def test_a_scans_other_analyte_is_not_taken_for_a_misread_name(line: str) -> None:
    assert parse_markers(line, scanned=True) == []
