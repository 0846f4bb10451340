"""The emulator speaks OpenAI's and Groq's chat-completions and embeddings formats to their SDKs."""

from __future__ import annotations

import base64
import json
import math
import struct
from collections.abc import AsyncIterator

import groq
import openai
import pytest

from emulator import RunningEmulator
from emulator.text import SUGGESTED_QUESTIONS

pytestmark = pytest.mark.contract

MODEL = "gpt-4o-mini"
MESSAGES = [
    {"role": "system", "content": "You are kind."},  # 13 characters
    {"role": "user", "content": "What is IVF?"},  # 12 characters
]
PROMPT_TOKENS = math.ceil((13 + 12) / 4)


@pytest.fixture
async def groq_client(emulator: RunningEmulator) -> AsyncIterator[groq.AsyncGroq]:
    async with groq.AsyncGroq(api_key="test-key", base_url=emulator.url, max_retries=0) as opened:
        yield opened


async def test_a_completion_is_deterministic_words_with_usage(client: openai.AsyncOpenAI) -> None:
    first = await client.chat.completions.create(model=MODEL, messages=MESSAGES)
    second = await client.chat.completions.create(model=MODEL, messages=MESSAGES)

    content = first.choices[0].message.content or ""
    assert content == second.choices[0].message.content
    assert len(content.split()) == 40 and content.endswith(".")
    assert first.choices[0].finish_reason == "stop"
    assert first.usage is not None
    assert (first.usage.prompt_tokens, first.usage.completion_tokens) == (PROMPT_TOKENS, 40)
    assert first.usage.total_tokens == PROMPT_TOKENS + 40


async def test_max_tokens_cuts_the_answer_with_finish_reason_length(
    client: openai.AsyncOpenAI,
) -> None:
    full = await client.chat.completions.create(model=MODEL, messages=MESSAGES)
    cut = await client.chat.completions.create(
        model=MODEL,
        messages=MESSAGES,
        max_completion_tokens=5,
    )

    assert cut.choices[0].finish_reason == "length"
    assert cut.usage is not None and cut.usage.completion_tokens == 5
    assert (full.choices[0].message.content or "").startswith(cut.choices[0].message.content or "-")


async def test_a_stream_has_one_chunk_a_token_then_finish_usage_and_done(
    client: openai.AsyncOpenAI,
) -> None:
    whole = await client.chat.completions.create(model=MODEL, messages=MESSAGES)
    stream = await client.chat.completions.create(
        model=MODEL,
        messages=MESSAGES,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = [chunk async for chunk in stream]

    with_choices = [chunk for chunk in chunks if chunk.choices]
    text = "".join(chunk.choices[0].delta.content or "" for chunk in with_choices)
    assert text == whole.choices[0].message.content
    assert len([c for c in with_choices if c.choices[0].delta.content]) == 40
    assert [c.choices[0].finish_reason for c in with_choices][-1] == "stop"
    assert chunks[-1].choices == [] and chunks[-1].usage == whole.usage


async def test_a_stream_without_include_usage_has_no_usage_chunk(
    client: openai.AsyncOpenAI,
) -> None:
    stream = await client.chat.completions.create(
        model=MODEL,
        messages=MESSAGES,
        stream=True,
        max_tokens=3,
    )
    chunks = [chunk async for chunk in stream]

    assert all(chunk.choices and chunk.usage is None for chunk in chunks)
    assert chunks[-1].choices[0].finish_reason == "length"


async def test_json_mode_returns_the_last_user_message_as_the_revised_response(
    client: openai.AsyncOpenAI,
) -> None:
    draft = 'A draft with "quotes", a newline\nand ünïcode.'
    response = await client.chat.completions.create(
        model=MODEL,
        messages=[
            {"role": "system", "content": "Review the draft."},
            {"role": "user", "content": "an earlier question"},
            {"role": "user", "content": draft},
        ],
        response_format={"type": "json_object"},
    )

    review = json.loads(response.choices[0].message.content or "")
    assert review["revised_response"] == draft
    assert review["suggested_questions"] == list(SUGGESTED_QUESTIONS)
    assert all(question.endswith("?") for question in review["suggested_questions"])


async def test_groq_is_served_under_openai_v1_with_x_groq_usage(
    groq_client: groq.AsyncGroq,
) -> None:
    model = "llama-3.1-8b-instant"
    whole = await groq_client.chat.completions.create(model=model, messages=MESSAGES)
    stream = await groq_client.chat.completions.create(
        model=model,
        messages=MESSAGES,
        stream=True,
    )
    chunks = [chunk async for chunk in stream]

    assert whole.usage is not None and whole.usage.completion_tokens == 40
    assert (
        "".join(c.choices[0].delta.content or "" for c in chunks)
        == whole.choices[0].message.content
    )
    final = chunks[-1]
    assert final.choices[0].finish_reason == "stop"
    assert final.x_groq is not None and final.x_groq.usage is not None
    assert final.x_groq.usage.total_tokens == whole.usage.total_tokens


async def test_embeddings_come_as_floats_or_base64(client: openai.AsyncOpenAI) -> None:
    texts = ["IVF success rates", "success rates of IVF by age"]
    floats = await client.embeddings.create(
        model="text-embedding-3-small", input=texts, encoding_format="float"
    )
    implicit = await client.embeddings.create(model="text-embedding-3-small", input=texts)
    raw = await client.embeddings.create(
        model="text-embedding-3-small", input=texts, encoding_format="base64"
    )

    vector = floats.data[0].embedding
    assert len(vector) == 1536 and math.isclose(sum(v * v for v in vector), 1.0)
    assert implicit.data[0].embedding == pytest.approx(vector, abs=1e-6)  # the SDK decoded base64
    encoded = raw.data[1].embedding
    assert isinstance(encoded, str)
    decoded = struct.unpack(f"<{len(vector)}f", base64.b64decode(encoded))
    assert decoded == pytest.approx(floats.data[1].embedding, abs=1e-6)
    assert floats.usage.prompt_tokens == math.ceil(sum(map(len, texts)) / 4)


async def test_embeddings_of_texts_sharing_words_have_positive_cosine(
    client: openai.AsyncOpenAI,
) -> None:
    response = await client.embeddings.create(
        model="text-embedding-3-small",
        input=["embryo transfer timing", "timing of the embryo transfer", "weather"],
        dimensions=64,
        encoding_format="float",
    )
    first, second, unrelated = (item.embedding for item in response.data)

    assert len(first) == 64
    assert sum(a * b for a, b in zip(first, second, strict=True)) > 0.5
    assert sum(a * b for a, b in zip(first, unrelated, strict=True)) < 0.5
