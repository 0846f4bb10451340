"""What every provider request goes through before it is answered: counting, provider-side
limits, the fault draw and the configured latency."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from emulator.asgi import RESET_MESSAGE
from emulator.config import EndpointKind
from emulator.counters import WINDOW_SECONDS, Outcome, Series
from emulator.errors import Provider, error_response
from emulator.state import EmulatorState

ERROR_STATUS = {Outcome.RATE_429: 429, Outcome.ERROR_500: 500, Outcome.ERROR_503: 503}
GENERATED = {Outcome.OK, Outcome.TIMEOUT, Outcome.MALFORMED, Outcome.TRUNCATE, Outcome.INVALID_JSON}
MALFORMED_BODY = b'{"id": "emulator", "object": "malformed", "data": [{"index": 0,'


@dataclass(frozen=True)
class Call:
    """One provider request: who it imitates and what its answer will cost."""

    provider: Provider
    kind: EndpointKind
    model: str
    tokens: int = 0
    stream: bool = False
    json_mode: bool = False


class ResetConnection(Response):
    """Closes the TCP connection with a reset instead of sending any response."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": RESET_MESSAGE})


async def admit(state: EmulatorState, call: Call) -> Response | Outcome:
    """Either the response to send as it is (a limit or fault), or how the route must answer:
    `OK`, or for chat the body faults `MALFORMED` (streams), `TRUNCATE` or `INVALID_JSON`."""
    config = state.config
    second = int(time.time())
    series: Series = (call.kind.value, call.model)
    state.counters.record_request(series, second)
    if call.kind is not EndpointKind.PINECONE:
        retry_after = _limit_retry_after(state, series, second, call.tokens)
        if retry_after is not None:
            state.counters.record_outcome(series, second, Outcome.OVER_LIMIT, 0)
            message = f"Rate limit reached for {call.model}: requests or tokens per minute."
            return error_response(call.provider, 429, message, retry_after=retry_after)
    outcome = state.faults.pick(config, call.kind, stream=call.stream, json_mode=call.json_mode)
    outcome = outcome or Outcome.OK
    tokens = call.tokens if outcome in GENERATED else 0
    state.counters.record_outcome(series, second, outcome, tokens)
    if outcome in ERROR_STATUS:
        retry_after = config.retry_after_seconds if outcome is Outcome.RATE_429 else None
        return error_response(call.provider, ERROR_STATUS[outcome], retry_after=retry_after)
    if outcome is Outcome.RESET:
        return ResetConnection()
    if outcome is Outcome.TIMEOUT:
        await asyncio.sleep(config.hang_seconds)
        outcome = Outcome.OK
    delay_ms = config.ttft_ms if call.kind is EndpointKind.CHAT else config.latency_ms
    await asyncio.sleep(delay_ms / 1000)
    if outcome is Outcome.MALFORMED and not call.stream:
        return Response(MALFORMED_BODY, media_type="application/json")
    return outcome


def _limit_retry_after(
    state: EmulatorState, series: Series, second: int, tokens: int
) -> int | None:
    """None when the request fits the per-model limits of the last 60 s (counting itself),
    otherwise the whole seconds until a retry would fit."""
    rpm, tpm = state.config.rpm_limit, state.config.tpm_limit
    if rpm is None and tpm is None:
        return None

    def fits(skip: int) -> bool:
        requests, used = state.counters.window(series, second, skip)
        requests += 1 if skip else 0  # a retry after `skip` seconds is one more request
        return (rpm is None or requests <= rpm) and (tpm is None or used + tokens <= tpm)

    if fits(0):
        return None
    return next((skip for skip in range(1, WINDOW_SECONDS) if fits(skip)), WINDOW_SECONDS)
