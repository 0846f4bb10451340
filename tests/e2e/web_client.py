"""Driving the web client in a browser (tests/e2e/test_web_client.py, test_behind_nginx.py)."""

from __future__ import annotations

from playwright.async_api import Locator, Page

# Long enough for an answer, streamed at the suite's words per second.
ANSWER_TIMEOUT_MS = 60_000


async def ask(page: Page, question: str) -> None:
    await page.get_by_label("Your question").fill(question)
    await page.get_by_role("button", name="Ask").click()


def last_answer(page: Page) -> Locator:
    return page.locator("#messages li.assistant").last


async def lengths_until_answered(page: Page) -> list[int]:
    """The last answer's length, every 100 ms until it is finished (its rating form shows)."""
    lengths: list[int] = []
    while not await last_answer(page).locator("form.rating").count():
        lengths.append(len(await last_answer(page).locator(".text").inner_text()))
        await page.wait_for_timeout(100)
    return lengths


def grew(lengths: list[int]) -> bool:
    """Whether the text was seen at three lengths at least: it came in pieces, not at once."""
    return len({length for length in lengths if length}) >= 3
