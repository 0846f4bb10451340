"""Scanned lab reports read through Tesseract OCR, when it is installed.

Each page is rendered (pypdfium2) at OCR_DPI and read by Tesseract as one block of lines (page
segmentation mode 6, which keeps a table's row on one line). The words come back with their
positions and confidences; a page's text is rebuilt line by line with each word at the column
its position gives, as the text layer of a digital report reads, so the same reader takes both.
A word Tesseract is unsure of is left out: a result without its value is missing, which is
better than a wrong number.
"""

from __future__ import annotations

import re
import shutil
import statistics
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from shared.bloodwork.results import UNREADABLE
from shared.bloodwork.units import is_unit

if TYPE_CHECKING:
    from PIL.Image import Image

OCR_DPI = 300
# Tesseract's confidence (0-100) below which a word is dropped rather than read. The reader's own
# checks of a scan's result (unit, decimals, range order) keep the precision; on generated scans
# (seeds 0-23) value recall was 0.757 at 60, 0.804 at 45, 0.826 at 30, 0.843 at 15 and 0.851 at
# 0, precision 0.989-0.990 at each: 15 drops only what is near-certainly noise.
MIN_WORD_CONFIDENCE = 15
TESSERACT_CONFIG = "--psm 6 -c load_system_dawg=0 -c load_freq_dawg=0"
LANGUAGES = "eng+spa"
# What OCR reads for the I of IU in a unit: "mlU/mL", "miU/mL", "JU/mL", "1U/L" are mIU/mL...
_UNIT_CONFUSIONS = re.compile(r"(?:(?<=[mµuc])|(?<![A-Za-z]))[1lJji{|!](?=U/|U\b)")
# A dot leader as OCR reads it: a run of dots, commas, middle dots or underscores.
_LEADER = re.compile(r"[.,·_…'`:;]{3,}")
# A word as low as a dot (under LEADER_HEIGHT of the page's typical word height) and long (over
# LEADER_WIDTH of it) is a dot leader: OCR reads its dots as letters ("......cccnco..").
LEADER_HEIGHT = 0.4
LEADER_WIDTH = 2.0
# A page is straightened by the angle (within ±MAX_SKEW_DEGREES) whose rows of ink are sharpest.
MAX_SKEW_DEGREES = 3.0
# Ink runs at least this long (inches) are a table's rules, not text: they are erased. A
# scanned rule has gaps (noise, blur), so a run is RULE_INK of its pixels dark; the tops of a
# line of lower-case letters went with the rules at 0.75 on generated scans, and stay at this.
RULE_INCHES = 0.4
RULE_INK = 0.92
# Pixels either side of a rule erased with it: its blurred edges.
RULE_EDGE = 2
# Grey levels below this are ink (a thin rule, blurred by the scan, is light grey).
INK_LEVEL = 190
# A dot leader's dots, erased before OCR (Tesseract reads a line with one as letters or not at
# all): blobs at most DOT_INCHES wide and high, at least LEADER_DOTS of them on one row (centres
# within LEADER_ROW_INCHES), each within LEADER_PITCH_INCHES of the next. A decimal point or a
# colon never has that many such neighbours.
DOT_INCHES = 0.03
LEADER_DOTS = 5
LEADER_ROW_INCHES = 0.01
LEADER_PITCH_INCHES = 0.08


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
        image = _without_strokes(
            _straightened(page.render(scale=OCR_DPI / 72, grayscale=True).to_pil())
        )
        data = pytesseract.image_to_data(
            image, lang=LANGUAGES, config=TESSERACT_CONFIG, output_type=pytesseract.Output.DICT
        )
        pages.append(_page_text(data))
    return pages


def _straightened(image: Image) -> Image:
    """The page rotated so that its lines of text are level (a scan is rarely square)."""
    small = image.reduce(4)
    angles = np.arange(-MAX_SKEW_DEGREES, MAX_SKEW_DEGREES + 0.01, 0.2)
    coarse = max(angles, key=lambda angle: _row_sharpness(small, angle))
    fine = np.arange(coarse - 0.2, coarse + 0.21, 0.05)
    best = float(max(fine, key=lambda angle: _row_sharpness(small, angle)))
    return image.rotate(best, fillcolor=255) if abs(best) >= 0.05 else image


def _row_sharpness(image: Image, angle: float) -> float:
    ink = 255 - np.asarray(image.rotate(float(angle), fillcolor=255), dtype=np.float32)
    return float(np.var(ink.sum(axis=1)))


def _without_strokes(image: Image) -> Image:
    """The page in black and white, its table rules and dot leaders erased: they separate a
    result's parts and say nothing, and Tesseract reads them as letters. (Tesseract's own
    threshold, taken over a scan's grey noise, thins light strokes into other letters.)"""
    from PIL import Image as PILImage

    dark = np.asarray(image) < INK_LEVEL
    ink = dark & ~(_rules(dark) | _leader_dots(dark))
    return PILImage.fromarray(np.where(ink, 0, 255).astype(np.uint8))


