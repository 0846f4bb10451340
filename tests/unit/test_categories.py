from __future__ import annotations

import re

import pytest

from shared.knowledge.documents.categories import CATEGORIES, DEFAULT_CATEGORY, categorize

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("IVF and ICSI: how embryos are grown after ovarian stimulation.", "fertility-treatment"),
        ("Egg freezing with letrozole instead of gonadotrophins", "fertility-treatment"),
        (
            "Polycystic ovary syndrome (PCOS) is a common cause of infertility.",
            "reproductive-conditions",
        ),
        ("Turner syndrome and Klinefelter syndrome affect fertility.", "reproductive-conditions"),
        ("Signs of an ectopic pregnancy and of a miscarriage", "pregnancy"),
        ("Pre-eclampsia and gestational diabetes in pregnant women", "pregnancy"),
        ("An AMH blood test and FSH on day 3 of the cycle", "hormones-and-tests"),
        ("What a semen analysis measures", "hormones-and-tests"),
        ("Birth control options: the IUD, the pill or a vasectomy", "contraception"),
        ("Hot flashes during perimenopause; hormone replacement therapy", "menopause"),
    ],
)
def test_text_lands_in_the_category_it_talks_most_about(text: str, category: str) -> None:
    assert categorize(text) == category


def test_matching_is_case_insensitive_and_on_word_boundaries() -> None:
    assert categorize("ivf") == "fertility-treatment"
    assert categorize("A flash of insight at the lhasa festival.") == DEFAULT_CATEGORY


def test_a_tie_goes_to_the_earlier_category() -> None:
    assert categorize("IVF during pregnancy") == "fertility-treatment"
    assert categorize("Pregnancy after IVF") == "fertility-treatment"


def test_unmatched_text_gets_the_default() -> None:
    assert categorize("How do I book an appointment?") == "general"
    assert categorize("How do I book an appointment?", default="other") == "other"


def test_category_slugs_are_namespace_safe() -> None:
    assert all(re.fullmatch(r"[a-z]+(?:-[a-z]+)*", slug) for slug in CATEGORIES)
