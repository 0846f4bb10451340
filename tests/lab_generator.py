"""Seeded synthetic lab reports in many layouts, each with its ground truth.

Every report varies each axis of how labs print results independently of the others (layout,
separator, range notation, flag style, units, micro spelling, decimal mark, marker names, font,
page breaks inside a table, and results outside the fertility panel), so a reader's accuracy can
be measured per axis value (`scripts/bench.py bloodwork-accuracy`). Patients, laboratories and
results are made up. The conversion factors here are written apart from the product's
(shared/bloodwork/units.py), from the same sources, so the truth does not borrow the code it
checks.
"""

from __future__ import annotations

import io
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import matplotlib
import numpy as np
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from shared.bloodwork.models import Flag

KEY_MARKERS = ("FSH", "AMH", "LH", "Estradiol", "TSH", "Prolactin")
AXES: dict[str, tuple[str, ...]] = {
    "layout": ("lines", "table", "blocks", "two_columns"),
    "separator": ("spaces", "dot_leader", "colon", "tab", "rule"),
    "ranges": (
        "hyphen",
        "en_dash",
        "brackets",
        "one_sided",
        "ref_label",
        "normal_word",
        "interval",
    ),
    "flags": ("none", "letter", "word", "spanish", "star", "arrow", "column"),
    "units": ("canonical", "equivalent"),
    "micro": ("µ", "u", "mc"),
    "decimal": ("point", "comma"),
    "names": ("abbreviation", "english", "british", "spanish", "name_and_abbreviation"),
    "font": ("helvetica", "times", "courier", "dejavu_sans", "dejavu_serif"),
    "page_break": ("no", "yes"),
    "others": ("no", "yes"),
}
_CREATED = datetime(2025, 6, 1, 9, 0, tzinfo=UTC)
_FONTS_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
_TTF = {"dejavu_sans": "DejaVuSans.ttf", "dejavu_serif": "DejaVuSerif.ttf"}
_CORE = {"helvetica": "Helvetica", "times": "Times", "courier": "Courier"}


@dataclass(frozen=True)
class Unit:
    """A unit a marker is printed in: printed = canonical value * factor + offset."""

    spelling: str  # with "µ" where the report's micro spelling goes
    factor: float = 1.0
    offset: float = 0.0


@dataclass(frozen=True)
class MarkerSpec:
    canonical: str
    unit: str  # canonical
    low: float
    high: float
    decimals: int
    names: dict[str, str]  # name style → label
    equivalents: tuple[Unit, ...] = ()
    one_sided: Literal["upper", "lower"] = "upper"  # which bound a one-sided range prints


def _names(abbreviation: str, english: str, british: str, spanish: str) -> dict[str, str]:
    return {
        "abbreviation": abbreviation,
        "english": english,
        "british": british,
        "spanish": spanish,
        "name_and_abbreviation": f"{english} ({abbreviation})",
    }


