"""Bad input is caught locally: one-line message that says what to do, and nothing is sent."""

from __future__ import annotations

import io

import httpx
import pytest

from oainb import InputError
from tests.core._harness import Recorder

WAV = b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 32
OK_RESPONSE = {"model": "gpt-4o-mini", "input": "Hi"}
OK_STT = {"file": WAV, "model": "whisper-1"}
OK_TTS = {"model": "gpt-4o-mini-tts", "input": "Hello", "voice": "alloy"}


def _big_file(tmp_path):
    path = tmp_path / "huge.mp3"
    with open(path, "wb") as handle:
        handle.truncate(25 * 1024 * 1024 + 1)  # sparse: no 25 MB written
    return path


CASES = [
    # responses.create
    ("responses", {"input": "Hi"}, "model is required"),
    ("responses", {"model": "gpt-4o-mini"}, "input is required"),
    ("responses", {**OK_RESPONSE, "input": "   "}, "input is empty"),
    (
        "responses",
        {**OK_RESPONSE, "temperature": 2.5},
        "temperature must be a number between 0 and 2",
    ),
    (
        "responses",
        {**OK_RESPONSE, "temperature": -0.1},
        "temperature must be a number between 0 and 2",
    ),
    ("responses", {**OK_RESPONSE, "top_p": 1.5}, "top_p must be a number between 0 and 1"),
    ("responses", {**OK_RESPONSE, "max_output_tokens": 8}, "max_output_tokens must be at least 16"),
    (
        "responses",
        {**OK_RESPONSE, "max_output_tokens": "64"},
        "max_output_tokens must be an integer",
    ),
    (
        "responses",
        {**OK_RESPONSE, "top_logprobs": 21},
        "top_logprobs must be an integer from 0 to 20",
    ),
    (
        "responses",
        {**OK_RESPONSE, "metadata": {f"k{i}": "v" for i in range(17)}},
        "at most 16 keys",
    ),
    ("responses", {**OK_RESPONSE, "metadata": {"k": "v" * 513}}, "at most 512 characters"),
    (
        "responses",
        {**OK_RESPONSE, "previous_response_id": "resp_1", "conversation": "conv_1"},
        "not both",
    ),
    (
        "responses",
        {**OK_RESPONSE, "background": True, "store": False},
        "background=True needs store=True",
    ),
    (
        "responses",
        {**OK_RESPONSE, "truncation": "sometimes"},
        "truncation must be 'auto' or 'disabled'",
    ),
    ("responses", {**OK_RESPONSE, "tools": {"type": "web_search"}}, "tools must be a list"),
    ("responses", {**OK_RESPONSE, "tools": [{"name": "f"}]}, r'needs a "type"'),
    ("responses", {**OK_RESPONSE, "tools": [{"type": "function"}]}, "function tool without a name"),
    ("responses", {**OK_RESPONSE, "tools": [{"type": "file_search"}]}, 'needs "vector_store_ids"'),
    (
        "responses",
        {
            **OK_RESPONSE,
            "text": {"format": {"type": "json_schema", "name": "bad name!", "schema": {}}},
        },
        "text.format.name must be 1-64 letters",
    ),
    (
        "responses",
        {**OK_RESPONSE, "stream_options": {"include_obfuscation": False}},
        "only applies with stream=True",
    ),
    ("responses", {**OK_RESPONSE, "max_tokenz": 5}, "unknown parameter max_tokenz"),
    ("retrieve", {"response_id": ""}, "response_id must be an id like"),
    ("retrieve", {"response_id": "../models"}, "response_id must be an id like"),
    (
        "resume",
        {"response_id": "resp_1", "starting_after": -1},
        "starting_after must be a sequence number",
    ),
    ("resume", {"response_id": "resp_1", "starting_after": 3, "model": "m"}, "takes no model"),
    # audio.transcriptions.create
    ("stt", {**OK_STT, "file": "big"}, "over the 25 MB limit"),
    ("stt", {**OK_STT, "file": ("notes.txt", b"hello")}, "file type 'txt' is not supported"),
    ("stt", {**OK_STT, "file": b""}, "file is empty"),
    ("stt", {**OK_STT, "file": "/no/such/file.wav"}, "no such file"),
    ("stt", {**OK_STT, "file": io.StringIO("text")}, "open it with 'rb'"),
    ("stt", {**OK_STT, "file": 42}, "must be a path, bytes or a binary file object"),
    (
        "stt",
        {**OK_STT, "model": "gpt-4o-transcribe", "response_format": "verbose_json"},
        "answers only in response_format='json'",
    ),
    ("stt", {**OK_STT, "timestamp_granularities": ["word"]}, "need response_format='verbose_json'"),
    (
        "stt",
        {**OK_STT, "response_format": "verbose_json", "timestamp_granularities": ["sentence"]},
        "list of 'word' and/or 'segment'",
    ),
    ("stt", {**OK_STT, "stream": True}, "whisper-1 does not stream"),
    ("stt", {**OK_STT, "temperature": 1.5}, "temperature must be a number between 0 and 1"),
    ("stt", {**OK_STT, "include": ["logprobs"]}, "needs a gpt-4o transcribe model"),
    ("stt", {**OK_STT, "response_format": "docx"}, "response_format must be one of"),
    ("stt", {**OK_STT, "response_format": "diarized_json"}, "diarized_json needs model="),
    ("stt", {**OK_STT, "language": "English"}, "ISO-639-1 code like 'en'"),
    (
        "stt",
        {**OK_STT, "chunking_strategy": {"type": "server_vad", "threshold": 2}},
        "threshold must be between 0 and 1",
    ),
    ("stt", {**OK_STT, "chunking_strategy": "manual"}, "chunking_strategy must be 'auto'"),
    ("stt", {**OK_STT, "model": "gpt-4o-transcribe-diarize", "prompt": "names"}, "takes no prompt"),
    ("stt", {"file": WAV, "model": ""}, "model is required"),
    # audio.translations.create
    ("translate", {**OK_STT, "response_format": "diarized_json"}, "response_format must be one of"),
    ("translate", {**OK_STT, "temperature": -1}, "temperature must be a number between 0 and 1"),
    # audio.speech.create
    ("tts", {**OK_TTS, "voice": "robot"}, "unknown voice 'robot'"),
    ("tts", {**OK_TTS, "speed": 5}, "speed must be between 0.25 and 4.0"),
    ("tts", {**OK_TTS, "speed": 0.1}, "speed must be between 0.25 and 4.0"),
    ("tts", {**OK_TTS, "input": "x" * 4097}, "over the 4096 limit"),
    ("tts", {**OK_TTS, "input": ""}, "input is required"),
    ("tts", {**OK_TTS, "instructions": "i" * 4097}, "over the 4096 limit"),
    ("tts", {**OK_TTS, "model": "tts-1", "instructions": "calm"}, "tts-1 ignores instructions"),
    ("tts", {**OK_TTS, "model": "tts-1-hd", "stream_format": "sse"}, "tts-1-hd cannot stream SSE"),
    ("tts", {**OK_TTS, "response_format": "ogg"}, "response_format must be one of mp3"),
    ("tts", {**OK_TTS, "stream_format": "chunks"}, "stream_format must be 'audio' or 'sse'"),
    ("tts", {**OK_TTS, "voice": {"name": "x"}}, "a custom voice is"),
    ("tts_stream", {**OK_TTS, "model": "tts-1", "stream_format": "sse"}, "tts-1 cannot stream SSE"),
]


