"""SmolLM2 on llama.cpp: tokens, stops, cancel, grammar-enforced JSON, function calls, logprobs.

A 135M model says little that is wise; these tests check what the engine guarantees.
"""

from __future__ import annotations

import json
import threading
from typing import Any

import jsonschema
import pytest

from oainb.server.engines import UnsupportedError
from oainb.server.engines.text import (
    ContextLengthError,
    InvalidSchemaError,
    LlamaEngine,
    schema_from_format,
)

pytestmark = pytest.mark.server

ASK = [{"role": "user", "content": "Tell me about the history of Paris."}]
PERSON = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "age": {"type": "integer", "minimum": 0},
        "hobbies": {"type": "array", "items": {"type": "string"}, "maxItems": 3},
        "pet": {"type": "string", "enum": ["cat", "dog", "none"]},
    },
    "required": ["name", "age", "hobbies", "pet"],
    "additionalProperties": False,
}
WEATHER = {
    "type": "function",
    "name": "get_weather",
    "description": "Current weather in a city.",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"},
                       "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
        "required": ["city", "unit"],
        "additionalProperties": False,
    },
    "strict": True,
}
EMAIL = {
    "type": "function",
    "name": "send_email",
    "description": "Send an email.",
    "parameters": {
        "type": "object",
        "properties": {"to": {"type": "string"}, "subject": {"type": "string"},
                       "urgent": {"type": "boolean"}},
        "required": ["to", "subject", "urgent"],
    },
}


@pytest.fixture(scope="module")
def llm() -> LlamaEngine:
    engine = LlamaEngine()
    engine.load()
    return engine


def test_generates_tokens_and_reports_usage(llm: LlamaEngine) -> None:
    gen = llm.generate([{"role": "user", "content": "What is the capital of France?"}],
                       max_tokens=40, temperature=0)
    pieces = list(gen)
    assert gen.model == "smollm2-135m-instruct"
    assert gen.text.strip() and gen.text == "".join(p.text for p in pieces)
    assert gen.output_tokens == len(pieces)
    assert gen.finish_reason in ("stop", "length")
    assert gen.input_tokens > llm.count_tokens("What is the capital of France?")  # + template
    assert all(p.logprob is None and p.top_logprobs == [] for p in pieces)


def test_max_tokens_stops_with_length(llm: LlamaEngine) -> None:
    gen = llm.generate(ASK, max_tokens=5, temperature=0)
    assert len(list(gen)) == 5
    assert gen.finish_reason == "length"


def test_cancel_event_stops_generation_within_a_token(llm: LlamaEngine) -> None:
    cancel = threading.Event()
    gen = llm.generate(ASK, max_tokens=300, temperature=0.7, seed=3, cancel=cancel)
    seen = 0
    for _ in gen:
        seen += 1
        if seen == 4:
            cancel.set()
    assert seen == 4
    assert gen.finish_reason == "cancelled"


def test_cancel_from_another_thread(llm: LlamaEngine) -> None:
    cancel = threading.Event()
    gen = llm.generate(ASK, max_tokens=400, temperature=0.7, seed=4, cancel=cancel)
    first = next(gen)
    assert first.token
    threading.Thread(target=cancel.set).start()
    rest = list(gen)
    assert gen.finish_reason == "cancelled"
    assert len(rest) < 50  # far short of 400: it stopped on the event, not at the cap


def test_a_cancelled_event_before_start_yields_nothing(llm: LlamaEngine) -> None:
    cancel = threading.Event()
    cancel.set()
    gen = llm.generate(ASK, max_tokens=50, cancel=cancel)
    assert list(gen) == []
    assert gen.finish_reason == "cancelled"


def test_closing_early_frees_the_model_for_the_next_request(llm: LlamaEngine) -> None:
    with llm.generate(ASK, max_tokens=100) as gen:
        next(gen)
    assert gen.finish_reason == "cancelled"
    # The lock was released: another generation runs (it would hang otherwise).
    assert list(llm.generate(ASK, max_tokens=3))


def test_seed_makes_sampling_repeatable(llm: LlamaEngine) -> None:
    one = llm.generate(ASK, max_tokens=25, temperature=1.0, seed=42)
    two = llm.generate(ASK, max_tokens=25, temperature=1.0, seed=42)
    assert "".join(p.text for p in one) == "".join(p.text for p in two)


@pytest.mark.parametrize(
    "fmt",
    [
        {"type": "json_schema", "name": "person", "schema": PERSON, "strict": True},
        {"type": "json_schema", "json_schema": {"name": "person", "schema": PERSON}},
        PERSON,
    ],
    ids=["responses", "chat", "bare"],
)
def test_json_schema_output_parses_and_validates(llm: LlamaEngine, fmt: dict[str, Any]) -> None:
    msgs = [{"role": "user", "content": "Invent a person who likes sports."}]
    gen = llm.generate(msgs, max_tokens=300, temperature=0.8, seed=7, json_schema=fmt)
    text = "".join(p.text for p in gen)
    assert gen.finish_reason == "stop"
    jsonschema.validate(json.loads(text), PERSON)
    assert text == text.strip()  # no trailing whitespace after the JSON


