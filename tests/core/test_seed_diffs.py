"""One test per row of SEED_DIFFS.md, written in the seed guide's shape."""

from __future__ import annotations

import base64
import json
import warnings

import httpx
import pytest

from oainb import SeedShapeWarning
from tests.core._harness import Recorder, reply_body, sse, sse_response
from tests.openapi_schema import decode_multipart

WAV = b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 32


def ok(text: str = "ok") -> Recorder:
    return Recorder(httpx.Response(200, json=reply_body(text)))


def test_row1_max_completion_tokens_is_renamed_and_warned_once(api):
    rec = ok()
    client = api.client(rec)
    with pytest.warns(SeedShapeWarning, match="max_completion_tokens"):
        api.call(client.responses.create, model="gpt-4o-mini", input="Hi", max_completion_tokens=64)
    assert rec.json() == {"model": "gpt-4o-mini", "input": "Hi", "max_output_tokens": 64}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the second use is silent
        api.call(client.responses.create, model="gpt-4o-mini", input="Hi", max_completion_tokens=32)
    assert rec.json()["max_output_tokens"] == 32
    with pytest.warns(SeedShapeWarning, match="max_tokens"):
        api.call(
            client.responses.create, model="m", input="Hi", max_output_tokens=100, max_tokens=20
        )
    assert rec.json()["max_output_tokens"] == 100 and "max_tokens" not in rec.json()


def test_row2_image_url_and_text_parts_become_input_parts(api):
    rec = ok()
    client = api.client(rec)
    seed_input = [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "What is this?"},
                {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}},
            ],
        }
    ]
    with pytest.warns(SeedShapeWarning):
        api.call(client.responses.create, model="gpt-4o-mini", input=seed_input)
    assert rec.json()["input"][0]["content"] == [
        {"type": "input_text", "text": "What is this?"},
        {"type": "input_image", "image_url": "https://example.com/cat.png", "detail": "auto"},
    ]


def test_row3_nested_file_search_and_function_tools_are_flattened(api):
    rec = ok()
    client = api.client(rec)
    tools = [
        {
            "type": "file_search",
            "file_search": {"vector_store_ids": ["vs_1"], "max_num_results": 5},
        },
        {"type": "function", "function": {"name": "add", "parameters": {"type": "object"}}},
    ]
    with pytest.warns(SeedShapeWarning):
        api.call(client.responses.create, model="gpt-4o-mini", input="Hi", tools=tools)
    sent = rec.json()["tools"]
    assert sent[0] == {"type": "file_search", "vector_store_ids": ["vs_1"], "max_num_results": 5}
    assert sent[1]["name"] == "add" and "function" not in sent[1]


def test_row4_dalle_tool_becomes_image_generation(api):
    png = b"\x89PNG fake"
    answer = reply_body(
        output=[
            {
                "type": "image_generation_call",
                "id": "ig_1",
                "status": "completed",
                "result": base64.b64encode(png).decode(),
            }
        ]
    )
    rec = Recorder(httpx.Response(200, json=answer))
    client = api.client(rec)
    with pytest.warns(SeedShapeWarning, match="image_generation"):
        reply = api.call(
            client.responses.create,
            model="gpt-4o",
            input="A cat",
            tools=[{"type": "dalle", "size": "1024x1024", "style": "vivid"}],
        )
    assert rec.json()["tools"] == [{"type": "image_generation", "size": "1024x1024"}]
    assert reply.output[0].image_bytes == png


def test_row5_background_created_is_read_as_created_at(api):
    body = reply_body(status="queued", background=True)
    body["created"] = body.pop("created_at")
    rec = Recorder(httpx.Response(200, json=body))
    client = api.client(rec)
    reply = api.call(client.responses.create, model="gpt-4o-mini", input="Hi", background=True)
    assert reply.created_at == 1_760_000_000.0 and reply.status == "queued"


def test_row6_chat_style_chunks_ending_with_done(api):
    chunks = [
        {
            "id": "chatcmpl-1",
            "object": "chat.completion.chunk",
            "model": "gpt-4o-mini",
            "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}],
        },
        {
            "id": "chatcmpl-1",
            "object": "chat.completion.chunk",
            "choices": [{"index": 0, "delta": {"content": "Hel"}}],
        },
        {
            "id": "chatcmpl-1",
            "object": "chat.completion.chunk",
            "choices": [{"index": 0, "delta": {"content": "lo"}}],
        },
        {
            "id": "chatcmpl-1",
            "object": "chat.completion.chunk",
            "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 3, "completion_tokens": 2},
        },
    ]
    rec = Recorder(
        sse_response(sse(*chunks, event_lines=False, done=True) + b'data: {"ignored": true}\n\n')
    )
    client = api.client(rec)
    events, stream = api.consume(lambda: client.responses.stream(model="gpt-4o-mini", input="Hi"))
    assert [e.delta for e in events] == ["Hel", "lo"]
    assert all(e.type == "response.output_text.delta" for e in events)
    reply = stream.reply
    assert reply.output_text == "Hello" and reply.status == "completed" and not reply.partial
    assert (reply.usage.input_tokens, reply.usage.output_tokens) == (3, 2)


