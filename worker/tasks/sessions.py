"""The cron task that erases expired sessions and everything in them."""

from __future__ import annotations

import logging
from typing import Any

from shared.resources import Resources
from shared.sessions.erasure import erase_expired_sessions

log = logging.getLogger(__name__)

# Sessions erased per run; a backlog clears over the next runs.
SESSIONS_PER_RUN = 500


async def erase_expired(ctx: dict[str, Any]) -> int:
    resources: Resources = ctx["resources"]
    erased = await erase_expired_sessions(resources, SESSIONS_PER_RUN)
    if erased:
        log.info("expired sessions erased", extra={"sessions": erased})
    return erased
