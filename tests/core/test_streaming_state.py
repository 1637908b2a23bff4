"""The I/O-free stream states: fed decoded events directly, no client involved."""

from __future__ import annotations

import pytest

from oainb import StreamError
from oainb._streaming import ReplyStreamState, ServerSentEvent, SSEDecoder
from tests.core._harness import sse, text_stream_events


def feed_all(state: ReplyStreamState, body: bytes) -> list:
    events = []
    for item in SSEDecoder().iter_bytes([body]):
        events += state.feed(item)
        if state.done:
            break
    return events


def test_dispatch_is_on_the_json_type_not_the_event_line():
    state = ReplyStreamState()
    data = '{"type": "response.output_text.delta", "sequence_number": 1, "output_index": 0, "content_index": 0, "delta": "x"}'
    [event] = state.feed(ServerSentEvent(event="something.else", data=data))
    assert event.type == "response.output_text.delta"
    assert state.reply.output_text == "x"


def test_event_line_names_a_payload_without_type():
    state = ReplyStreamState()
    [event] = state.feed(
        ServerSentEvent(event="response.custom", data='{"sequence_number": 2, "v": 1}')
    )
    assert (event.type, event.v) == ("response.custom", 1)


def test_unknown_events_are_kept_and_do_not_disturb_the_reply():
    events = text_stream_events(["Hi"])
    events.insert(
        3, {"type": "response.brand_new.event", "sequence_number": 99, "payload": {"a": 1}}
    )
    state = ReplyStreamState()
    got = feed_all(state, sse(*events))
    assert any(e.type == "response.brand_new.event" and e.payload == {"a": 1} for e in got)
    assert state.reply.output_text == "Hi" and not state.reply.partial


def test_stops_at_the_terminal_event():
    body = sse(*text_stream_events(["a"])) + sse(
        {"type": "response.output_text.delta", "delta": "late"}
    )
    state = ReplyStreamState()
    got = feed_all(state, body)
    assert got[-1].type == "response.completed" and state.done
    assert (
        state.feed(ServerSentEvent(data='{"type": "response.output_text.delta", "delta": "z"}'))
        == []
    )


def test_done_sentinel_stops_a_responses_stream():
    events = text_stream_events(["a", "b"], terminal=False)
    state = ReplyStreamState()
    got = feed_all(
        state, sse(*events, done=True) + sse({"type": "response.output_text.delta", "delta": "z"})
    )
    assert len(got) == len(events) and state.done
    assert state.reply.output_text == "ab" and state.reply.partial  # no terminal event came


@pytest.mark.parametrize(
    "error",
    [
        {
            "type": "error",
            "code": "rate_limit_exceeded",
            "message": "slow down",
            "param": None,
            "sequence_number": 5,
        },
        {
            "type": "error",
            "sequence_number": 5,
            "error": {
                "type": "invalid_request_error",
                "code": "rate_limit_exceeded",
                "message": "slow down",
                "param": None,
            },
        },
    ],
    ids=["flat", "nested"],
)
def test_error_event_flat_or_nested_raises_with_the_partial_reply(error):
    state = ReplyStreamState()
    body = sse(*text_stream_events(["So far"], terminal=False), error)
    with pytest.raises(StreamError, match="slow down") as info:
        feed_all(state, body)
    assert info.value.code == "rate_limit_exceeded"
    assert info.value.reply.output_text == "So far" and info.value.reply.partial
    assert state.done


def test_malformed_json_raises_with_the_partial_reply():
    state = ReplyStreamState()
    with pytest.raises(StreamError, match="not JSON") as info:
        feed_all(state, sse(*text_stream_events(["ok"], terminal=False)) + b"data: {oops\n\n")
    assert info.value.reply.output_text == "ok"


def test_failed_terminal_event_is_complete_not_partial():
    failed = text_stream_events(["x"])[-1]
    failed["type"] = "response.failed"
    failed["response"]["status"] = "failed"
    failed["response"]["error"] = {"code": "server_error", "message": "broke"}
    state = ReplyStreamState()
    feed_all(state, sse(failed))
    assert state.reply.status == "failed" and state.reply.error == failed["response"]["error"]
    assert not state.reply.partial


def test_interrupt_marks_the_reply():
    state = ReplyStreamState()
    feed_all(state, sse(*text_stream_events(["a"], terminal=False)))
    state.interrupt()
    assert state.reply.partial and state.reply.interrupted


def test_last_sequence_number_tracks_progress_for_resume():
    state = ReplyStreamState()
    events = text_stream_events(["a", "b"], terminal=False)
    feed_all(state, sse(*events))
    assert state.last_sequence_number == events[-1]["sequence_number"]