def test_row7_retrieve_with_choices_falls_back_for_output_text(api):
    body = {
        "id": "resp_1",
        "object": "response",
        "status": "completed",
        "model": "gpt-4o-mini",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "From choices"}}],
    }
    rec = Recorder(httpx.Response(200, json=body))
    client = api.client(rec)
    assert api.call(client.responses.retrieve, "resp_1").output_text == "From choices"


def test_row8_completed_event_usage_with_prompt_and_completion_tokens(api):
    final = reply_body("Hi", usage={"prompt_tokens": 11, "completion_tokens": 4})
    events = [
        {
            "type": "response.created",
            "sequence_number": 0,
            "response": reply_body("", status="in_progress", output=[]),
        },
        {"type": "response.completed", "sequence_number": 1, "response": final},
    ]
    rec = Recorder(sse_response(sse(*events)))
    client = api.client(rec)
    _, stream = api.consume(lambda: client.responses.stream(model="m", input="Hi"))
    usage = stream.reply.usage
    assert (usage.input_tokens, usage.output_tokens, usage.total_tokens) == (11, 4, 15)
    assert usage.cached_tokens == 0 and usage.reasoning_tokens == 0


def test_row9_transcription_stream_with_x_start_frames_and_done(api):
    frames = [
        {"text": "Hello", "x_start": 0.0, "x_end": 0.5},
        {"text": " world", "x_start": 0.5, "x_end": 1.0},
    ]
    rec = Recorder(sse_response(sse(*frames, event_lines=False, done=True)))
    client = api.client(rec)
    events, stream = api.consume(
        lambda: client.audio.transcriptions.create(
            file=WAV, model="gpt-4o-mini-transcribe", stream=True
        )
    )
    assert [e.type for e in events] == ["transcript.text.delta"] * 2
    assert [e.delta for e in events] == ["Hello", " world"] and events[1].start == 0.5
    assert stream.transcript.text == "Hello world"


def test_row10_bare_audio_delta_events_with_delta_field(api):
    frames = [
        {"type": "audio.delta", "delta": base64.b64encode(b"abc").decode()},
        {"type": "audio.done", "usage": {"input_tokens": 1, "output_tokens": 2, "total_tokens": 3}},
    ]
    rec = Recorder(sse_response(sse(*frames)))
    client = api.client(rec)
    chunks, stream = api.consume(
        lambda: client.audio.speech.stream(
            model="gpt-4o-mini-tts", input="Hi", voice="alloy", stream_format="sse"
        )
    )
    assert chunks == [b"abc"]
    assert [e.type for e in stream.events] == ["speech.audio.delta", "speech.audio.done"]
    assert stream.clip.usage.total_tokens == 3


def test_row11_nested_server_vad_with_silence_timeout_ms(api):
    rec = Recorder(httpx.Response(200, json={"text": "ok"}))
    client = api.client(rec)
    with pytest.warns(SeedShapeWarning):
        api.call(
            client.audio.transcriptions.create,
            file=WAV,
            model="gpt-4o-transcribe",
            chunking_strategy={"server_vad": {"threshold": 0.4, "silence_timeout_ms": 700}},
        )
    sent = decode_multipart(rec.last.headers["content-type"], rec.last.content)
    assert sent["chunking_strategy"] == {
        "type": "server_vad",
        "threshold": 0.4,
        "silence_duration_ms": 700,
    }
    assert b'name="chunking_strategy[silence_duration_ms]"' in rec.last.content


def test_row12_canceled_reads_as_cancelled_and_ends_a_stream(api):
    rec = Recorder(httpx.Response(200, json=reply_body(status="canceled", background=True)))
    client = api.client(rec)
    assert api.call(client.responses.cancel, "resp_123").status == "cancelled"
    events = [
        {
            "type": "response.queued",
            "sequence_number": 0,
            "response": reply_body("", status="queued", output=[]),
        },
        {
            "type": "response.cancelled",
            "sequence_number": 1,
            "response": reply_body("", status="cancelled", output=[]),
        },
        {"type": "response.output_text.delta", "sequence_number": 2, "delta": "late"},
    ]
    rec2 = Recorder(sse_response(sse(*events)))
    client2 = api.client(rec2)
    got, stream = api.consume(lambda: client2.responses.stream(response_id="resp_123"))
    assert [e.type for e in got] == ["response.queued", "response.cancelled"]
    assert stream.reply.status == "cancelled" and not stream.reply.partial


def test_seed_guide_bodies_on_the_wire_match_the_spec(api, spec_guard):
    """The guard saw every seed-shaped body above only after normalisation: prove one here."""
    rec = ok()
    client = api.client(rec)
    with pytest.warns(SeedShapeWarning):
        api.call(client.responses.create, model="m", input="Hi", max_completion_tokens=20)
    assert spec_guard.checked == 1 and spec_guard.violations == []
    assert json.loads(rec.last.content)["max_output_tokens"] == 20
