"""Scanned lab reports read through Tesseract OCR, when it is installed.

Each page is rendered (pypdfium2) at OCR_DPI and read by Tesseract as one block of lines (page
segmentation mode 6, which keeps a table's row on one line). The words come back with their
positions and confidences; a page's text is rebuilt line by line with each word at the column
its position gives, as the text layer of a digital report reads, so the same reader takes both.
A word Tesseract is unsure of is left out: a result without its value is missing, which is
better than a wrong number.
"""

from __future__ import annotations

import shutil
import statistics
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

OCR_DPI = 300
# Tesseract's confidence (0-100) below which a word is dropped rather than read.
MIN_WORD_CONFIDENCE = 60
TESSERACT_CONFIG = "--psm 6"
LANGUAGES = "eng+spa"


@dataclass(frozen=True)
class _Word:
    text: str
    left: int
    width: int


def ocr_available() -> bool:
    """Whether Tesseract is installed with the languages reports are read in."""
    if shutil.which("tesseract") is None:
        return False
    import pytesseract

    return set(LANGUAGES.split("+")) <= set(pytesseract.get_languages(config=""))


def ocr_pages(pdf_bytes: bytes) -> list[str]:
    """Each page's text as Tesseract reads it; blocking (call ocr_available first)."""
    import pypdfium2
    import pytesseract

    pages = []
    for page in pypdfium2.PdfDocument(pdf_bytes):
        image = page.render(scale=OCR_DPI / 72, grayscale=True).to_pil()
        data = pytesseract.image_to_data(
            image, lang=LANGUAGES, config=TESSERACT_CONFIG, output_type=pytesseract.Output.DICT
        )
        pages.append(_page_text(data))
    return pages


def _page_text(data: dict[str, list[Any]]) -> str:
    lines: dict[tuple[int, int, int], list[_Word]] = defaultdict(list)
    for index, text in enumerate(data["text"]):
        if not str(text).strip():
            continue
        key = (data["block_num"][index], data["par_num"][index], data["line_num"][index])
        confident = float(data["conf"][index]) >= MIN_WORD_CONFIDENCE
        word = str(text) if confident else "?" * len(str(text))
        lines[key].append(_Word(word, int(data["left"][index]), int(data["width"][index])))
    if not lines:
        return ""
    char_width = _char_width([word for words in lines.values() for word in words])
    return "\n".join(_laid_out(words, char_width) for _, words in sorted(lines.items()))


def _char_width(words: list[_Word]) -> float:
    """The page's typical width of a character, in pixels."""
    return max(statistics.median(word.width / len(word.text) for word in words), 1.0)


def _laid_out(words: list[_Word], char_width: float) -> str:
    """The line's words, each from the column its left edge gives (at least a space apart)."""
    line = ""
    for word in sorted(words, key=lambda word: word.left):
        column = round(word.left / char_width)
        line += " " * max(column - len(line), 1 if line else 0) + word.text
    return line