# Factors: IU/L = mIU/mL (1 IU per 1000 mL = 1 mIU/mL); estradiol 272.38 g/mol (1 pg/mL =
# 3.671 pmol/L); AMH 1 ng/mL = 7.14 pmol/L (Roche Elecsys AMH insert); prolactin WHO 84/500
# (1 ng/mL = 21.2 mIU/L); progesterone 314.46 g/mol; free T4 776.87 g/mol; testosterone
# 288.42 g/mol; DHEA-S 368.5 g/mol; 25-OH vitamin D 400.64 g/mol; HbA1c IFCC-NGSP master
# equation; haemoglobin g/L = 10 g/dL.
MARKERS: tuple[MarkerSpec, ...] = (
    MarkerSpec("FSH", "mIU/mL", 3.5, 12.5, 1,
               _names("FSH", "Follicle-stimulating hormone", "Follicle stimulating hormone",
                      "Hormona foliculoestimulante"),
               (Unit("IU/L"), Unit("mU/mL"))),
    MarkerSpec("LH", "mIU/mL", 2.4, 12.6, 1,
               _names("LH", "Luteinizing hormone", "Luteinising hormone", "Hormona luteinizante"),
               (Unit("IU/L"),)),
    MarkerSpec("AMH", "ng/mL", 1.0, 3.5, 2,
               _names("AMH", "Anti-Mullerian hormone", "Anti-Müllerian hormone",
                      "Hormona antimülleriana"),
               (Unit("pmol/L", 7.14),), "lower"),
    MarkerSpec("Estradiol", "pg/mL", 27.0, 161.0, 0,
               _names("E2", "Estradiol", "Oestradiol", "Estradiol"),
               (Unit("pmol/L", 3.671),)),
    MarkerSpec("Progesterone", "ng/mL", 0.2, 1.5, 2,
               _names("P4", "Progesterone", "Progesterone", "Progesterona"),
               (Unit("nmol/L", 3.18),)),
    MarkerSpec("Prolactin", "ng/mL", 4.8, 23.3, 1,
               _names("PRL", "Prolactin", "Prolactin", "Prolactina"),
               (Unit("mIU/L", 21.2), Unit("µIU/mL", 21.2))),
    MarkerSpec("TSH", "mIU/L", 0.27, 4.2, 2,
               _names("TSH", "Thyroid-stimulating hormone", "Thyroid stimulating hormone",
                      "Tirotropina"),
               (Unit("µIU/mL"), Unit("mU/L"))),
    MarkerSpec("Free T4", "ng/dL", 0.93, 1.7, 2,
               _names("FT4", "Free thyroxine", "Free thyroxine", "Tiroxina libre"),
               (Unit("pmol/L", 12.87),)),
    MarkerSpec("Testosterone", "ng/dL", 8.4, 48.1, 1,
               {**_names("TT", "Total testosterone", "Total testosterone", "Testosterona total"),
                "abbreviation": "Testosterone, total"},
               (Unit("nmol/L", 1 / 28.84),)),
    MarkerSpec("DHEA-S", "µg/dL", 35.0, 430.0, 0,
               _names("DHEA-S", "DHEA sulfate", "DHEA sulphate", "Sulfato de DHEA"),
               (Unit("µmol/L", 1 / 36.8),)),
    MarkerSpec("SHBG", "nmol/L", 18.0, 144.0, 0,
               _names("SHBG", "Sex hormone-binding globulin", "Sex hormone binding globulin",
                      "Globulina fijadora de hormonas sexuales")),
    MarkerSpec("Vitamin D", "ng/mL", 30.0, 100.0, 1,
               _names("25-OH D", "25-hydroxyvitamin D", "25-hydroxyvitamin D",
                      "25-hidroxivitamina D"),
               (Unit("nmol/L", 2.496),), "lower"),
    MarkerSpec("HbA1c", "%", 4.0, 5.6, 1,
               _names("HbA1c", "Hemoglobin A1c", "Haemoglobin A1c", "Hemoglobina glicosilada"),
               (Unit("mmol/mol", 10.929, -2.15 * 10.929),)),
    MarkerSpec("Hemoglobin", "g/dL", 12.0, 15.5, 1,
               _names("Hb", "Hemoglobin", "Haemoglobin", "Hemoglobina"),
               (Unit("g/L", 10.0),)),
)  # fmt: skip
# Results outside the fertility panel, some named like one of its markers, which a reader must
# not take for it: (label, value, unit, range).
OTHER_RESULTS: tuple[tuple[str, str, str, str], ...] = (
    ("Ferritin", "45", "ng/mL", "15 - 150"),
    ("Glucose, fasting", "92", "mg/dL", "70 - 99"),
    ("Free T3", "3.1", "pg/mL", "2.0 - 4.4"),
    ("LH/FSH ratio", "1.4", "", ""),
    ("TSH receptor antibodies", "0.8", "IU/L", "< 1.75"),
    ("Anti-TPO antibodies", "12", "IU/mL", "< 34"),
    ("Inhibin B", "85", "pg/mL", "25 - 325"),
    ("Creatinine", "0.8", "mg/dL", "0.5 - 1.1"),
    ("Estrone", "52", "pg/mL", "17 - 200"),
    ("Free testosterone", "6.1", "pg/mL", "0.3 - 19.0"),
)
_MARKS: dict[str, dict[Flag, str]] = {
    "letter": {"high": "H", "low": "L"},
    "word": {"high": "HIGH", "low": "LOW"},
    "spanish": {"high": "ALTO", "low": "BAJO"},
    "star": {"high": "*", "low": "*"},
    "arrow": {"high": "↑", "low": "↓"},
    "column": {"high": "H", "low": "L"},
}


