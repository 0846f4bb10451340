"""Scanned lab reports (image-only PDFs) read through Tesseract by the `bloodwork.extract` work on
real Postgres, and the clear `needs_ocr` of a server without Tesseract."""

from __future__ import annotations

import shutil

import pytest

from shared.bloodwork.extraction import NO_OCR, NOTHING_READ, ReportText, read_offline, read_pages
from shared.bloodwork.ocr import ocr_available
from shared.resources import Resources
from tests.integration.test_bloodwork_extraction import read, reloaded, stored_report
from tests.lab_generator import generate
from tests.pdfs import pdf_bytes

pytestmark = pytest.mark.integration

needs_tesseract = pytest.mark.skipif(
    not ocr_available(), reason="tesseract (with eng and spa) is not installed"
)


@needs_tesseract
@pytest.mark.parametrize("seed", [0, 2, 5])
async def test_a_scanned_report_is_read_and_every_value_read_is_right(
    resources: Resources, seed: int
) -> None:
    report = generate(seed)
    report_id = await stored_report(resources, report.scan())
    assert await read(resources, report_id) == "ready"
    truth = {marker.canonical: marker for marker in report.truth}
    markers = (await reloaded(resources, report_id)).markers
    assert len(markers) >= len(truth) // 2  # OCR leaves out what it is unsure of, not more
    for marker in markers:
        expected = truth[marker["canonical_name"]]
        assert marker["unit"] == expected.unit
        assert marker["value"] == pytest.approx(expected.value, rel=0.005)


@needs_tesseract
async def test_a_scan_with_no_text_at_all_needs_ocr_with_a_reason(resources: Resources) -> None:
    report_id = await stored_report(resources, pdf_bytes([[]]))  # a page, no text
    assert await read(resources, report_id) == "needs_ocr"
    assert (await reloaded(resources, report_id)).error == NOTHING_READ


async def test_without_tesseract_a_scan_needs_ocr_saying_why(
    resources: Resources, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")  # as on a server without Tesseract
    assert shutil.which("tesseract") is None
    report_id = await stored_report(resources, generate(0).scan())
    assert await read(resources, report_id) == "needs_ocr"
    report = await reloaded(resources, report_id)
    assert report.error == NO_OCR and report.markers == []


@needs_tesseract
@pytest.mark.parametrize("seed", [7, 32, 55])
def test_a_scans_dot_leaders_are_erased_so_its_results_are_read(seed: int) -> None:
    report = generate(seed)  # seed 32: a light italic; a leader made Tesseract lose half its lines
    assert report.axes["separator"] == "dot_leader"
    text = read_pages(report.scan())
    assert isinstance(text, ReportText) and text.scanned
    read = {marker.canonical_name: marker for marker in read_offline(text)}
    truth = {marker.canonical: marker for marker in report.truth}
    assert len(read.keys() & truth.keys()) >= 0.8 * len(truth)
    for name, marker in read.items():
        assert marker.unit == truth[name].unit
        assert marker.value == pytest.approx(truth[name].value, rel=0.005)
