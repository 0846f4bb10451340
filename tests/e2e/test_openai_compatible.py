"""The official OpenAI SDK uses Izana as a model: `/v1/chat/completions` and `/v1/models` on real
API and worker processes, the session token as the API key."""

from collections.abc import AsyncIterator

import httpx
import openai
import pytest

from tests.constants import unique_question
from tests.e2e.client import new_session

pytestmark = pytest.mark.e2e

QUESTION = "What are the symptoms of polycystic ovary syndrome?"


@pytest.fixture
async def sdk(api: str) -> AsyncIterator[openai.AsyncOpenAI]:
    async with httpx.AsyncClient(timeout=30) as client:
        auth = await new_session(client, api)
    token = auth["Authorization"].removeprefix("Bearer ")
    async with openai.AsyncOpenAI(
        api_key=token, base_url=f"{api}/v1", max_retries=0, timeout=60
    ) as client:
        yield client


async def test_the_models_list_names_the_model(sdk: openai.AsyncOpenAI) -> None:
    listed = [model.id async for model in sdk.models.list()]
    assert listed == ["izana"]


async def test_a_completion_answers_with_its_citations(sdk: openai.AsyncOpenAI) -> None:
    completion = await sdk.chat.completions.create(
        model="izana",
        messages=[
            {"role": "system", "content": "You are helpful."},
            {"role": "user", "content": unique_question(QUESTION)},
        ],
    )
    answer = completion.choices[0].message.content or ""
    assert "olycystic" in answer and completion.choices[0].finish_reason == "stop"
    extension = completion.model_extra["izana"] if completion.model_extra else {}
    assert extension["citations"] and extension["citations"][0]["url"].startswith("http")
    assert len(extension["suggestions"]) == 3
    assert completion.id == f"chatcmpl-{extension['job_id']}"


async def test_a_streamed_completion_grows_to_the_whole_answer(sdk: openai.AsyncOpenAI) -> None:
    stream = await sdk.chat.completions.create(
        model="izana",
        messages=[{"role": "user", "content": unique_question(QUESTION)}],
        stream=True,
    )
    pieces: list[str] = []
    extension: dict[str, object] = {}
    async for chunk in stream:
        pieces.append(chunk.choices[0].delta.content or "")
        if chunk.choices[0].finish_reason == "stop":
            extension = (chunk.model_extra or {})["izana"]
    assert len([piece for piece in pieces if piece]) > 1  # streamed, not sent whole
    assert "olycystic" in "".join(pieces)
    assert "content" not in extension  # nothing streamed had to be replaced
    assert extension["citations"] and extension["conversation_id"]


async def test_a_follow_up_continues_the_conversation(sdk: openai.AsyncOpenAI, api: str) -> None:
    first = await sdk.chat.completions.create(
        model="izana", messages=[{"role": "user", "content": unique_question(QUESTION)}]
    )
    conversation_id = (first.model_extra or {})["izana"]["conversation_id"]
    follow_up = await sdk.chat.completions.create(
        model="izana",
        messages=[{"role": "user", "content": unique_question("How is it treated?")}],
        extra_body={"conversation_id": conversation_id},
    )
    assert (follow_up.model_extra or {})["izana"]["conversation_id"] == conversation_id
    async with httpx.AsyncClient(timeout=30) as client:
        stored = await client.get(
            f"{api}/v1/conversations/{conversation_id}",
            headers={"Authorization": f"Bearer {sdk.api_key}"},
        )
    assert stored.status_code == 200
    assert len([m for m in stored.json()["messages"] if m["role"] == "user"]) == 2


INVALID = openai.UnprocessableEntityError


@pytest.mark.parametrize(
    ("request_options", "error_type", "code"),
    [
        ({"model": "gpt-4o"}, openai.NotFoundError, "model_not_found"),
        ({"messages": [{"role": "system", "content": "hi"}]}, INVALID, "validation_error"),
        ({"messages": [{"role": "wizard", "content": "hi"}]}, INVALID, "validation_error"),
    ],
)
async def test_a_bad_request_raises_the_sdks_own_error(
    sdk: openai.AsyncOpenAI,
    request_options: dict[str, object],
    error_type: type[openai.APIStatusError],
    code: str,
) -> None:
    options = {"model": "izana", "messages": [{"role": "user", "content": QUESTION}]}
    with pytest.raises(error_type) as raised:
        await sdk.chat.completions.create(**{**options, **request_options})  # type: ignore[call-overload]
    assert raised.value.code == code
    assert raised.value.type == "invalid_request_error" and raised.value.message


async def test_a_wrong_api_key_is_an_authentication_error(api: str) -> None:
    async with openai.AsyncOpenAI(
        api_key="not-a-session", base_url=f"{api}/v1", max_retries=0
    ) as sdk:
        with pytest.raises(openai.AuthenticationError) as raised:
            await sdk.chat.completions.create(
                model="izana", messages=[{"role": "user", "content": QUESTION}]
            )
    assert raised.value.code == "session_invalid"
