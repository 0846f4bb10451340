"""The error catalogue: every error the API answers with, and the one body they all share,
`{"error": {"code", "message", "details"?}}`.

Each error is a class with its status, its code (stable: clients branch on it), a default
message for people and, as its docstring, when it happens. Raise one of them: `api.error_handlers`
answers with its `response()`, and answers the framework's own failures with one of them too.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar, Self

from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

RETRY_AFTER_SECONDS = "5"


class ErrorDetail(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(description="Stable and machine-readable: branch on it.")
    message: str = Field(description="For people; its wording may change.")
    details: Any = Field(
        default=None,
        description="Only where it adds something: the field errors of a 422, the limit of a 429.",
    )


class ErrorBody(BaseModel):
    """The body of every error response."""

    model_config = ConfigDict(extra="forbid")

    error: ErrorDetail


class ApiError(Exception):
    """An error answered with `status` and `code`; subclasses are the catalogue."""

    status: ClassVar[int]
    code: ClassVar[str]
    message: str  # a subclass's default
    # Documented as a response header (the instance carries its value in `headers`).
    sends_retry_after: ClassVar[bool] = False

    def __init__(
        self,
        message: str | None = None,
        *,
        details: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.message = message or type(self).message
        super().__init__(self.message)
        self.details = details
        self.headers = dict(headers) if headers else None

    def body(self) -> ErrorBody:
        return ErrorBody(
            error=ErrorDetail(code=self.code, message=self.message, details=self.details)
        )

    def response(self) -> JSONResponse:
        content = self.body().model_dump(mode="json", exclude_none=True)
        return JSONResponse(content, status_code=self.status, headers=self.headers)


def catalogue() -> list[type[ApiError]]:
    """Every error class, in the order defined here."""
    return ApiError.__subclasses__()


# 400


class InvalidJson(ApiError):
    """The request body is not valid JSON."""

    status = 400
    code = "invalid_json"
    message = "The request body is not valid JSON."


class BadRequest(ApiError):
    """The multipart body cannot be parsed (the framework's message says why)."""

    status = 400
    code = "bad_request"
    message = "The request body cannot be read."


class InvalidLastEventId(ApiError):
    """`Last-Event-ID` is not a stream id (`<ms>-<seq>`)."""

    status = 400
    code = "invalid_last_event_id"
    message = "Last-Event-ID is not an event id of this stream."


class InvalidCursor(ApiError):
    """`cursor` is not one this API returned as `next_cursor`."""

    status = 400
    code = "invalid_cursor"
    message = "The cursor is not valid; use the next_cursor of a previous page."


class PathNotAllowed(ApiError):
    """A path to re-index lies outside `INGEST_ROOTS`."""

    status = 400
    code = "path_not_allowed"
    message = "The path is outside INGEST_ROOTS; only those are read."

    def __init__(self, path: Path) -> None:
        super().__init__(f"{path} is outside INGEST_ROOTS; only those are read.")


# 401


class Unauthorized(ApiError):
    """No or malformed `Authorization` header; or neither an events token nor a session."""

    status = 401
    code = "unauthorized"
    message = "A session token is required: POST /v1/sessions to get one."

    @classmethod
    def malformed_header(cls) -> Self:
        return cls("Send the session token as 'Authorization: Bearer …'.")

    @classmethod
    def for_events(cls) -> Self:
        return cls("Use the events_url from the job, or a session token.")


class SessionInvalid(ApiError):
    """The session token is unknown, expired or erased."""

    status = 401
    code = "session_invalid"
    message = "The session is unknown or has expired."


class EventsTokenExpired(ApiError):
    """The `events_url` token is older than `EVENTS_URL_TTL_SECONDS`."""

    status = 401
    code = "events_token_expired"
    message = "This events link has expired; fetch the job again for a fresh events_url."


class AdminPinInvalid(ApiError):
    """The admin PIN is wrong."""

    status = 401
    code = "admin_pin_invalid"
    message = "The PIN is not correct."


class AdminRequired(ApiError):
    """An admin route without an `Authorization` header."""

    status = 401
    code = "admin_required"
    message = "Log in at POST /v1/admin/login and send the token."


class AdminTokenExpired(ApiError):
    """The admin token is older than `ADMIN_TOKEN_TTL_SECONDS`."""

    status = 401
    code = "admin_token_expired"
    message = "The admin token has expired."


class AdminTokenInvalid(ApiError):
    """The admin token is forged or tampered with (a session token is not one)."""

    status = 401
    code = "admin_token_invalid"
    message = "The admin token is not valid."


# 403


class EventsTokenInvalid(ApiError):
    """The `events_url` token is forged, tampered with, or for another job."""

    status = 403
    code = "events_token_invalid"
    message = "This events link is not valid."

    @classmethod
    def for_another_job(cls) -> Self:
        return cls("This events link is for another job.")


# 404


class NotFound(ApiError):
    """No route has this path."""

    status = 404
    code = "not_found"
    message = "Not Found"


class ModelNotFound(ApiError):
    """`POST /v1/chat/completions` names a model `GET /v1/models` does not list."""

    status = 404
    code = "model_not_found"
    message = "The model does not exist; GET /v1/models lists those served."

    def __init__(self, model: str) -> None:
        super().__init__(f"The model {model!r} does not exist; GET /v1/models lists those served.")


class JobNotFound(ApiError):
    """The job is unknown, expired, someone else's or its id malformed; or the ingestion job is
    unknown or its result has expired."""

    status = 404
    code = "job_not_found"
    message = "No such job."

    @classmethod
    def ingestion(cls) -> Self:
        return cls("No such ingestion job (results are kept an hour).")


class ConversationNotFound(ApiError):
    """The `conversation_id` is unknown or belongs to another session."""

    status = 404
    code = "conversation_not_found"
    message = "No such conversation."


class MessageNotFound(ApiError):
    """The message is unknown, a question rather than an answer, or in another session's
    conversation."""

    status = 404
    code = "message_not_found"
    message = "No such answer."


class GoldAnswerNotFound(ApiError):
    """No gold answer has this id."""

    status = 404
    code = "gold_answer_not_found"
    message = "No such gold answer."


class ReportNotFound(ApiError):
    """The report is unknown or belongs to another session."""

    status = 404
    code = "report_not_found"
    message = "No such report."


# 405


class MethodNotAllowed(ApiError):
    """The route does not take this method."""

    status = 405
    code = "method_not_allowed"
    message = "Method Not Allowed"


# 408


class RequestTimeout(ApiError):
    """The request body did not arrive whole within `BODY_READ_TIMEOUT_SECONDS`."""

    status = 408
    code = "request_timeout"
    message = "The request body did not arrive in time."


# 409


class JobFinished(ApiError):
    """The job to cancel is already complete, failed or cancelled."""

    status = 409
    code = "job_finished"
    message = "The job has already finished and cannot be cancelled."


class UploadPending(ApiError):
    """Another report of the session is still being read."""

    status = 409
    code = "upload_pending"
    message = "A report of this session is still being read; wait for it."


class ReportNotReady(ApiError):
    """The report to analyse has not been read successfully."""

    status = 409
    code = "report_not_ready"
    message = "The report has not been read successfully."


# 410


class EventsExpired(ApiError):
    """The job finished and its event stream has expired; GET the job instead."""

    status = 410
    code = "events_expired"
    message = "This job's events have expired; GET the job instead."


# 413


class FileTooLarge(ApiError):
    """The upload is larger than `BLOODWORK_MAX_BYTES`."""

    status = 413
    code = "file_too_large"
    message = "The file is larger than the upload limit."

    def __init__(self, max_bytes: int) -> None:
        super().__init__(f"The file is larger than {max_bytes / 1e6:g} MB.")


# 415


class UnsupportedMediaType(ApiError):
    """A JSON route without `Content-Type: application/json`."""

    status = 415
    code = "unsupported_media_type"
    message = "Send the request body as application/json."


# The lab reports an upload refuses (NotAPdf, PdfDamaged, PdfEncrypted, TooManyPages) are
# raised with the reader's message, which tells the user what to do instead.


class NotAPdf(ApiError):
    """The upload is not a PDF by its first bytes, whatever its name."""

    status = 415
    code = "not_a_pdf"
    message = "The file is not a PDF."


# 422


class ValidationFailed(ApiError):
    """Body fields or parameters missing, of the wrong type or unknown; `details` lists them."""

    status = 422
    code = "validation_error"
    message = "Some fields are missing or invalid."

    def __init__(self, field_errors: list[dict[str, Any]]) -> None:
        super().__init__(details=field_errors)


class MessageTooLong(ApiError):
    """The chat `message` is longer than `MAX_MESSAGE_CHARS`."""

    status = 422
    code = "message_too_long"
    message = "The message is too long; shorten it."

    def __init__(self, limit: int) -> None:
        super().__init__(f"The message is longer than {limit} characters; shorten it.")


class FileMissing(ApiError):
    """No multipart field `file` (another name, or not a multipart body)."""

    status = 422
    code = "file_missing"
    message = "Send the PDF as a multipart field."

    def __init__(self, field: str) -> None:
        super().__init__(f"Send the PDF as the multipart field '{field}'.")


class FileEmpty(ApiError):
    """The uploaded file is empty."""

    status = 422
    code = "file_empty"
    message = "The file is empty."


class PdfDamaged(ApiError):
    """The PDF is damaged or truncated."""

    status = 422
    code = "pdf_damaged"
    message = "The PDF is damaged or incomplete."


class PdfEncrypted(ApiError):
    """The PDF is password-protected."""

    status = 422
    code = "pdf_encrypted"
    message = "The PDF is password-protected."


class TooManyPages(ApiError):
    """The PDF has more than `BLOODWORK_MAX_PAGES` pages."""

    status = 422
    code = "too_many_pages"
    message = "The PDF has too many pages."


# 429


class RateLimited(ApiError):
    """A rate limit refused the request; `details` names it, `Retry-After` says when to retry."""

    status = 429
    code = "rate_limited"
    message = "Too many requests; retry later."
    sends_retry_after = True

    def __init__(self, retry_after: int, *, policy: str, limit: int, window_seconds: int) -> None:
        unit = "second" if retry_after == 1 else "seconds"
        super().__init__(
            f"Too many requests; retry in {retry_after} {unit}.",
            details={"policy": policy, "limit": limit, "window_seconds": window_seconds},
            headers={"Retry-After": str(retry_after)},
        )


class TooManyStreams(ApiError):
    """The session already has `SSE_MAX_STREAMS_PER_SESSION` event streams open; close one."""

    status = 429
    code = "too_many_streams"
    message = "Too many open event streams for this session; close one first."
    sends_retry_after = True

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"This session already has {limit} event streams open; close one first.",
            details={"limit": limit},
            headers={"Retry-After": RETRY_AFTER_SECONDS},
        )


# 500


class InternalError(ApiError):
    """An unexpected error (logged with its stack trace)."""

    status = 500
    code = "internal_error"
    message = "Something went wrong on our side."


# 503


class AnswerFailed(ApiError):
    """`POST /v1/chat/completions` without streaming: the job ended with an `error` event
    (its code and whether a retry may succeed are in `details`)."""

    status = 502
    code = "answer_failed"
    message = "The answer could not be produced."

    def __init__(self, message: str, job_error: dict[str, object]) -> None:
        super().__init__(message, details=job_error)


class Unavailable(ApiError):
    """Redis, Postgres or the PDF store is unreachable, or Postgres is starting or stopping."""

    status = 503
    code = "unavailable"
    message = "The service is temporarily unavailable; please retry shortly."
    sends_retry_after = True

    def __init__(self) -> None:
        super().__init__(headers={"Retry-After": RETRY_AFTER_SECONDS})


class AdminDisabled(ApiError):
    """An admin route while `ADMIN_PIN` is unset."""

    status = 503
    code = "admin_disabled"
    message = "Admin access is off: ADMIN_PIN is not set."
