"""PDFs made with pypdf alone: Helvetica text lines, one list of lines per page."""

from __future__ import annotations

import io

from pypdf import PdfWriter
from pypdf.generic import ContentStream, DecodedStreamObject, DictionaryObject, NameObject

_LETTER = (612, 792)
_FONTS = DictionaryObject(
    {
        NameObject("/F1"): DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Font"),
                NameObject("/Subtype"): NameObject("/Type1"),
                NameObject("/BaseFont"): NameObject("/Helvetica"),
            }
        )
    }
)


def pdf_writer(pages: list[list[str]], title: str | None = None) -> PdfWriter:
    """A writer with one page per line list; a page with no lines has no text layer."""
    writer = PdfWriter()
    for lines in pages:
        page = writer.add_blank_page(*_LETTER)
        page[NameObject("/Resources")] = DictionaryObject({NameObject("/Font"): _FONTS})
        contents = DecodedStreamObject()
        contents.set_data(_text_operators(lines))
        page.replace_contents(ContentStream(contents, writer))
    if title is not None:
        writer.add_metadata({"/Title": title})
    return writer


def pdf_bytes(pages: list[list[str]], title: str | None = None) -> bytes:
    return written(pdf_writer(pages, title))


def written(writer: PdfWriter) -> bytes:
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _text_operators(lines: list[str]) -> bytes:
    """Lines 14 points apart from the top left; a page without lines draws a rectangle."""
    if not lines:
        return b"72 600 200 100 re f"
    shown = " ".join(f"({_escaped(line)}) Tj T*" for line in lines)
    return f"BT /F1 12 Tf 14 TL 72 720 Td {shown} ET".encode("latin-1")


def _escaped(line: str) -> str:
    return line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