@dataclass(frozen=True)
class TrueMarker:
    """What a reader must make of one printed result."""

    canonical: str
    value: float  # in the canonical unit
    unit: str
    low: float | None  # the printed range, in the canonical unit
    high: float | None
    flag: Flag | None


@dataclass(frozen=True)
class Printed:
    """One result as the report prints it."""

    label: str
    value: str
    unit: str
    reference: str
    mark: str


@dataclass
class GeneratedReport:
    seed: int
    axes: dict[str, str]
    truth: list[TrueMarker] = field(default_factory=list)
    printed: list[Printed] = field(default_factory=list)
    others: list[Printed] = field(default_factory=list)

    @property
    def missing(self) -> list[str]:
        found = {marker.canonical for marker in self.truth}
        return [name for name in KEY_MARKERS if name not in found]

    def pdf(self) -> bytes:
        return bytes(_render(self).output())

    def scan(self, dpi: int = 200) -> bytes:
        """The report printed and scanned slightly askew, blurred and noised: an image-only PDF."""
        import pypdfium2
        from PIL import Image, ImageFilter

        rng = random.Random(self.seed)
        # PIL's effect_noise draws from C's rand(), whose state is the process's: seeded here.
        noise_rng = np.random.default_rng(self.seed)
        pages = []
        for page in pypdfium2.PdfDocument(self.pdf()):
            image = page.render(scale=dpi / 72).to_pil().convert("L")
            image = image.rotate(rng.uniform(-1.2, 1.2), expand=True, fillcolor=255)
            image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 0.7)))
            grain = noise_rng.normal(128, rng.uniform(12, 24), (image.height, image.width))
            noise = Image.fromarray(np.clip(grain, 0, 255).astype(np.uint8))
            pages.append(Image.blend(image, noise, 0.12))
        output = io.BytesIO()
        pages[0].save(output, "PDF", save_all=True, append_images=pages[1:], resolution=dpi)
        return output.getvalue()


def generated_reports(count: int, first_seed: int = 0) -> Iterator[GeneratedReport]:
    for seed in range(first_seed, first_seed + count):
        yield generate(seed)


def generate(seed: int) -> GeneratedReport:
    rng = random.Random(seed)
    axes = {axis: rng.choice(values) for axis, values in AXES.items()}
    report = GeneratedReport(seed, axes)
    chosen = [spec for spec in MARKERS if rng.random() < 0.75]
    for spec in chosen or [MARKERS[0]]:
        truth, printed = _result(rng, spec, axes)
        report.truth.append(truth)
        report.printed.append(printed)
    if axes["others"] == "yes":
        for label, value, unit, reference in rng.sample(OTHER_RESULTS, 3):
            report.others.append(Printed(label, _decimal(value, axes), unit, reference, ""))
    return report


