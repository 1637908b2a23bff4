from __future__ import annotations

from typing import Any

import httpx
import pytest

from oainb import Reply, ReplyEvent, StreamError
from tests.core._harness import Recorder, reply_body, sse, sse_response, text_stream_events


def test_create_sends_the_spec_body_and_parses_the_reply(api):
    rec = Recorder(httpx.Response(200, json=reply_body("Hi there")))
    client = api.client(rec)
    reply = api.call(client.responses.create, model="gpt-4o-mini", input="Hi", max_output_tokens=64)
    assert isinstance(reply, Reply)
    assert (reply.id, reply.status, reply.output_text) == ("resp_123", "completed", "Hi there")
    assert reply.usage is not None
    assert reply.usage.input_tokens == 5 and reply.usage.total_tokens == 8
    assert rec.last.method == "POST" and rec.last.url.path == "/v1/responses"
    assert rec.json() == {"model": "gpt-4o-mini", "input": "Hi", "max_output_tokens": 64}
    assert rec.last.headers["authorization"].startswith("Bearer sk-test-")


def test_create_passes_other_spec_fields_and_extra_body(api):
    rec = Recorder(httpx.Response(200, json=reply_body()))
    client = api.client(rec, organization="org-1", project="proj-1")
    api.call(
        client.responses.create,
        model="gpt-4o-mini",
        input="Hi",
        service_tier="auto",
        extra_body={"prompt_cache_key": "k"},
    )
    assert rec.json()["service_tier"] == "auto" and rec.json()["prompt_cache_key"] == "k"
    assert rec.last.headers["openai-organization"] == "org-1"
    assert rec.last.headers["openai-project"] == "proj-1"


def test_stream_yields_typed_events_and_a_complete_reply(api):
    rec = Recorder(sse_response(sse(*text_stream_events(["Hel", "lo"]))))
    client = api.client(rec)
    events, stream = api.consume(lambda: client.responses.stream(model="gpt-4o-mini", input="Hi"))
    assert all(isinstance(e, ReplyEvent) for e in events)
    deltas = [e.delta for e in events if e.type == "response.output_text.delta"]
    assert deltas == ["Hel", "lo"]
    assert events[-1].type == "response.completed"
    assert [e.sequence_number for e in events] == list(range(len(events)))
    assert events[4].obfuscation == "xyz"  # unknown fields are kept
    assert stream.reply.output_text == "Hello" and stream.reply.partial is False
    assert rec.json()["stream"] is True
    assert rec.last.headers["accept"] == "text/event-stream"


def test_create_stream_true_returns_an_open_stream(api):
    rec = Recorder(sse_response(sse(*text_stream_events(["A", "B"]))))
    client = api.client(rec)
    stream_holder: dict[str, Any] = {}

    def make():
        made = client.responses.create(model="gpt-4o-mini", input="Hi", stream=True)
        stream_holder["s"] = made
        return made

    events, stream = api.consume(make)
    assert len(rec.requests) == 1
    assert stream.reply.output_text == "AB"
    assert "response.completed" in [e.type for e in events]


def test_stream_error_event_raises_and_keeps_the_partial_reply(api):
    events = text_stream_events(["Part"], terminal=False)
    events.append(
        {
            "type": "error",
            "code": "server_error",
            "message": "boom",
            "param": None,
            "sequence_number": len(events),
        }
    )
    rec = Recorder(sse_response(sse(*events)))
    client = api.client(rec)
    holder: dict[str, Any] = {}

    def make():
        holder["s"] = client.responses.stream(model="gpt-4o-mini", input="Hi")
        return holder["s"]

    with pytest.raises(StreamError, match="boom") as info:
        api.consume(make)
    assert info.value.code == "server_error"
    assert info.value.reply.output_text == "Part" and info.value.reply.partial is True
    assert holder["s"].reply.partial is True
    assert len(rec.requests) == 1  # never retried once the stream delivered


