from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from shared.knowledge.documents.errors import DocumentError
from shared.knowledge.documents.reader import (
    MAX_FILE_BYTES,
    MAX_PDF_PAGES,
    ParsedDocument,
    QAPair,
    Section,
    read_document,
)
from tests.constants import ROOT
from tests.pdfs import pdf_bytes, pdf_writer, written

pytestmark = pytest.mark.unit

IVF_PAGES = [
    [
        "Understanding IVF",
        "In vitro fertilisation joins an egg and sperm in a laboratory dish so that an",
        "embryo can grow. Eggs are collected after fer-",
        "tility drugs stimulate the ovaries.",
        "Success rates",
        "Success depends mostly on the age of the woman whose eggs are used, and on",
    ],
    ["the clinic. Anti-", "Mullerian hormone helps predict how the ovaries respond."],
]
MEDQUAD_RECORD = {
    "id": "0000001-1",
    "question": "What is (are) Polycystic ovary syndrome ?",
    "answer": "Polycystic ovary syndrome is a hormonal disorder.",
    "focus": "Polycystic ovary syndrome",
    "qtype": "information",
    "source": "3_GHR_QA",
    "url": "https://medlineplus.gov/genetics/condition/polycystic-ovary-syndrome/",
}


def document_at(path: Path, content: bytes | str) -> ParsedDocument:
    written_to(path, content)
    document = read_document(path)
    assert isinstance(document, ParsedDocument)
    return document


def qa_pairs_at(path: Path, content: str) -> list[QAPair]:
    written_to(path, content)
    pairs = read_document(path)
    assert isinstance(pairs, list)
    return pairs


def written_to(path: Path, content: bytes | str) -> None:
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)


def test_markdown_sections_follow_headings_with_markup_removed(tmp_path: Path) -> None:
    markdown = (
        "Notes before any heading.\n\n"
        "# Understanding *IVF*\n\n"
        "IVF is **assisted** reproduction; see [the NHS page](https://www.nhs.uk/ivf).\n"
        "![diagram](ivf.png)<br/>An <em>embryo</em> grows for 5 days.\n\n"
        "## How it works ##\n\n"
        "> Eggs are collected under `sedation`.\n\n"
        "```text\n# not a heading\n```\n\n"
        "---\n\n"
        "### Costs\n\n"
        "A cycle costs between &pound;4,000 and &pound;8,000.\n"
    )
    document = document_at(tmp_path / "guide.md", markdown)
    assert document == ParsedDocument(
        title="Understanding IVF",
        sections=[
            Section("", "Notes before any heading."),
            Section(
                "Understanding IVF",
                "IVF is assisted reproduction; see the NHS page.\nAn embryo grows for 5 days.",
            ),
            Section("How it works", "Eggs are collected under sedation.\n\n# not a heading"),
            Section("Costs", "A cycle costs between £4,000 and £8,000."),
        ],
        kind="markdown",
    )


UNCHANGED_MARKDOWN = "Take 2 * 75 IU; see dose_table. * a list item stays a list item"


@pytest.mark.parametrize(
    ("line", "text"),
    [
        (
            "**Bold *and italic* text**, ~~struck~~ and __underlined__",
            "Bold and italic text, struck and underlined",
        ),
        (UNCHANGED_MARKDOWN, UNCHANGED_MARKDOWN),
        (
            "[Wikipedia](https://en.wikipedia.org/wiki/IVF_(medicine)) and [HFEA][hfea]",
            "Wikipedia and HFEA",
        ),
        (
            "Mail <mailto:kb@example.org> or <https://example.org>",
            "Mail mailto:kb@example.org or https://example.org",
        ),
    ],
)
def test_markdown_inline_markup_is_removed_lightly(tmp_path: Path, line: str, text: str) -> None:
    document = document_at(
        tmp_path / "notes.md", f"# Notes\n\n{line}\n\n[hfea]: https://hfea.gov.uk\n"
    )
    assert document.sections == [Section("Notes", text)]


