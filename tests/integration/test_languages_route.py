"""GET /v1/languages on the real app and Redis: the languages Izana answers in, for anyone, and
counted by the general limit like every other public route."""

import logging
import secrets
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from fastapi import FastAPI

from api.app import create_app
from shared.config import Rate, Settings
from shared.text.language import Language

pytestmark = pytest.mark.integration

GENERAL_LIMIT = 3


@pytest.fixture(scope="module")
def app(settings: Settings) -> Iterator[FastAPI]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield create_app(settings.model_copy(update={"rate_limit_general": Rate(GENERAL_LIMIT, 60)}))
    root.handlers[:], root.level = handlers, level  # create_app configured the process's logging


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client from an address no earlier request was counted for."""
    ip = "10." + ".".join(str(secrets.randbelow(256)) for _ in range(3))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app, client=(ip, 40_000))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield http


async def test_every_language_is_listed_with_its_names_and_no_session(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/v1/languages")  # no Authorization header
    assert response.status_code == 200, response.text
    languages = response.json()["languages"]
    assert [language["code"] for language in languages] == list(Language)
    assert languages[0] == {"code": "en", "name": "English", "native_name": "English"}
    assert {"code": "ta", "name": "Tamil", "native_name": "தமிழ்"} in languages
    assert {"code": "hi", "name": "Hindi", "native_name": "हिन्दी"} in languages
    assert {"code": "es", "name": "Spanish", "native_name": "Español"} in languages
    assert {"code": "ja", "name": "Japanese", "native_name": "日本語"} in languages
    assert response.headers["RateLimit-Limit"] == str(GENERAL_LIMIT)


async def test_past_the_general_limit_it_is_refused(client: httpx.AsyncClient) -> None:
    statuses = [(await client.get("/v1/languages")).status_code for _ in range(GENERAL_LIMIT)]
    refused = await client.get("/v1/languages")
    assert statuses == [200] * GENERAL_LIMIT
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "rate_limited"
    assert refused.json()["error"]["details"]["policy"] == "general"
    assert int(refused.headers["Retry-After"]) >= 1
