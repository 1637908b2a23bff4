"""``/v1/responses`` on the real local server, through the official openai SDK over HTTP.

Every JSON answer and every stream event is checked against the spec's schemas, and parsed into
the SDK's own types.
"""

from __future__ import annotations

import json
import time
from typing import Any

import jsonschema
import openai
import pydantic
import pytest
from openai.types.responses import Response, ResponseStreamEvent

from oainb.results import Reply
from tests.openapi_schema import validate
from tests.server.conftest import (
    CITY_SCHEMA,
    FUNCTION_TOOLS,
    HOSTED_TOOLS,
    WEATHER_PARAMETERS,
    check_events,
    parse_sse,
)

pytestmark = pytest.mark.server

LOCAL_TEXT = "smollm2-135m-instruct"
_EVENTS = pydantic.TypeAdapter(ResponseStreamEvent)


def create(client: Any, **params: Any) -> tuple[dict[str, Any], Any]:
    """POST /responses: the raw JSON (checked against the spec) and the SDK's parse of it.

    The parse is a ``openai.types.responses.Response``, typed ``Any`` here so the tests can
    reach into its output unions without narrowing each one.
    """
    raw = client.responses.with_raw_response.create(**params)
    body = raw.http_response.json()
    validate("Response", body)
    parsed: Response = raw.parse()
    # oainb's own result model reads the same body the same way (the wire format is one).
    mine = Reply.model_validate(body)
    assert (mine.id, mine.status, mine.output_text) == (parsed.id, parsed.status,
                                                        parsed.output_text)
    return body, parsed


def stream_events(client: Any, **params: Any) -> list[dict[str, Any]]:
    """POST /responses with stream=true: raw events, each checked and parsed by the SDK."""
    with client.responses.with_streaming_response.create(stream=True, **params) as raw:
        assert raw.headers["content-type"].startswith("text/event-stream")
        events = check_events(parse_sse(raw.iter_lines()), "ResponseStreamEvent", named=True)
    for event in events:
        _EVENTS.validate_python(event)
    return events


def replay(local_server: Any, response_id: str, after: int | None = None) -> list[dict[str, Any]]:
    """GET /responses/{id}?stream=true[&starting_after=N] through the SDK's raw stream."""
    with local_server.client(max_retries=0) as sdk:
        extra = {"starting_after": after} if after is not None else {}
        with sdk.responses.with_streaming_response.retrieve(
                response_id, stream=True, **extra) as raw:
            frames = parse_sse(raw.iter_lines())
    return check_events(frames, "ResponseStreamEvent", named=True)


def test_plain_create_names_the_local_engine_and_echoes_settings(client: Any) -> None:
    body, reply = create(client, model="gpt-4o-mini", input="What is the capital of France?",
                         instructions="Answer in one short sentence.", temperature=0,
                         top_p=0.9, max_output_tokens=40, metadata={"case": "plain"})
    assert reply.model == LOCAL_TEXT
    assert reply.status in ("completed", "incomplete")
    assert reply.output_text.strip()
    assert body["metadata"] == {"case": "plain"} and body["temperature"] == 0
    assert body["instructions"] == "Answer in one short sentence."
    assert reply.usage is not None and reply.usage.output_tokens > 0
    assert reply.usage.total_tokens == reply.usage.input_tokens + reply.usage.output_tokens
    assert reply.id.startswith("resp_") and body["object"] == "response"


def test_item_list_input_and_previous_response_id_continue_a_conversation(client: Any) -> None:
    _, first = create(client, model=LOCAL_TEXT, temperature=0, max_output_tokens=20, input=[
        {"role": "developer", "content": "You are terse."},
        {"role": "user", "content": [{"type": "input_text", "text": "My name is Ada."}]},
    ])
    body, second = create(client, model=LOCAL_TEXT, temperature=0, max_output_tokens=20,
                          previous_response_id=first.id, input="What is my name?")
    assert body["previous_response_id"] == first.id
    _, fresh = create(client, model=LOCAL_TEXT, temperature=0, max_output_tokens=20,
                      input="What is my name?")
    # The model saw the earlier turns: the name and the first answer (not the instructions).
    assert second.usage.input_tokens >= fresh.usage.input_tokens + first.usage.output_tokens + 4
    with pytest.raises(openai.BadRequestError, match="not found"):
        client.responses.create(model=LOCAL_TEXT, input="x", previous_response_id="resp_nope")


