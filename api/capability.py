"""Signed, expiring capabilities in `events_url`, since browser EventSource cannot send headers."""

from __future__ import annotations

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from api.errors import EventsTokenExpired, EventsTokenInvalid

SALT = "izana.job-events.v1"


class EventsCapability:
    def __init__(self, secret: str, ttl_seconds: int) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt=SALT)
        self._ttl_seconds = ttl_seconds

    def issue(self, job_id: str) -> str:
        return self._serializer.dumps(job_id)

    def verify(self, token: str, job_id: str) -> None:
        """Raise 401 when the capability expired and 403 when it is forged or for another job."""
        try:
            signed_job = self._serializer.loads(token, max_age=self._ttl_seconds)
        except SignatureExpired as error:
            raise EventsTokenExpired from error
        except BadSignature as error:
            raise EventsTokenInvalid from error
        if signed_job != job_id:
            raise EventsTokenInvalid.for_another_job()
