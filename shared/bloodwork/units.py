"""One unit per marker: spellings unified ("uIU/ml" is "µIU/mL") and values converted.

Mass ↔ molar factors follow from each analyte's molar mass; each is the factor that laboratory
references and assay inserts print (sources beside each entry).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from rapidfuzz.distance import Levenshtein

CANONICAL_UNITS: dict[str, str] = {
    "FSH": "mIU/mL",
    "LH": "mIU/mL",
    "AMH": "ng/mL",
    "Estradiol": "pg/mL",
    "Progesterone": "ng/mL",
    "Prolactin": "ng/mL",
    "TSH": "mIU/L",
    "Free T4": "ng/dL",
    "Testosterone": "ng/dL",
    "DHEA-S": "µg/dL",
    "SHBG": "nmol/L",
    "Vitamin D": "ng/mL",
    "HbA1c": "%",
    "Hemoglobin": "g/dL",
}


class Measurement(NamedTuple):
    value: float
    unit: str
    unit_unknown: bool


@dataclass(frozen=True)
class _Conversion:
    """canonical = reported * factor + offset."""

    factor: float
    offset: float = 0.0


_SAME = _Conversion(1.0)
# 1 IU/L = 1000 mIU / 1000 mL; gonadotropin assays report U/L for the same WHO units.
_GONADOTROPIN = {"IU/L": _SAME, "U/L": _SAME, "mU/mL": _SAME}

_CONVERSIONS: dict[str, dict[str, _Conversion]] = {
    "FSH": _GONADOTROPIN,
    "LH": _GONADOTROPIN,
    # AMH, ~140 kDa: 1 ng/mL = 7.14 pmol/L (Roche Elecsys AMH and Beckman Access AMH inserts).
    "AMH": {"pmol/L": _Conversion(1 / 7.14), "µg/L": _SAME},
    # Estradiol, 272.38 g/mol: 1 pg/mL = 3.671 pmol/L (SI conversion tables, e.g. AMA Manual).
    "Estradiol": {"pmol/L": _Conversion(1 / 3.671), "ng/L": _SAME},
    # Progesterone, 314.46 g/mol: 1 ng/mL = 3.18 nmol/L.
    "Progesterone": {"nmol/L": _Conversion(1 / 3.18), "µg/L": _SAME},
    # WHO 3rd International Standard for prolactin (84/500): 1 ng/mL = 21.2 mIU/L.
    "Prolactin": {
        "mIU/L": _Conversion(1 / 21.2),
        "µIU/mL": _Conversion(1 / 21.2),
        "µg/L": _SAME,
    },
    # 1 mIU/L = 1000 µIU / 1000 mL.
    "TSH": {"µIU/mL": _SAME, "mU/L": _SAME, "µU/mL": _SAME},
    # Thyroxine, 776.87 g/mol: 1 ng/dL = 12.87 pmol/L.
    "Free T4": {"pmol/L": _Conversion(1 / 12.87)},
    # Testosterone, 288.42 g/mol: 1 nmol/L = 28.84 ng/dL; 1 ng/mL = 100 ng/dL.
    "Testosterone": {"nmol/L": _Conversion(28.84), "ng/mL": _Conversion(100.0)},
    # DHEA sulfate, 368.5 g/mol: 1 µmol/L = 36.8 µg/dL.
    "DHEA-S": {"µmol/L": _Conversion(36.8)},
    "SHBG": {},
    # 25-hydroxyvitamin D, 400.64 g/mol: 1 ng/mL = 2.496 nmol/L.
    "Vitamin D": {"nmol/L": _Conversion(1 / 2.496), "µg/L": _SAME},
    # IFCC → NGSP master equation (Hoelzel et al., Clin Chem 2004): % = mmol/mol / 10.929 + 2.15.
    "HbA1c": {"mmol/mol": _Conversion(1 / 10.929, 2.15)},
    # 1 g/dL = 10 g/L; 1 mmol/L of haemoglobin (as the Fe monomer, 16.1 kDa) = 1.611 g/dL.
    "Hemoglobin": {"g/L": _Conversion(0.1), "mmol/L": _Conversion(1.611)},
}

# Prefixes and base units as labs spell them, lower-cased; "mc" and "u" stand for micro.
_PREFIXES = {
    "": "",
    "p": "p",
    "n": "n",
    "µ": "µ",
    "μ": "µ",
    "u": "µ",
    "mc": "µ",
    "m": "m",
    "d": "d",
}
_BASES = {"g": "g", "mol": "mol", "iu": "IU", "ui": "IU", "u": "U", "l": "L"}
_SPELLINGS = {
    prefix + base: symbol + spelled
    for prefix, symbol in _PREFIXES.items()
    for base, spelled in _BASES.items()
} | {"%": "%"}


# Edits (Levenshtein) a unit OCR misread may be from the unit it is read as; a word of four
# characters or fewer, one.
MAX_MISREAD_EDITS = 2
# What OCR adds after a unit: a speck read as a full stop, an underline.
_TRAILING_MARKS = ".,;:_'\u2018\u2019`"


def to_canonical(marker: str, value: float, unit: str) -> Measurement:
    """`value` in `unit` converted to the canonical unit of the canonical `marker`.

    A unit with no known conversion for the marker is kept as reported, value unconverted,
    and marked `unit_unknown`.
    """
    canonical = CANONICAL_UNITS[marker]
    spelled = normalise_unit(unit)
    conversion = _SAME if spelled == canonical else _CONVERSIONS[marker].get(spelled)
    if conversion is None:
        return Measurement(value, " ".join(unit.split()), unit_unknown=True)
    return Measurement(value * conversion.factor + conversion.offset, canonical, unit_unknown=False)


def misread_unit(marker: str, word: str) -> str | None:
    """The unit of the canonical `marker` that `word` is an OCR misreading of: "ngmL", "nmo/L",
    "Hg/dt." for ng/mL, nmol/L, µg/dL (the one unit of the marker's within MAX_MISREAD_EDITS
    of the word, none where two are equally near), "pg/dL" for µg/dL (a µ read as p), "ng/dL_"
    for ng/dL (a mark after it)."""
    compact = word.strip(_TRAILING_MARKS).lower()
    if len(compact) < 3:
        return None
    if is_unit(compact):
        as_micro = _micro_read_as_p(marker, compact)
        return as_micro or (normalise_unit(compact) if compact != word.lower() else None)
    distances = {
        unit: min(Levenshtein.distance(compact, spelling) for spelling in _spellings_of(unit))
        for unit in _units_of(marker)
    }
    nearest = min(distances.values())
    if nearest > (1 if len(compact) <= 4 else MAX_MISREAD_EDITS):
        return None
    units = [unit for unit, distance in distances.items() if distance == nearest]
    return units[0] if len(units) == 1 else None


def _micro_read_as_p(marker: str, unit: str) -> str | None:
    micro = normalise_unit("µ" + unit[1:])
    units = _units_of(marker)
    if unit.startswith("p") and normalise_unit(unit) not in units and micro in units:
        return micro
    return None


def _units_of(marker: str) -> tuple[str, ...]:
    return (CANONICAL_UNITS[marker], *_CONVERSIONS[marker])


def _spellings_of(unit: str) -> list[str]:
    """How labs print `unit`, lower-cased: µ as µ, u or mc."""
    return [unit.lower().replace("µ", micro) for micro in ("µ", "u", "mc")]


def is_unit(text: str) -> bool:
    """Whether `text` spells a unit lab reports use ("mIU/mL", "ug/dL", "%")."""
    parts = "".join(text.split()).lower().split("/")
    return all(part in _SPELLINGS for part in parts) and (len(parts) == 2 or parts == ["%"])


def normalise_unit(unit: str) -> str:
    """One spelling per unit ("uIU/ml" → "µIU/mL", "mUI/mL" → "mIU/mL"); others unspaced."""
    compact = "".join(unit.split())
    parts = compact.lower().split("/")
    if all(part in _SPELLINGS for part in parts):
        return "/".join(_SPELLINGS[part] for part in parts)
    return compact
