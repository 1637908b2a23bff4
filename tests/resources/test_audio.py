from __future__ import annotations

import base64
import io
import json

import httpx
import pytest

from oainb import InputError, SpeechClip, StreamError, Transcript, TranscriptEvent
from tests.core._harness import Recorder, sse, sse_response
from tests.openapi_schema import decode_multipart

WAV = b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 32


def form(request: httpx.Request) -> dict:
    return decode_multipart(request.headers["content-type"], request.content)


def raw_fields(request: httpx.Request) -> list[str]:
    """Field names in the order sent, to check the SDK's bracket encoding."""
    body = request.content.decode("latin-1")
    return [
        line.split('name="', 1)[1].split('"', 1)[0]
        for line in body.splitlines()
        if 'name="' in line
    ]


VERBOSE = {
    "task": "transcribe",
    "language": "english",
    "duration": 1.5,
    "text": "Hello world",
    "words": [
        {"word": "Hello", "start": 0.0, "end": 0.5},
        {"word": "world", "start": 0.6, "end": 1.2},
    ],
    "segments": [
        {
            "id": 0,
            "seek": 0,
            "start": 0.0,
            "end": 1.2,
            "text": " Hello world",
            "tokens": [1, 2],
            "temperature": 0.0,
            "avg_logprob": -0.2,
            "compression_ratio": 1.1,
            "no_speech_prob": 0.01,
        }
    ],
    "usage": {"type": "duration", "seconds": 2},
}


def test_transcription_verbose_json_with_words(api, tmp_path):
    path = tmp_path / "talk.wav"
    path.write_bytes(WAV)
    rec = Recorder(httpx.Response(200, json=VERBOSE))
    client = api.client(rec)
    t = api.call(
        client.audio.transcriptions.create,
        file=path,
        model="whisper-1",
        response_format="verbose_json",
        timestamp_granularities=["word", "segment"],
        language="en",
        prompt="A greeting",
        temperature=0.2,
    )
    assert isinstance(t, Transcript)
    assert [w.word for w in t.words] == ["Hello", "world"] and t.duration == 1.5
    assert t.model == "whisper-1" and t.response_format == "verbose_json"
    assert t.usage is not None and t.usage.seconds == 2
    sent = form(rec.last)
    assert sent["timestamp_granularities"] == ["word", "segment"]
    assert sent["file"] == "<binary>" and sent["language"] == "en" and sent["temperature"] == 0.2
    assert raw_fields(rec.last).count("timestamp_granularities[]") == 2
    assert 'filename="talk.wav"' in rec.last.content.decode("latin-1")
    assert "Content-Type: audio/wav" in rec.last.content.decode("latin-1")


def test_transcription_json_with_logprobs_and_vad(api):
    body = {
        "text": "Hi",
        "logprobs": [{"token": "Hi", "logprob": -0.1, "bytes": [72, 105]}],
        "usage": {"type": "tokens", "input_tokens": 10, "output_tokens": 2, "total_tokens": 12},
    }
    rec = Recorder(httpx.Response(200, json=body))
    client = api.client(rec)
    t = api.call(
        client.audio.transcriptions.create,
        file=io.BytesIO(WAV),
        model="gpt-4o-mini-transcribe",
        include=["logprobs"],
        chunking_strategy={"type": "server_vad", "threshold": 0.5, "silence_duration_ms": 500},
    )
    assert t.text == "Hi" and t.logprobs[0].logprob == -0.1 and t.usage.total_tokens == 12
    names = raw_fields(rec.last)
    assert "include[]" in names
    assert "chunking_strategy[type]" in names and "chunking_strategy[silence_duration_ms]" in names
    assert form(rec.last)["chunking_strategy"] == {
        "type": "server_vad",
        "threshold": 0.5,
        "silence_duration_ms": 500,
    }


