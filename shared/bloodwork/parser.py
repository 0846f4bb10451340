"""The offline reading of a lab report: page texts from the PDF, then markers from the text
(shared/bloodwork/results.py)."""

from __future__ import annotations

import io

from pypdf import PasswordType, PdfReader
from pypdf.errors import DependencyError

from shared.bloodwork.errors import (
    DamagedPdfError,
    EncryptedPdfError,
    LabReportError,
    NotPdfError,
    TooManyPagesError,
)
from shared.bloodwork.markers import KEY_MARKERS
from shared.bloodwork.models import Marker
from shared.bloodwork.results import read_results

_PDF_START = b"%PDF-"
_PDF_END = b"%%EOF"
_PDF_WINDOW = 1024  # where the header and the last %%EOF must be, as pypdf's strict mode says


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


def parse_markers(text: str, scanned: bool = False) -> list[Marker]:
    """Every marker result in the text, in reading order (shared/bloodwork/results.py); `scanned`
    when the text is OCR's."""
    return read_results(text, scanned)


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
