"""The web client served at `/`, driven in Debian's Chromium by Playwright against real API and
worker processes: chat (streaming, citations, resume after a reload, suggestions, ratings),
blood work (upload, markers, an edited value analysed) and admin (login, charts, tables).

Screenshots go to $IZANA_SCREENSHOTS_DIR when it is set (`make screenshots` sets it to
docs/screenshots/), else to the test's temporary directory.
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from shared.text.localized import localized
from tests.constants import ROOT, unique_question
from tests.e2e.conftest import ADMIN_PIN
from tests.e2e.web_client import ANSWER_TIMEOUT_MS, ask, grew, last_answer, lengths_until_answered

SAMPLE = ROOT / "data" / "samples" / "table_hormone_panel.pdf"
QUESTION = "What are the symptoms of polycystic ovary syndrome?"
pytestmark = pytest.mark.e2e


@pytest.fixture
async def page(browser: Browser, api: str) -> AsyncIterator[Page]:
    context = await browser.new_context(base_url=api, viewport={"width": 1280, "height": 900})
    opened = await context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    opened.on(
        "console",
        lambda message: (
            errors.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    await opened.goto("/")
    yield opened
    await context.close()
    assert not errors, errors  # no script error, nothing the page's policy refused


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    directory = Path(os.environ.get("IZANA_SCREENSHOTS_DIR", tmp_path))
    directory.mkdir(parents=True, exist_ok=True)
    return directory


async def session_token(page: Page) -> str:
    return str(await page.evaluate("localStorage.getItem('izana.session')"))


async def stored_conversations(api: str, token: str) -> list[dict]:  # type: ignore[type-arg]
    async with httpx.AsyncClient(base_url=api, headers={"Authorization": f"Bearer {token}"}) as c:
        listed = (await c.get("/v1/conversations")).json()["conversations"]
        return [(await c.get(f"/v1/conversations/{x['id']}")).json() for x in listed]


async def test_a_question_streams_visibly_and_ends_with_citations(
    page: Page, screenshots: Path
) -> None:
    await ask(page, unique_question(QUESTION))
    lengths = await lengths_until_answered(page)
    assert grew(lengths), lengths
    text = last_answer(page).locator(".text")
    citations = last_answer(page).locator(".citations a")
    await expect(citations.first).to_have_attribute("href", re.compile(r"^https?://"))
    assert "olycystic" in await text.inner_text()
    await page.screenshot(path=screenshots / "chat.png", full_page=True)


async def test_a_reload_mid_answer_resumes_without_duplicated_text(page: Page, api: str) -> None:
    await ask(page, unique_question(QUESTION))
    text = last_answer(page).locator(".text")
    await expect(text).to_have_text(
        re.compile(r"\w+ \w+ \w+"), timeout=ANSWER_TIMEOUT_MS
    )  # mid-answer
    assert not await last_answer(page).locator("form.rating").count()
    await page.reload()
    await expect(last_answer(page).locator("form.rating")).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    shown = await last_answer(page).locator(".text").inner_text()
    (conversation,) = await stored_conversations(api, await session_token(page))
    stored = conversation["messages"][-1]["content"]
    assert shown.strip() == stored.strip()


async def test_a_suggestion_asks_it_and_a_rating_persists(page: Page, api: str) -> None:
    await ask(page, unique_question(QUESTION))
    answer = last_answer(page)
    await expect(answer.locator("form.rating")).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    await answer.get_by_label("4★").check()
    await answer.get_by_label("Why? (optional)").fill("clear and cited")
    await answer.get_by_role("button", name="Send rating").click()
    await expect(answer.get_by_role("status")).to_have_text("Thanks, rating saved")
    suggestion = answer.locator(".suggestions button").first
    asked = await suggestion.inner_text()
    await suggestion.click()
    await expect(page.locator("#messages li.user").last).to_have_text(asked)
    await expect(last_answer(page).locator("form.rating")).to_be_visible(timeout=ANSWER_TIMEOUT_MS)

    await page.reload()  # the rating is the server's, shown again in the conversation
    await page.locator("#conversations li button").first.click()
    await expect(page.locator("#messages li.assistant").first.get_by_label("4★")).to_be_checked()
    (conversation,) = await stored_conversations(api, await session_token(page))
    rated = conversation["messages"][1]
    assert (rated["rating"], rated["rating_reason"]) == (4, "clear and cited")
    assert [m["content"] for m in conversation["messages"] if m["role"] == "user"][1] == asked


async def test_the_language_picked_is_the_answers(page: Page, api: str) -> None:
    await page.get_by_label("Answer in").select_option("es")
    await ask(page, unique_question(QUESTION))
    await expect(last_answer(page).locator("form.rating")).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    (conversation,) = await stored_conversations(api, await session_token(page))
    question, answer = conversation["messages"]
    assert question["language"] == "es"  # asked of an English question: the choice was sent
    assert answer["content"].startswith(localized("es").sources_in_english)


async def test_a_conversation_is_deleted_from_the_history(page: Page, api: str) -> None:
    await ask(page, unique_question(QUESTION))
    await expect(last_answer(page).locator("form.rating")).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    await expect(page.locator("#conversations li")).to_have_count(1)
    await page.get_by_role("button", name="Delete conversation", exact=False).click()
    await expect(page.locator("#conversations li")).to_have_count(0)
    assert await stored_conversations(api, await session_token(page)) == []


async def test_an_uploaded_report_shows_its_markers_and_an_edited_value_is_analysed(
    page: Page, api: str, screenshots: Path
) -> None:
    await page.get_by_role("button", name="Blood work").click()
    await page.get_by_label("Lab report (PDF)").set_input_files(SAMPLE)
    await page.get_by_role("button", name="Upload").click()
    fsh = page.get_by_label("FSH value")
    await expect(fsh).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    assert await page.locator("#upload-progress").get_attribute("value") == "100"
    assert await page.locator("#markers tr").count() >= 5
    await fsh.fill("42.5")
    await page.screenshot(path=screenshots / "bloodwork.png", full_page=True)
    await page.get_by_role("button", name="Confirm and analyse").click()
    await expect(page.locator("#analysis .text")).to_have_text(
        re.compile(r"\w{3,}"), timeout=ANSWER_TIMEOUT_MS
    )
    conversations = await stored_conversations(api, await session_token(page))
    question = conversations[0]["messages"][0]["content"]
    assert "FSH 42.5" in question  # the analysis was asked of the edited value


async def test_the_admin_page_logs_in_and_charts_the_stats(page: Page, screenshots: Path) -> None:
    await ask(page, unique_question(QUESTION))  # at least one question today
    await expect(last_answer(page).locator("form.rating")).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    await page.get_by_role("button", name="Admin").click()
    await page.get_by_label("Admin PIN").fill("not-the-pin")
    await page.get_by_role("button", name="Log in").click()
    await expect(page.get_by_role("alert")).not_to_be_empty()
    await page.get_by_label("Admin PIN").fill(ADMIN_PIN)
    await page.get_by_role("button", name="Log in").click()
    questions = page.locator("#chart-questions rect")
    await expect(questions.first).to_be_attached()
    heights = [float(await bar.get_attribute("height") or 0) for bar in await questions.all()]
    assert max(heights) > 0
    assert await page.locator("#chart-latency rect").count() == 6
    assert await page.locator("#documents tbody tr").count() >= 1
    await page.screenshot(path=screenshots / "admin.png", full_page=True)


async def test_every_control_is_labelled_and_reachable_by_keyboard(page: Page) -> None:
    unlabelled = await page.evaluate(
        """() => [...document.querySelectorAll("input, select, textarea, button")]
            .filter((c) => !(c.labels?.length || c.ariaLabel || c.textContent.trim()))
            .map((c) => c.outerHTML)"""
    )
    assert unlabelled == []
    await page.keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.textContent") == "Chat"
    question = page.get_by_label("Your question")
    await question.focus()
    await page.keyboard.type(unique_question(QUESTION))
    await page.keyboard.press("Enter")  # Enter asks
    await expect(page.locator("#messages li.user")).to_have_count(1)