def test_json_object_mode_gives_an_object(llm: LlamaEngine) -> None:
    gen = llm.generate([{"role": "user", "content": "Describe a cat as JSON."}], max_tokens=200,
                       temperature=0.5, seed=1, json_schema={"type": "json_object"})
    assert isinstance(json.loads("".join(p.text for p in gen)), dict)


def test_schema_from_format_reads_every_form() -> None:
    assert schema_from_format({"type": "text"}) is None
    assert schema_from_format(None) is None
    assert schema_from_format({"type": "json_object"}) == {"type": "object"}
    assert schema_from_format({"type": "json_schema", "name": "x", "schema": PERSON}) == PERSON
    with pytest.raises(InvalidSchemaError, match="needs a `schema`"):
        schema_from_format({"type": "json_schema", "name": "x"})


def test_an_unenforceable_schema_is_a_clear_error(llm: LlamaEngine) -> None:
    with pytest.raises(InvalidSchemaError, match="cannot be enforced") as info:
        llm.generate(ASK, json_schema={"type": "strange"})
    assert isinstance(info.value, ValueError)


def test_required_tool_choice_gives_a_valid_call(llm: LlamaEngine) -> None:
    msgs = [{"role": "user", "content": "What's the weather like in Lisbon right now?"}]
    call = llm.generate_call(msgs, [WEATHER, EMAIL], "required", temperature=0)
    assert call.name in ("get_weather", "send_email")
    deltas = [p.text for p in call]
    name, arguments = call.name, call.arguments
    assert "".join(deltas) == arguments and len(deltas) > 3  # streamed piece by piece
    tool = WEATHER if name == "get_weather" else EMAIL
    jsonschema.validate(json.loads(arguments), tool["parameters"])
    assert call.finish_reason == "stop" and call.output_tokens >= len(deltas)


def test_named_tool_choice_calls_that_function(llm: LlamaEngine) -> None:
    msgs = [{"role": "user", "content": "Tell Ana the meeting moved to 3pm."}]
    for tools in ([WEATHER, EMAIL], [{"type": "function", "function": {  # Chat-style tool too
            k: v for k, v in EMAIL.items() if k != "type"}}]):
        call = llm.generate_call(msgs, tools, {"type": "function", "name": "send_email"},
                                 temperature=0.7, seed=5)
        name, arguments = call.result()
        assert name == "send_email"
        jsonschema.validate(json.loads(arguments), EMAIL["parameters"])


def test_a_tool_without_parameters_gets_an_empty_object(llm: LlamaEngine) -> None:
    tool = {"type": "function", "name": "ping", "parameters": None}
    name, arguments = llm.generate_call(ASK, [tool], "required", temperature=0).result()
    assert name == "ping" and isinstance(json.loads(arguments), dict)


def test_tool_choice_naming_a_missing_function_is_refused(llm: LlamaEngine) -> None:
    with pytest.raises(UnsupportedError, match="'nope'") as info:
        llm.generate_call(ASK, [WEATHER], {"type": "function", "name": "nope"})
    assert info.value.param == "tool_choice"
    with pytest.raises(UnsupportedError, match="no function tool"):
        llm.generate_call(ASK, [{"type": "web_search"}], "required")


def test_logprobs_when_asked(llm: LlamaEngine) -> None:
    gen = llm.generate(ASK, max_tokens=12, temperature=0, top_logprobs=3)
    pieces = list(gen)
    assert len(pieces) == 12
    for piece in pieces:
        assert piece.logprob is not None and piece.logprob <= 0
        assert len(piece.top_logprobs) == 3
        values = [lp for _, lp in piece.top_logprobs]
        assert values == sorted(values, reverse=True)
        # Greedy decoding picks the most likely token: it heads its own alternatives.
        assert piece.top_logprobs[0] == (piece.token, pytest.approx(piece.logprob))
        assert bytes(piece.bytes).decode("utf-8", "replace") == piece.token


def test_logprobs_without_alternatives(llm: LlamaEngine) -> None:
    pieces = list(llm.generate(ASK, max_tokens=4, temperature=0, top_logprobs=0))
    assert all(p.logprob is not None and p.top_logprobs == [] for p in pieces)


def test_count_tokens_grows_with_text(llm: LlamaEngine) -> None:
    assert llm.count_tokens("") == 0
    short, long = llm.count_tokens("Hello world"), llm.count_tokens("Hello world " * 20)
    assert 0 < short < long


def test_a_prompt_longer_than_the_context_is_refused() -> None:
    small = LlamaEngine(n_ctx=64)
    with pytest.raises(ContextLengthError, match="context window of 64") as info:
        small.generate([{"role": "user", "content": "word " * 200}])
    assert info.value.code == "context_length_exceeded"


def test_max_tokens_is_capped_by_what_fits() -> None:
    small = LlamaEngine(n_ctx=128)
    gen = small.generate(ASK, max_tokens=1000, temperature=0.9, seed=2)
    pieces = list(gen)
    assert gen.finish_reason in ("stop", "length")
    assert gen.input_tokens + len(pieces) <= 128


def test_concurrent_generations_are_serialised_not_corrupted(llm: LlamaEngine) -> None:
    expected = "".join(p.text for p in llm.generate(ASK, max_tokens=20, temperature=0))
    results: list[str] = []

    def run() -> None:
        results.append("".join(p.text for p in llm.generate(ASK, max_tokens=20, temperature=0)))

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [expected] * 3
