"""The server's own machinery, with a stand-in text engine that waits to be released.

No real model is needed here, so these run without ``oainb[local]``'s weights: the queue's
429, the upload limit counted while the body streams in, cancelling queued work, a reader that
leaves, the event loop staying free while a model works, and responses left unfinished by a
server that stopped.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
from collections.abc import MutableMapping
from typing import Any

import httpx
import openai
import pytest

from tests.openapi_schema import validate
from tests.server.conftest import GatedText, check_events, parse_sse, serve_app, stand_in_registry

if importlib.util.find_spec("starlette") is None or importlib.util.find_spec("uvicorn") is None:
    if os.environ.get("CI"):  # CI installs oainb[local]: a missing server is a failure there
        raise ImportError("starlette/uvicorn missing: install oainb[local]")
    pytest.skip("oainb[local] is not installed", allow_module_level=True)

from oainb.server import create_app


@pytest.fixture
def gated() -> GatedText:
    return GatedText()


def _sdk(base_url: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=base_url, api_key="test-token", max_retries=0, timeout=20)


def test_a_full_queue_answers_429_with_retry_after(tmp_path: Any, gated: GatedText) -> None:
    app = create_app(engines=stand_in_registry(gated), data_dir=tmp_path, api_key="test-token",
                     queue_size=1)
    with serve_app(app) as base_url, _sdk(base_url) as sdk:
        running = sdk.responses.create(model="gpt-4o", input="one", background=True)
        waiting = sdk.responses.create(model="gpt-4o", input="two", background=True)
        with pytest.raises(openai.RateLimitError) as info:
            sdk.responses.create(model="gpt-4o", input="three", background=True)
        assert float(info.value.response.headers["retry-after"]) >= 1
        validate("ErrorResponse", info.value.response.json())
        gated.gate.set()
        for reply in (running, waiting):
            with sdk.responses.with_streaming_response.retrieve(reply.id, stream=True) as raw:
                events = check_events(parse_sse(raw.iter_lines()), "ResponseStreamEvent",
                                      named=True)
            assert events[-1]["type"] == "response.completed"
            assert events[-1]["response"]["output"][0]["content"][0]["text"] == "Hello there."
        assert gated.calls == 2


def test_the_event_loop_stays_free_while_the_model_works(tmp_path: Any, gated: GatedText) -> None:
    app = create_app(engines=stand_in_registry(gated), data_dir=tmp_path)
    with serve_app(app) as base_url, _sdk(base_url) as sdk:
        reply = sdk.responses.create(model="gpt-4o", input="hi", background=True)
        # The worker is stuck in the engine; the server must still answer.
        assert sdk.models.list().data[0].id == "gated-text"
        assert sdk.responses.retrieve(reply.id).status in ("queued", "in_progress")
        gated.gate.set()


def test_cancelling_a_queued_response_needs_no_worker(tmp_path: Any, gated: GatedText) -> None:
    app = create_app(engines=stand_in_registry(gated), data_dir=tmp_path, queue_size=4)
    with serve_app(app) as base_url, _sdk(base_url) as sdk:
        busy = sdk.responses.create(model="gpt-4o", input="first", background=True)
        queued = sdk.responses.create(model="gpt-4o", input="second", background=True)
        cancelled = sdk.responses.cancel(queued.id)
        assert cancelled.status == "cancelled" and cancelled.output == []
        assert sdk.responses.cancel(busy.id).status == "cancelled"
        gated.gate.set()
    assert gated.calls == 1  # the queued one never reached the model


def test_a_foreground_stream_stops_when_its_reader_leaves(tmp_path: Any) -> None:
    slow = GatedText(words=["done"], endless=True)
    slow.gate.set()
    app = create_app(engines=stand_in_registry(slow), data_dir=tmp_path)
    with serve_app(app) as base_url, _sdk(base_url) as sdk:
        with sdk.responses.create(model="gpt-4o", input="hi", stream=True) as stream:
            for event in stream:
                if event.type == "response.output_text.delta":
                    break
        # The next request waits behind the endless first one in the one text lane: it can
        # only finish if the abandoned generation was stopped.
        follow = sdk.responses.create(model="gpt-4o", input="again", background=True)
        final = sdk.responses.with_streaming_response.retrieve(follow.id, stream=True)
        with final as raw:
            events = parse_sse(raw.iter_lines())
        assert events[-1][1]["type"] == "response.completed"


def test_a_plain_request_stops_when_its_client_hangs_up(tmp_path: Any) -> None:
    endless = GatedText(words=["done"], endless=True)
    endless.gate.set()
    app = create_app(engines=stand_in_registry(endless), data_dir=tmp_path)
    with serve_app(app) as base_url:
        with pytest.raises(httpx.ReadTimeout):
            httpx.post(f"{base_url}/responses", json={"model": "gpt-4o", "input": "hi"},
                       timeout=1, trust_env=False)
        with _sdk(base_url) as sdk:  # waits behind the first: only works if it was stopped
            assert sdk.responses.create(model="gpt-4o", input="again").output_text == "done"


def test_responses_unfinished_at_shutdown_are_failed_after_restart(tmp_path: Any,
                                                                  gated: GatedText) -> None:
    first = create_app(engines=stand_in_registry(gated), data_dir=tmp_path)
    with serve_app(first) as base_url, _sdk(base_url) as sdk:
        reply = sdk.responses.create(model="gpt-4o", input="hi", background=True)
    # Its worker is still stuck in the stand-in engine, as in a process that was killed.
    restarted = create_app(engines=stand_in_registry(GatedText()), data_dir=tmp_path)
    with serve_app(restarted) as base_url, _sdk(base_url) as sdk:
        again = sdk.responses.retrieve(reply.id)
        assert again.status == "failed" and again.error is not None
        with sdk.responses.with_streaming_response.retrieve(reply.id, stream=True) as raw:
            events = check_events(parse_sse(raw.iter_lines()), "ResponseStreamEvent", named=True)
    assert [e["type"] for e in events][-1] == "response.failed"
    assert [e["sequence_number"] for e in events] == list(range(len(events)))
    gated.gate.set()  # let the old worker thread end


def test_an_upload_is_refused_while_it_streams_in(tmp_path: Any, gated: GatedText) -> None:
    """With no content-length, the limit is counted chunk by chunk: 413 before the end."""
    app = create_app(engines=stand_in_registry(gated), data_dir=tmp_path, max_body=1000)
    head = (b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\n'
            b"Content-Type: audio/wav\r\n\r\n")
    chunks = [head] + [b"x" * 400] * 50
    sent: list[int] = []
    answer: dict[str, Any] = {}

    async def receive() -> dict[str, Any]:
        sent.append(1)
        more = len(sent) < len(chunks)
        return {"type": "http.request", "body": chunks[len(sent) - 1], "more_body": more}

    async def send(message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]
        elif message["type"] == "http.response.body":
            answer["body"] = answer.get("body", b"") + message.get("body", b"")

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
             "scheme": "http", "path": "/v1/audio/transcriptions", "raw_path": b"", "root_path": "",
             "query_string": b"", "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 2),
             "headers": [(b"content-type", b"multipart/form-data; boundary=b")], "app": app}
    asyncio.run(app(scope, receive, send))
    assert answer["status"] == 413
    assert len(sent) == 4  # the part header and 1200 bytes seen, then it stopped reading
    validate("ErrorResponse", json.loads(answer["body"]))


def test_content_length_over_the_limit_is_refused_at_once(tmp_path: Any, gated: GatedText) -> None:
    app = create_app(engines=stand_in_registry(gated), data_dir=tmp_path, max_body=1000)
    with serve_app(app) as base_url:
        reply = httpx.post(f"{base_url}/audio/transcriptions", content=b"x" * 1001,
                           headers={"content-type": "multipart/form-data; boundary=b"},
                           trust_env=False)
    assert reply.status_code == 413 and "larger than" in reply.json()["error"]["message"]


def test_errors_have_openai_shape(tmp_path: Any, gated: GatedText) -> None:
    app = create_app(engines=stand_in_registry(gated), data_dir=tmp_path)
    with serve_app(app) as base_url:
        for method, path, body in [("GET", "/nowhere", None), ("GET", "/responses/resp_x", None),
                                   ("POST", "/responses", b"{not json"),
                                   ("POST", "/audio/speech", b"{}")]:
            reply = httpx.request(method, base_url + path, content=body, trust_env=False)
            assert reply.status_code in (400, 404)
            validate("ErrorResponse", reply.json())


def test_background_with_stream_starts_queued_and_resumes(tmp_path: Any, gated: GatedText) -> None:
    app = create_app(engines=stand_in_registry(gated), data_dir=tmp_path)
    with serve_app(app) as base_url, _sdk(base_url) as sdk:
        with sdk.responses.with_streaming_response.create(
                model="gpt-4o", input="hi", background=True, stream=True) as raw:
            lines = raw.iter_lines()
            first = parse_sse([next(lines), next(lines)])
            assert first[0][1]["type"] == "response.created"
            assert first[0][1]["response"]["status"] == "queued"
            gated.gate.set()
            rest = parse_sse(list(lines))
        events = check_events(first + rest, "ResponseStreamEvent", named=True)
        kinds = [e["type"] for e in events]
        assert kinds[:3] == ["response.created", "response.queued", "response.in_progress"]
        assert kinds[-1] == "response.completed"
        rid = events[0]["response"]["id"]
        with sdk.responses.with_streaming_response.retrieve(rid, stream=True,
                                                            starting_after=1) as again:
            assert check_events(parse_sse(again.iter_lines()), "ResponseStreamEvent",
                                named=True) == events[2:]


def test_inputs_the_local_model_cannot_read_are_400s(tmp_path: Any, gated: GatedText) -> None:
    app = create_app(engines=stand_in_registry(gated), data_dir=tmp_path)
    image: Any = {"role": "user", "content": [
        {"type": "input_text", "text": "What is this?"},
        {"type": "input_image", "image_url": "data:image/png;base64,AAAA", "detail": "auto"}]}
    with serve_app(app) as base_url, _sdk(base_url) as sdk:
        with pytest.raises(openai.BadRequestError, match="text only") as info:
            sdk.responses.create(model="gpt-4o", input=[image])
        assert info.value.response.json()["error"]["param"] == "input[0]"
        with pytest.raises(openai.BadRequestError, match="not among the tools"):
            sdk.responses.create(model="gpt-4o", input="hi",
                                 tool_choice={"type": "function", "name": "nope"})
        with pytest.raises(openai.BadRequestError, match="background"):
            sdk.responses.create(model="gpt-4o", input="hi", background=True, store=False)
        with pytest.raises(openai.BadRequestError, match="previous_response_id"):
            sdk.responses.create(model="gpt-4o", input="hi", conversation="conv_123")
    assert gated.calls == 0
