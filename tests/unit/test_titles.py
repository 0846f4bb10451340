from __future__ import annotations

import pytest

from shared.text.titles import UNTITLED, clean_title

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # directories, extensions and MedQuAD section suffixes
        ("data/medquad/Polycystic_ovary_syndrome_Sec1.txt", "Polycystic ovary syndrome"),
        ("docs\\guides\\IVF_success_rates.pdf", "IVF success rates"),
        ("/srv/kb/notes.jsonl", "Notes"),
        ("guide.txt.md", "Guide.txt"),
        ("Infertility Sec 12", "Infertility"),
        ("Male infertility - Sec 3", "Male infertility"),
        # leading numbering
        ("01 - Egg freezing basics.md", "Egg freezing basics"),
        ("3_amh_testing.docx", "AMH testing"),
        ("2. Preparing for IVF", "Preparing for IVF"),
        # separators
        ("ivf-success-rates.pdf", "IVF success rates"),
        ("01-egg-freezing.PDF", "Egg freezing"),
        ("  multiple   spaces__here ", "Multiple spaces here"),
        ("Ataxia - hypogonadism - choroidal dystrophy", "Ataxia hypogonadism choroidal dystrophy"),
        # case: sentence case only for all-lower or all-upper names, acronyms restored
        ("POLYCYSTIC OVARY SYNDROME", "Polycystic ovary syndrome"),
        ("PCOS AND FERTILITY", "PCOS and fertility"),
        ("understanding fsh levels", "Understanding FSH levels"),
        ("hcg trigger shot", "hCG trigger shot"),
        ("Understanding Your FSH Levels", "Understanding Your FSH Levels"),
    ],
)
def test_clean_title(raw: str, expected: str) -> None:
    assert clean_title(raw) == expected


@pytest.mark.parametrize(
    "title",
    [
        "46,XX testicular disorder of sex development",
        "HIV/AIDS and Pregnancy",
        "Follicle-stimulating hormone deficiency, isolated",
        "fragile X-associated primary ovarian insufficiency",
        "Deafness-infertility syndrome",
        "Kallmann syndrome 3",
        "Cesarean Section",
        "10.5 mm follicles",
        "Klinefelter's Syndrome",
        "கருவுறுதல் வழிகாட்டி",
    ],
)
def test_clean_headings_are_kept(title: str) -> None:
    assert clean_title(title) == title


def test_non_latin_file_name_loses_only_its_extension() -> None:
    assert clean_title("கருவுறுதல் வழிகாட்டி.pdf") == "கருவுறுதல் வழிகாட்டி"


@pytest.mark.parametrize("raw", ["", "   ", "___", " - ", "/tmp/.pdf", "01 - "])
def test_empty_results_are_untitled(raw: str) -> None:
    assert clean_title(raw) == UNTITLED == "Untitled document"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("_" * 100_000, UNTITLED),
        ("- " * 50_000 + "ivf", "IVF"),
        ("x" + "_" * 100_000 + "y", "X y"),
        (".pdf" * 50_000 + "x", ".pdf" * 50_000 + "x"),
    ],
)
def test_long_separator_runs_are_processed_quickly(raw: str, expected: str) -> None:
    assert clean_title(raw) == expected