@pytest.mark.parametrize(
    "fmt, body",
    [
        ("text", "Hello world\n"),
        ("srt", "1\n00:00:00,000 --> 00:00:01,200\nHello world\n\n"),
        ("vtt", "WEBVTT\n\n00:00:00.000 --> 00:00:01.200\nHello world\n\n"),
    ],
)
def test_transcription_plain_text_formats(api, fmt, body):
    rec = Recorder(httpx.Response(200, text=body, headers={"content-type": "text/plain"}))
    client = api.client(rec)
    t = api.call(
        client.audio.transcriptions.create, file=WAV, model="whisper-1", response_format=fmt
    )
    assert t.text == "Hello world" and t.response_format == fmt
    if fmt != "text":
        assert t.segments[0].end == pytest.approx(1.2)


def test_transcription_stream(api):
    events = [
        {
            "type": "transcript.text.delta",
            "delta": "Hel",
            "logprobs": [{"token": "Hel", "logprob": -0.1}],
        },
        {"type": "transcript.text.delta", "delta": "lo"},
        {
            "type": "transcript.text.done",
            "text": "Hello",
            "usage": {"input_tokens": 4, "output_tokens": 2, "total_tokens": 6},
        },
    ]
    rec = Recorder(sse_response(sse(*events, event_lines=False)))
    client = api.client(rec)
    got, stream = api.consume(
        lambda: client.audio.transcriptions.create(
            file=WAV, model="gpt-4o-mini-transcribe", stream=True
        )
    )
    assert all(isinstance(e, TranscriptEvent) for e in got)
    assert [e.delta for e in got[:2]] == ["Hel", "lo"] and got[-1].type == "transcript.text.done"
    assert stream.transcript.text == "Hello" and stream.transcript.usage.total_tokens == 6
    assert form(rec.last)["stream"] is True


def test_transcription_stream_error_keeps_text(api):
    events = [
        {"type": "transcript.text.delta", "delta": "Hel"},
        {"type": "error", "error": {"message": "audio too noisy", "code": "bad_audio"}},
    ]
    rec = Recorder(sse_response(sse(*events, event_lines=False)))
    client = api.client(rec)
    with pytest.raises(StreamError, match="audio too noisy") as info:
        api.consume(
            lambda: client.audio.transcriptions.create(
                file=WAV, model="gpt-4o-transcribe", stream=True
            )
        )
    assert info.value.reply.text == "Hel"


def test_translation(api):
    rec = Recorder(httpx.Response(200, json={"text": "Good morning"}))
    client = api.client(rec)
    t = api.call(client.audio.translations.create, file=WAV, model="whisper-1", prompt="Greeting")
    assert t.text == "Good morning"
    assert rec.last.url.path == "/v1/audio/translations"
    assert form(rec.last)["model"] == "whisper-1"


def test_translation_verbose(api):
    body = {k: v for k, v in VERBOSE.items() if k not in ("words", "task")}
    rec = Recorder(httpx.Response(200, json=body))
    client = api.client(rec)
    t = api.call(
        client.audio.translations.create,
        file=WAV,
        model="whisper-1",
        response_format="verbose_json",
    )
    assert t.segments[0].text == " Hello world"


def test_speech_create_returns_a_clip(api):
    rec = Recorder(
        httpx.Response(200, content=b"ID3fakeaudio", headers={"content-type": "audio/mpeg"})
    )
    client = api.client(rec)
    clip = api.call(
        client.audio.speech.create,
        model="gpt-4o-mini-tts",
        input="Hello",
        voice="alloy",
        instructions="cheerful",
        response_format="mp3",
        speed=1.25,
    )
    assert isinstance(clip, SpeechClip)
    assert clip.audio == b"ID3fakeaudio" and clip.format == "mp3" and clip.voice == "alloy"
    assert rec.json() == {
        "model": "gpt-4o-mini-tts",
        "input": "Hello",
        "voice": "alloy",
        "instructions": "cheerful",
        "response_format": "mp3",
        "speed": 1.25,
    }


