"""``/v1/audio/*`` on the real local server, through the official openai SDK over HTTP.

Speech made by the server itself is the test audio: a known paragraph spoken by espeak-ng, so
the transcription can be scored (word error rate) without any file from outside.
"""

from __future__ import annotations

import base64
import io
import json
import re
from typing import Any

import httpx
import openai
import pydantic
import pytest
from openai.types.audio import TranscriptionStreamEvent

from tests.openapi_schema import validate
from tests.server.conftest import check_events, parse_sse

pytestmark = pytest.mark.server

PARAGRAPH = (
    "The library opens at nine in the morning and closes at six in the evening. "
    "Visitors may borrow up to five books at a time. Please return them within two weeks, "
    "or ask the front desk to renew them for you."
)
_TRANSCRIPT_EVENTS = pydantic.TypeAdapter(TranscriptionStreamEvent)


def _words(text: str) -> list[str]:
    return re.sub(r"[^a-z0-9' ]+", " ", text.lower()).split()


def word_error_rate(reference: str, hypothesis: str) -> float:
    import jiwer

    return float(jiwer.wer(" ".join(_words(reference)), " ".join(_words(hypothesis))))


def decoded_seconds(data: bytes, fmt: str) -> float:
    """Length of encoded audio, decoded with PyAV (pcm: raw 24 kHz s16le)."""
    import av

    if fmt == "pcm":
        return len(data) / 2 / 24_000
    samples, rate = 0, 0
    container: Any = av.open(io.BytesIO(data))
    with container:
        for frame in container.decode(audio=0):
            samples += frame.samples
            rate = frame.sample_rate
    return samples / rate


@pytest.fixture(scope="module")
def paragraph_wav(local_server: Any) -> bytes:
    with local_server.client(max_retries=0) as sdk:
        return bytes(sdk.audio.speech.create(model="tts-1", voice="alloy", input=PARAGRAPH,
                                             response_format="wav").content)


@pytest.mark.parametrize("fmt", ["mp3", "opus", "aac", "flac", "wav", "pcm"])
def test_every_speech_format_decodes_to_plausible_duration(client: Any, fmt: str) -> None:
    text = "Speech in every format. This is the second sentence."
    reply = client.audio.speech.create(model="gpt-4o-mini-tts", voice="coral", input=text,
                                       response_format=fmt)
    assert reply.response.headers["content-type"].startswith("audio/")
    seconds = decoded_seconds(reply.content, fmt)
    words = len(text.split())
    # espeak-ng speaks about 175 words a minute; allow pauses and codec padding.
    assert words / 175 * 60 * 0.6 < seconds < words / 175 * 60 * 2.0


def test_speed_changes_the_duration(client: Any) -> None:
    text = "One two three four five six seven eight nine ten."
    normal = decoded_seconds(client.audio.speech.create(
        model="tts-1", voice="echo", input=text, response_format="wav").content, "wav")
    fast = decoded_seconds(client.audio.speech.create(
        model="tts-1", voice="echo", input=text, response_format="wav", speed=2.0).content, "wav")
    assert fast < normal * 0.7


def test_speech_streams_chunked_bytes(client: Any) -> None:
    text = " ".join(f"This is sentence number {n}." for n in range(1, 9))
    with client.audio.speech.with_streaming_response.create(
            model="tts-1", voice="onyx", input=text, response_format="mp3") as reply:
        assert reply.headers.get("transfer-encoding") == "chunked"
        chunks = [chunk for chunk in reply.iter_bytes() if chunk]
    assert len(chunks) > 1
    assert decoded_seconds(b"".join(chunks), "mp3") > 3


def test_a_wav_file_has_true_sizes_and_a_wav_stream_placeholders(client: Any) -> None:
    """A WAV asked for as a file says its length; `wave` (and SpeechClip.duration) read it."""
    import struct
    import wave

    text = "A complete file. With a header that knows its length."
    data = client.audio.speech.create(model="tts-1", voice="alloy", input=text,
                                      response_format="wav").content
    riff, = struct.unpack_from("<I", data, 4)
    size, = struct.unpack_from("<I", data, 40)
    assert (riff, size) == (len(data) - 8, len(data) - 44)
    with wave.open(io.BytesIO(data)) as reader:
        seconds = reader.getnframes() / reader.getframerate()
    assert seconds == pytest.approx(decoded_seconds(data, "wav"), abs=0.01) and 1 < seconds < 10
    with client.audio.speech.with_streaming_response.create(
            model="tts-1", voice="alloy", input=text, response_format="wav",
            stream_format="audio") as reply:
        assert reply.headers.get("transfer-encoding") == "chunked"
        streamed = reply.read()
    assert struct.unpack_from("<I", streamed, 40)[0] == 0xFFFFFFFF


