"""Admin access: a PIN (`ADMIN_PIN`) is exchanged for a short-lived signed bearer token."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from api.deps import BearerToken, ResourcesDep
from api.errors import (
    AdminDisabled,
    AdminPinInvalid,
    AdminRequired,
    AdminTokenExpired,
    AdminTokenInvalid,
    Unauthorized,
)
from shared.config import Settings

SALT = "izana.admin.v1"
SUBJECT = "admin"


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key.get_secret_value(), salt=SALT)


def configured_pin(settings: Settings) -> str:
    """The PIN; 503 when admin access is off."""
    if settings.admin_pin is None:
        raise AdminDisabled
    return settings.admin_pin.get_secret_value()


def issue_admin_token(settings: Settings, pin: str) -> str:
    """A token for the right PIN; 401 otherwise (callers are rate limited per IP)."""
    if not hmac.compare_digest(pin.encode(), configured_pin(settings).encode()):
        raise AdminPinInvalid
    return _serializer(settings).dumps(SUBJECT)


ADMIN_TOKEN = BearerToken(
    "admin", "The token `POST /v1/admin/login` returned for the admin PIN, as a bearer token."
)


async def require_admin(
    resources: ResourcesDep, token: Annotated[str | None, Depends(ADMIN_TOKEN)]
) -> None:
    settings = resources.settings
    configured_pin(settings)
    if token is None:
        raise AdminRequired
    try:
        subject = _serializer(settings).loads(token, max_age=settings.admin_token_ttl_seconds)
    except SignatureExpired as error:
        raise AdminTokenExpired from error
    except BadSignature as error:
        raise AdminTokenInvalid from error
    if subject != SUBJECT:
        raise AdminTokenInvalid


AdminDep = Depends(require_admin)
# What an admin route can answer with (`unauthorized`: a malformed Authorization header).
ADMIN_ERRORS = (
    AdminDisabled,
    Unauthorized,
    AdminRequired,
    AdminTokenExpired,
    AdminTokenInvalid,
)
