"""The library functions behind the magics, over MockTransport: budget, ledger, cost, parity."""

from __future__ import annotations

import io
import json
import wave

import httpx
import pytest

from oainb import AsyncClient, BudgetExceededError, Client, InputError
from oainb.cost import Ledger
from oainb.display import annotations_of
from oainb.notebook import _session, actions


@pytest.fixture(autouse=True)
def fresh_session(monkeypatch):
    state = actions.Session(ledger=Ledger())
    monkeypatch.setattr(_session, "_SESSION", state)  # the session every action reads
    return state


def reply_body(request: httpx.Request) -> dict:
    sent = json.loads(request.content)
    return {"id": "resp_1", "object": "response", "status": "completed", "model": sent["model"],
            "previous_response_id": sent.get("previous_response_id"),
            "output": [{"type": "message", "id": "m", "role": "assistant", "status": "completed",
                        "content": [{"type": "output_text", "text": "ok", "annotations": []}]}],
            "usage": {"input_tokens": 1000, "output_tokens": 1000, "total_tokens": 2000}}


class Recorder:
    def __init__(self, answer):
        self.answer = answer
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.answer(request)


def clients(handler, base_url="http://api.test/v1"):
    sync = Client(api_key="sk-test", base_url=base_url, max_retries=0,
                  http_client=httpx.Client(transport=httpx.MockTransport(handler)))
    asynchronous = AsyncClient(api_key="sk-test", base_url=base_url, max_retries=0,
                               http_client=httpx.AsyncClient(transport=httpx.MockTransport(handler)))
    return sync, asynchronous


@pytest.fixture(params=["sync", "async"])
def call(request):
    """Run `respond` or `arespond` with the same arguments (sync/async parity)."""
    import asyncio

    def run(prompt, *, client_pair, **kwargs):
        sync, asynchronous = client_pair
        if request.param == "sync":
            return actions.respond(prompt, client=sync, **kwargs)
        try:
            return asyncio.run(actions.arespond(prompt, client=asynchronous, **kwargs))
        finally:
            asyncio.run(asynchronous.close())

    return run


def test_respond_prices_usage_records_it_and_attaches_cost(call, fresh_session):
    handler = Recorder(lambda r: httpx.Response(200, json=reply_body(r)))
    reply = call("hi", client_pair=clients(handler), model="gpt-4o", stream=False)
    sent = json.loads(handler.requests[0].content)
    assert (sent["model"], sent["input"]) == ("gpt-4o", "hi")
    [entry] = fresh_session.ledger.entries
    assert entry.cost.usd == pytest.approx(1000 * 2.5e-6 + 1000 * 10e-6)
    assert not entry.cost.local and str(entry.cost) == "$0.013"
    info = annotations_of(reply)
    assert info.cost is entry.cost and info.estimate.estimated and info.elapsed is not None


def test_loopback_server_counts_as_local(call, fresh_session):
    handler = Recorder(lambda r: httpx.Response(200, json=reply_body(r)))
    call("hi", client_pair=clients(handler, "http://127.0.0.1:9/v1"), stream=False)
    assert str(fresh_session.ledger.entries[0].cost).startswith("$0 here, about $0.00075 on OpenAI")


def test_budget_refuses_before_anything_is_sent(call, fresh_session):
    fresh_session.ledger.set_budget(0.0001)
    handler = Recorder(lambda r: httpx.Response(200, json=reply_body(r)))
    with pytest.raises(BudgetExceededError, match=r"budget of \$0.00010"):
        call("hi", client_pair=clients(handler), model="gpt-4o", max_output_tokens=100, stream=False)
    assert handler.requests == [] and fresh_session.ledger.entries == []