def test_speech_sse_events_carry_audio_and_usage(client: Any) -> None:
    text = "Streaming speech as events. Two sentences."
    with client.audio.speech.with_streaming_response.create(
            model="gpt-4o-mini-tts", voice="nova", input=text, response_format="wav",
            stream_format="sse") as reply:
        assert reply.headers["content-type"].startswith("text/event-stream")
        events = check_events(parse_sse(reply.iter_lines()), "CreateSpeechResponseStreamEvent",
                              named=True)
    assert [e["type"] for e in events[:-1]] == ["speech.audio.delta"] * (len(events) - 1)
    done = events[-1]
    assert done["type"] == "speech.audio.done" and done["usage"]["output_tokens"] > 0
    audio = b"".join(base64.b64decode(e["audio"]) for e in events[:-1])
    assert decoded_seconds(audio, "wav") > 1


def test_speech_limits_are_400s(client: Any) -> None:
    with pytest.raises(openai.BadRequestError, match="4096"):
        client.audio.speech.create(model="tts-1", voice="alloy", input="a" * 4097)
    with pytest.raises(openai.BadRequestError) as info:
        client.audio.speech.create(model="tts-1", voice="alloy", input="hi", speed=5)
    assert info.value.response.json()["error"]["param"] == "speed"
    with pytest.raises(openai.BadRequestError, match="voice"):
        client.audio.speech.create(model="tts-1", voice="no-such-voice-xyz", input="hi")
    with pytest.raises(openai.BadRequestError, match="speech"):
        client.audio.speech.create(model="whisper-1", voice="alloy", input="hi")


def test_transcription_is_accurate_with_ordered_word_times(client: Any,
                                                           paragraph_wav: bytes) -> None:
    raw = client.audio.transcriptions.with_raw_response.create(
        model="whisper-1", file=("paragraph.wav", paragraph_wav, "audio/wav"),
        response_format="verbose_json", timestamp_granularities=["word", "segment"])
    body = raw.http_response.json()
    validate("CreateTranscriptionResponseVerboseJson", body)
    assert raw.http_response.headers["x-oainb-model"] == "whisper-tiny.en"
    result = raw.parse()
    assert word_error_rate(PARAGRAPH, result.text) < 0.15
    duration = decoded_seconds(paragraph_wav, "wav")
    assert abs(result.duration - duration) < 0.1 and result.language == "english"
    starts = [w.start for w in result.words]
    assert starts == sorted(starts) and len(result.words) >= 30
    assert all(0 <= w.start <= w.end <= duration + 0.05 for w in result.words)
    assert result.segments and result.segments[0].avg_logprob < 0


def test_transcription_formats(client: Any, paragraph_wav: bytes) -> None:
    upload = ("p.wav", paragraph_wav, "audio/wav")
    raw = client.audio.transcriptions.with_raw_response.create(
        model="gpt-4o-transcribe", file=upload, include=["logprobs"])
    body = raw.http_response.json()
    validate("CreateTranscriptionResponseJson", body)
    assert body["logprobs"] and all(lp["logprob"] <= 0 for lp in body["logprobs"])
    text = client.audio.transcriptions.create(model="whisper-1", file=upload,
                                              response_format="text")
    assert word_error_rate(PARAGRAPH, text) < 0.15
    srt = client.audio.transcriptions.create(model="whisper-1", file=upload,
                                             response_format="srt")
    assert re.match(r"1\n00:00:\d\d,\d{3} --> 00:00:\d\d,\d{3}\n\S", srt)
    vtt = client.audio.transcriptions.create(model="whisper-1", file=upload,
                                             response_format="vtt")
    assert vtt.startswith("WEBVTT\n\n00:00:")


@pytest.mark.parametrize("strategy", ["auto", {"type": "server_vad", "threshold": 0.5,
                                                "prefix_padding_ms": 300,
                                                "silence_duration_ms": 400}])
def test_chunking_strategy_as_the_sdk_sends_it(client: Any, paragraph_wav: bytes,
                                               strategy: Any) -> None:
    result = client.audio.transcriptions.create(
        model="gpt-4o-transcribe", file=("p.wav", paragraph_wav), chunking_strategy=strategy)
    assert word_error_rate(PARAGRAPH, result.text) < 0.15


