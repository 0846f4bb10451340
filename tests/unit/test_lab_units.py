from __future__ import annotations

import pytest

from shared.bloodwork.markers import KEY_MARKERS, MARKER_ALIASES
from shared.bloodwork.units import CANONICAL_UNITS, Measurement, normalise_unit, to_canonical

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("marker", "value", "unit", "expected", "canonical_unit"),
    [
        ("FSH", 7.0, "IU/L", 7.0, "mIU/mL"),
        ("FSH", 7.0, "U/L", 7.0, "mIU/mL"),
        ("LH", 5.0, "mUI/mL", 5.0, "mIU/mL"),
        ("AMH", 7.14, "pmol/L", 1.0, "ng/mL"),
        ("AMH", 2.0, "ug/L", 2.0, "ng/mL"),
        ("Estradiol", 367.1, "pmol/L", 100.0, "pg/mL"),
        ("Progesterone", 31.8, "nmol/L", 10.0, "ng/mL"),
        ("Prolactin", 212.0, "mIU/L", 10.0, "ng/mL"),
        ("Prolactin", 212.0, "uIU/mL", 10.0, "ng/mL"),
        ("TSH", 2.5, "µIU/mL", 2.5, "mIU/L"),
        ("TSH", 2.5, "uIU/ml", 2.5, "mIU/L"),
        ("Free T4", 12.87, "pmol/L", 1.0, "ng/dL"),
        ("Testosterone", 1.0, "nmol/L", 28.84, "ng/dL"),
        ("Testosterone", 0.5, "ng/mL", 50.0, "ng/dL"),
        ("DHEA-S", 5.0, "umol/L", 184.0, "µg/dL"),
        ("DHEA-S", 250.0, "mcg/dL", 250.0, "µg/dL"),
        ("SHBG", 50.0, "nmol/l", 50.0, "nmol/L"),
        ("Vitamin D", 24.96, "nmol/L", 10.0, "ng/mL"),
        ("HbA1c", 53.0, "mmol/mol", 6.999, "%"),  # the IFCC target 53 is the NGSP 7.0 %
        ("HbA1c", 48.0, "mmol/mol", 6.542, "%"),
        ("HbA1c", 5.4, "%", 5.4, "%"),
        ("Hemoglobin", 118.0, "g/L", 11.8, "g/dL"),
        ("Hemoglobin", 8.0, "mmol/L", 12.888, "g/dL"),
    ],
)
def test_conversion_to_the_canonical_unit(
    marker: str, value: float, unit: str, expected: float, canonical_unit: str
) -> None:
    converted = to_canonical(marker, value, unit)

    assert converted.value == pytest.approx(expected, rel=1e-3)
    assert (converted.unit, converted.unit_unknown) == (canonical_unit, False)


@pytest.mark.parametrize(
    ("printed", "spelled"),
    [
        ("uIU/ml", "µIU/mL"),
        ("μIU/mL", "µIU/mL"),  # Greek mu rather than the micro sign
        ("µIU/mL", "µIU/mL"),
        ("mUI/mL", "mIU/mL"),
        ("MIU/ML", "mIU/mL"),
        ("mIU/ml", "mIU/mL"),
        ("ng/ml", "ng/mL"),
        ("ng / mL", "ng/mL"),
        ("mcg/dL", "µg/dL"),
        ("ug/dl", "µg/dL"),
        ("umol/L", "µmol/L"),
        ("pmol/l", "pmol/L"),
        ("mmol/mol", "mmol/mol"),
        ("UI/L", "IU/L"),
        ("U/L", "U/L"),
        ("g/L", "g/L"),
        ("%", "%"),
        ("x10^9/L", "x10^9/L"),
        ("", ""),
    ],
)
def test_unit_spelling(printed: str, spelled: str) -> None:
    assert normalise_unit(printed) == spelled


@pytest.mark.parametrize(
    ("marker", "unit"),
    [("AMH", "mIU/mL"), ("SHBG", "µg/dL"), ("Hemoglobin", "x10^9/L"), ("TSH", "uIU / ml x")],
)
def test_unknown_unit_is_kept_as_reported_and_marked(marker: str, unit: str) -> None:
    assert to_canonical(marker, 2.5, unit) == Measurement(2.5, " ".join(unit.split()), True)


def test_every_marker_has_a_canonical_unit() -> None:
    assert set(CANONICAL_UNITS) == set(MARKER_ALIASES)
    assert set(KEY_MARKERS) <= set(CANONICAL_UNITS)


@pytest.mark.parametrize("marker", sorted(CANONICAL_UNITS))
def test_canonical_unit_is_left_as_it_is(marker: str) -> None:
    assert to_canonical(marker, 3.25, CANONICAL_UNITS[marker]) == Measurement(
        3.25, CANONICAL_UNITS[marker], False
    )
