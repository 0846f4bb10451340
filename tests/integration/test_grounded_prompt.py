"""With a chat model, grounding decides what the model is shown: only passages on the
question's focus reach the draft prompt, and a question the knowledge base does not cover is
declined without asking the model at all."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from emulator import RunningEmulator
from shared.rag.assembly import build_providers
from shared.rag.pipeline import RetrievalConfig, answer_question, prepare_question
from shared.resources import Resources
from shared.text.language import Language
from shared.text.localized import localized
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
    assert answer == localized(Language.EN).decline
    assert not [p for p in await emulator.prompts() if "numbered passages" in p[0]["content"]]


async def test_a_drafted_claim_about_another_condition_is_flagged_and_dropped(
    emulator: RunningEmulator, resources: Resources, knowledge_base: int
) -> None:
    on_focus = "Endometriosis can cause pelvic pain [1]."
    off_focus = "Endometrial cancer often causes unusual vaginal bleeding [1]."
    uncited = "Some women have no symptoms [7]."
    await emulator.configure(text_reply=f"{on_focus} {off_focus} {uncited}")
    settings = emulated(emulator, resources, pinecone_api_key=None, cohere_api_key=None)
    modelled = replace(resources, settings=settings)
    prepared = prepare_question("What are the symptoms of endometriosis?", None, 2000)
    sink = RecordingSink()
    config = RetrievalConfig.from_settings(settings)
    answer = await answer_question(prepared, build_providers(modelled), sink, config)
    assert answer.text.startswith(on_focus)
    assert off_focus not in answer.text and uncited not in answer.text
    assert answer.audit["grounding"]["off_focus_claims"] == 2
    assert ("reset", "revised") in sink.log  # the client drops the streamed draft
