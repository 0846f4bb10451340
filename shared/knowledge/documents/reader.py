"""Read a knowledge file into titled sections, or a JSONL file into question-answer pairs.

The format is chosen by content first: bytes starting with `%PDF-` are a PDF whatever the
name. Otherwise the name decides: `.jsonl` holds question-answer pairs, `.md`/`.markdown` is
Markdown, and anything else must be UTF-8 text. A file is read whole or rejected with a
`DocumentError`: ingestion is all or nothing per file.

Headings in PDF and plain text are guessed line by line. A line is a heading when it
- is at most 80 characters, starts with a capital letter or a digit, and does not end in
  `.`, `,`, `;`, `:` or `!` (a question may be a heading),
- opens a block: it is the first line, or follows a blank line or a line that ends a sentence
  (PDF text has no blank lines between paragraphs),
- and is at most two thirds as long as the next non-blank line, the paragraph it introduces.
  This keeps a wrapped line that merely starts a new sentence from passing for a heading.
"""

from __future__ import annotations

import codecs
import html
import io
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pypdf import PasswordType, PdfReader
from pypdf.errors import DependencyError

from shared.knowledge.documents.errors import DocumentError
from shared.text.titles import clean_title

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_LINE_CHARS = 100_000
MAX_PDF_PAGES = 2000
MAX_TITLE_CHARS = 120
MAX_HEADING_CHARS = 80

DocumentKind = Literal["pdf", "markdown", "text"]

_PDF_HEADER = b"%PDF-"
_PDF_END = b"%%EOF"
_PDF_END_WINDOW = 1024  # where a complete PDF's last %%EOF must be, as pypdf's strict mode says
_MARKDOWN_SUFFIXES = frozenset({".md", ".markdown"})
_CONTROL_BYTES = bytes(byte for byte in range(32) if byte not in b"\t\n\v\f\r") + b"\x7f"
_MAX_CONTROL_SHARE = 0.1  # text files hold almost none; random bytes hold about 11 %

_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # Unicode Cc minus \t and \n
_SPACE_RUNS = re.compile(r"[^\S\n]+")
_SPACE_AROUND_NEWLINE = re.compile(r" ?\n ?")
_BLANK_LINE_RUNS = re.compile(r"\n{3,}")
_LINE_END_HYPHEN = re.compile(r"(?<=[^\W\d_])-[ \t]*\n[ \t]*(?=([^\W\d_]))")
_SENTENCE_END = (".", "!", "?", ":")
_NOT_HEADING_END = (".", ",", ";", ":", "!")

_ATX_HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_CODE_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_BLOCK_QUOTE = re.compile(r"^ {0,3}(?:> ?)+")
_THEMATIC_BREAK = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_LINK_DEFINITION = re.compile(r"^ {0,3}\[[^\]]+\]:[ \t]+\S+.*$")
# Character classes that stop at the next delimiter keep every pattern linear in the line length.
_LINK_TARGET = r"(?:\((?:[^()\n]|\([^()\n]*\))*\)|\[[^\[\]\n]*\])"  # (url) or [reference]
_INLINE_MARKUP: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(rf"!\[[^\[\]\n]*\]{_LINK_TARGET}"), ""),  # images
    (re.compile(rf"\[([^\[\]\n]*)\]{_LINK_TARGET}"), r"\1"),  # links
    (re.compile(r"<((?:https?|mailto):[^<>\s]+)>"), r"\1"),  # autolinks
    (re.compile(r"</?[A-Za-z][^<>\n]*>"), ""),  # HTML tags
    (re.compile(r"(`+)([^`]+)\1"), r"\2"),  # inline code
    # Emphasis and strikethrough markers that touch a word on one side only; unpaired ones go
    # too, while "2 * 3", "* item" and snake_case stay.
    (re.compile(r"(?<!\w)(?:[*_]{1,3}|~~)(?=\S)|(?<=\S)(?:[*_]{1,3}|~~)(?!\w)"), ""),
)


@dataclass(frozen=True)
class Section:
    heading: str  # "" for the text before the first heading
    text: str


@dataclass(frozen=True)
class ParsedDocument:
    title: str
    sections: list[Section]
    kind: DocumentKind


@dataclass(frozen=True)
class QAPair:
    """One MedQuAD-style record; `focus` is the topic the question is about."""

    id: str | None
    question: str
    answer: str
    focus: str
    question_type: str
    source: str
    url: str