def test_markdown_without_a_top_heading_is_titled_by_its_file_name(tmp_path: Path) -> None:
    document = document_at(tmp_path / "02-egg_freezing.markdown", "## Why\n\nTo keep eggs.\n")
    assert document.title == "Egg freezing"
    assert document.sections == [Section("Why", "To keep eggs.")]


def test_pdf_text_is_joined_across_pages_and_split_at_heading_lines(tmp_path: Path) -> None:
    document = document_at(tmp_path / "ivf.pdf", pdf_bytes(IVF_PAGES, title="IVF: a guide"))
    assert document == ParsedDocument(
        title="IVF: a guide",
        sections=[
            Section(
                "Understanding IVF",
                "In vitro fertilisation joins an egg and sperm in a laboratory dish so that an "
                "embryo can grow. Eggs are collected after fertility drugs stimulate the ovaries.",
            ),
            Section(
                "Success rates",
                "Success depends mostly on the age of the woman whose eggs are used, and on the "
                "clinic. Anti-Mullerian hormone helps predict how the ovaries respond.",
            ),
        ],
        kind="pdf",
    )


def test_pdf_without_metadata_title_takes_its_first_line(tmp_path: Path) -> None:
    assert document_at(tmp_path / "ivf.pdf", pdf_bytes(IVF_PAGES)).title == "Understanding IVF"


def test_pdf_is_recognised_by_content_whatever_its_name(tmp_path: Path) -> None:
    assert document_at(tmp_path / "download.bin", pdf_bytes(IVF_PAGES)).kind == "pdf"


def test_pdf_that_only_restricts_permissions_is_read(tmp_path: Path) -> None:
    writer = pdf_writer(IVF_PAGES)
    writer.encrypt(user_password="", owner_password="owner", algorithm="RC4-128")
    assert document_at(tmp_path / "locked.pdf", written(writer)).title == "Understanding IVF"


def test_plain_text_is_titled_by_its_first_line_and_split_at_heading_lines(
    tmp_path: Path,
) -> None:
    text = (
        "\ufeffPreparing for your first IVF cycle\r\n\r\n"
        "Most clinics\u00a0ask for  blood tests first.\x07 They check hormone levels.\r\n\r\n"
        "Medication\r\n\r\n"
        "Daily injections stimulate the ovaries for about ten days before collection.\r\n"
    )
    document = document_at(tmp_path / "first-cycle.txt", text)
    assert document == ParsedDocument(
        title="Preparing for your first IVF cycle",
        sections=[
            Section(
                "Preparing for your first IVF cycle",
                "Most clinics ask for blood tests first. They check hormone levels.",
            ),
            Section(
                "Medication",
                "Daily injections stimulate the ovaries for about ten days before collection.",
            ),
        ],
        kind="text",
    )


def test_plain_text_is_normalised_to_nfc(tmp_path: Path) -> None:
    document = document_at(tmp_path / "notes", "Fe\u0301condite\u0301 et grossesse.\n")
    assert document.sections == [Section("", "Fécondité et grossesse.")]


def test_long_first_line_leaves_the_title_to_the_file_name(tmp_path: Path) -> None:
    document = document_at(tmp_path / "amh_testing.txt", "AMH " * 40 + "is a hormone.\n")
    assert document.title == "AMH testing"


def test_medquad_jsonl_gives_question_answer_pairs(tmp_path: Path) -> None:
    minimal = {"question": "What is PCOS?", "answer": "A hormonal disorder."}
    content = f"{json.dumps(MEDQUAD_RECORD)}\n\n{json.dumps(minimal)}\n"
    assert qa_pairs_at(tmp_path / "medquad.jsonl", content) == [
        QAPair(
            id="0000001-1",
            question="What is (are) Polycystic ovary syndrome ?",
            answer="Polycystic ovary syndrome is a hormonal disorder.",
            focus="Polycystic ovary syndrome",
            question_type="information",
            source="3_GHR_QA",
            url="https://medlineplus.gov/genetics/condition/polycystic-ovary-syndrome/",
        ),
        QAPair(None, "What is PCOS?", "A hormonal disorder.", "", "", "", ""),
    ]