def test_store_false_is_not_retrievable(client: Any) -> None:
    _, reply = create(client, model=LOCAL_TEXT, input="Hi", store=False, max_output_tokens=16)
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(reply.id)


def test_json_schema_output_follows_the_schema(client: Any) -> None:
    _, reply = create(client, model="gpt-4o", input="Describe Paris.", max_output_tokens=80,
                      text={"format": {"type": "json_schema", "name": "city",
                                       "schema": CITY_SCHEMA, "strict": True}})
    assert reply.status == "completed"
    jsonschema.validate(json.loads(reply.output_text), CITY_SCHEMA)


def test_logprobs_cover_every_token_with_top_alternatives(client: Any) -> None:
    _, reply = create(client, model=LOCAL_TEXT, input="Say hello.", max_output_tokens=16,
                      include=["message.output_text.logprobs"], top_logprobs=3)
    part = reply.output[0].content[0]
    assert part.logprobs, "logprobs were asked for"
    # Tokens may split a character (an emoji), so their bytes, not their texts, add up; when the
    # output cap cuts a character in two, its unfinished bytes are left out of the text.
    data = b"".join(bytes(lp.bytes) for lp in part.logprobs)
    try:
        assert data.decode() == part.text
    except UnicodeDecodeError as cut:
        assert cut.end == len(data) and reply.status == "incomplete", "only a cut may split a character"
        assert data[:cut.start].decode() == part.text
    for lp in part.logprobs:
        assert lp.logprob <= 0 and 1 <= len(lp.top_logprobs) <= 3
        assert max(t.logprob for t in lp.top_logprobs) >= lp.logprob - 1e-6


@pytest.mark.parametrize("choice", ["required", {"type": "function", "name": "get_weather"}])
def test_forced_function_call_has_schema_valid_arguments(client: Any, choice: Any) -> None:
    _, reply = create(client, model="gpt-4o", input="What's the weather in Paris?",
                      tools=FUNCTION_TOOLS, tool_choice=choice, max_output_tokens=64)
    call = reply.output[0]
    assert call.type == "function_call" and call.call_id
    if isinstance(choice, dict):
        assert call.name == "get_weather"
    schema = WEATHER_PARAMETERS if call.name == "get_weather" else {"type": "object"}
    jsonschema.validate(json.loads(call.arguments), schema)
    # The tool's answer goes back as a function_call_output item; the model then replies.
    result = [{"type": "function_call_output", "call_id": call.call_id,
               "output": json.dumps({"temperature_c": 21})}]
    # Greedy, so the 135M model's answer is the same each run (sampled, it may stop at once).
    _, answer = create(client, model="gpt-4o", previous_response_id=reply.id, temperature=0,
                       max_output_tokens=16, tools=FUNCTION_TOOLS, input=result)
    assert answer.output[0].type == "message" and answer.output_text
    _, alone = create(client, model="gpt-4o", max_output_tokens=16, input=result)
    # With the history, the model also read the question and its own call.
    assert answer.usage.input_tokens > alone.usage.input_tokens + 8


def test_stream_has_the_full_event_sequence(client: Any) -> None:
    events = stream_events(client, model="gpt-4o", input="Count to three.", max_output_tokens=30)
    kinds = [e["type"] for e in events]
    assert [e["sequence_number"] for e in events] == list(range(len(events)))
    terminal = kinds[-1]
    assert terminal in ("response.completed", "response.incomplete")
    head = ["response.created", "response.in_progress", "response.output_item.added",
            "response.content_part.added"]
    tail = ["response.output_text.done", "response.content_part.done",
            "response.output_item.done", terminal]
    assert kinds[:4] == head and kinds[-4:] == tail
    assert set(kinds[4:-4]) == {"response.output_text.delta"}
    text = "".join(e["delta"] for e in events if e["type"] == "response.output_text.delta")
    assert events[-1]["response"]["output"][0]["content"][0]["text"] == text
    assert events[-1]["response"]["usage"]["output_tokens"] > 0
    assert "usage" not in events[0]["response"]


