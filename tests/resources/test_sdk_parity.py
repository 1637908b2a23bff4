"""Our requests match what the official SDK sends for the same call (multipart field names
and values, JSON bodies), using openai-python itself over a MockTransport."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from oainb import Client
from tests.core._harness import FAKE_KEY, reply_body

openai = pytest.importorskip("openai")

WAV = b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 32


def _capture(answer: httpx.Response) -> tuple[list[httpx.Request], httpx.MockTransport]:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(answer.status_code, headers=answer.headers, content=answer.content)

    return seen, httpx.MockTransport(handler)


def _form_fields(request: httpx.Request) -> list[tuple[str, str]]:
    """(name, value) of every non-file part, in order; file parts as (name, '<file>')."""
    import email.parser
    import email.policy

    head = f"Content-Type: {request.headers['content-type']}\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + request.content)
    out = []
    for part in message.iter_parts():
        name = str(part.get_param("name", header="content-disposition"))
        if part.get_filename() is not None:
            out.append((name, "<file>"))
        else:
            payload = part.get_payload(decode=True)
            out.append((name, payload.decode() if isinstance(payload, bytes) else str(payload)))
    return sorted(out)


def _both(
    answer: httpx.Response, call_ours: Any, call_sdk: Any
) -> tuple[httpx.Request, httpx.Request]:
    ours, transport = _capture(answer)
    call_ours(Client(api_key=FAKE_KEY, http_client=httpx.Client(transport=transport)))
    theirs, transport = _capture(answer)
    call_sdk(openai.OpenAI(api_key=FAKE_KEY, http_client=httpx.Client(transport=transport)))
    return ours[-1], theirs[-1]


def test_transcription_multipart_matches_the_sdk():
    params: dict[str, Any] = {
        "model": "whisper-1",
        "response_format": "verbose_json",
        "timestamp_granularities": ["word", "segment"],
        "language": "en",
        "prompt": "Hello",
        "temperature": 0.2,
    }
    answer = httpx.Response(200, json={"text": "hi", "language": "english", "duration": 1.0})
    ours, theirs = _both(
        answer,
        lambda c: c.audio.transcriptions.create(file=("a.wav", WAV), **params),
        lambda c: c.audio.transcriptions.create(file=("a.wav", WAV), **params),
    )
    assert _form_fields(ours) == _form_fields(theirs)
    assert ours.url.path == theirs.url.path


def test_transcription_vad_and_include_match_the_sdk():
    params: dict[str, Any] = {
        "model": "gpt-4o-transcribe",
        "include": ["logprobs"],
        "chunking_strategy": {"type": "server_vad", "threshold": 0.5, "silence_duration_ms": 500},
    }
    answer = httpx.Response(200, json={"text": "hi"})
    ours, theirs = _both(
        answer,
        lambda c: c.audio.transcriptions.create(file=("a.wav", WAV), **params),
        lambda c: c.audio.transcriptions.create(file=("a.wav", WAV), **params),
    )
    assert _form_fields(ours) == _form_fields(theirs)


def test_speech_and_responses_bodies_match_the_sdk():
    speech = {
        "model": "gpt-4o-mini-tts",
        "input": "Hi",
        "voice": "alloy",
        "speed": 1.5,
        "response_format": "wav",
    }
    ours, theirs = _both(
        httpx.Response(200, content=b"RIFF"),
        lambda c: c.audio.speech.create(**speech),
        lambda c: c.audio.speech.create(**speech),
    )
    assert json.loads(ours.content) == json.loads(theirs.content)
    reply = {"model": "gpt-4o-mini", "input": "Hi", "max_output_tokens": 64, "temperature": 0.5}
    ours, theirs = _both(
        httpx.Response(200, json=reply_body()),
        lambda c: c.responses.create(**reply),
        lambda c: c.responses.create(**reply),
    )
    assert json.loads(ours.content) == json.loads(theirs.content)
    assert ours.url.path == theirs.url.path


def test_resume_query_matches_the_sdk():
    body = (
        b'event: response.completed\ndata: {"type": "response.completed", "sequence_number": 9}\n\n'
    )
    answer = httpx.Response(200, content=body, headers={"content-type": "text/event-stream"})

    def ours_call(c: Client) -> None:
        with c.responses.stream(response_id="resp_1", starting_after=3) as stream:
            list(stream)

    def sdk_call(c: Any) -> None:
        for _ in c.responses.retrieve("resp_1", stream=True, starting_after=3):
            pass

    ours, theirs = _both(answer, ours_call, sdk_call)
    assert (ours.method, ours.url.path) == (theirs.method, theirs.url.path)
    assert dict(ours.url.params) == dict(theirs.url.params)