def _result(
    rng: random.Random, spec: MarkerSpec, axes: dict[str, str]
) -> tuple[TrueMarker, Printed]:
    unit = (
        rng.choice(spec.equivalents)
        if axes["units"] == "equivalent" and spec.equivalents
        else Unit(spec.unit)
    )
    status = rng.choices(("normal", "high", "low"), (0.6, 0.2, 0.2))[0]
    low: float | None = spec.low
    high: float | None = spec.high
    one_sided = axes["ranges"] == "one_sided"
    if one_sided and spec.one_sided == "upper":
        low = None
        status = "high" if status == "high" else "normal"
    elif one_sided:
        high = None
        status = "low" if status == "low" else "normal"
    canonical = _value_for(rng, status, spec)
    decimals = _printed_decimals(spec, unit)
    printed_value = round(canonical * unit.factor + unit.offset, decimals)
    printed_low = None if low is None else round(low * unit.factor + unit.offset, decimals)
    printed_high = None if high is None else round(high * unit.factor + unit.offset, decimals)
    true_value = (printed_value - unit.offset) / unit.factor
    true_low = None if printed_low is None else (printed_low - unit.offset) / unit.factor
    true_high = None if printed_high is None else (printed_high - unit.offset) / unit.factor
    flag = _flag(true_value, true_low, true_high)
    truth = TrueMarker(spec.canonical, true_value, spec.unit, true_low, true_high, flag)
    mark = (
        "" if flag in (None, "normal") or axes["flags"] == "none" else _MARKS[axes["flags"]][flag]
    )
    printed = Printed(
        label=spec.names[axes["names"]],
        value=_decimal(_fixed(printed_value, decimals), axes),
        unit=_micro(unit.spelling, axes["micro"]),
        reference=_reference(printed_low, printed_high, decimals, axes),
        mark=mark,
    )
    return truth, printed


def _value_for(rng: random.Random, status: str, spec: MarkerSpec) -> float:
    if status == "high":
        return spec.high * rng.uniform(1.15, 1.8)
    if status == "low":
        return spec.low * rng.uniform(0.55, 0.88)
    return rng.uniform(
        spec.low + 0.1 * (spec.high - spec.low), spec.high - 0.1 * (spec.high - spec.low)
    )


def _printed_decimals(spec: MarkerSpec, unit: Unit) -> int:
    if unit.factor >= 10:
        return max(spec.decimals - 1, 0)
    if unit.factor < 0.1:
        return spec.decimals + 1
    return spec.decimals


def _flag(value: float, low: float | None, high: float | None) -> Flag:
    if low is not None and value < low:
        return "low"
    if high is not None and value > high:
        return "high"
    return "normal"


def _fixed(number: float, decimals: int) -> str:
    return f"{number:.{decimals}f}"


def _decimal(text: str, axes: dict[str, str]) -> str:
    return text.replace(".", ",") if axes["decimal"] == "comma" else text


def _micro(spelling: str, micro: str) -> str:
    return spelling.replace("µ", micro)


def _reference(low: float | None, high: float | None, decimals: int, axes: dict[str, str]) -> str:
    def number(value: float) -> str:
        return _decimal(_fixed(value, decimals), axes)

    if low is None and high is not None:
        return f"< {number(high)}"
    if high is None and low is not None:
        return f"> {number(low)}"
    assert low is not None and high is not None
    a, b = number(low), number(high)
    return {
        "hyphen": f"{a} - {b}",
        "en_dash": f"{a}\N{EN DASH}{b}",
        "brackets": f"[{a}-{b}]",
        "ref_label": f"Ref: {a} - {b}",
        "normal_word": f"(normal {a} - {b})",
        "interval": f"reference interval {a} to {b}",
    }[axes["ranges"]]


# Rendering


_LINE = 5.5
_MARGIN = 14


