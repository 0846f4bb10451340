"""Synthetic lab-report PDFs (fpdf2, with a text layer) in five layouts, with their ground truth.

Every patient, doctor and laboratory here is made up. Each result is printed as a lab prints it
and carries, worked out by hand, what the parser must make of it: the canonical marker, the
value in the canonical unit and the flag against the printed reference range.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from shared.bloodwork.models import Flag

_LINE = 6  # mm between lines of text
_MARGIN = 15
_CREATED = datetime(2025, 4, 2, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Result:
    """One result as printed, and the canonical name, value, unit and flag it must give."""

    label: str
    value: str
    unit: str
    reference: str
    canonical_name: str
    canonical_value: float
    canonical_unit: str
    flag: Flag | None
    mark: str = ""  # "H", "L" or "*" printed beside the value (or in a flag column)

    @property
    def reported_value(self) -> float:
        return float(self.value.replace(",", "."))


@dataclass(frozen=True)
class LabReport:
    name: str
    layout: str
    description: str
    results: tuple[Result, ...]
    missing_key_markers: tuple[str, ...]

    def pdf(self) -> bytes:
        return _rendered(self)

    def ground_truth(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "layout": self.layout,
            "description": self.description,
            "synthetic": True,
            "markers": [_truth(result) for result in self.results],
            "missing_key_markers": list(self.missing_key_markers),
        }


def _truth(result: Result) -> dict[str, Any]:
    return {
        "name": result.label,
        "canonical_name": result.canonical_name,
        "value": result.canonical_value,
        "unit": result.canonical_unit,
        "flag": result.flag,
        "reported_value": result.reported_value,
        "reported_unit": result.unit,
        "reference_range_text": result.reference,
    }


def _result(
    label: str,
    printed: str,
    reference: str,
    expected: str,
    flag: Flag | None,
    mark: str = "",
) -> Result:
    """`printed` is "value unit", `expected` is "Canonical name: value unit"."""
    value, unit = printed.split(" ", 1)
    name, canonical = expected.rsplit(": ", 1)
    canonical_value, canonical_unit = canonical.split(" ", 1)
    return Result(
        label, value, unit, reference, name, float(canonical_value), canonical_unit, flag, mark
    )


def _en_dash(low: str, high: str) -> str:
    return f"{low}\N{EN DASH}{high}"


# Rendering


def _document() -> FPDF:
    pdf = FPDF(format="A4")
    pdf.set_title("Synthetic lab report (no real patient)")
    pdf.set_creation_date(_CREATED)  # the same bytes on every run
    pdf.core_fonts_encoding = "windows-1252"  # µ, ü, á and the en dash in the core fonts
    pdf.set_auto_page_break(auto=False)
    pdf.set_margins(_MARGIN, _MARGIN)
    return pdf


def _line(pdf: FPDF, text: str, size: float = 9, style: Literal["", "B", "I"] = "") -> None:
    pdf.set_font("Helvetica", style=style, size=size)
    pdf.cell(0, _LINE, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _letterhead(pdf: FPDF, lab: str, address: str, patient_lines: Sequence[str]) -> None:
    _line(pdf, lab, size=15, style="B")
    _line(pdf, address, size=8)
    pdf.ln(3)
    for text in patient_lines:
        _line(pdf, text)
    pdf.ln(3)


def _footer(pdf: FPDF, text: str, page: str) -> None:
    pdf.set_y(-25)
    _line(pdf, text, size=7, style="I")
    _line(pdf, page, size=7)


def _row(pdf: FPDF, cells: Sequence[str], widths: Sequence[float], x: float = _MARGIN) -> None:
    """One row of cells from x; the cursor then moves to the next row."""
    pdf.set_x(x)
    for text, width in zip(cells, widths, strict=True):
        pdf.cell(width, _LINE, text)
    pdf.ln(_LINE)


def _value(result: Result) -> str:
    return f"{result.value} {result.mark}".strip()


def _results_table(
    pdf: FPDF, report: LabReport, header: tuple[str, ...], widths: tuple[int, ...]
) -> None:
    """A bordered table: the header row, then label, value, unit and range of each result."""
    pdf.set_font("Helvetica", size=9)
    with pdf.table(col_widths=widths, text_align="LEFT", line_height=_LINE) as table:
        for cells in (header, *((r.label, _value(r), r.unit, r.reference) for r in report.results)):
            row = table.row()
            for text in cells:
                row.cell(text)


def _table(report: LabReport) -> FPDF:
    pdf = _document()
    pdf.add_page()
    _letterhead(
        pdf,
        "Northgate Diagnostics",
        "14 Harbour Road, Northgate NG1 4AB  ·  Accredited medical laboratory no. 8812",
        (
            "Patient: Jane Example      DOB: 1989-04-17      Sex: F      MRN: 00482913",
            "Collected: 2025-03-12 08:14      Reported: 2025-03-13 16:02",
            "Requested by: Dr. R. Sample, City Fertility Clinic",
        ),
    )
    _line(pdf, "Fertility hormone panel", size=11, style="B")
    _results_table(pdf, report, ("Test", "Result", "Units", "Reference range"), (60, 30, 30, 50))
    pdf.ln(4)
    _line(pdf, "Comment: AMH and FSH should be read together with the antral follicle count.")
    _footer(pdf, "Results relate only to the sample tested. Confidential.", "Page 1 of 1")
    return pdf


def _two_columns(report: LabReport) -> FPDF:
    pdf = _document()
    pdf.add_page()
    _letterhead(
        pdf,
        "Riverside Fertility Laboratory",
        "2 Mill Lane, Riverside RS4 9QT  ·  Tel. 0100 555 0199",
        (
            "Name: Maria Placeholder      Date of birth: 1991-11-02",
            "Specimen: serum      Collected: 2025-02-03 07:50      Lab no.: RFL-2025-01734",
        ),
    )
    widths = (32, 14, 16, 26)
    half = (len(report.results) + 1) // 2
    top = pdf.get_y()
    for x, results in ((_MARGIN, report.results[:half]), (106.0, report.results[half:])):
        pdf.set_y(top)
        pdf.set_font("Helvetica", style="B", size=8)
        _row(pdf, ("Test", "Result", "Unit", "Reference"), widths, x)
        pdf.set_font("Helvetica", size=8)
        for result in results:
            _row(pdf, (result.label, _value(result), result.unit, result.reference), widths, x)
    _footer(pdf, "Validated by: A. Technician, biomedical scientist.", "1/1")
    return pdf


def _name_value_lines(report: LabReport) -> FPDF:
    pdf = _document()
    pdf.add_page()
    _letterhead(
        pdf,
        "Summit Medical Laboratory",
        "Unit 7, Summit Business Park, Hilltown HT2 3CD",
        (
            "Patient name: Alex Testperson",
            "Date of birth: 1987-06-30      Sample received: 2025-01-21 09:30",
        ),
    )
    _line(pdf, "RESULTS", size=11, style="B")
    for result in report.results:
        _line(pdf, f"{result.label}: {_value(result)} {result.unit} ({result.reference})")
    pdf.ln(3)
    _line(pdf, "Interpretation should take the cycle day and any medication into account.")
    _footer(pdf, "Summit Medical Laboratory, report generated 2025-01-22 11:05", "Page 1 of 1")
    return pdf


def _several_pages(report: LabReport) -> FPDF:
    sections = (
        ("Reproductive hormones", report.results[:5]),
        ("Pituitary and thyroid", report.results[5:8]),
        ("Androgens and general health", report.results[8:]),
    )
    widths = (55, 25, 25, 45, 15)
    pdf = _document()
    for number, (heading, results) in enumerate(sections, start=1):
        pdf.add_page()
        _line(pdf, "Meridian Reproductive Health Laboratory", size=12, style="B")
        _line(pdf, "Final report      Episode 77-2025-004521", size=8)
        pdf.ln(2)
        if number == 1:
            for text in (
                "Patient: Sam Fictional      Born: 1990-08-09      Sex: Female",
                "Ordered: 2025-04-01      Collected: 2025-04-02 08:05      Cycle day: 3",
                "Clinician: Dr. P. Imaginary",
            ):
                _line(pdf, text)
            pdf.ln(2)
        _line(pdf, heading, size=11, style="B")
        pdf.set_font("Helvetica", style="B", size=9)
        _row(pdf, ("Analyte", "Result", "Units", "Reference interval", "Flag"), widths)
        pdf.set_font("Helvetica", size=9)
        for result in results:
            _row(
                pdf,
                (result.label, result.value, result.unit, result.reference, result.mark),
                widths,
            )
        _footer(pdf, "Meridian RHL · Results are confidential.", f"Page {number} of 3")
    return pdf


def _spanish(report: LabReport) -> FPDF:
    pdf = _document()
    pdf.add_page()
    _letterhead(
        pdf,
        "Laboratorio de Análisis Clínicos Santa Clara",
        "Calle Mayor 12, 28013 Madrid  ·  Tel. 910 000 000",
        (
            "Paciente: Lucía Ejemplo Ruiz      Fecha de nacimiento: 14/05/1990",
            "Fecha de extracción: 12/03/2025      Nº de petición: 2025-031245",
            "Médico solicitante: Dra. Ana Prueba",
        ),
    )
    _line(pdf, "Perfil hormonal y bioquímica", size=11, style="B")
    header = ("Prueba", "Resultado", "Unidades", "Valores de referencia")
    _results_table(pdf, report, header, (70, 25, 25, 45))
    pdf.ln(3)
    _line(pdf, "(*) Valor fuera del intervalo de referencia.", size=8)
    _footer(pdf, "Los resultados se refieren únicamente a la muestra analizada.", "Página 1 de 1")
    return pdf


_RENDERERS: dict[str, Callable[[LabReport], FPDF]] = {
    "table": _table,
    "two-columns": _two_columns,
    "name-value-lines": _name_value_lines,
    "several-pages": _several_pages,
    "spanish": _spanish,
}


@functools.cache
def _rendered(report: LabReport) -> bytes:
    return bytes(_RENDERERS[report.layout](report).output())


# The samples

TABLE = LabReport(
    name="table_hormone_panel",
    layout="table",
    description="A ruled table (Test | Result | Units | Reference range), H/L beside values.",
    results=(
        _result("FSH", "7.2 mIU/mL", "3.5 - 12.5", "FSH: 7.2 mIU/mL", "normal"),
        _result("LH", "14.8 IU/L", "2.4 - 12.6", "LH: 14.8 mIU/mL", "high", "H"),
        _result(
            "Anti-Müllerian hormone (AMH)",
            "8.5 pmol/L",
            "10.0 - 48.5",
            "AMH: 1.1905 ng/mL",
            "low",
            "L",
        ),
        _result("Estradiol (E2)", "180 pmol/L", "45 - 854", "Estradiol: 49.033 pg/mL", "normal"),
        _result("Progesterone", "0.6 ng/mL", "0.2 - 1.5", "Progesterone: 0.6 ng/mL", "normal"),
        _result("Prolactin", "612 mIU/L", "102 - 496", "Prolactin: 28.868 ng/mL", "high", "H"),
        _result("TSH", "2.1 uIU/mL", "0.4 - 4.0", "TSH: 2.1 mIU/L", "normal"),
        _result("Free T4", "1.2 ng/dL", "0.8 - 1.8", "Free T4: 1.2 ng/dL", "normal"),
        _result("Hemoglobin", "118 g/L", "120 - 160", "Hemoglobin: 11.8 g/dL", "low", "L"),
    ),
    missing_key_markers=(),
)

TWO_COLUMNS = LabReport(
    name="two_column_panel",
    layout="two-columns",
    description="Two columns of results side by side, en-dash ranges, no H/L marks.",
    results=(
        _result("FSH", "10.9 IU/L", _en_dash("3.5", "12.5"), "FSH: 10.9 mIU/mL", "normal"),
        _result("LH", "6.3 mIU/mL", _en_dash("2.4", "12.6"), "LH: 6.3 mIU/mL", "normal"),
        _result("AMH", "0.6 ng/mL", _en_dash("1.0", "4.0"), "AMH: 0.6 ng/mL", "low"),
        _result("Estradiol", "48 pg/mL", _en_dash("27", "122"), "Estradiol: 48 pg/mL", "normal"),
        _result(
            "Prolactin", "14.2 ng/mL", _en_dash("4.8", "23.3"), "Prolactin: 14.2 ng/mL", "normal"
        ),
        _result("TSH", "5.6 mIU/L", _en_dash("0.27", "4.20"), "TSH: 5.6 mIU/L", "high"),
        _result(
            "Testosterone",
            "1.9 nmol/L",
            _en_dash("0.3", "1.7"),
            "Testosterone: 54.796 ng/dL",
            "high",
        ),
        _result("SHBG", "62 nmol/L", _en_dash("18", "144"), "SHBG: 62 nmol/L", "normal"),
        _result("DHEA-S", "6.1 µmol/L", _en_dash("2.7", "9.2"), "DHEA-S: 224.48 µg/dL", "normal"),
        _result(
            "Vitamin D (25-OH)", "18 ng/mL", _en_dash("30", "100"), "Vitamin D: 18 ng/mL", "low"
        ),
    ),
    missing_key_markers=(),
)

NAME_VALUE_LINES = LabReport(
    name="name_value_lines",
    layout="name-value-lines",
    description='One result a line, "Name: value unit (range)", with "up to", "<" and ">" ranges.',
    results=(
        _result(
            "Follicle-stimulating hormone (FSH)",
            "5.4 mIU/mL",
            "3.5-12.5",
            "FSH: 5.4 mIU/mL",
            "normal",
        ),
        _result("Luteinizing hormone (LH)", "4.2 mIU/mL", "2.4-12.6", "LH: 4.2 mIU/mL", "normal"),
        _result(
            "Anti-Mullerian hormone (AMH)", "40.0 pmol/L", "7.1-35.7", "AMH: 5.6022 ng/mL", "high"
        ),
        _result("Progesterone", "3.9 nmol/L", "up to 4.8", "Progesterone: 1.2264 ng/mL", "normal"),
        _result("TSH", "0.21 mIU/L", "0.4-4.0", "TSH: 0.21 mIU/L", "low"),
        _result("Free T4", "14.5 pmol/L", "12.0-22.0", "Free T4: 1.1267 ng/dL", "normal"),
        _result("Testosterone", "38 ng/dL", "8-60", "Testosterone: 38 ng/dL", "normal"),
        _result("HbA1c", "48 mmol/mol", "< 42", "HbA1c: 6.542 %", "high"),
        _result("Vitamin D", "75 nmol/L", "> 50", "Vitamin D: 30.048 ng/mL", "normal"),
    ),
    missing_key_markers=("Estradiol", "Prolactin"),
)

SEVERAL_PAGES = LabReport(
    name="three_page_report",
    layout="several-pages",
    description="Three pages with headers, footers and a patient block; a separate Flag column.",
    results=(
        _result("FSH", "24.3 mIU/mL", "3.5 - 12.5", "FSH: 24.3 mIU/mL", "high", "H"),
        _result("LH", "3.1 mIU/mL", "2.4 - 12.6", "LH: 3.1 mIU/mL", "normal"),
        _result("AMH", "0.35 ng/mL", "1.00 - 4.00", "AMH: 0.35 ng/mL", "low", "L"),
        _result("Estradiol", "92 pg/mL", "27 - 122", "Estradiol: 92 pg/mL", "normal"),
        _result("Progesterone", "0.4 ng/mL", "< 1.5", "Progesterone: 0.4 ng/mL", "normal"),
        _result("Prolactin", "31.5 ng/mL", "4.8 - 23.3", "Prolactin: 31.5 ng/mL", "high", "H"),
        _result("TSH", "1.8 µIU/mL", "0.4 - 4.0", "TSH: 1.8 mIU/L", "normal"),
        _result("Free T4", "0.9 ng/dL", "0.8 - 1.8", "Free T4: 0.9 ng/dL", "normal"),
        _result("DHEA-S", "310 mcg/dL", "35 - 430", "DHEA-S: 310 µg/dL", "normal"),
        _result("SHBG", "15 nmol/L", "18 - 144", "SHBG: 15 nmol/L", "low", "L"),
        _result("Testosterone", "0.9 ng/mL", "0.1 - 0.6", "Testosterone: 90 ng/dL", "high", "H"),
        _result("HbA1c", "5.4 %", "4.0 - 5.6", "HbA1c: 5.4 %", "normal"),
        _result("Hemoglobin", "13.1 g/dL", "12.0 - 15.5", "Hemoglobin: 13.1 g/dL", "normal"),
        _result("Vitamin D", "42 ng/mL", "30 - 100", "Vitamin D: 42 ng/mL", "normal"),
    ),
    missing_key_markers=(),
)

SPANISH = LabReport(
    name="informe_hormonal_es",
    layout="spanish",
    description="Spanish labels, mUI/mL, decimal commas, '*' beside values out of range.",
    results=(
        _result(
            "Hormona foliculoestimulante (FSH)",
            "6,8 mUI/mL",
            "3,5 - 12,5",
            "FSH: 6.8 mIU/mL",
            "normal",
        ),
        _result(
            "Hormona luteinizante (LH)", "5,2 mUI/mL", "2,4 - 12,6", "LH: 5.2 mIU/mL", "normal"
        ),
        _result(
            "Hormona antimülleriana (AMH)",
            "15,2 pmol/L",
            "7,1 - 48,5",
            "AMH: 2.1289 ng/mL",
            "normal",
        ),
        _result("Estradiol", "165,4 pg/mL", "27 - 122", "Estradiol: 165.4 pg/mL", "high", "*"),
        _result("Progesterona", "0,45 ng/mL", "0,2 - 1,5", "Progesterone: 0.45 ng/mL", "normal"),
        _result("Prolactina", "18,6 ng/mL", "4,8 - 23,3", "Prolactin: 18.6 ng/mL", "normal"),
        _result("Tirotropina (TSH)", "2,35 µUI/mL", "0,27 - 4,20", "TSH: 2.35 mIU/L", "normal"),
        _result(
            "Tiroxina libre (T4L)", "1,05 ng/dL", "0,93 - 1,70", "Free T4: 1.05 ng/dL", "normal"
        ),
        _result(
            "Testosterona", "0,62 nmol/L", "0,29 - 1,67", "Testosterone: 17.881 ng/dL", "normal"
        ),
        _result(
            "Vitamina D (25-OH)", "22,4 ng/mL", "30 - 100", "Vitamin D: 22.4 ng/mL", "low", "*"
        ),
        _result(
            "Hemoglobina glicosilada (HbA1c)", "5,9 %", "4,0 - 5,6", "HbA1c: 5.9 %", "high", "*"
        ),
        _result("Hemoglobina", "11,2 g/dL", "12,0 - 15,5", "Hemoglobin: 11.2 g/dL", "low", "*"),
    ),
    missing_key_markers=(),
)

SAMPLES = (TABLE, TWO_COLUMNS, NAME_VALUE_LINES, SEVERAL_PAGES, SPANISH)
