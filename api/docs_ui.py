"""The API docs page (/docs): Swagger UI served from this app, no CDN.

The assets come from the `swagger-ui-bundle` package, mounted at `/docs/assets`. The page's one
inline script (Swagger UI's start-up) is allowed by its hash in the page's Content-Security-Policy,
so the docs need no `unsafe-inline` script and load nothing from another origin. ReDoc, which
FastAPI would load from a CDN, is not served.
"""

from __future__ import annotations

import base64
import hashlib
import re

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from starlette.requests import Request
from starlette.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

DOCS_PATH = "/docs"
ASSETS_PATH = f"{DOCS_PATH}/assets"
_INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.DOTALL)


def _script_hashes(page: bytes) -> str:
    """The CSP sources allowing exactly the page's inline scripts."""
    return " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(script).digest()).decode()}'"
        for script in _INLINE_SCRIPT.findall(page)
    )


def docs_policy(page: bytes) -> str:
    """The Content-Security-Policy of the docs page: its own origin, its own inline script."""
    return (
        "default-src 'self'; "
        f"script-src 'self' {_script_hashes(page)}; "
        "style-src 'self' 'unsafe-inline'; "  # Swagger UI sets style attributes
        "img-src 'self' data:; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    )


def install_docs(app: FastAPI) -> None:
    """`/docs` and its assets; the app must be created with `docs_url=None, redoc_url=None`."""
    page = get_swagger_ui_html(
        openapi_url=app.openapi_url or "/openapi.json",
        title=f"{app.title} - Swagger UI",
        oauth2_redirect_url=None,  # no OAuth2 here
        swagger_js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
        swagger_css_url=f"{ASSETS_PATH}/swagger-ui.css",
        swagger_favicon_url=f"{ASSETS_PATH}/favicon-32x32.png",
    ).body
    policy = docs_policy(bytes(page))

    async def docs(_: Request) -> HTMLResponse:
        return HTMLResponse(page, headers={"Content-Security-Policy": policy})

    # A plain route, as FastAPI's own docs: no rate limit, like /openapi.json.
    app.add_route(DOCS_PATH, docs, include_in_schema=False)
    app.mount(ASSETS_PATH, StaticFiles(directory=swagger_ui_path), name="docs-assets")