class _Report(FPDF):
    """A page with the laboratory's letterhead and a footer of numbers that are not results."""

    def __init__(self, report: GeneratedReport) -> None:
        super().__init__(format="A4")
        self.report = report
        self.set_creation_date(_CREATED)
        self.set_title("Synthetic lab report (no real patient)")
        self.set_margins(_MARGIN, _MARGIN)
        self.set_auto_page_break(auto=True, margin=22)
        self.core_fonts_encoding = "windows-1252"
        font = report.axes["font"]
        if font in _TTF:
            self.add_font("body", fname=str(_FONTS_DIR / _TTF[font]))
        self.body_font = "body" if font in _TTF else _CORE[font]
        if report.axes["flags"] == "arrow" and font not in _TTF:  # the core fonts lack arrows
            self.add_font("body", fname=str(_FONTS_DIR / _TTF["dejavu_sans"]))
            self.body_font = "body"

    def header(self) -> None:
        rng = random.Random(self.report.seed)
        self.set_font(self.body_font, size=12)
        self.cell(0, 7, "Westbrook Clinical Laboratory", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(self.body_font, size=8)
        patient = (
            f"Patient ID {rng.randint(100000, 999999)}    DOB 1988-0{rng.randint(1, 9)}-1"
            f"{rng.randint(0, 9)}    Collected 2025-05-{rng.randint(10, 28)} 08:"
            f"{rng.randint(10, 59)}    Lab no. 77-{rng.randint(1000, 9999)}"
        )
        self.cell(0, 5, patient, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(3)

    def footer(self) -> None:
        self.set_y(-18)
        self.set_font(self.body_font, size=7)
        notice = "Accredited laboratory no. 4471 · Tel. 0100 555 0143 · Results are confidential"
        self.cell(0, 4, notice, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.cell(0, 4, f"Page {self.page_no()} of {{nb}}")

    def text_line(self, text: str, size: float = 9) -> None:
        self.set_font(self.body_font, size=size)
        self.cell(0, _LINE, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _render(report: GeneratedReport) -> FPDF:
    pdf = _Report(report)
    pdf.alias_nb_pages()
    pdf.add_page()
    pdf.text_line("Endocrine and fertility panel", size=10)
    rows = _rows(report)
    layout = report.axes["layout"]
    if layout == "lines":
        _lines(pdf, report, rows)
    elif layout == "table":
        _table(pdf, report, rows)
    elif layout == "blocks":
        _blocks(pdf, report, rows)
    else:
        _two_columns(pdf, report, rows)
    pdf.ln(2)
    pdf.text_line(
        "Interpret results with the cycle day (day 2 to 5) and any medication in mind.", size=8
    )
    return pdf


def _rows(report: GeneratedReport) -> list[Printed]:
    """The fertility results with the others among them, in a fixed order per report."""
    rows = list(report.printed)
    rng = random.Random(report.seed + 1)
    for other in report.others:
        rows.insert(rng.randint(0, len(rows)), other)
    return rows


def _value_with_mark(row: Printed, axes: dict[str, str]) -> str:
    if not row.mark or axes["flags"] == "column":
        return row.value
    return f"{row.value} {row.mark}"


def _page_break_after(report: GeneratedReport, rows: Sequence[Printed]) -> int | None:
    return len(rows) // 2 if report.axes["page_break"] == "yes" and len(rows) > 2 else None


def _lines(pdf: _Report, report: GeneratedReport, rows: Sequence[Printed]) -> None:
    axes = report.axes
    separator = axes["separator"]
    flag_column = axes["flags"] == "column"
    for index, row in enumerate(rows):
        if index == _page_break_after(report, rows):
            pdf.add_page()
        value = _value_with_mark(row, axes)
        tail = f"{row.unit}  {row.reference}".strip()
        if flag_column and row.mark:
            tail = f"{tail}   {row.mark}"
        if separator == "tab":
            cells = [(r.label, _value_with_mark(r, axes), f"{r.unit}  {r.reference}") for r in rows]
            size, widths = _fitting(pdf, cells, width=182.0)
            _cells(pdf, (row.label, value, tail), [*widths[:2], 80.0], size=size)
            continue
        joined = {
            "spaces": f"{row.label}    {value} {tail}",
            "dot_leader": f"{row.label} {'.' * max(4, 40 - len(row.label))} {value} {tail}",
            "colon": f"{row.label}: {value} {tail}",
            "rule": f"{row.label} | {value} | {row.unit} | {row.reference}"
            + (f" | {row.mark}" if flag_column and row.mark else ""),
        }[separator]
        pdf.text_line(joined)


def _cells(
    pdf: _Report, cells: Sequence[str], widths: Sequence[float], x: float = _MARGIN, size: float = 9
) -> None:
    pdf.set_font(pdf.body_font, size=size)
    pdf.set_x(x)
    for text, width in zip(cells, widths, strict=True):
        pdf.cell(width, _LINE, text)
    pdf.ln(_LINE)


_HEADERS = {
    "label": ("Test", "Analyte", "Examination", "Prueba"),
    "value": ("Result", "Value", "Resultado"),
    "unit": ("Units", "Unit", "Unidades"),
    "reference": ("Reference range", "Ref. interval", "Normal range", "Valores de referencia"),
    "flag": ("Flag", "Status"),
}


def _table(pdf: _Report, report: GeneratedReport, rows: Sequence[Printed]) -> None:
    rng = random.Random(report.seed + 2)
    columns = ["label", "value", "unit", "reference"]
    columns += ["flag"] if report.axes["flags"] == "column" else []
    rng.shuffle(columns)
    header = [rng.choice(_HEADERS[column]) for column in columns]
    ruled = report.axes["separator"] in ("rule", "tab")

    def cells_of(row: Printed) -> list[str]:
        by_column = {
            "label": row.label,
            "value": _value_with_mark(row, report.axes),
            "unit": row.unit,
            "reference": row.reference,
            "flag": row.mark,
        }
        return [by_column[column] for column in columns]

    # A ruled table's cells are padded (2 mm a side).
    fitted = _fitting(
        pdf, [header, *(cells_of(row) for row in rows)], width=182.0 - 4 * len(columns) * ruled
    )
    size, widths = fitted[0], [width + 4 * ruled for width in fitted[1]]
    break_after = _page_break_after(report, rows)
    chunks = [rows] if break_after is None else [rows[:break_after], rows[break_after:]]
    for number, chunk in enumerate(chunks):
        if number:
            pdf.add_page()
        if not ruled:
            for cells in (header, *(cells_of(row) for row in chunk)):
                _cells(pdf, cells, widths, size=size)
            continue
        pdf.set_font(pdf.body_font, size=size)
        with pdf.table(
            col_widths=widths,
            width=sum(widths),
            text_align="LEFT",
            line_height=_LINE,
            first_row_as_headings=False,
        ) as table:
            for cells in (header, *(cells_of(row) for row in chunk)):
                table_row = table.row()
                for text in cells:
                    table_row.cell(text)


def _blocks(pdf: _Report, report: GeneratedReport, rows: Sequence[Printed]) -> None:
    spanish = report.axes["names"] == "spanish"
    words = ("Resultado", "Referencia", "Estado") if spanish else ("Result", "Reference", "Status")
    for index, row in enumerate(rows):
        if index == _page_break_after(report, rows):
            pdf.add_page()
        pdf.text_line(row.label, size=10)
        pdf.text_line(f"    {words[0]}: {_value_with_mark(row, report.axes)} {row.unit}".rstrip())
        if row.reference:
            pdf.text_line(f"    {words[1]}: {row.reference}")
        if row.mark and report.axes["flags"] == "column":
            pdf.text_line(f"    {words[2]}: {row.mark}")
        pdf.ln(1)


def _two_columns(pdf: _Report, report: GeneratedReport, rows: Sequence[Printed]) -> None:
    """Results in two halves side by side, the font as large as lets each half fit its width."""
    half = (len(rows) + 1) // 2
    header = ("Test", "Result", "Unit", "Range")
    cells = [
        (row.label, _two_column_value(row, report.axes), row.unit, row.reference) for row in rows
    ]
    size, widths = _fitting(pdf, [header, *cells], width=94.0)
    top = pdf.get_y()
    for x, column in ((10.0, cells[:half]), (108.0, cells[half:])):
        pdf.set_y(top)
        _cells(pdf, header, widths, x, size=size)
        for row_cells in column:
            _cells(pdf, row_cells, widths, x, size=size)
    pdf.set_y(top + (half + 1) * _LINE)


def _two_column_value(row: Printed, axes: dict[str, str]) -> str:
    value = _value_with_mark(row, axes)
    return f"{value} {row.mark}" if axes["flags"] == "column" and row.mark else value


def _fitting(
    pdf: _Report, rows: Sequence[Sequence[str]], width: float
) -> tuple[float, list[float]]:
    """The largest font size (9 down to 5) whose column widths fit `width`, and those widths."""
    size = 9.0
    while True:
        pdf.set_font(pdf.body_font, size=size)
        widths = [
            max(pdf.get_string_width(row[i]) for row in rows) + 2.5 for i in range(len(rows[0]))
        ]
        if sum(widths) <= width or size <= 5:
            return size, widths
        size -= 0.5