def test_sdk_stream_helper_accumulates_the_same_text(client: Any) -> None:
    with client.responses.stream(model="gpt-4o", input="Reply with the single word: yes.",
                                 max_output_tokens=200) as stream:
        deltas = [e.delta for e in stream if e.type == "response.output_text.delta"]
        final = stream.get_final_response()
    assert final.output_text == "".join(deltas) and final.model == LOCAL_TEXT


def test_max_output_tokens_cuts_the_reply_short(client: Any) -> None:
    events = stream_events(client, model=LOCAL_TEXT, max_output_tokens=16,
                           input="Write a long essay about the history of the printing press.")
    final = events[-1]
    assert final["type"] == "response.incomplete"
    assert final["response"]["incomplete_details"] == {"reason": "max_output_tokens"}
    assert final["response"]["usage"]["output_tokens"] == 16
    with pytest.raises(openai.BadRequestError) as info:
        client.responses.create(model=LOCAL_TEXT, input="x", max_output_tokens=15)
    assert info.value.response.json()["error"]["param"] == "max_output_tokens"


@pytest.mark.parametrize("tool", HOSTED_TOOLS)
def test_hosted_tools_are_refused_by_name(client: Any, tool: dict[str, Any]) -> None:
    raw = client.responses.with_raw_response
    with pytest.raises(openai.BadRequestError) as info:
        raw.create(model="gpt-4o", input="Hi", tools=[tool])
    error = info.value.response.json()
    validate("ErrorResponse", error)
    assert f"'{tool['type']}'" in error["error"]["message"]
    assert "local" in error["error"]["message"]


def test_unknown_parameters_and_bad_values_are_400s(client: Any) -> None:
    with pytest.raises(openai.BadRequestError, match="max_tokens"):
        client.responses.create(model=LOCAL_TEXT, input="x", extra_body={"max_tokens": 20})
    with pytest.raises(openai.BadRequestError, match="temperature"):
        client.responses.create(model=LOCAL_TEXT, input="x", temperature=3)
    with pytest.raises(openai.NotFoundError, match="does not exist"):
        client.responses.create(model="no-such-model", input="x")


def _wait_for(client: Any, response_id: str, done: Any, timeout: float = 120) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        raw = client.responses.with_raw_response.retrieve(response_id)
        validate("Response", raw.http_response.json())
        reply = raw.parse()
        if done(reply):
            return reply
        time.sleep(0.05)
    raise AssertionError(f"{response_id} never reached the expected state")


def test_background_create_poll_and_resume_without_gaps(client: Any, local_server: Any) -> None:
    body, reply = create(client, model="gpt-4o", input="List five fruits.", background=True,
                         max_output_tokens=40)
    assert body["status"] in ("queued", "in_progress") and body["background"] is True
    _wait_for(client, reply.id, lambda r: r.status in ("completed", "incomplete"))
    stored = client.responses.with_raw_response.retrieve(reply.id).http_response.json()
    every = replay(local_server, reply.id)
    assert [e["sequence_number"] for e in every] == list(range(len(every)))
    assert [e["type"] for e in every[:3]] == [
        "response.created", "response.queued", "response.in_progress"]
    assert every[-1]["response"] == stored
    for after in (0, 4, len(every) - 2):
        rest = replay(local_server, reply.id, after)
        assert rest == every[after + 1:]


