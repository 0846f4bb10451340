"""HTTP + SSE helpers for the end-to-end tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from httpx_sse import aconnect_sse


@dataclass(frozen=True)
class Event:
    id: str
    type: str
    data: Any


async def new_session(client: httpx.AsyncClient, base_url: str) -> dict[str, str]:
    response = await client.post(f"{base_url}/v1/sessions")
    assert response.status_code == 201
    return {"Authorization": f"Bearer {response.json()['token']}"}


async def ask(
    client: httpx.AsyncClient,
    base_url: str,
    auth: dict[str, str],
    message: str,
    language: str | None = None,
) -> dict[str, Any]:
    body = {"message": message} if language is None else {"message": message, "language": language}
    response = await client.post(f"{base_url}/v1/chat", json=body, headers=auth)
    assert response.status_code == 202, response.text
    accepted: dict[str, Any] = response.json()
    return accepted


async def read_events(
    client: httpx.AsyncClient,
    url: str,
    headers: dict[str, str] | None = None,
    stop_after_tokens: int | None = None,
) -> list[Event]:
    """Events until the terminal one, or until `stop_after_tokens` tokens (then disconnect)."""
    events: list[Event] = []
    async with aconnect_sse(client, "GET", url, headers=dict(headers or {})) as source:
        assert source.response.status_code == 200
        async for sse in source.aiter_sse():
            events.append(Event(sse.id, sse.event, sse.json()))
            tokens = sum(event.type == "token" for event in events)
            if sse.event in {"done", "error"} or tokens == stop_after_tokens:
                break
    return events
