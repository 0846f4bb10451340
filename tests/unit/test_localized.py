import re
from collections.abc import Mapping
from dataclasses import fields

import pytest

from shared.text.language import Language, detect_language
from shared.text.localized import LocalizedTexts, localized

pytestmark = pytest.mark.unit

ENGLISH = localized(Language.EN)
OTHERS = [language for language in Language if language is not Language.EN]
FOCUS = "{focus}"
LATIN_LETTER = re.compile(r"[A-Za-z]")


def every_text(texts: LocalizedTexts) -> list[str]:
    """Each text of the entry, whatever its field, a template's `{focus}` left out."""
    found: list[str] = []
    for field in fields(texts):
        value = getattr(texts, field.name)
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, Mapping):
            found.extend(value.values())
        elif value is not None:
            found.extend(value)
    return [text.replace(FOCUS, "") for text in found]


@pytest.mark.parametrize("language", list(Language))
def test_every_language_has_every_text(language: Language) -> None:
    texts = localized(language)
    assert all(text.strip() for text in every_text(texts))
    assert list(texts.follow_ups) == list(ENGLISH.follow_ups)  # the same types, in one order
    assert all(template.count(FOCUS) == 1 for template in texts.follow_ups.values())
    assert len(texts.general_follow_ups) == len(ENGLISH.general_follow_ups)
    # Only English needs no note that the quotes are English.
    assert (texts.sources_in_english is None) == (language is Language.EN)


@pytest.mark.parametrize("language", OTHERS)
def test_no_english_text_leaks_into_another_language(language: Language) -> None:
    texts = every_text(localized(language))
    assert not set(texts) & set(every_text(ENGLISH))
    assert [detect_language(text) for text in texts] == [language] * len(texts)
    if language is not Language.ES:  # another script: no Latin letter at all
        assert not [text for text in texts if LATIN_LETTER.search(text)]


def test_a_code_names_its_language_and_an_unknown_one_is_refused() -> None:
    assert localized("hi") is localized(Language.HI)
    with pytest.raises(ValueError, match="xx"):
        localized("xx")
