"""URLs handed to clients for a job: status and the signed events stream."""

from __future__ import annotations

from urllib.parse import urlencode

from api.capability import EventsCapability


def status_url(job_id: str) -> str:
    return f"/v1/jobs/{job_id}"


def events_url(capability: EventsCapability, job_id: str) -> str:
    return f"/v1/jobs/{job_id}/events?{urlencode({'token': capability.issue(job_id)})}"
