"""The spec guard in tests/conftest.py really catches wrong bodies."""

from __future__ import annotations

import httpx
import pytest

from tests.core._harness import Recorder, reply_body
from tests.openapi_schema import request_errors


def test_a_deliberately_wrong_body_is_caught(api, spec_guard):
    rec = Recorder(httpx.Response(200, json=reply_body()))
    client = api.client(rec)
    # extra_body bypasses our own checks, so the wrong body reaches the wire
    api.call(
        client.responses.create,
        model="gpt-4o-mini",
        input="Hi",
        extra_body={"max_completion_tokens": 64, "temperature": 7},
    )
    found = "\n".join(spec_guard.violations)
    assert "max_completion_tokens: not a declared property of CreateResponse" in found
    assert "temperature" in found
    spec_guard.violations.clear()  # handled: do not fail this test at teardown


def test_a_wrong_multipart_body_is_caught(api, spec_guard):
    rec = Recorder(httpx.Response(200, json={"text": "ok"}))
    client = api.client(rec)
    api.call(
        client.audio.transcriptions.create,
        file=b"RIFF....WAVE",
        model="whisper-1",
        extra_body={"response_format": "mp3", "silence_timeout_ms": 5},
    )
    found = "\n".join(spec_guard.violations)
    assert "response_format" in found and "silence_timeout_ms" in found
    spec_guard.violations.clear()


def test_a_wrong_speech_body_is_caught(api, spec_guard):
    rec = Recorder(httpx.Response(200, content=b"x"))
    client = api.client(rec)
    api.call(
        client.audio.speech.create,
        model="tts-1",
        input="Hi",
        voice="alloy",
        extra_body={"speed": 9},
    )
    assert any("speed" in v for v in spec_guard.violations)
    spec_guard.violations.clear()


def test_the_guard_fails_a_test_that_leaves_violations(pytester, spec_guard):
    pytester.makepyfile(
        """
        import httpx
        def test_wrong(spec_guard):
            transport = httpx.MockTransport(lambda r: httpx.Response(200, json={}))
            with httpx.Client(transport=transport) as c:
                c.post("https://api.openai.com/v1/responses", json={"model": "m", "max_tokens": 5})
        """
    )
    pytester.makeconftest(
        "from tests.conftest import spec_guard, clean_environ, fresh_seed_warnings  # noqa: F401\n"
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*max_tokens: not a declared property of CreateResponse*"])
    spec_guard.violations.clear()  # the inner run went through this test's guard too


@pytest.mark.parametrize(
    "schema, body",
    [
        ("CreateResponse", {"model": "m", "input": "Hi", "max_output_tokens": 64}),
        ("CreateSpeechRequest", {"model": "tts-1", "input": "Hi", "voice": "alloy"}),
    ],
)
def test_good_bodies_pass(schema, body):
    assert request_errors(schema, body) == []
