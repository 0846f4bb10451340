"""With a chat model, grounding decides what the model is shown: only passages on the
question's focus reach the draft prompt, and a question the knowledge base does not cover is
declined without asking the model at all."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from emulator import RunningEmulator
from shared.rag.assembly import build_providers
from shared.rag.grounding import DECLINE_ANSWER
from shared.rag.pipeline import RetrievalConfig, answer_question, prepare_question
from shared.resources import Resources
from tests.contract.providers import emulated
from tests.unit.test_pipeline import RecordingSink

pytestmark = pytest.mark.integration

PASSAGE_TITLE = re.compile(r"^\[\d+\] ([^:]+):", re.MULTILINE)


async def ask(emulator: RunningEmulator, resources: Resources, question: str) -> str:
    settings = emulated(emulator, resources, pinecone_api_key=None, cohere_api_key=None)
    modelled = replace(resources, settings=settings)
    prepared = prepare_question(question, None, settings.max_message_chars)
    config = RetrievalConfig.from_settings(settings)
    answer = await answer_question(prepared, build_providers(modelled), RecordingSink(), config)
    return answer.text


async def test_the_draft_prompt_holds_only_passages_on_the_asked_focus(
    emulator: RunningEmulator, resources: Resources, knowledge_base: int
) -> None:
    await ask(emulator, resources, "What are the symptoms of endometriosis?")
    drafts = [p for p in await emulator.prompts() if "numbered passages" in p[0]["content"]]
    assert len(drafts) == 1
    titles = PASSAGE_TITLE.findall(drafts[0][0]["content"])
    assert titles and set(titles) == {"Endometriosis"}


async def test_an_uncovered_question_is_declined_without_a_model_call(
    emulator: RunningEmulator, resources: Resources, knowledge_base: int
) -> None:
    answer = await ask(emulator, resources, "Does acupuncture improve IVF success?")
    assert answer == DECLINE_ANSWER
    assert not [p for p in await emulator.prompts() if "numbered passages" in p[0]["content"]]
