import pytest

from api.ratelimit import tightest
from shared.config import Rate
from shared.resilience.sliding_window import (
    KEY_PREFIX,
    RateDecision,
    decision_from_reply,
    limit_key,
)

pytestmark = pytest.mark.unit

RATE = Rate(20, 60)


def test_keys_hide_the_identity_and_keep_limits_apart() -> None:
    token = "a_SPw0lUBI-session-token"
    key = limit_key("chat", token)
    assert key.startswith(f"{KEY_PREFIX}chat:")
    assert token not in key
    assert key == limit_key("chat", token)
    assert len({key, limit_key("upload", token), limit_key("chat", token + "x")}) == 3


def test_an_allowed_request_reports_what_is_left() -> None:
    decision = decision_from_reply(RATE, [1, 5, 59_000_001])
    assert decision == RateDecision(
        allowed=True, limit=20, remaining=15, reset_seconds=60, retry_after_seconds=0
    )


def test_a_refusal_waits_whole_seconds_and_at_least_one() -> None:
    assert decision_from_reply(RATE, [0, 20, 2_000_001]).retry_after_seconds == 3
    assert decision_from_reply(RATE, [0, 20, 1]).retry_after_seconds == 1


def test_a_lowered_limit_never_reports_negative_remaining() -> None:
    assert decision_from_reply(RATE, [0, 25, 1_000_000]).remaining == 0


def test_headers_report_the_limit_with_least_remaining() -> None:
    general = decision_from_reply(Rate(120, 60), [1, 119, 30_000_000])
    chat = decision_from_reply(RATE, [1, 3, 50_000_000])
    refused = decision_from_reply(RATE, [0, 20, 10_000_000])
    assert tightest(None, general) is general
    assert tightest(general, chat) is general
    assert tightest(general, refused) is refused
    last_general = decision_from_reply(Rate(120, 60), [1, 120, 30_000_000])
    assert tightest(last_general, refused) is refused
