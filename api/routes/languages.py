"""GET /v1/languages: the languages Izana answers in."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.error_docs import error_responses
from api.ratelimit import LIMIT_ERRORS
from shared.text.language import LANGUAGE_NAMES, NATIVE_NAMES, Language

router = APIRouter(prefix="/v1/languages", tags=["languages"])


class LanguageOut(BaseModel):
    code: Language = Field(description="Send it as `language` with `POST /v1/chat`.")
    name: str = Field(description="Its English name.")
    native_name: str = Field(description="Its name in itself.")


class LanguagesOut(BaseModel):
    languages: list[LanguageOut]


LANGUAGES = LanguagesOut(
    languages=[
        LanguageOut(
            code=language, name=LANGUAGE_NAMES[language], native_name=NATIVE_NAMES[language]
        )
        for language in Language
    ]
)


@router.get("", responses=error_responses(*LIMIT_ERRORS))
async def list_languages() -> LanguagesOut:
    """The languages answers can be asked for in; no session needed."""
    return LANGUAGES