def test_leaving_the_block_early_closes_and_marks_interrupted(api):
    rec = Recorder(sse_response(sse(*text_stream_events(["a", "b", "c"]))))
    client = api.client(rec)
    events, stream = api.consume(lambda: client.responses.stream(model="m1", input="Hi"), limit=5)
    assert len(events) == 5
    reply = stream.reply
    assert reply.partial and reply.interrupted and reply.output_text == "a"
    assert "interrupted" in repr(reply)


def test_stream_that_closes_without_terminal_event_is_partial(api):
    rec = Recorder(sse_response(sse(*text_stream_events(["x"], terminal=False))))
    client = api.client(rec)
    events, stream = api.consume(lambda: client.responses.stream(model="m1", input="Hi"))
    assert events[-1].type == "response.output_text.delta"
    assert stream.reply.partial and not stream.reply.interrupted
    assert stream.reply.output_text == "x"


def test_retrieve_cancel_delete(api):
    rec = Recorder(
        httpx.Response(200, json=reply_body(status="in_progress")),
        httpx.Response(200, json=reply_body(status="cancelled")),
        httpx.Response(200, json={"id": "resp_123", "object": "response.deleted", "deleted": True}),
    )
    client = api.client(rec)
    assert api.call(client.responses.retrieve, "resp_123").status == "in_progress"
    assert api.call(client.responses.cancel, "resp_123").status == "cancelled"
    assert api.call(client.responses.delete, "resp_123") is None
    assert [(r.method, r.url.path) for r in rec.requests] == [
        ("GET", "/v1/responses/resp_123"),
        ("POST", "/v1/responses/resp_123/cancel"),
        ("DELETE", "/v1/responses/resp_123"),
    ]


def test_retrieve_sends_include(api):
    rec = Recorder(httpx.Response(200, json=reply_body()))
    client = api.client(rec)
    api.call(client.responses.retrieve, "resp_123", include=["message.output_text.logprobs"])
    assert rec.last.url.params.get_list("include[]") == ["message.output_text.logprobs"]


def test_resume_a_background_stream_with_starting_after(api):
    events = text_stream_events(["Hel", "lo"])
    rec = Recorder(sse_response(sse(*events[3:])))
    client = api.client(rec)
    got, stream = api.consume(
        lambda: client.responses.stream(response_id="resp_123", starting_after=2)
    )
    assert rec.last.method == "GET" and rec.last.url.path == "/v1/responses/resp_123"
    assert rec.last.url.params["stream"] == "true" and rec.last.url.params["starting_after"] == "2"
    assert got[0].sequence_number == 3
    assert (
        stream.reply.output_text == "Hello"
        and stream.last_sequence_number == events[-1]["sequence_number"]
    )


def test_resume_drops_events_at_or_before_starting_after(api):
    rec = Recorder(sse_response(sse(*text_stream_events(["a", "b"]))))
    client = api.client(rec)
    got, _ = api.consume(lambda: client.responses.stream(response_id="resp_1", starting_after=4))
    assert all(e.sequence_number > 4 for e in got)


def test_function_call_arguments_accumulate(api):
    events: list[dict[str, Any]] = [
        {"type": "response.created", "response": reply_body("", status="in_progress", output=[])},
        {
            "type": "response.output_item.added",
            "output_index": 0,
            "item": {
                "type": "function_call",
                "id": "fc_1",
                "call_id": "call_1",
                "name": "get_weather",
                "arguments": "",
                "status": "in_progress",
            },
        },
        {
            "type": "response.function_call_arguments.delta",
            "item_id": "fc_1",
            "output_index": 0,
            "delta": '{"city":',
        },
        {
            "type": "response.function_call_arguments.delta",
            "item_id": "fc_1",
            "output_index": 0,
            "delta": '"Paris"}',
        },
    ]
    for n, e in enumerate(events):
        e["sequence_number"] = n
    rec = Recorder(sse_response(sse(*events)))
    client = api.client(rec)
    tools = [
        {
            "type": "function",
            "name": "get_weather",
            "parameters": {"type": "object"},
            "strict": True,
        }
    ]
    _, stream = api.consume(
        lambda: client.responses.stream(model="m", input="Weather?", tools=tools)
    )
    call = stream.reply.function_calls[0]
    assert (call.name, call.arguments) == ("get_weather", '{"city":"Paris"}')
