"""Serves the web client: `/` is its page, `/web/` its script and stylesheet.

The page's Content-Security-Policy allows only its own origin's script, style and requests:
the client has no inline code, so it needs neither `unsafe-inline` nor hashes.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from starlette.requests import Request
from starlette.staticfiles import StaticFiles

STATIC = Path(__file__).parent / "static"
ASSETS_PATH = "/web"
PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


def install_web_client(app: FastAPI) -> None:
    page = (STATIC / "index.html").read_bytes()

    async def index(_: Request) -> HTMLResponse:
        return HTMLResponse(page, headers={"Content-Security-Policy": PAGE_POLICY})

    # Plain routes like /docs: no rate limit, not in the schema.
    app.add_route("/", index, include_in_schema=False)
    app.mount(ASSETS_PATH, StaticFiles(directory=STATIC), name="web-client")
