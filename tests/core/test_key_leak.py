"""The API key never shows in a repr, an exception, a warning or a log line."""

from __future__ import annotations

import logging
import traceback
import warnings

import httpx

from oainb import OainbError, StreamError
from oainb._config import resolve_config
from tests.core._harness import FAKE_KEY, Recorder, reply_body, sse, sse_response

PREFIX = FAKE_KEY[:12]


def _assert_clean(text: str) -> None:
    assert FAKE_KEY not in text
    assert PREFIX not in text


def test_key_never_leaks(api, caplog):
    caplog.set_level(logging.DEBUG)
    echo = {
        "error": {
            "message": f"Incorrect API key provided: {FAKE_KEY}.",
            "type": "invalid_request_error",
            "code": "invalid_api_key",
            "param": None,
        }
    }
    rec = Recorder(
        httpx.Response(500, json={"error": {"message": "oops"}}),
        httpx.Response(401, json=echo),
        httpx.ConnectError(f"failed for Bearer {FAKE_KEY}"),
        httpx.ConnectError("again"),
        httpx.ConnectError("and again"),
        sse_response(
            sse(
                {
                    "type": "error",
                    "message": f"bad key {FAKE_KEY}",
                    "code": None,
                    "param": None,
                    "sequence_number": 0,
                }
            )
        ),
    )
    client = api.client(rec)
    texts: list[str] = [
        repr(client),
        str(client),
        repr(resolve_config(api_key=FAKE_KEY)),
        repr(client.responses),
        repr(client.audio.speech),
    ]
    caught: list[BaseException] = []
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        for call in (
            lambda: api.call(
                client.responses.create, model="m", input="Hi", max_completion_tokens=20
            ),
            lambda: api.call(client.responses.retrieve, "resp_1"),
            lambda: api.consume(lambda: client.responses.stream(model="m", input="Hi")),
        ):
            try:
                call()
            except OainbError as exc:
                caught.append(exc)
    assert len(caught) == 3 and isinstance(caught[-1], StreamError)
    assert any("max_completion_tokens" in str(w.message) for w in seen)
    for error in caught:
        texts += [
            str(error),
            repr(error),
            "".join(traceback.format_exception(error)),
            repr(getattr(error, "body", "")),
            repr(getattr(error, "request", "")),
        ]
        request = getattr(error, "request", None)
        if request is not None:
            texts.append(repr(request.headers))
    texts += [str(w.message) for w in seen]
    texts += [r.getMessage() for r in caplog.records] + [caplog.text]
    assert len(caplog.records) >= 2  # retries were logged
    for text in texts:
        _assert_clean(text)
    # the key did go where it belongs
    assert all(r.headers["authorization"] == f"Bearer {FAKE_KEY}" for r in rec.requests)


def test_key_not_in_reply_or_config_repr():
    config = resolve_config(environ={"OPENAI_API_KEY": FAKE_KEY})
    assert config.api_key == FAKE_KEY
    _assert_clean(repr(config))
    _assert_clean(repr(reply_body()))
