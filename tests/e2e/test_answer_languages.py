"""A user who reads Spanish or Hindi, offline: the languages offered, then answers that quote the
English knowledge base between a note and a closing line in the user's language."""

import httpx
import pytest

from shared.text.localized import localized
from tests.constants import unique_question
from tests.e2e.client import Event, ask, new_session, read_events

pytestmark = pytest.mark.e2e


def answer_of(events: list[Event]) -> tuple[dict[str, object], list[str]]:
    """`done` and the suggestions, after checking the tokens make the answer."""
    done = events[-1].data
    assert events[-1].type == "done", done
    assert "".join(e.data["text"] for e in events if e.type == "token") == done["answer"]
    return done, next(event.data for event in events if event.type == "suggestions")


async def test_offline_answers_say_in_the_users_language_that_they_quote_english(
    api: str,
) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        offered = (await client.get(f"{api}/v1/languages")).json()["languages"]
        hindi_code = next(entry["code"] for entry in offered if entry["native_name"] == "हिन्दी")
        auth = await new_session(client, api)
        spanish_job = await ask(client, api, auth, unique_question("¿Qué es la endometriosis?"))
        hindi_job = await ask(client, api, auth, unique_question("PCOS क्या है?"), hindi_code)
        spanish = answer_of(await read_events(client, api + spanish_job["events_url"]))
        hindi = answer_of(await read_events(client, api + hindi_job["events_url"]))

    for (done, suggestions), code, topic in [
        (spanish, "es", "ndometriosis"),
        (hindi, "hi", "PCOS"),
    ]:
        texts = localized(code)
        answer = str(done["answer"])
        assert answer.startswith(f"{texts.sources_in_english}\n\n"), answer
        assert answer.endswith(f"]\n\n{texts.disclaimer}"), answer
        assert topic in answer  # the English quotes between them
        assert (done["mode"], done["language"]) == ("extractive", "en")
        templates = [*texts.follow_ups.values(), *texts.general_follow_ups]
        endings = tuple(template.split("{focus}")[-1] for template in templates)
        assert len(suggestions) == 3 and all(s.endswith(endings) for s in suggestions)