def test_options_map_to_request_fields(call):
    handler = Recorder(lambda r: httpx.Response(200, json=reply_body(r)))
    call("hi", client_pair=clients(handler), stream=False, instructions="be brief", temperature=0.2,
         top_p=0.5, max_output_tokens=50, tools="web_search,code_interpreter", json=True, logprobs=3,
         previous_response_id="resp_0")
    sent = json.loads(handler.requests[0].content)
    assert sent["instructions"] == "be brief" and sent["temperature"] == 0.2 and sent["top_p"] == 0.5
    assert sent["max_output_tokens"] == 50
    assert [t["type"] for t in sent["tools"]] == ["web_search", "code_interpreter"]
    assert sent["text"] == {"format": {"type": "json_object"}}
    assert sent["top_logprobs"] == 3 and sent["include"] == ["message.output_text.logprobs"]
    assert sent["previous_response_id"] == "resp_0"


def test_schema_and_continue(fresh_session):
    from pydantic import BaseModel

    class City(BaseModel):
        name: str

    handler = Recorder(lambda r: httpx.Response(200, json=reply_body(r)))
    sync, _ = clients(handler)
    with pytest.raises(InputError, match="no earlier reply"):
        actions.respond("hi", client=sync, stream=False, previous_response_id=actions.CONTINUE)
    actions.respond("hi", client=sync, stream=False, schema=City)
    fmt = json.loads(handler.requests[0].content)["text"]["format"]
    assert (fmt["type"], fmt["name"], fmt["schema"]["required"]) == ("json_schema", "City", ["name"])
    actions.respond("again", client=sync, stream=False, previous_response_id=actions.CONTINUE)
    assert json.loads(handler.requests[1].content)["previous_response_id"] == "resp_1"


def wav_bytes(seconds: float) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(16000)
        w.writeframes(b"\0\0" * int(16000 * seconds))
    return buffer.getvalue()


def test_transcribe_reads_duration_from_the_file_to_estimate_and_price(fresh_session):
    handler = Recorder(lambda r: httpx.Response(200, json={"text": "hello"}))
    sync, _ = clients(handler)
    fresh_session.ledger.set_budget(0.0009)
    with pytest.raises(BudgetExceededError, match=r"10.0 s of audio"):  # $0.001 > budget
        actions.transcribe(wav_bytes(10.0), client=sync)
    assert handler.requests == []
    fresh_session.ledger.set_budget(None)
    t = actions.transcribe(wav_bytes(10.0), client=sync, granularities="word")
    assert t.source_audio[:4] == b"RIFF" and t.model == "whisper-1"
    assert annotations_of(t).cost.usd == pytest.approx(0.001)
    body = handler.requests[0].content
    assert b'name="timestamp_granularities[]"' in body and b"verbose_json" in body


@pytest.mark.parametrize("placeholder", [0xFFFFFFFF, 0x7FFFFFFF, 0])
def test_a_streamed_wav_is_priced_by_the_audio_it_holds(fresh_session, placeholder):
    """A streamed WAV's header sizes are placeholders: 0xFFFFFFFF once read as 89478 s ($8.95)."""
    streamed = bytearray(wav_bytes(10.0))
    streamed[4:8] = streamed[40:44] = placeholder.to_bytes(4, "little")
    handler = Recorder(lambda r: httpx.Response(200, json={"text": "hello"}))
    sync, _ = clients(handler)
    t = actions.transcribe(bytes(streamed), client=sync, response_format="srt")
    assert annotations_of(t).estimate.usd == pytest.approx(0.001)
    assert annotations_of(t).cost.usd == pytest.approx(0.001)


def test_speak_prices_characters(fresh_session):
    handler = Recorder(lambda r: httpx.Response(200, content=b"ID3audio", headers={"content-type": "audio/mpeg"}))
    sync, _ = clients(handler)
    clip = actions.speak("x" * 100, client=sync, voice="coral", speed=1.5)
    sent = json.loads(handler.requests[0].content)
    assert (sent["voice"], sent["speed"], sent["model"]) == ("coral", 1.5, "tts-1")
    assert annotations_of(clip).cost.usd == pytest.approx(100 * 15e-6)
    with pytest.raises(InputError, match="no text"):
        actions.speak("   ", client=sync)


