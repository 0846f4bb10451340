"""Every request to an admin route leaves an `admin_audit` row before its response goes out.

The row (method, path, query string, client IP, request id, status) is committed when the route
has its response ready and before its first byte is sent, whatever the status: logins, refusals
(401, 429) and reads alike. When the row cannot be written the response is withheld and
replaced: `503 unavailable` while Postgres is unavailable, `500 internal_error` otherwise. So no
admin response, a token or a dashboard, leaves without its audit. A request to a path that is no
admin route (404) is not audited: it reached nothing, and it touches no database.
"""

from __future__ import annotations

import logging

from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import ApiError, InternalError, Unavailable
from api.ratelimit import client_ip
from shared.admin.audit import AdminRequest, record_admin_request
from shared.db.errors import is_database_unavailable
from shared.log import request_id_var
from shared.resources import Resources

log = logging.getLogger(__name__)

ADMIN_PREFIX = "/v1/admin/"


def _admin_request(scope: Scope, status: int) -> AdminRequest:
    return AdminRequest(
        method=scope["method"],
        path=scope["path"],
        query=scope["query_string"].decode("latin-1"),
        client_ip=client_ip(Request(scope)),
        request_id=request_id_var.get() or "",
        status=status,
    )


async def _audit(scope: Scope, status: int) -> ApiError | None:
    """Record the request; the error to answer instead when that failed."""
    resources: Resources = scope["app"].state.resources
    try:
        await record_admin_request(resources.sessionmaker, _admin_request(scope, status))
    except Exception as error:
        if is_database_unavailable(error):
            log.error("admin audit not written, response withheld: %s", type(error).__name__)
            return Unavailable()
        log.exception("admin audit not written, response withheld")
        return InternalError()
    return None


class AdminAuditMiddleware:
    """Audits the requests to admin routes (pure ASGI: the response is held only until its row
    is written). Install it inside the request-id middleware, whose id the row keeps."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(ADMIN_PREFIX):
            await self.app(scope, receive, send)
            return
        audited = withheld = False

        async def send_audited(message: Message) -> None:
            nonlocal audited, withheld
            if message["type"] == "http.response.start" and "route" in scope:
                audited = True
                failure = await _audit(scope, message["status"])
                if failure is not None:
                    withheld = True
                    await failure.response()(scope, receive, send)
            if not withheld:
                await send(message)

        try:
            await self.app(scope, receive, send_audited)
        except Exception:  # answered 500 by the outermost error middleware, outside this one
            if "route" in scope and not audited:
                await _audit(scope, InternalError.status)
            raise