def test_a_server_on_this_machine_judges_voices_beyond_openais(api):
    rec = Recorder(httpx.Response(200, content=b"RIFF", headers={"content-type": "audio/wav"}))
    local = api.client(rec, base_url="http://127.0.0.1:8765/v1")  # e.g. espeak-ng's German
    api.call(local.audio.speech.create, model="tts-1", input="Guten Tag", voice="de")
    assert rec.json()["voice"] == "de"
    with pytest.raises(InputError, match="unknown voice 'de'"):
        api.call(api.client(rec).audio.speech.create, model="tts-1", input="Hi", voice="de")
    assert len(rec.requests) == 1


def test_speech_stream_audio_chunks(api):
    pcm = b"\x01\x00" * 2400
    rec = Recorder(httpx.Response(200, content=pcm, headers={"content-type": "audio/pcm"}))
    client = api.client(rec)
    chunks, stream = api.consume(
        lambda: client.audio.speech.stream(
            model="tts-1", input="Hello", voice="echo", response_format="pcm"
        )
    )
    assert b"".join(chunks) == pcm
    assert stream.clip.audio == pcm and stream.clip.duration == pytest.approx(0.1)
    assert rec.json()["stream_format"] == "audio"


def test_speech_stream_sse(api):
    a, b = b"first-", b"second"
    events = [
        {"type": "speech.audio.delta", "audio": base64.b64encode(a).decode()},
        {"type": "speech.audio.delta", "audio": base64.b64encode(b).decode()},
        {
            "type": "speech.audio.done",
            "usage": {"input_tokens": 3, "output_tokens": 9, "total_tokens": 12},
        },
    ]
    rec = Recorder(sse_response(sse(*events)))
    client = api.client(rec)
    chunks, stream = api.consume(
        lambda: client.audio.speech.stream(
            model="gpt-4o-mini-tts", input="Hi", voice="coral", stream_format="sse"
        )
    )
    assert chunks == [a, b]
    assert stream.clip.audio == a + b and stream.clip.usage.total_tokens == 12
    assert stream.clip.partial is False
    assert rec.json()["stream_format"] == "sse"


def test_speech_create_with_sse_format_collects_the_audio(api):
    events = [
        {"type": "speech.audio.delta", "audio": base64.b64encode(b"xyz").decode()},
        {
            "type": "speech.audio.done",
            "usage": {"input_tokens": 1, "output_tokens": 1, "total_tokens": 2},
        },
    ]
    rec = Recorder(sse_response(sse(*events)))
    client = api.client(rec)
    clip = api.call(
        client.audio.speech.create,
        model="gpt-4o-mini-tts",
        input="Hi",
        voice="ash",
        stream_format="sse",
    )
    assert clip.audio == b"xyz" and clip.usage.total_tokens == 2


def test_models_list(api):
    rec = Recorder(
        httpx.Response(
            200,
            json={
                "object": "list",
                "data": [
                    {"id": "gpt-4o-mini", "object": "model"},
                    {"id": "whisper-1", "object": "model"},
                ],
            },
        )
    )
    client = api.client(rec)
    assert api.call(client.models.list) == ["gpt-4o-mini", "whisper-1"]
    assert rec.last.url.path == "/v1/models"


def test_upload_streams_from_disk_and_closes_the_file(api, tmp_path, monkeypatch):
    path = tmp_path / "big.mp3"
    path.write_bytes(b"ID3" + b"\x00" * 300_000)
    opened = []
    real_open = open

    def spy_open(file, mode="r", *args, **kwargs):
        handle = real_open(file, mode, *args, **kwargs)
        if str(file) == str(path):
            opened.append(handle)
        return handle

    monkeypatch.setattr("builtins.open", spy_open)
    rec = Recorder(httpx.Response(200, json={"text": "ok"}))
    client = api.client(rec)
    api.call(client.audio.transcriptions.create, file=str(path), model="whisper-1")
    assert len(opened) == 1 and opened[0].closed
    assert len(rec.last.content) > 300_000
    assert "audio/mpeg" in rec.last.content[:400].decode("latin-1")


def test_request_bodies_are_json(api):
    rec = Recorder(httpx.Response(200, content=b"x"))
    client = api.client(rec)
    api.call(client.audio.speech.create, model="tts-1", input="Hi", voice="alloy")
    assert json.loads(rec.last.content)["voice"] == "alloy"