def test_resume_while_generating_follows_live(client: Any, local_server: Any) -> None:
    reply = client.responses.create(model=LOCAL_TEXT, background=True, max_output_tokens=120,
                                    input="Write a story about a lighthouse keeper.")
    _wait_for(client, reply.id, lambda r: r.output and r.output[0].content
              and len(r.output[0].content[0].text) > 0)
    with client.responses.with_streaming_response.retrieve(
            reply.id, stream=True, starting_after=2) as raw:
        live = check_events(parse_sse(raw.iter_lines()), "ResponseStreamEvent", named=True)
    assert live[0]["sequence_number"] == 3
    assert [e["sequence_number"] for e in live] == list(range(3, 3 + len(live)))
    assert live[-1]["type"] in ("response.completed", "response.incomplete")
    assert live == replay(local_server, reply.id)[3:]


def test_cancel_stops_generation_mid_way(client: Any, local_server: Any) -> None:
    reply = client.responses.create(model=LOCAL_TEXT, background=True, max_output_tokens=2000,
                                    input="Write a very long story about the sea.")
    _wait_for(client, reply.id, lambda r: r.output and r.output[0].content
              and len(r.output[0].content[0].text) > 0)
    raw = client.responses.with_raw_response.cancel(reply.id)
    body = raw.http_response.json()
    validate("Response", body)
    cancelled: Any = raw.parse()
    assert cancelled.status == "cancelled"
    assert cancelled.usage is not None and cancelled.usage.output_tokens < 2000
    later = client.responses.retrieve(reply.id)
    assert later.status == "cancelled" and later.output_text == cancelled.output_text
    again = client.responses.cancel(reply.id)  # idempotent
    assert again.status == "cancelled"
    events = replay(local_server, reply.id)
    assert not any(e["type"] == "response.completed" for e in events)
    with pytest.raises(openai.BadRequestError, match="background"):
        client.responses.cancel(client.responses.create(
            model=LOCAL_TEXT, input="Hi", max_output_tokens=16).id)


def test_delete_removes_the_response(client: Any) -> None:
    reply = client.responses.create(model=LOCAL_TEXT, input="Hi", max_output_tokens=16)
    gone = client.responses.with_raw_response.delete(reply.id).http_response.json()
    assert gone == {"id": reply.id, "object": "response", "deleted": True}
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(reply.id)
    with pytest.raises(openai.NotFoundError):
        client.responses.delete(reply.id)


def test_auth_is_required(local_server: Any) -> None:
    for key in ("wrong-token", local_server.api_key + "x"):
        sdk = openai.OpenAI(base_url=local_server.base_url, api_key=key, max_retries=0)
        with sdk, pytest.raises(openai.AuthenticationError) as info:
            sdk.models.list()
        validate("ErrorResponse", info.value.response.json())
    import httpx

    bare = httpx.get(f"{local_server.base_url}/models", trust_env=False)
    assert bare.status_code == 401


def test_models_lists_the_local_engines(client: Any) -> None:
    raw = client.models.with_raw_response.list()
    validate("ListModelsResponse", raw.http_response.json())
    ids = {m.id for m in raw.parse()}
    assert {LOCAL_TEXT, "whisper-tiny.en", "espeak-ng"} <= ids
    one = client.models.with_raw_response.retrieve("whisper-1")
    validate("Model", one.http_response.json())
    assert one.parse().owned_by == "oainb-local:whisper-tiny.en"
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("dall-e-3")


@pytest.mark.slow
def test_responses_survive_a_restart(client: Any, local_server: Any) -> None:
    _, plain = create(client, model=LOCAL_TEXT, input="Hi", max_output_tokens=16)
    background = client.responses.create(model=LOCAL_TEXT, input="Hi", background=True,
                                         max_output_tokens=16)
    _wait_for(client, background.id, lambda r: r.status in ("completed", "incomplete"))
    before = client.responses.retrieve(plain.id).model_dump(mode="json")
    events = replay(local_server, background.id)
    local_server.restart()
    with local_server.client(max_retries=0) as fresh:
        assert fresh.responses.retrieve(plain.id).model_dump(mode="json") == before
        assert replay(local_server, background.id) == events
        assert replay(local_server, background.id, 3) == events[4:]
        follow_up = fresh.responses.create(model=LOCAL_TEXT, input="Again?",
                                           previous_response_id=plain.id, max_output_tokens=16)
        assert follow_up.status in ("completed", "incomplete")