def _rules(dark: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """The pixels of long horizontal and vertical strokes, with their blurred edges."""
    length = int(RULE_INCHES * OCR_DPI)
    rules = _long_runs(dark, length, axis=1) | _long_runs(dark, length, axis=0)
    for _ in range(RULE_EDGE):
        rules[1:] |= rules[:-1]
        rules[:-1] |= rules[1:]
        rules[:, 1:] |= rules[:, :-1]
        rules[:, :-1] |= rules[:, 1:]
    return rules


def _long_runs(dark: NDArray[np.bool_], length: int, axis: int) -> NDArray[np.bool_]:
    """The pixels of runs of `length` pixels along `axis` at least RULE_INK dark: windows that
    dark, then every pixel such a window covers (a morphological opening by a line)."""
    inked = _window_counts(dark, length, axis) >= RULE_INK * length  # at each window's start
    return _window_counts(inked, length, axis, backwards=True) > 0


def _window_counts(
    values: NDArray[np.bool_], length: int, axis: int, backwards: bool = False
) -> NDArray[np.int32]:
    """For each pixel, how many of the `length` pixels from it along `axis` (up to it,
    `backwards`) are true."""
    moved = np.moveaxis(values, axis, -1).astype(np.int32)
    padding = [(0, 0)] * (moved.ndim - 1) + [(length, length)]
    sums = np.cumsum(np.pad(moved, padding), axis=-1, dtype=np.int32)
    if backwards:
        counts = sums[..., length:-length] - sums[..., : -2 * length]
    else:
        counts = sums[..., 2 * length - 1 : -1] - sums[..., length - 1 : -length - 1]
    return np.moveaxis(counts, -1, axis)


@dataclass(frozen=True, order=True)
class _Dot:
    row: float  # its centre, in pixels
    column: float
    label: int  # its blob's label


def _leader_dots(dark: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """The pixels of the dots of dot leaders."""
    from scipy import ndimage

    labels, _ = ndimage.label(dark)
    largest = DOT_INCHES * OCR_DPI
    dots = sorted(
        _Dot((rows.start + rows.stop) / 2, (columns.start + columns.stop) / 2, label)
        for label, (rows, columns) in enumerate(ndimage.find_objects(labels), start=1)
        if rows.stop - rows.start <= largest and columns.stop - columns.start <= largest
    )
    leader_labels = [dot.label for row in _rows(dots) for dot in _in_leaders(row)]
    return np.isin(labels, leader_labels)


def _rows(dots: list[_Dot]) -> list[list[_Dot]]:
    """Dots (sorted by row) grouped into rows of text, each sorted left to right."""
    rows: list[list[_Dot]] = []
    for dot in dots:
        if rows and dot.row - rows[-1][-1].row <= LEADER_ROW_INCHES * OCR_DPI:
            rows[-1].append(dot)
        else:
            rows.append([dot])
    return [sorted(row, key=lambda dot: dot.column) for row in rows]


def _in_leaders(row: list[_Dot]) -> list[_Dot]:
    """The dots of a row in runs of at least LEADER_DOTS, each near the next."""
    leaders: list[_Dot] = []
    run: list[_Dot] = []
    for dot in row:
        if run and dot.column - run[-1].column > LEADER_PITCH_INCHES * OCR_DPI:
            leaders += run if len(run) >= LEADER_DOTS else []
            run = []
        run.append(dot)
    return leaders + (run if len(run) >= LEADER_DOTS else [])


def _page_text(data: dict[str, list[Any]]) -> str:
    words = [index for index, text in enumerate(data["text"]) if str(text).strip()]
    if not words:
        return ""
    text_height = statistics.median(data["height"][index] for index in words)
    lines: dict[tuple[int, int, int], list[_Word]] = defaultdict(list)
    for index in words:
        key = (data["block_num"][index], data["par_num"][index], data["line_num"][index])
        word = _corrected(str(data["text"][index]))
        height, width = data["height"][index], data["width"][index]
        if height < LEADER_HEIGHT * text_height and width > LEADER_WIDTH * text_height:
            word = " " * len(word)  # a dot leader, however OCR spelled its dots
        elif float(data["conf"][index]) < MIN_WORD_CONFIDENCE and not is_unit(word):
            # A unit misread is no known unit (dropped later); a dot leader is only a separator.
            word = " " * len(word) if _LEADER.fullmatch(word) else UNREADABLE * len(word)
        lines[key].append(_Word(word, int(data["left"][index]), int(width)))
    char_width = _char_width([word for words in lines.values() for word in words])
    return "\n".join(_laid_out(words, char_width) for _, words in sorted(lines.items()))


def _corrected(word: str) -> str:
    return _UNIT_CONFUSIONS.sub("I", word)


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
