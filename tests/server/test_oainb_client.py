"""oainb's own clients against the real local server: the scenarios the official SDK passes.

`tests/server/test_responses_api.py` and `test_audio_api.py` drive the server with openai-python;
here `oainb.Client` (and `AsyncClient` for what streams or runs in the background) does the same
and is judged by what a user holds: `Reply`, `ReplyEvent`, `Transcript`, `SpeechClip` and the
exception classes. The clients are built with no key and no base URL, so every test also shows
that such a client finds the local backend by itself (the session's server, which records itself
in ``server.json`` under its data dir, used here as ``$OAINB_HOME``). The results' wire dumps are
checked against the spec's schemas.
"""

from __future__ import annotations

import inspect
import itertools
import json
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio
import jsonschema
import pytest

from oainb import (
    AsyncClient,
    AuthenticationError,
    BadRequestError,
    Client,
    InputError,
    NotFoundError,
    Reply,
    ReplyEvent,
    SpeechClip,
    Transcript,
)
from tests.openapi_schema import validate
from tests.server.conftest import CITY_SCHEMA, FUNCTION_TOOLS, HOSTED_TOOLS, WEATHER_PARAMETERS
from tests.server.test_audio_api import PARAGRAPH, decoded_seconds, word_error_rate

pytestmark = pytest.mark.server

