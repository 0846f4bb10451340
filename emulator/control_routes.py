"""The emulator's own endpoints under `/_emulator`: settings, counters, prompts and reset."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from emulator.state import EmulatorState


def routes(state: EmulatorState) -> list[Route]:
    async def get_config(request: Request) -> Response:
        return JSONResponse(state.config.model_dump(mode="json"))

    async def put_config(request: Request) -> Response:
        try:
            changes: Any = await request.json()
        except ValueError:
            return JSONResponse({"detail": "the body must be a JSON object"}, status_code=400)
        if not isinstance(changes, dict):
            return JSONResponse({"detail": "the body must be a JSON object"}, status_code=400)
        try:
            config = state.configure(changes)
        except ValidationError as error:
            detail = error.errors(include_url=False, include_context=False)
            return JSONResponse({"detail": detail}, status_code=422)
        return JSONResponse(config.model_dump(mode="json"))

    async def stats(request: Request) -> Response:
        """Limits for the window counts come from the query, else from the settings."""
        try:
            rpm = _limit(request, "rpm_limit", state.config.rpm_limit)
            tpm = _limit(request, "tpm_limit", state.config.tpm_limit)
        except ValueError:
            return JSONResponse({"detail": "rpm_limit and tpm_limit are integers"}, status_code=400)
        return JSONResponse(state.counters.snapshot(rpm, tpm))

    async def prompts(request: Request) -> Response:
        return JSONResponse(list(state.prompts))

    async def reset(request: Request) -> Response:
        state.reset()
        return JSONResponse({"reset": True})

    return [
        Route("/_emulator/config", get_config, methods=["GET"]),
        Route("/_emulator/config", put_config, methods=["PUT"]),
        Route("/_emulator/stats", stats, methods=["GET"]),
        Route("/_emulator/prompts", prompts, methods=["GET"]),
        Route("/_emulator/reset", reset, methods=["POST"]),
    ]


def _limit(request: Request, name: str, default: int | None) -> int | None:
    value = request.query_params.get(name)
    return default if value is None else int(value)