def test_shipped_knowledge_base_jsonl_gives_question_answer_pairs(tmp_path: Path) -> None:
    shipped = ROOT / "data" / "knowledge_base" / "medquad_fertility.jsonl"
    line = shipped.read_text(encoding="utf-8").splitlines()[0]
    record = json.loads(line)
    [pair] = qa_pairs_at(tmp_path / "kb.jsonl", line + "\n")
    assert pair == QAPair(
        id=record["id"],
        question=record["question"],
        answer=record["body"],
        focus=record["title"],
        question_type=record["question_type"],
        source=record["source"],
        url=record["url"],
    )


def _pdf_cut_in_half() -> bytes:
    whole = pdf_bytes(IVF_PAGES)
    return whole[: len(whole) // 2]


def _encrypted_pdf() -> bytes:
    writer = pdf_writer(IVF_PAGES)
    writer.encrypt(user_password="secret", algorithm="RC4-128")
    return written(writer)


def _medquad_lines(*lines: str) -> str:
    return "".join(f"{line}\n" for line in lines)


GOOD_LINE = json.dumps(MEDQUAD_RECORD)
NO_ANSWER_LINE = json.dumps({"id": "x", "question": "What is AMH?", "focus": "AMH"})


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.txt", b"", "empty file"),
        ("blank.md", b"  \n\t\r\n \n", "empty file (whitespace only)"),
        ("junk.txt", bytes(range(256)) * 8, "binary data, not text"),
        (
            "controls.txt",
            b"\x01\x02\x1b\x7fok\x03\x04\x05\x06\x0e\x0f" * 50,
            "binary data, not text",
        ),
        ("random.pdf", random.Random(7).randbytes(4096), "not a PDF we can read: no %PDF- header"),
        ("cut.pdf", _pdf_cut_in_half(), "not a PDF we can read: file is truncated"),
        (
            "garbage.pdf",
            b"%PDF-1.7\n" + bytes(range(1, 256)) * 10 + b"\n%%EOF\n",
            "not a PDF we can read: file is damaged",
        ),
        ("secret.pdf", _encrypted_pdf(), "not a PDF we can read: file is encrypted"),
        ("scanned.pdf", pdf_bytes([[], []]), "no text layer (scanned PDF?)"),
        (
            "huge.pdf",
            written(pdf_writer([[]] * (MAX_PDF_PAGES + 1))),
            "PDF has more than 2,000 pages",
        ),
        ("one-line.txt", "x" * 200_000, "a line is longer than 100,000 characters"),
        (
            "latin1.txt",
            "Fécondité".encode("latin-1"),
            "not UTF-8 text (byte 0xe9 at offset 1)",
        ),
        ("bom-latin1.md", b"\xef\xbb\xbf# F\xe9", "not UTF-8 text (byte 0xe9 at offset 6)"),
        ("headings.md", "# Title\n\n## Empty\n", "no text to index"),
        ("bad.jsonl", _medquad_lines(GOOD_LINE, "{not json", GOOD_LINE), "line 2: invalid JSON"),
        ("list.jsonl", _medquad_lines("[1, 2]"), "line 1: not a JSON object"),
        (
            "no-answer.jsonl",
            _medquad_lines(GOOD_LINE, "", NO_ANSWER_LINE),
            "line 3: missing field 'answer'",
        ),
        (
            "blank-question.jsonl",
            _medquad_lines(json.dumps({**MEDQUAD_RECORD, "question": " "})),
            "line 1: field 'question' is empty or not text",
        ),
    ],
)
def test_unreadable_file_is_rejected_with_its_reason(
    tmp_path: Path, name: str, content: bytes | str, reason: str
) -> None:
    written_to(tmp_path / name, content)
    with pytest.raises(DocumentError) as raised:
        read_document(tmp_path / name)
    assert raised.value.reason == reason
    assert str(raised.value) == reason


def test_file_over_the_size_limit_is_rejected_unread(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    with path.open("wb") as sparse:
        sparse.truncate(MAX_FILE_BYTES + 1)
    with pytest.raises(DocumentError, match=r"^file is larger than 50 MB$"):
        read_document(path)


def test_missing_file_is_a_document_error(tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match=r"^cannot read the file: "):
        read_document(tmp_path / "gone.md")