def read_document(path: Path) -> ParsedDocument | list[QAPair]:
    """The file's sections (PDF, Markdown, text) or its question-answer pairs (JSONL)."""
    data = _read_bytes(path)
    suffix = path.suffix.lower()
    if data.startswith(_PDF_HEADER):
        document = _read_pdf(path, data)
    elif suffix == ".pdf":
        raise DocumentError("not a PDF we can read: no %PDF- header")
    elif suffix == ".jsonl":
        return _read_qa_pairs(_decode_text(data))
    elif suffix in _MARKDOWN_SUFFIXES:
        document = _read_markdown(path, _decode_text(data))
    else:
        document = _read_plain_text(path, _decode_text(data))
    if not document.sections:
        raise DocumentError("no text to index")
    return document


def _read_bytes(path: Path) -> bytes:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise DocumentError(f"file is larger than {MAX_FILE_BYTES // 1024 // 1024} MB")
        data = path.read_bytes()
    except OSError as error:
        raise DocumentError(f"cannot read the file: {error.strerror or error}") from error
    if not data:
        raise DocumentError("empty file")
    return data


def _decode_text(data: bytes) -> str:
    if b"\x00" in data or _control_share(data) > _MAX_CONTROL_SHARE:
        raise DocumentError("binary data, not text")
    body = data.removeprefix(codecs.BOM_UTF8)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        offset = error.start + len(data) - len(body)
        byte = body[error.start]
        raise DocumentError(f"not UTF-8 text (byte 0x{byte:02x} at offset {offset})") from None
    if not text.strip():
        raise DocumentError("empty file (whitespace only)")
    if any(len(line) > MAX_LINE_CHARS for line in text.splitlines()):
        raise DocumentError(f"a line is longer than {MAX_LINE_CHARS:,} characters")
    return text


def _control_share(data: bytes) -> float:
    return (len(data) - len(data.translate(None, _CONTROL_BYTES))) / len(data)


def _clean_text(text: str) -> str:
    """NFC, one kind of newline, no control characters but newline and tab, single spaces."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _SPACE_RUNS.sub(" ", _CONTROL_CHARS.sub("", text))
    return _SPACE_AROUND_NEWLINE.sub("\n", text)


def _title_from_text(text: str, path: Path) -> str:
    first_line = next((line.strip() for line in text.split("\n") if line.strip()), "")
    return first_line if len(first_line) <= MAX_TITLE_CHARS else _title_from_name(path)


def _title_from_name(path: Path) -> str:
    # A leading "/" tells clean_title this is a file name: hyphens and underscores are spaces.
    return clean_title(f"/{path.stem}")


# PDF


def _read_pdf(path: Path, data: bytes) -> ParsedDocument:
    if _PDF_END not in data[-_PDF_END_WINDOW:]:
        raise DocumentError("not a PDF we can read: file is truncated")
    page_texts, metadata_title = _pdf_text_and_title(data)
    text = _join_hyphenated_words(_clean_text("\n".join(page_texts)))
    if not text.strip():
        raise DocumentError("no text layer (scanned PDF?)")
    sections = _sections_from_lines([line.strip() for line in text.split("\n")])
    return ParsedDocument(
        title=" ".join(_clean_text(metadata_title).split()) or _title_from_text(text, path),
        sections=[Section(section.heading, " ".join(section.text.split())) for section in sections],
        kind="pdf",
    )


def _pdf_text_and_title(data: bytes) -> tuple[list[str], str]:
    """Each page's text and the metadata title; a DocumentError for anything pypdf rejects."""
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not _opens_without_password(reader):
            raise DocumentError("not a PDF we can read: file is encrypted")
        if len(reader.pages) > MAX_PDF_PAGES:
            raise DocumentError(f"PDF has more than {MAX_PDF_PAGES:,} pages")
        title = reader.metadata.title if reader.metadata else None
        return [page.extract_text() for page in reader.pages], title or ""
    except DocumentError:
        raise
    except Exception as error:  # pypdf reports a damaged file with many exception types
        raise DocumentError("not a PDF we can read: file is damaged") from error


def _opens_without_password(reader: PdfReader) -> bool:
    """Whether the PDF only restricts permissions (an empty user password opens it)."""
    try:
        return reader.decrypt("") != PasswordType.NOT_DECRYPTED
    except DependencyError:  # AES needs the optional `cryptography` package
        return False


def _join_hyphenated_words(text: str) -> str:
    """Words split at line ends rejoined: "fer-\\ntility" is "fertility", "anti-Müllerian" stays."""
    return _LINE_END_HYPHEN.sub(lambda match: "-" if match.group(1).isupper() else "", text)


# Plain text


def _read_plain_text(path: Path, text: str) -> ParsedDocument:
    text = _clean_text(text)
    lines = [line.strip() for line in text.split("\n")]
    return ParsedDocument(_title_from_text(text, path), _sections_from_lines(lines), "text")


