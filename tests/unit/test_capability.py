import pytest

from api.capability import EventsCapability
from api.errors import ApiError

pytestmark = pytest.mark.unit

JOB = "0" * 32


def test_issued_capability_verifies_for_its_job() -> None:
    capability = EventsCapability("secret-one", ttl_seconds=60)
    capability.verify(capability.issue(JOB), JOB)


def test_capability_for_another_job_is_forbidden() -> None:
    capability = EventsCapability("secret-one", ttl_seconds=60)
    with pytest.raises(ApiError) as raised:
        capability.verify(capability.issue(JOB), "1" * 32)
    assert raised.value.status == 403


def test_capability_signed_with_another_key_is_forbidden() -> None:
    forged = EventsCapability("attacker", ttl_seconds=60).issue(JOB)
    with pytest.raises(ApiError) as raised:
        EventsCapability("secret-one", ttl_seconds=60).verify(forged, JOB)
    assert (raised.value.status, raised.value.code) == (403, "events_token_invalid")


def test_expired_capability_is_unauthorized() -> None:
    capability = EventsCapability("secret-one", ttl_seconds=-1)
    with pytest.raises(ApiError) as raised:
        capability.verify(capability.issue(JOB), JOB)
    assert (raised.value.status, raised.value.code) == (401, "events_token_expired")