def test_chunking_strategy_as_a_json_string(local_server: Any, paragraph_wav: bytes) -> None:
    strategy = json.dumps({"type": "server_vad", "silence_duration_ms": 300})
    reply = httpx.post(f"{local_server.base_url}/audio/transcriptions", headers=local_server.headers,
                       files={"file": ("p.wav", paragraph_wav, "audio/wav")},
                       data={"model": "whisper-1", "chunking_strategy": strategy},
                       timeout=120, trust_env=False)
    assert reply.status_code == 200, reply.text
    bad = httpx.post(f"{local_server.base_url}/audio/transcriptions", headers=local_server.headers,
                     files={"file": ("p.wav", paragraph_wav, "audio/wav")},
                     data={"model": "whisper-1", "chunking_strategy": '{"type": "nope"}'},
                     timeout=120, trust_env=False)
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "chunking_strategy"


def test_transcription_stream_is_data_only_sse(client: Any, paragraph_wav: bytes) -> None:
    with client.audio.transcriptions.with_streaming_response.create(
            model="gpt-4o-transcribe", file=("p.wav", paragraph_wav), stream=True,
            include=["logprobs"]) as raw:
        events = check_events(parse_sse(raw.iter_lines()),
                              "CreateTranscriptionResponseStreamEvent", named=False)
    for event in events:
        _TRANSCRIPT_EVENTS.validate_python(event)
    kinds = [e["type"] for e in events]
    assert kinds[-1] == "transcript.text.done" and len(kinds) >= 2
    assert set(kinds[:-1]) == {"transcript.text.delta"}
    done = events[-1]
    assert "".join(e["delta"] for e in events[:-1]) == done["text"]
    assert done["usage"]["type"] == "tokens" and done["usage"]["output_tokens"] > 0
    assert word_error_rate(PARAGRAPH, done["text"]) < 0.15


def test_sdk_transcription_stream(client: Any, paragraph_wav: bytes) -> None:
    stream = client.audio.transcriptions.create(model="gpt-4o-mini-transcribe", stream=True,
                                                file=("p.wav", paragraph_wav))
    events = list(stream)
    assert events[-1].type == "transcript.text.done" and events[-1].text


# openai-python marks `audio.translations.create` deprecated; the endpoint is what we test.
_SDK_DEPRECATED = pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")


@_SDK_DEPRECATED
def test_translation_of_english_works(client: Any, paragraph_wav: bytes) -> None:
    raw = client.audio.translations.with_raw_response.create(
        model="whisper-1", file=("p.wav", paragraph_wav), response_format="verbose_json")
    body = raw.http_response.json()
    validate("CreateTranslationResponseVerboseJson", body)
    assert word_error_rate(PARAGRAPH, raw.parse().text) < 0.15


@_SDK_DEPRECATED
def test_other_languages_get_a_clear_400(client: Any) -> None:
    german = client.audio.speech.create(
        model="tts-1", voice="de", response_format="wav",
        input="Guten Morgen. Die Bibliothek öffnet um neun Uhr und schließt um sechs Uhr abends.")
    with pytest.raises(openai.BadRequestError, match="English-only") as info:
        client.audio.translations.create(model="whisper-1", file=("de.wav", german.content))
    validate("ErrorResponse", info.value.response.json())
    with pytest.raises(openai.BadRequestError, match="English-only"):
        client.audio.transcriptions.create(model="whisper-1", file=("de.wav", german.content),
                                           language="de")


def test_bad_uploads_are_400s(client: Any) -> None:
    with pytest.raises(openai.BadRequestError, match="audio"):
        client.audio.transcriptions.create(model="whisper-1", file=("x.wav", b"not audio"))
    with pytest.raises(openai.BadRequestError, match="verbose_json"):
        client.audio.transcriptions.create(model="whisper-1", file=("x.wav", b"RIFF"),
                                           timestamp_granularities=["word"])


def test_uploads_over_25_mb_are_413(client: Any) -> None:
    big = b"\0" * (25 * 1024 * 1024 + 1)
    with pytest.raises(openai.APIStatusError) as info:
        client.audio.transcriptions.create(model="whisper-1", file=("big.wav", big))
    assert info.value.status_code == 413
    validate("ErrorResponse", info.value.response.json())
