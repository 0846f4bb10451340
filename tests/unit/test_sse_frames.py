"""The relay's SSE frames are byte for byte what sse-starlette's ServerSentEvent writes."""

import pytest
from sse_starlette import ServerSentEvent

from api.sse.hub import Frame, sse_frame
from shared.events import EventType, StreamEvent


@pytest.mark.parametrize(
    ("event", "data"),
    [
        ("token", '{"text":"Endometriosis "}'),
        ("done", '{"answer":"a\\nb","cached":false}'),
        ("status", '{"stage":"queued","position":3}'),
        ("token", '{"text":"ünïcödé ✓"}'),
        ("error", "line one\nline two\r\nline three\rfour"),  # never stored, still framed right
    ],
)
def test_frame_matches_sse_starlette(event: str, data: str) -> None:
    expected = ServerSentEvent(data=data, event=event, id="1795636324092-7").encode()
    assert sse_frame("1795636324092-7", event, data) == expected


def test_frame_of_a_stream_event_orders_ids_numerically() -> None:
    earlier = Frame.of(StreamEvent("999-10", EventType.TOKEN, "{}"))
    later = Frame.of(StreamEvent("1000-2", EventType.DONE, "{}"))
    assert earlier.order < later.order
    assert later.terminal and not earlier.terminal