LOCAL_TEXT = "smollm2-135m-instruct"
GERMAN = "Guten Morgen. Die Bibliothek öffnet um neun Uhr und schließt um sechs Uhr abends."


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def local_home(local_server: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """``$OAINB_HOME`` pointing at the session server's data dir, and no key anywhere."""
    state = json.loads((local_server.data_dir / "server.json").read_text())
    assert state["pid"] == local_server.pid  # else Client() would start a server of its own
    monkeypatch.setenv("OAINB_HOME", str(local_server.data_dir))
    return local_server


def _is_local(client: Client | AsyncClient, local_server: Any) -> bool:
    return client.backend == "local" and client.base_url == local_server.base_url


@pytest.fixture
def client(local_home: Any) -> Iterator[Client]:
    """`Client()` told nothing: no key, no base URL, no backend."""
    with Client(max_retries=0) as told_nothing:
        assert _is_local(told_nothing, local_home)
        yield told_nothing


@pytest.fixture(params=["sync", "async"])
async def api(request: pytest.FixtureRequest, local_home: Any) -> AsyncIterator[Any]:
    """`Client()` or `AsyncClient()`, told nothing; call its methods through `call`/`drain`."""
    if request.param == "sync":
        with Client(max_retries=0) as sync:
            assert _is_local(sync, local_home)
            yield sync
    else:
        async with AsyncClient(max_retries=0) as asynchronous:
            assert _is_local(asynchronous, local_home)
            yield asynchronous


async def call(result: Any) -> Any:
    """The value of a sync call, or of an async one awaited."""
    return await result if inspect.isawaitable(result) else result


async def drain(stream: Any) -> list[Any]:
    """Everything a sync or async stream yields, inside its (async) `with` block."""
    if hasattr(stream, "__aenter__"):
        async with stream:
            return [item async for item in stream]
    with stream:
        return list(stream)


async def take(stream: Any, count: int) -> list[Any]:
    """The first `count` items of a sync or async stream; then the stream is left."""
    items: list[Any] = []
    if hasattr(stream, "__aenter__"):
        async with stream:
            async for item in stream:
                items.append(item)
                if len(items) == count:
                    break
        return items
    with stream:
        return list(itertools.islice(stream, count))


async def wait_for(api: Any, response_id: str, done: Any, timeout: float = 120) -> Reply:
    """Poll `retrieve` until `done(reply)`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        reply: Reply = await call(api.responses.retrieve(response_id))
        validate("Response", reply.to_wire())
        if done(reply):
            return reply
        await anyio.sleep(0.05)
    raise AssertionError(f"{response_id} never reached the expected state")


def create(client: Client, **params: Any) -> Reply:
    reply: Reply = client.responses.create(**params)
    validate("Response", reply.to_wire())
    return reply


async def generating(api: Any, prompt: str, max_output_tokens: int) -> Reply:
    """A background reply, once it has produced some text."""
    reply: Reply = await call(api.responses.create(model=LOCAL_TEXT, input=prompt,
                                                   background=True,
                                                   max_output_tokens=max_output_tokens))
    return await wait_for(api, reply.id, lambda r: bool(r.output_text))


def finished(reply: Reply) -> bool:
    return reply.status in ("completed", "incomplete")


# --- responses.create --------------------------------------------------------------------------


def test_create_names_the_local_engine_and_echoes_settings(client: Client) -> None:
    reply = create(client, model="gpt-4o-mini", input="What is the capital of France?",
                   instructions="Answer in one short sentence.", temperature=0, top_p=0.9,
                   max_output_tokens=40, metadata={"case": "plain"})
    assert reply.model == LOCAL_TEXT and reply.id.startswith("resp_")
    assert reply.status in ("completed", "incomplete") and reply.output_text.strip()
    assert (reply.metadata, reply.temperature, reply.top_p) == ({"case": "plain"}, 0, 0.9)
    assert reply.instructions == "Answer in one short sentence."
    assert reply.usage is not None and reply.usage.output_tokens > 0
    assert reply.usage.total_tokens == reply.usage.input_tokens + reply.usage.output_tokens


def test_item_list_and_previous_response_id_continue_a_conversation(client: Client) -> None:
    short = {"model": LOCAL_TEXT, "temperature": 0, "max_output_tokens": 20}
    first = create(client, **short, input=[
        {"role": "developer", "content": "You are terse."},
        {"role": "user", "content": [{"type": "input_text", "text": "My name is Ada."}]},
    ])
    second = create(client, **short, previous_response_id=first.id, input="What is my name?")
    fresh = create(client, **short, input="What is my name?")
    assert second.previous_response_id == first.id
    assert first.usage and second.usage and fresh.usage
    # The model read the earlier turns: the name and its first answer.
    assert second.usage.input_tokens >= fresh.usage.input_tokens + first.usage.output_tokens + 4
    with pytest.raises(BadRequestError, match="not found"):
        client.responses.create(model=LOCAL_TEXT, input="x", previous_response_id="resp_nope")


def test_store_false_is_not_retrievable(client: Client) -> None:
    reply = create(client, model=LOCAL_TEXT, input="Hi", store=False, max_output_tokens=16)
    with pytest.raises(NotFoundError):
        client.responses.retrieve(reply.id)


def test_json_schema_output_parses_and_validates(client: Client) -> None:
    reply = create(client, model="gpt-4o", input="Describe Paris.", max_output_tokens=80,
                   text={"format": {"type": "json_schema", "name": "city",
                                    "schema": CITY_SCHEMA, "strict": True}})
    assert reply.status == "completed"
    jsonschema.validate(json.loads(reply.output_text), CITY_SCHEMA)


def test_logprobs_with_top_alternatives(client: Client) -> None:
    reply = create(client, model=LOCAL_TEXT, input="Say hello.", max_output_tokens=16,
                   include=["message.output_text.logprobs"], top_logprobs=3)
    assert reply.logprobs, "logprobs were asked for"
    # Tokens may split a character, so their bytes, not their texts, add up to the reply; when
    # the output cap cuts a character in two, its first bytes are in no text.
    data, text = b"".join(bytes(lp["bytes"]) for lp in reply.logprobs), reply.output_text.encode()
    assert data == text or (reply.status == "incomplete" and data.startswith(text)
                            and len(data) - len(text) < 4)
    for lp in reply.logprobs:
        tops = [top["logprob"] for top in lp["top_logprobs"]]
        assert lp["logprob"] <= 0 and 1 <= len(tops) <= 3 and max(tops) >= lp["logprob"] - 1e-6


@pytest.mark.parametrize("choice", ["required", {"type": "function", "name": "get_weather"}])
def test_forced_function_call_has_schema_valid_arguments(client: Client, choice: Any) -> None:
    reply = create(client, model="gpt-4o", input="What's the weather in Paris?",
                   tools=FUNCTION_TOOLS, tool_choice=choice, max_output_tokens=64)
    [call_] = reply.function_calls
    assert call_.call_id and reply.output_text == ""
    if isinstance(choice, dict):
        assert call_.name == "get_weather"
    jsonschema.validate(json.loads(call_.arguments),
                        WEATHER_PARAMETERS if call_.name == "get_weather" else {"type": "object"})
    # Greedy, so the 135M model's answer is the same each run (sampled, it may stop at once).
    answer = create(client, model="gpt-4o", previous_response_id=reply.id, tools=FUNCTION_TOOLS,
                    temperature=0, max_output_tokens=16, input=[{"type": "function_call_output",
                                                  "call_id": call_.call_id, "output": "21 C"}])
    assert answer.output_text and not answer.function_calls


def test_max_output_tokens_makes_the_reply_incomplete(client: Client) -> None:
    reply = create(client, model=LOCAL_TEXT, max_output_tokens=16,
                   input="Write a long essay about the history of the printing press.")
    assert reply.status == "incomplete" and reply.output_text
    assert reply.incomplete_details == {"reason": "max_output_tokens"}
    assert reply.usage is not None and reply.usage.output_tokens == 16


def test_bad_values_are_caught_before_sending_and_unknown_models_are_404s(client: Client) -> None:
    with pytest.raises(InputError, match="at least 16"):
        client.responses.create(model=LOCAL_TEXT, input="x", max_output_tokens=15)
    with pytest.raises(InputError, match="temperature"):
        client.responses.create(model=LOCAL_TEXT, input="x", temperature=3)
    with pytest.raises(NotFoundError, match="does not exist"):
        client.responses.create(model="no-such-model", input="x")


@pytest.mark.parametrize("tool", HOSTED_TOOLS, ids=lambda tool: tool["type"])
def test_hosted_tools_are_refused_by_name(client: Client, tool: dict[str, Any]) -> None:
    with pytest.raises(BadRequestError) as info:
        client.responses.create(model="gpt-4o", input="Hi", tools=[tool])
    validate("ErrorResponse", info.value.body)
    assert f"'{tool['type']}'" in str(info.value) and "local" in str(info.value)


def test_a_wrong_token_is_an_authentication_error(local_server: Any) -> None:
    bad = Client(base_url=local_server.base_url, api_key="wrong-token", max_retries=0)
    with bad, pytest.raises(AuthenticationError) as info:
        bad.models.list()
    validate("ErrorResponse", info.value.body)
    assert info.value.status_code == 401 and "wrong-token" not in str(info.value)


def test_models_lists_the_local_engines(client: Client) -> None:
    assert {LOCAL_TEXT, "whisper-tiny.en", "espeak-ng"} <= set(client.models.list())


def test_delete_removes_the_response(client: Client) -> None:
    reply = create(client, model=LOCAL_TEXT, input="Hi", max_output_tokens=16)
    client.responses.delete(reply.id)
    with pytest.raises(NotFoundError):
        client.responses.retrieve(reply.id)
    with pytest.raises(NotFoundError):
        client.responses.delete(reply.id)


# --- streaming and background ------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize("how", ["stream", "create"])
async def test_stream_has_the_full_typed_event_sequence(api: Any, how: str) -> None:
    params = {"model": "gpt-4o", "input": "Count to three.", "max_output_tokens": 30}
    if how == "stream":
        stream = api.responses.stream(**params)
    else:
        stream = await call(api.responses.create(stream=True, **params))
    events = await drain(stream)
    assert all(isinstance(e, ReplyEvent) for e in events)
    for event in events:
        validate("ResponseStreamEvent", event.to_wire())
    assert [e.sequence_number for e in events] == list(range(len(events)))
    kinds = [e.type for e in events]
    terminal = kinds[-1]
    assert terminal in ("response.completed", "response.incomplete")
    assert kinds[:4] == ["response.created", "response.in_progress",
                         "response.output_item.added", "response.content_part.added"]
    assert kinds[-4:] == ["response.output_text.done", "response.content_part.done",
                          "response.output_item.done", terminal]
    assert set(kinds[4:-4]) == {"response.output_text.delta"}
    reply = stream.reply
    assert not reply.partial and reply.status == terminal.removeprefix("response.")
    assert reply.output_text == "".join(e.delta for e in events[4:-4]) != ""
    assert reply.model == LOCAL_TEXT and reply.usage and reply.usage.output_tokens > 0
    assert stream.last_sequence_number == len(events) - 1


@pytest.mark.anyio
async def test_background_create_poll_then_resume_from_any_event(api: Any) -> None:
    reply = await call(api.responses.create(model="gpt-4o", input="List five fruits.",
                                            background=True, max_output_tokens=40))
    assert reply.status in ("queued", "in_progress") and reply.background is True
    stored = await wait_for(api, reply.id, finished)
    every = await drain(api.responses.stream(response_id=reply.id))
    assert [e.sequence_number for e in every] == list(range(len(every)))
    assert [e.type for e in every[:3]] == [
        "response.created", "response.queued", "response.in_progress"]
    assert every[-1].response == stored
    for after in (0, 4, len(every) - 2):
        resumed = api.responses.stream(response_id=reply.id, starting_after=after)
        assert await drain(resumed) == every[after + 1:]
        assert resumed.reply == stored and not resumed.reply.partial


@pytest.mark.anyio
async def test_resume_while_generating_follows_live(api: Any) -> None:
    reply = await generating(api, "Write a story about a lighthouse keeper.", 120)
    live = await drain(api.responses.stream(response_id=reply.id, starting_after=2))
    assert [e.sequence_number for e in live] == list(range(3, 3 + len(live)))
    assert live[-1].type in ("response.completed", "response.incomplete")
    assert live == (await drain(api.responses.stream(response_id=reply.id)))[3:]


@pytest.mark.anyio
async def test_a_stream_left_early_resumes_where_it_stopped(api: Any) -> None:
    stream = await call(api.responses.create(
        model=LOCAL_TEXT, input="Write a story about a fox.", background=True, stream=True,
        max_output_tokens=60))
    seen = await take(stream, 6)
    assert stream.reply.partial and stream.reply.interrupted
    assert stream.last_sequence_number == seen[-1].sequence_number == 5
    rest = api.responses.stream(response_id=seen[0].response.id,
                                starting_after=stream.last_sequence_number)
    events = seen + await drain(rest)
    assert [e.sequence_number for e in events] == list(range(len(events)))
    assert events == await drain(api.responses.stream(response_id=seen[0].response.id))
    assert not rest.reply.partial and rest.reply.output_text


@pytest.mark.anyio
async def test_cancel_stops_generation_mid_way(api: Any) -> None:
    reply = await generating(api, "Write a very long story about the sea.", 2000)
    cancelled: Reply = await call(api.responses.cancel(reply.id))
    validate("Response", cancelled.to_wire())
    assert cancelled.status == "cancelled" and cancelled.output_text
    assert cancelled.usage is not None and cancelled.usage.output_tokens < 2000
    later: Reply = await call(api.responses.retrieve(reply.id))
    assert later.status == "cancelled" and later.output_text == cancelled.output_text
    assert (await call(api.responses.cancel(reply.id))).status == "cancelled"  # idempotent
    kinds = [e.type for e in await drain(api.responses.stream(response_id=reply.id))]
    assert "response.completed" not in kinds
    plain = await call(api.responses.create(model=LOCAL_TEXT, input="Hi", max_output_tokens=16))
    with pytest.raises(BadRequestError, match="background"):
        await call(api.responses.cancel(plain.id))


@pytest.mark.slow
def test_responses_survive_a_restart(client: Client, local_server: Any) -> None:
    plain = create(client, model=LOCAL_TEXT, input="Hi", max_output_tokens=16)
    background = create(client, model=LOCAL_TEXT, input="Hi", background=True,
                        max_output_tokens=16)
    anyio.run(wait_for, client, background.id, finished)
    with client.responses.stream(response_id=background.id) as stream:
        events = list(stream)
    local_server.restart()
    assert client.responses.retrieve(plain.id) == plain
    with client.responses.stream(response_id=background.id, starting_after=3) as stream:
        assert list(stream) == events[4:]
    follow_up = create(client, model=LOCAL_TEXT, input="Again?", previous_response_id=plain.id,
                       max_output_tokens=16)
    assert finished(follow_up)


# --- audio -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def paragraph(local_server: Any) -> SpeechClip:
    """The known paragraph, spoken by `client.audio.speech.create` as WAV."""
    with Client(base_url=local_server.base_url, api_key=local_server.api_key) as told:
        clip = told.audio.speech.create(model="tts-1", voice="alloy", input=PARAGRAPH,
                                       response_format="wav")
    assert clip.format == "wav" and clip.voice == "alloy" and clip.input == PARAGRAPH
    return clip


def assert_heard(transcript: Transcript) -> None:
    assert word_error_rate(PARAGRAPH, transcript.text) < 0.15, transcript.text


@pytest.mark.parametrize("fmt", ["json", "text", "srt", "vtt", "verbose_json"])
def test_transcription_in_every_format(client: Client, paragraph: SpeechClip, fmt: str) -> None:
    extra: dict[str, Any] = {"timestamp_granularities": ["word", "segment"]} if (
        fmt == "verbose_json") else {}
    transcript = client.audio.transcriptions.create(
        model="whisper-1", file=("p.wav", paragraph.audio), response_format=fmt, **extra)
    assert isinstance(transcript, Transcript) and transcript.response_format == fmt
    assert_heard(transcript)
    seconds = decoded_seconds(paragraph.audio, "wav")
    if fmt in ("srt", "vtt", "verbose_json"):
        starts = [s.start for s in transcript.segments]
        assert starts and starts == sorted(starts)
        assert all(0 <= s.start < s.end <= seconds + 0.05 for s in transcript.segments)
    if fmt == "verbose_json":
        validate("CreateTranscriptionResponseVerboseJson", transcript.to_body())
        assert transcript.language == "english"
        assert transcript.duration is not None and abs(transcript.duration - seconds) < 0.1
        assert len(transcript.words) >= 30
        assert [w.start for w in transcript.words] == sorted(w.start for w in transcript.words)
        assert all(0 <= w.start <= w.end <= seconds + 0.05 for w in transcript.words)
        assert transcript.segments[0].avg_logprob < 0


@pytest.mark.parametrize("strategy", ["auto", {"type": "server_vad", "threshold": 0.5,
                                                "prefix_padding_ms": 300,
                                                "silence_duration_ms": 400}], ids=["auto", "vad"])
def test_transcription_with_a_chunking_strategy(client: Client, paragraph: SpeechClip,
                                                strategy: Any) -> None:
    transcript = client.audio.transcriptions.create(
        model="gpt-4o-transcribe", file=("p.wav", paragraph.audio), chunking_strategy=strategy)
    assert isinstance(transcript, Transcript)
    assert_heard(transcript)


def test_transcription_logprobs(client: Client, paragraph: SpeechClip) -> None:
    transcript = client.audio.transcriptions.create(
        model="gpt-4o-transcribe", file=("p.wav", paragraph.audio), include=["logprobs"])
    assert isinstance(transcript, Transcript)
    validate("CreateTranscriptionResponseJson", transcript.to_body("json"))
    assert_heard(transcript)
    assert transcript.logprobs and all(lp.logprob <= 0 for lp in transcript.logprobs)


@pytest.mark.anyio
async def test_transcription_stream_gives_deltas_then_done_with_usage(
        api: Any, paragraph: SpeechClip) -> None:
    stream = await call(api.audio.transcriptions.create(
        model="gpt-4o-mini-transcribe", file=("p.wav", paragraph.audio), stream=True,
        include=["logprobs"]))
    events = await drain(stream)
    for event in events:
        validate("CreateTranscriptionResponseStreamEvent", event.to_wire())
    kinds = [e.type for e in events]
    assert kinds[-1] == "transcript.text.done" and len(kinds) >= 2
    assert set(kinds[:-1]) == {"transcript.text.delta"}
    done = events[-1]
    assert "".join(e.delta for e in events[:-1]) == done.text == stream.transcript.text
    assert done.usage is not None and done.usage.output_tokens > 0
    assert stream.transcript.usage == done.usage
    assert_heard(stream.transcript)


def test_translation_of_english_works(client: Client, paragraph: SpeechClip) -> None:
    translated = client.audio.translations.create(
        model="whisper-1", file=("p.wav", paragraph.audio), response_format="verbose_json")
    validate("CreateTranslationResponseVerboseJson", translated.to_body())
    assert_heard(translated)


def test_other_languages_are_refused_naming_the_english_only_limit(client: Client) -> None:
    german = client.audio.speech.create(model="tts-1", voice="de", input=GERMAN,
                                        response_format="wav")
    with pytest.raises(BadRequestError, match="English-only") as info:
        client.audio.translations.create(model="whisper-1", file=("de.wav", german.audio))
    validate("ErrorResponse", info.value.body)
    with pytest.raises(BadRequestError, match="English-only"):
        client.audio.transcriptions.create(model="whisper-1", file=("de.wav", german.audio),
                                           language="de")


SPOKEN = "Speech in every format. This is the second sentence."


def plausible_seconds(text: str) -> tuple[float, float]:
    """espeak-ng speaks about 175 words a minute; allow pauses and codec padding."""
    minutes = len(text.split()) / 175
    return minutes * 60 * 0.6, minutes * 60 * 2.0


@pytest.mark.parametrize("fmt", ["mp3", "opus", "aac", "flac", "wav", "pcm"])
def test_speech_in_every_format_decodes(client: Client, fmt: str) -> None:
    clip = client.audio.speech.create(model="gpt-4o-mini-tts", voice="coral", input=SPOKEN,
                                      response_format=fmt)
    assert clip.format == fmt and not clip.partial
    low, high = plausible_seconds(SPOKEN)
    seconds = decoded_seconds(clip.audio, fmt)
    assert low < seconds < high
    if fmt in ("wav", "pcm"):  # the clip measures these itself
        assert clip.duration == pytest.approx(seconds, abs=0.01)


@pytest.mark.anyio
@pytest.mark.parametrize("stream_format", ["audio", "sse"])
async def test_speech_stream(api: Any, stream_format: str) -> None:
    text = " ".join(f"This is sentence number {n}." for n in range(1, 7))
    fmt = "mp3" if stream_format == "audio" else "wav"
    stream = api.audio.speech.stream(model="gpt-4o-mini-tts", voice="nova", input=text,
                                     response_format=fmt, stream_format=stream_format)
    chunks = await drain(stream)
    clip = stream.clip
    assert len(chunks) > 1 and clip.audio == b"".join(chunks) and not clip.partial
    assert plausible_seconds(text)[0] < decoded_seconds(clip.audio, fmt)
    if stream_format == "sse":
        kinds = [e.type for e in stream.events]
        assert kinds == ["speech.audio.delta"] * (len(kinds) - 1) + ["speech.audio.done"]
        assert clip.usage is not None and clip.usage.output_tokens > 0