def test_transcribe_options_reach_the_multipart_body():
    handler = Recorder(lambda r: httpx.Response(200, json={"text": "hello", "logprobs": [{"token": "hello", "logprob": -0.1}]}))
    sync, _ = clients(handler)
    actions.transcribe(wav_bytes(1.0), client=sync, model="gpt-4o-mini-transcribe", language="en",
                       prompt="Names: Ada.", vad=True, logprobs=True, response_format="json")
    body = handler.requests[0].content
    for field, value in [(b"language", b"en"), (b"prompt", b"Names: Ada."), (b"include[]", b"logprobs"),
                         (b"chunking_strategy[type]", b"server_vad"), (b"model", b"gpt-4o-mini-transcribe")]:
        assert b'name="' + field + b'"\r\n\r\n' + value in body, field


def test_translate_and_speak_options_reach_the_request():
    handler = Recorder(lambda r: httpx.Response(200, json={"text": "hello"}) if "translations" in r.url.path
                       else httpx.Response(200, content=b"RIFF....WAVE"))
    sync, _ = clients(handler)
    actions.translate(wav_bytes(1.0), client=sync, prompt="In English.", response_format="verbose_json")
    body = handler.requests[0].content
    assert b'name="prompt"\r\n\r\nIn English.' in body and b"verbose_json" in body
    clip = actions.speak("hi", client=sync, model="gpt-4o-mini-tts", instructions="Whisper.", response_format="wav")
    sent = json.loads(handler.requests[1].content)
    assert (sent["instructions"], sent["response_format"]) == ("Whisper.", "wav")
    assert clip.format == "wav"


def test_audio_sources(tmp_path):
    from oainb import SpeechClip
    from oainb.notebook._audio import load_source

    path = tmp_path / "a.wav"
    path.write_bytes(wav_bytes(0.1))
    assert load_source(str(path)).filename == "a.wav"
    assert load_source(("x.mp3", b"ID3")).filename == "x.mp3"
    pcm = load_source(SpeechClip(audio=b"\0\0" * 240, format="pcm"))
    assert pcm.filename == "speech.wav" and pcm.data[:4] == b"RIFF"
    web = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(200, content=wav_bytes(0.1))))
    assert load_source("https://example.test/clip?x=1", http_client=web).filename == "clip.wav"
    missing = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(404)))
    with pytest.raises(InputError, match="Could not download"):
        load_source("https://example.test/gone.mp3", http_client=missing)
    with pytest.raises(InputError, match="Cannot read audio from a int"):
        load_source(42)
    with pytest.raises(InputError, match="No audio file"):
        load_source(str(tmp_path / "nope.wav"))


def test_async_audio_twins_stream_like_the_sync_ones():
    import asyncio

    def handler(request):
        if "transcriptions" in request.url.path:
            body = ('data: {"type": "transcript.text.delta", "delta": "hel"}\n\n'
                    'data: {"type": "transcript.text.delta", "delta": "lo"}\n\n'
                    'data: {"type": "transcript.text.done", "text": "hello"}\n\n')
            return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body.encode())
        return httpx.Response(200, content=b"ID3" + b"a" * 5000, headers={"content-type": "audio/mpeg"})

    sync, asynchronous = clients(handler)

    async def main():
        events, chunks = [], []
        t = await actions.atranscribe(wav_bytes(1.0), client=asynchronous, model="gpt-4o-mini-transcribe",
                                      stream=True, on_event=events.append)
        clip = await actions.aspeak("hi", client=asynchronous, stream=True, on_chunk=chunks.append)
        await asynchronous.close()
        return t, events, clip, chunks

    t, events, clip, chunks = asyncio.run(main())
    assert t.text == "hello" and [e.delta for e in events[:2]] == ["hel", "lo"]
    assert b"".join(chunks) == clip.audio and clip.audio.startswith(b"ID3")
    sync_chunks: list[bytes] = []
    assert actions.speak("hi", client=sync, stream=True, on_chunk=sync_chunks.append).audio == clip.audio