def _invoke(api, client, kind, kwargs):
    if kind == "responses":
        return api.call(client.responses.create, **kwargs)
    if kind == "retrieve":
        return api.call(client.responses.retrieve, kwargs["response_id"])
    if kind == "resume":
        return client.responses.stream(**kwargs)
    if kind == "stt":
        return api.call(client.audio.transcriptions.create, **kwargs)
    if kind == "translate":
        return api.call(client.audio.translations.create, **kwargs)
    if kind == "tts":
        return api.call(client.audio.speech.create, **kwargs)
    if kind == "tts_stream":
        return client.audio.speech.stream(**kwargs)
    raise AssertionError(kind)


@pytest.mark.parametrize("kind, kwargs, message", CASES, ids=[f"{c[0]}-{c[2][:30]}" for c in CASES])
def test_bad_input_is_refused_before_any_request(api, tmp_path, kind, kwargs, message):
    if kwargs.get("file") == "big":
        kwargs = {**kwargs, "file": _big_file(tmp_path)}
    rec = Recorder(httpx.Response(500, json={"error": {"message": "must not be called"}}))
    client = api.client(rec)
    with pytest.raises(InputError, match=message) as info:
        _invoke(api, client, kind, kwargs)
    assert rec.requests == []
    text = str(info.value)
    assert "\n" not in text and len(text) < 200
    assert isinstance(info.value, ValueError) and info.value.param


def test_there_are_at_least_25_cases():
    assert len(CASES) >= 25
