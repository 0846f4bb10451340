"""Answers in the user's language, through the real chat job (Redis, Postgres, the shipped
knowledge base): offline, English quotes between a note and a closing line in that language;
with a chat model (the emulator), the prompts ask for it by name and its reply reaches `done`."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from typing import Any

import pytest

from emulator import RunningEmulator
from shared.chat.gold_match import GoldAnswers
from shared.chat.job import run_chat_job
from shared.db.models import Message
from shared.events import EventType, StreamEvent
from shared.rag.assembly import Providers, build_providers
from shared.resources import Resources
from shared.text.localized import localized
from tests.constants import unique_question
from tests.contract.providers import emulated
from tests.integration.jobs import events_of, queued_job

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class Answered:
    done: dict[str, Any]
    events: list[StreamEvent]
    stored: Message

    @property
    def suggestions(self) -> list[str]:
        return next(list(e.payload()) for e in self.events if e.type is EventType.SUGGESTIONS)

    @property
    def streamed(self) -> str:
        """The tokens since the last reset: what a client shows."""
        shown = ""
        for event in self.events:
            if event.type is EventType.RESET:
                shown = ""
            elif event.type is EventType.TOKEN:
                shown += event.payload()["text"]
        return shown


async def ask(
    providers: Providers, resources: Resources, message: str, language: str | None = None
) -> Answered:
    job = await queued_job(resources, message, language=language)
    message_id = await run_chat_job(providers, GoldAnswers(), resources, job, last_try=True)
    assert message_id is not None
    events = await events_of(resources, job.job_id)
    async with resources.sessionmaker() as db:
        stored = await db.get(Message, uuid.UUID(message_id))
    assert stored is not None
    return Answered(events[-1].payload(), events, stored)


def assert_consistent(answered: Answered) -> None:
    """What streamed, `done` and the stored message say is one answer in one language."""
    done = answered.done
    assert answered.streamed == done["answer"] == answered.stored.content
    assert answered.stored.language == done["language"]


# Offline: the extractive answerer and the passage reviewer.


async def test_offline_a_spanish_question_gets_english_quotes_framed_in_spanish(
    providers: Providers, resources: Resources, knowledge_base: int
) -> None:
    spanish = localized("es")
    answered = await ask(providers, resources, unique_question("¿Qué es la endometriosis?"))
    assert_consistent(answered)
    answer = answered.done["answer"]
    assert answer.startswith(f"{spanish.sources_in_english}\n\n")
    assert answer.endswith(f"]\n\n{spanish.disclaimer}")
    assert "ndometriosis is" in answer  # quoted from the English passage
    assert answered.done["language"] == "en"  # what it says is the knowledge base's English
    assert answered.done["mode"] == "extractive"
    assert len(answered.suggestions) == 3
    assert all(question.startswith("¿") for question in answered.suggestions)


async def test_offline_a_hindi_question_gets_english_quotes_framed_in_hindi(
    providers: Providers, resources: Resources, knowledge_base: int
) -> None:
    hindi = localized("hi")
    answered = await ask(providers, resources, unique_question("PCOS क्या है?"), language="hi")
    assert_consistent(answered)
    answer = answered.done["answer"]
    assert answer.startswith(f"{hindi.sources_in_english}\n\n")
    assert answer.endswith(f"]\n\n{hindi.disclaimer}")
    assert "olycystic ovary syndrome" in answer
    assert answered.done["language"] == "en"
    templates = [*hindi.follow_ups.values(), *hindi.general_follow_ups]
    assert len(answered.suggestions) == 3
    assert all(
        any(question.endswith(template.split("{focus}")[-1]) for template in templates)
        for question in answered.suggestions
    )


async def test_offline_a_question_the_knowledge_base_lacks_is_declined_in_its_language(
    providers: Providers, resources: Resources, knowledge_base: int
) -> None:
    tamil = localized("ta")
    # "Is a car tyre bad for the womb?" names no topic of the (English) knowledge base.
    answered = await ask(providers, resources, unique_question("கார் டயர் கருப்பைக்கு கெட்டதா?"))
    assert_consistent(answered)
    assert answered.done["answer"] == tamil.decline  # no quote, so no closing line either
    assert answered.done["language"] == "ta"  # wholly in Izana's own Tamil
    assert answered.suggestions == list(tamil.general_follow_ups)


async def test_offline_one_question_in_two_languages_shares_no_cache_entry(
    providers: Providers, resources: Resources, knowledge_base: int
) -> None:
    question = unique_question("What is endometriosis?")
    english = await ask(providers, resources, question, language="en")
    spanish = await ask(providers, resources, question, language="es")
    spanish_again = await ask(providers, resources, question, language="es-MX")
    english_again = await ask(providers, resources, question)  # detected: English
    assert not english.done["cached"] and not spanish.done["cached"]
    assert spanish_again.done["cached"] and english_again.done["cached"]
    note = localized("es").sources_in_english
    assert spanish.done["answer"] == f"{note}\n\n{english.done['answer']}".replace(
        localized("en").disclaimer, localized("es").disclaimer
    )
    assert spanish_again.done["answer"] == spanish.done["answer"]
    assert english_again.done["answer"] == english.done["answer"]
    assert spanish.suggestions != english.suggestions
    assert spanish_again.suggestions == spanish.suggestions
    assert {a.done["language"] for a in (english, spanish, spanish_again)} == {"en"}


# With a chat model: Groq and OpenAI served by the emulator, retrieval on the local store.

# The emulator's replies: its plain completions (the query's translation, then the draft) are
# this English question, and its review (JSON) this Spanish answer and these follow-ups.
ENGLISH_QUERY = "What is endometriosis?"
SPANISH_REVIEW = {
    "revised_response": "La endometriosis es tejido como el del útero que crece fuera de él. [1]",
    "suggested_questions": [
        "¿Cuáles son los síntomas de la endometriosis?",
        "¿Cómo se diagnostica la endometriosis?",
        "¿Cómo se trata la endometriosis?",
    ],
}


def with_models(emulator: RunningEmulator, resources: Resources) -> tuple[Providers, Resources]:
    settings = emulated(emulator, resources, pinecone_api_key=None, cohere_api_key=None)
    modelled = replace(resources, settings=settings)
    return build_providers(modelled), modelled


def system_prompt(prompts: list[list[dict[str, str]]], opening: str) -> list[dict[str, str]]:
    return next(prompt for prompt in prompts if prompt[0]["content"].startswith(opening))


async def test_with_a_model_a_spanish_question_is_answered_in_spanish(
    emulator: RunningEmulator, resources: Resources, knowledge_base: int
) -> None:
    await emulator.configure(text_reply=ENGLISH_QUERY, json_reply=SPANISH_REVIEW)
    providers, modelled = with_models(emulator, resources)
    question = unique_question("¿Qué es la endometriosis?")
    answered = await ask(providers, modelled, question)  # the language detected

    prompts = await emulator.prompts()
    translating = system_prompt(prompts, "Translate the user's message from Spanish into English")
    assert translating[-1]["content"] == question
    drafting = system_prompt(prompts, "You are Izana")
    assert "Write the whole answer in Spanish" in drafting[0]["content"]
    assert drafting[-1] == {"role": "user", "content": question}
    reviewing = system_prompt(prompts, "You review a draft answer")
    assert "written wholly in Spanish" in reviewing[0]["content"]
    assert "follow-up questions the patient may ask next, in Spanish" in reviewing[0]["content"]

    assert_consistent(answered)
    closing = localized("es").disclaimer
    assert answered.done["answer"] == f"{SPANISH_REVIEW['revised_response']}\n\n{closing}"
    assert (answered.done["language"], answered.done["mode"]) == ("es", "generated")
    assert answered.suggestions == SPANISH_REVIEW["suggested_questions"]


async def test_with_a_model_the_language_the_client_chose_wins_down_to_the_fallbacks(
    emulator: RunningEmulator, resources: Resources, knowledge_base: int
) -> None:
    """An English question sent with `language: ja`; the review's JSON never parses, so the
    follow-ups come from the templates, in Japanese too."""
    await emulator.configure(text_reply=ENGLISH_QUERY, rate_invalid_json=1.0)
    providers, modelled = with_models(emulator, resources)
    answered = await ask(providers, modelled, unique_question(ENGLISH_QUERY), language="ja")

    drafting = system_prompt(await emulator.prompts(), "You are Izana")
    assert "Write the whole answer in Japanese" in drafting[0]["content"]
    assert_consistent(answered)
    japanese = localized("ja")
    assert answered.done["answer"] == f"{ENGLISH_QUERY}\n\n{japanese.disclaimer}"  # the draft
    assert answered.done["language"] == "ja"
    assert len(answered.suggestions) == 3
    assert all(question.endswith("？") for question in answered.suggestions)
