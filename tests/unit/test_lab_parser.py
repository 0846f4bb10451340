from __future__ import annotations

import io
import json
import random
from collections.abc import Sequence
from pathlib import Path

import pytest
from fpdf import FPDF
from pypdf import PdfReader, PdfWriter

from shared.bloodwork.errors import (
    DamagedPdfError,
    EncryptedPdfError,
    LabReportError,
    NotPdfError,
)
from shared.bloodwork.markers import KEY_MARKERS, MARKER_ALIASES, canonical_name
from shared.bloodwork.models import Marker
from shared.bloodwork.parser import extract_text, missing_key_markers, needs_ocr, parse_markers
from shared.bloodwork.units import CANONICAL_UNITS
from tests.lab_reports import SAMPLES, SPANISH, TABLE, LabReport, Result

pytestmark = pytest.mark.unit

EN_DASH = "\N{EN DASH}"
SHIPPED = Path(__file__).resolve().parents[2] / "data" / "samples"


def markers_of(pdf: bytes) -> list[Marker]:
    return parse_markers("\n".join(extract_text(pdf)))


def only(text: str) -> Marker:
    [marker] = parse_markers(text)
    return marker


def reencrypted(pdf: bytes, user_password: str) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.encrypt(user_password, "owner-secret", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# The sample reports, one per layout


def assert_extracted_exactly(markers: list[Marker], results: Sequence[Result]) -> None:
    """Every result found, value within 0.1 %, and nothing else."""
    found = sorted(marker.canonical_name for marker in markers)
    assert found == sorted(result.canonical_name for result in results)
    by_name = {marker.canonical_name: marker for marker in markers}
    for result in results:
        marker = by_name[result.canonical_name]
        assert marker.name == result.label
        assert marker.value == pytest.approx(result.canonical_value, rel=1e-3), result.label
        assert (marker.unit, marker.flag) == (result.canonical_unit, result.flag), result.label
        assert marker.reported_value == pytest.approx(result.reported_value)
        assert marker.reported_unit == result.unit
        assert not marker.unit_unknown
        assert marker.reference_range is not None
        assert marker.reference_range.text == result.reference


@pytest.mark.parametrize("report", SAMPLES, ids=lambda report: report.layout)
def test_every_marker_of_every_layout_is_extracted_exactly(report: LabReport) -> None:
    assert_extracted_exactly(markers_of(report.pdf()), report.results)


@pytest.mark.parametrize("report", SAMPLES, ids=lambda report: report.layout)
def test_shipped_sample_and_its_ground_truth_are_current(report: LabReport) -> None:
    truth = json.loads((SHIPPED / f"{report.name}.json").read_text(encoding="utf-8"))

    assert truth == report.ground_truth()
    assert_extracted_exactly(
        markers_of((SHIPPED / f"{report.name}.pdf").read_bytes()), report.results
    )


@pytest.mark.parametrize("report", SAMPLES, ids=lambda report: report.layout)
def test_missing_key_markers_of_every_layout(report: LabReport) -> None:
    assert missing_key_markers(markers_of(report.pdf())) == list(report.missing_key_markers)


def test_samples_cover_what_issue_8_asks_for() -> None:
    results = [result for report in SAMPLES for result in report.results]

    assert len({report.layout for report in SAMPLES}) >= 5
    assert all(len(report.results) >= 8 for report in SAMPLES)
    assert {result.canonical_name for result in results} == set(MARKER_ALIASES)
    assert {"low", "high", "normal"} <= {result.flag for result in results}
    converted = {r.canonical_name for r in results if r.unit != r.canonical_unit}
    assert {"AMH", "Testosterone", "HbA1c", "Prolactin", "Estradiol"} <= converted
    assert len(extract_text(next(r for r in SAMPLES if r.layout == "several-pages").pdf())) == 3


# Lines of text


@pytest.mark.parametrize(
    ("text", "value", "low", "high", "flag"),
    [
        ("FSH: 7.2 mIU/mL (3.5-12.5)", 7.2, 3.5, 12.5, "normal"),
        (f"Estradiol      45     pg/mL      27{EN_DASH}122", 45, 27, 122, "normal"),
        ("LH   14.8 H   IU/L   2.4 - 12.6", 14.8, 2.4, 12.6, "high"),
        ("AMH 0.9 L ng/mL > 1.0", 0.9, 1.0, None, "low"),
        ("Prolactin 30 ng/mL < 25", 30, None, 25, "high"),
        ("TSH 2.0 mIU/L (up to 4.5)", 2.0, None, 4.5, "normal"),
        ("Prolactina 18,6 ng/mL (hasta 25)", 18.6, None, 25, "normal"),
        ("Progesterona: 1,25 ng/mL (0,5 - 2,0)", 1.25, 0.5, 2.0, "normal"),
        ("Progesterone 0.4 ng/mL [0.2 to 1.5]", 0.4, 0.2, 1.5, "normal"),
        ("SHBG 15 nmol/L 18 - 144 nmol/L  L", 15, 18, 144, "low"),
        ("Free T4 = 1.2* ng/dL", 1.2, None, None, None),
    ],
)
def test_result_line_forms(
    text: str, value: float, low: float | None, high: float | None, flag: str | None
) -> None:
    marker = only(text)

    assert marker.value == pytest.approx(value)
    assert marker.flag == flag
    if low is None and high is None:
        assert marker.reference_range is None
    else:
        assert marker.reference_range is not None
        assert (marker.reference_range.low, marker.reference_range.high) == (low, high)


@pytest.mark.parametrize(
    ("printed", "low", "high"),
    [
        ("4,8 a 23,3", 4.8, 23.3),
        ("<= 25", None, 25),
        ("\N{LESS-THAN OR EQUAL TO} 25", None, 25),
        ("less than 25", None, 25),
        ("Menor de 25", None, 25),
        ("inferior a 25", None, 25),
        (">= 1,5", 1.5, None),
        ("\N{GREATER-THAN OR EQUAL TO} 1,5", 1.5, None),
        ("greater than 1,5", 1.5, None),
        ("more than 1,5", 1.5, None),
        ("mayor de 1,5", 1.5, None),
        ("Superior a 1,5", 1.5, None),
    ],
)
def test_range_phrases(printed: str, low: float | None, high: float | None) -> None:
    marker = only(f"Prolactina   18,6   ng/mL   ({printed})")

    assert marker.reference_range is not None
    assert (marker.reference_range.low, marker.reference_range.high) == (low, high)
    assert marker.reference_range.text == printed


def test_range_is_converted_with_the_value_and_flagged_after_conversion() -> None:
    marker = only("Prolactin   612 H   mIU/L   102 - 496")

    assert marker.value == pytest.approx(612 / 21.2)
    assert marker.reference_range is not None
    assert marker.reference_range.low == pytest.approx(102 / 21.2)
    assert marker.reference_range.high == pytest.approx(496 / 21.2)
    assert marker.reference_range.text == "102 - 496"
    assert (marker.flag, marker.reported_value, marker.reported_unit) == ("high", 612, "mIU/L")


def test_the_flag_comes_from_the_range_not_from_the_printed_mark() -> None:
    assert only("FSH 7.2 H mIU/mL 3.5 - 12.5").flag == "normal"


def test_thousands_comma_in_an_english_report() -> None:
    assert only("Prolactin 1,250 mIU/L (102-496)").reported_value == 1250


def test_decimal_comma_report_reads_a_dot_before_three_digits_as_thousands() -> None:
    markers = parse_markers("Progesterona 0,45 ng/mL\nProlactina 1.250 mUI/L (102 - 496)")

    assert [marker.reported_value for marker in markers] == [0.45, 1250]


def test_two_results_on_one_line() -> None:
    markers = parse_markers(
        f"FSH  10.9  IU/L  3.5{EN_DASH}12.5        TSH  5.6  mIU/L  0.27{EN_DASH}4.20"
    )

    assert [(m.canonical_name, m.value, m.flag) for m in markers] == [
        ("FSH", 10.9, "normal"),
        ("TSH", 5.6, "high"),
    ]


def test_unknown_unit_is_kept_as_reported_and_marked() -> None:
    marker = only("AMH 2.1 mg/dL (1.0-4.0)")

    assert (marker.value, marker.unit, marker.unit_unknown) == (2.1, "mg/dL", True)
    assert marker.flag == "normal"  # value and range are both in the reported unit


@pytest.mark.parametrize(
    "line",
    [
        "Patient: Jane Example      DOB: 1989-04-17      Sex: F",
        "Comment: AMH and FSH should be read together with the antral follicle count.",
        "Interpretation: FSH above 10 IU/L suggests a reduced ovarian reserve.",
        "FSH/LH ratio 1.5",
        "Estradiol 2 weeks ago",
        "LH 12.03.2025 mIU/mL",
        f"FSH {'9' * 400} IU/L",
        "TSH pending",
        "Page 1 of 3",
        "",
    ],
)
def test_lines_that_are_not_results_are_skipped(line: str) -> None:
    assert parse_markers(line) == []


@pytest.mark.parametrize(
    ("label", "canonical"),
    [
        ("Hormona foliculoestimulante", "FSH"),
        ("Hormona luteinizante", "LH"),
        ("Hormona antimülleriana", "AMH"),
        ("HORMONA ANTIMULLERIANA", "AMH"),
        ("Estradiol", "Estradiol"),
        ("Progesterona", "Progesterone"),
        ("Prolactina", "Prolactin"),
        ("Tirotropina", "TSH"),
        ("Tiroxina libre", "Free T4"),
        ("Testosterona", "Testosterone"),
        ("Vitamina D", "Vitamin D"),
        ("Hemoglobina", "Hemoglobin"),
        ("Hemoglobina glicosilada", "HbA1c"),
        ("sex hormone-binding globulin", "SHBG"),
        ("DHEA-SO4", "DHEA-S"),
    ],
)
def test_labels_in_english_and_spanish(label: str, canonical: str) -> None:
    assert canonical_name(label) == canonical
    assert only(f"{label}: 1.5 ng/mL").canonical_name == canonical


def test_longest_label_wins() -> None:
    assert only("Hemoglobina glicosilada (HbA1c)   5,9   %").canonical_name == "HbA1c"


def test_missing_key_markers_in_key_order() -> None:
    markers = parse_markers("TSH 2 mIU/L\nFSH 7 IU/L")

    assert missing_key_markers(markers) == ["AMH", "LH", "Estradiol", "Prolactin"]
    assert missing_key_markers([]) == list(KEY_MARKERS)


def test_odd_text_never_raises() -> None:
    rng = random.Random(8)
    tokens = [
        *(alias for aliases in MARKER_ALIASES.values() for alias in aliases),
        *CANONICAL_UNITS.values(),
        *("7.2", "1,25", "1.250,5", "3.5-12.5", "(", ")", "< 25", "> 1", "up to", "H", "*"),
        *(EN_DASH, ":", "=", "  ", "\t", "/", "%", "12.03.2025", "¿", "µ", "\x00", "ﬁ", "é"),
    ]
    for _ in range(2000):
        line = "".join(rng.choice(tokens) + rng.choice(("", " ", "   ")) for _ in range(8))
        for marker in parse_markers(line):
            assert marker.canonical_name in CANONICAL_UNITS


# PDFs that cannot be read, or have no text


def test_pages_without_text_layer_need_ocr() -> None:
    pdf = FPDF()
    for _ in range(2):
        pdf.add_page()
        pdf.rect(20, 20, 120, 60, style="F")  # what a scan looks like to a text extractor

    pages = extract_text(bytes(pdf.output()))

    assert len(pages) == 2
    assert needs_ocr(pages)
    assert parse_markers("\n".join(pages)) == []


def test_sample_with_text_does_not_need_ocr() -> None:
    assert not needs_ocr(extract_text(TABLE.pdf()))


def test_password_protected_pdf_is_refused() -> None:
    with pytest.raises(EncryptedPdfError, match="password-protected"):
        extract_text(reencrypted(SPANISH.pdf(), user_password="secret"))


def test_pdf_encrypted_with_an_empty_user_password_is_read() -> None:
    markers = markers_of(reencrypted(SPANISH.pdf(), user_password=""))

    assert len(markers) == len(SPANISH.results)


def test_truncated_pdf_is_refused() -> None:
    pdf = TABLE.pdf()

    with pytest.raises(DamagedPdfError, match="damaged or incomplete"):
        extract_text(pdf[: len(pdf) // 2])


def test_pdf_with_a_broken_body_is_refused() -> None:
    junk = b"%PDF-1.7\n" + random.Random(8).randbytes(4000) + b"\n%%EOF\n"

    with pytest.raises(DamagedPdfError):
        extract_text(junk)


def test_pdf_without_pages_is_refused() -> None:
    out = io.BytesIO()
    PdfWriter().write(out)

    with pytest.raises(DamagedPdfError):
        extract_text(out.getvalue())


@pytest.mark.parametrize(
    "data",
    [random.Random(8).randbytes(5000), b"", b"FSH: 7.2 mIU/mL\n%%EOF"],
    ids=["random-bytes", "empty", "text-ending-in-eof"],
)
def test_not_a_pdf_is_refused(data: bytes) -> None:
    with pytest.raises(LabReportError, match="not a PDF") as raised:
        extract_text(data)
    assert isinstance(raised.value, NotPdfError)


def test_mutated_pdfs_give_pages_or_a_lab_report_error() -> None:
    rng = random.Random(8)
    pdf = TABLE.pdf()
    for _ in range(60):
        mutated = bytearray(pdf)
        for _ in range(rng.randint(1, 20)):
            mutated[rng.randrange(len(mutated))] = rng.randrange(256)
        try:
            parse_markers("\n".join(extract_text(bytes(mutated))))
        except LabReportError:
            pass
