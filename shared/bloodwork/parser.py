"""The offline reading of a lab report: page texts from the PDF, then markers from the text.

A marker is found where a label ("FSH", "Hormona luteinizante (LH)") is followed by a value, a
unit and optionally a reference range: "FSH: 7.2 mIU/mL (3.5-12.5)", a table row whose columns
are runs of spaces, or several such results on one line (two-column reports). Anything else is
skipped.
"""

from __future__ import annotations

import io
import math
import re
import unicodedata
from collections.abc import Iterator

from pypdf import PasswordType, PdfReader
from pypdf.errors import DependencyError

from shared.bloodwork.errors import (
    DamagedPdfError,
    EncryptedPdfError,
    LabReportError,
    NotPdfError,
    TooManyPagesError,
)
from shared.bloodwork.markers import KEY_MARKERS, LABEL, canonical_name
from shared.bloodwork.measurement import measured_marker
from shared.bloodwork.models import Marker, ReferenceRange

_PDF_START = b"%PDF-"
_PDF_END = b"%%EOF"
_PDF_WINDOW = 1024  # where the header and the last %%EOF must be, as pypdf's strict mode says

_NUMBER = r"\d+(?:[.,]\d+)*"
# "H", "L", "*" or an arrow printed beside a value; the flag is computed from the range instead.
_MARK = r"(?:\s*(?:(?:HH|LL|H|L|high|low|alt[oa]|baj[oa])\b|\*+|[↑↓]))?"
_UNIT = r"(?:%|[^\s\d()\[\]][^\s()\[\]]*/[^\s()\[\]]+)"
_RANGE = rf"""
    (?P<low>{_NUMBER})\s*(?:-|\u2013|\u2014|\bto\b|\ba\b)\s*(?P<high>{_NUMBER})
    | (?:<=?|≤|\bup\s+to|\bless\s+than|\bhasta|\bmenor\s+de|\binferior\s+a)\s*(?P<upper>{_NUMBER})
    | (?:>=?|≥|\b(?:greater|more)\s+than|\bmayor\s+de|\bsuperior\s+a)\s*(?P<lower>{_NUMBER})
"""
# What follows a label: "  : 7,2 H mUI/mL  (3,5 - 12,5)".
_RESULT = re.compile(
    rf"""[\s:=]*(?P<value>{_NUMBER}){_MARK}\s*(?P<unit>{_UNIT}){_MARK}
    (?:\s*[(\[]?\s*(?P<range>{_RANGE})(?:\s*{_UNIT})?\s*[)\]]?)?""",
    re.IGNORECASE | re.VERBOSE,
)
# A comma before 1, 2 or 4+ digits can only be a decimal comma. A report that has one is read
# with decimal commas (and "1.250" as 1250); any other with thousands commas ("1,250").
_DECIMAL_COMMA = re.compile(r"(?<![\d.,])\d+,(?:\d{1,2}|\d{4,})(?![\d.,])")
_THOUSANDS_DOT = re.compile(r"\.(?=\d{3}(?!\d))")


def check_pdf(pdf_bytes: bytes, max_pages: int) -> int:
    """The page count of a readable PDF of at most `max_pages` pages; LabReportError otherwise."""
    try:
        pages = len(_open(pdf_bytes).pages)
    except LabReportError:
        raise
    except Exception as error:  # pypdf reports a damaged file with many exception types
        raise DamagedPdfError from error
    if pages == 0:
        raise DamagedPdfError
    if pages > max_pages:
        raise TooManyPagesError(max_pages)
    return pages


def extract_text(pdf_bytes: bytes) -> list[str]:
    """Each page's text with its columns kept apart; a page without a text layer gives ""."""
    try:
        reader = _open(pdf_bytes)
        # Layout mode places text by position, so a table's cells stay on their row whatever
        # order the PDF draws them in.
        pages = [page.extract_text(extraction_mode="layout") for page in reader.pages]
    except LabReportError:
        raise
    except Exception as error:  # pypdf reports a damaged file with many exception types
        raise DamagedPdfError from error
    if not pages:  # what pypdf leaves of a file whose page tree is broken
        raise DamagedPdfError
    return pages


def needs_ocr(pages: list[str]) -> bool:
    """Whether no page has a text layer (a scanned report)."""
    return not any(page.strip() for page in pages)


def parse_markers(text: str) -> list[Marker]:
    """Every marker result in the text, in reading order; lines that are not results skipped."""
    text = unicodedata.normalize("NFC", text)
    decimal_comma = _DECIMAL_COMMA.search(text) is not None
    return [marker for line in text.splitlines() for marker in _line_markers(line, decimal_comma)]


def missing_key_markers(markers: list[Marker]) -> list[str]:
    """The key fertility markers that the report does not give, in KEY_MARKERS order."""
    found = {marker.canonical_name for marker in markers}
    return [name for name in KEY_MARKERS if name not in found]


def _open(pdf_bytes: bytes) -> PdfReader:
    if _PDF_START not in pdf_bytes[:_PDF_WINDOW]:
        raise NotPdfError
    if _PDF_END not in pdf_bytes[-_PDF_WINDOW:]:
        raise DamagedPdfError
    reader = PdfReader(io.BytesIO(pdf_bytes))
    if reader.is_encrypted and not _opens_without_password(reader):
        raise EncryptedPdfError
    return reader


def _opens_without_password(reader: PdfReader) -> bool:
    """Whether the PDF only restricts permissions (an empty user password opens it)."""
    try:
        return reader.decrypt("") != PasswordType.NOT_DECRYPTED
    except DependencyError:  # AES needs the optional `cryptography` package
        return False


def _line_markers(line: str, decimal_comma: bool) -> Iterator[Marker]:
    """The results on one line, each one running from its label to the next label."""
    labels = list(LABEL.finditer(line))
    starts = [label.start() for label in labels] + [len(line)]
    for label, end in zip(labels, starts[1:], strict=True):
        marker = _marker(label, line[label.end() : end], decimal_comma)
        if marker is not None:
            yield marker


def _marker(label: re.Match[str], rest: str, decimal_comma: bool) -> Marker | None:
    result = _RESULT.match(rest)
    if result is None:
        return None
    try:
        reported_value = _number(result["value"], decimal_comma)
        printed_range = _printed_range(result, decimal_comma)
    except ValueError:  # a date or a version number where a value was expected
        return None
    name = " ".join(label[0].split())
    return measured_marker(
        name, canonical_name(label["alias"]), reported_value, result["unit"], printed_range
    )


def _printed_range(result: re.Match[str], decimal_comma: bool) -> ReferenceRange | None:
    """The printed range ("3.5 - 12.5", "> 1.0", "< 25"), its bounds in the value's unit."""
    if result["range"] is None:
        return None
    low, high = result["low"] or result["lower"], result["high"] or result["upper"]
    return ReferenceRange(
        low=None if low is None else _number(low, decimal_comma),
        high=None if high is None else _number(high, decimal_comma),
        text=result["range"],
    )


def _number(printed: str, decimal_comma: bool) -> float:
    if decimal_comma:
        printed = _THOUSANDS_DOT.sub("", printed).replace(",", ".")
    number = float(printed.replace(",", ""))
    if not math.isfinite(number):  # hundreds of digits
        raise ValueError(printed)
    return number