def _sections_from_lines(lines: list[str]) -> list[Section]:
    """Sections of stripped lines, split at the heading lines of the module docstring."""
    previous_lines = ["", *lines[:-1]]
    following_lines = _next_non_blank_lines(lines)
    return _build_sections(
        (1 if _is_heading(line, previous, following) else 0, line)
        for line, previous, following in zip(lines, previous_lines, following_lines, strict=True)
    )


def _next_non_blank_lines(lines: list[str]) -> list[str]:
    following: list[str] = []
    upcoming = ""
    for line in reversed(lines):
        following.append(upcoming)
        upcoming = line or upcoming
    return following[::-1]


def _is_heading(line: str, previous: str, following: str) -> bool:
    if not line or len(line) > MAX_HEADING_CHARS or line.endswith(_NOT_HEADING_END):
        return False
    if not (line[0].isupper() or line[0].isdigit()):
        return False
    if previous and not previous.endswith(_SENTENCE_END):
        return False
    return 3 * len(line) <= 2 * len(following)


def _build_sections(lines: Iterable[tuple[int, str]]) -> list[Section]:
    """Sections from (heading level, text) lines, level 0 being body text; empty ones dropped."""
    sections: list[Section] = []
    heading = ""
    body: list[str] = []
    for level, line in lines:
        if level:
            sections.append(Section(heading, _join_body(body)))
            heading, body = line.strip(), []
        else:
            body.append(line)
    sections.append(Section(heading, _join_body(body)))
    return [section for section in sections if section.text]


def _join_body(lines: list[str]) -> str:
    return _BLANK_LINE_RUNS.sub("\n\n", "\n".join(line.strip() for line in lines)).strip()


# Markdown


def _read_markdown(path: Path, text: str) -> ParsedDocument:
    lines = list(_markdown_lines(_clean_text(_HTML_COMMENT.sub("", text))))
    title = next((line for level, line in lines if level == 1 and line), "")
    return ParsedDocument(title or _title_from_name(path), _build_sections(lines), "markdown")


def _markdown_lines(text: str) -> Iterator[tuple[int, str]]:
    """(heading level, text) per line, markup removed; code stays as it is, fences dropped."""
    fence = ""
    for line in text.split("\n"):
        marker = _CODE_FENCE.match(line)
        if marker and (not fence or marker.group(1)[0] == fence):
            fence = "" if fence else marker.group(1)[0]
        elif fence:
            yield 0, line
        elif heading := _ATX_HEADING.match(line):
            yield len(heading.group(1)), _strip_inline_markup(heading.group(2) or "")
        elif not (_THEMATIC_BREAK.match(line) or _LINK_DEFINITION.match(line)):
            yield 0, _strip_inline_markup(_BLOCK_QUOTE.sub("", line))


def _strip_inline_markup(line: str) -> str:
    for pattern, replacement in _INLINE_MARKUP:
        line = pattern.sub(replacement, line)
    return html.unescape(line).strip()


# JSONL question-answer pairs


def _read_qa_pairs(text: str) -> list[QAPair]:
    return [
        _qa_pair(number, line)
        for number, line in enumerate(text.splitlines(), start=1)
        if line.strip()
    ]


def _qa_pair(number: int, line: str) -> QAPair:
    """A MedQuAD record, or the shipped knowledge base's (title, body, question_type) shape."""
    try:
        entry = json.loads(line)
    except (ValueError, RecursionError):
        raise DocumentError(f"line {number}: invalid JSON") from None
    if not isinstance(entry, dict):
        raise DocumentError(f"line {number}: not a JSON object")
    record_id = entry.get("id")
    return QAPair(
        id=str(record_id) if isinstance(record_id, str | int) and record_id != "" else None,
        question=_required_text(entry, number, "question"),
        answer=_required_text(entry, number, "answer", "body"),
        focus=_optional_text(entry, "focus", "title"),
        question_type=_optional_text(entry, "qtype", "question_type"),
        source=_optional_text(entry, "source"),
        url=_optional_text(entry, "url"),
    )


def _required_text(entry: dict[str, object], number: int, *names: str) -> str:
    """The first of `names` present; the reason names the MedQuAD field when none is."""
    name = next((name for name in names if name in entry), None)
    if name is None:
        raise DocumentError(f"line {number}: missing field '{names[0]}'")
    value = entry[name]
    text = _clean_text(value).strip() if isinstance(value, str) else ""
    if not text:
        raise DocumentError(f"line {number}: field '{name}' is empty or not text")
    return text


def _optional_text(entry: dict[str, object], *names: str) -> str:
    value = next((entry[name] for name in names if name in entry), "")
    return _clean_text(value).strip() if isinstance(value, str) else ""
