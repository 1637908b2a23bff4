"""Retry rules (CONTRACT §8), on a fake clock: sleeps are recorded, never slept."""

from __future__ import annotations

import email.utils
import time

import httpx
import pytest

from oainb import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    InternalServerError,
    RateLimitError,
    StreamError,
)
from oainb._client import backoff_delay, retry_after_seconds
from tests.core._harness import Recorder, reply_body, sse, sse_response, text_stream_events

OK = httpx.Response(200, json=reply_body())


def error(status: int, code: str | None = None, headers: dict | None = None) -> httpx.Response:
    body = {
        "error": {
            "message": f"status {status}",
            "type": "server_error",
            "code": code,
            "param": None,
        }
    }
    return httpx.Response(status, json=body, headers=headers or {})


def create(api, client):
    return api.call(client.responses.create, model="gpt-4o-mini", input="Hi")


@pytest.mark.parametrize("status", [408, 409, 429, 500, 502, 503, 504])
def test_retryable_statuses_are_retried(api, status):
    rec = Recorder(error(status), OK)
    reply = create(api, api.client(rec))
    assert reply.status == "completed"
    assert len(rec.requests) == 2 and len(api.sleeps) == 1


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_client_errors_are_not_retried(api, status):
    rec = Recorder(error(status), OK)
    with pytest.raises(APIStatusError) as info:
        create(api, api.client(rec))
    assert info.value.status_code == status
    assert len(rec.requests) == 1 and api.sleeps == []


def test_two_retries_by_default_then_the_error(api):
    rec = Recorder(error(500))
    with pytest.raises(InternalServerError):
        create(api, api.client(rec))
    assert len(rec.requests) == 3 and len(api.sleeps) == 2
    assert [r.headers["x-stainless-retry-count"] for r in rec.requests] == ["0", "1", "2"]


def test_max_retries_zero_and_custom(api):
    rec = Recorder(error(503))
    with pytest.raises(InternalServerError):
        create(api, api.client(rec, max_retries=0))
    assert len(rec.requests) == 1
    rec = Recorder(error(503))
    with pytest.raises(InternalServerError):
        create(api, api.client(rec, max_retries=4))
    assert len(rec.requests) == 5


def test_connection_errors_are_retried_then_raised_as_our_own(api):
    rec = Recorder(httpx.ConnectError("refused"))
    with pytest.raises(APIConnectionError) as info:
        create(api, api.client(rec))
    assert not isinstance(info.value, httpx.HTTPError)
    assert len(rec.requests) == 3 and len(api.sleeps) == 2


def test_timeouts_are_retried_then_raised_as_timeout(api):
    rec = Recorder(httpx.ReadTimeout("slow"), httpx.ReadTimeout("slow"), OK)
    assert create(api, api.client(rec)).status == "completed"
    rec = Recorder(httpx.ConnectTimeout("slow"))
    with pytest.raises(APITimeoutError):
        create(api, api.client(rec))


def test_retry_after_ms_is_honoured(api):
    rec = Recorder(error(429, headers={"retry-after-ms": "1500", "retry-after": "9"}), OK)
    create(api, api.client(rec))
    assert api.sleeps == [1.5]


def test_retry_after_seconds_is_honoured(api):
    rec = Recorder(error(503, headers={"retry-after": "3"}), OK)
    create(api, api.client(rec))
    assert api.sleeps == [3.0]


def test_retry_after_http_date_is_honoured():
    now = 1_760_000_000.0
    date = email.utils.formatdate(now + 7, usegmt=True)
    assert retry_after_seconds({"Retry-After": date}, now=now) == pytest.approx(7, abs=1)


def test_retry_after_http_date_through_the_client(api):
    date = email.utils.formatdate(time.time() + 30, usegmt=True)
    rec = Recorder(error(429, headers={"retry-after": date}), OK)
    create(api, api.client(rec))
    assert 25 <= api.sleeps[0] <= 31


def test_server_asking_more_than_120_seconds_is_not_retried(api):
    rec = Recorder(error(429, headers={"retry-after": "121"}), OK)
    with pytest.raises(RateLimitError):
        create(api, api.client(rec))
    assert len(rec.requests) == 1 and api.sleeps == []


def test_x_should_retry_overrides_the_status(api):
    rec = Recorder(error(400, headers={"x-should-retry": "true"}), OK)
    assert create(api, api.client(rec)).status == "completed"
    rec = Recorder(error(500, headers={"x-should-retry": "false"}), OK)
    with pytest.raises(InternalServerError):
        create(api, api.client(rec))
    assert len(rec.requests) == 1


def test_insufficient_quota_is_never_retried(api):
    rec = Recorder(error(429, code="insufficient_quota"), OK)
    with pytest.raises(RateLimitError, match="add credit") as info:
        create(api, api.client(rec))
    assert info.value.code == "insufficient_quota"
    assert len(rec.requests) == 1 and api.sleeps == []


def test_insufficient_quota_wins_over_x_should_retry(api):
    quota = {
        "error": {
            "message": "You exceeded your current quota.",
            "type": "insufficient_quota",
            "code": "insufficient_quota",
            "param": None,
        }
    }
    rec = Recorder(httpx.Response(429, json=quota, headers={"x-should-retry": "true"}), OK)
    with pytest.raises(RateLimitError, match="add credit"):
        create(api, api.client(rec))
    assert len(rec.requests) == 1


def test_rate_limit_exceeded_is_retried(api):
    rec = Recorder(error(429, code="rate_limit_exceeded"), OK)
    create(api, api.client(rec))
    assert len(rec.requests) == 2


def test_backoff_without_retry_after_uses_the_formula(api):
    rec = Recorder(error(500), error(500), OK)
    create(api, api.client(rec))  # the harness fixes jitter at 0.5
    assert api.sleeps == [pytest.approx(0.5 * (1 - 0.125)), pytest.approx(1.0 * (1 - 0.125))]


@pytest.mark.parametrize(
    "n, low, high", [(0, 0.375, 0.5), (1, 0.75, 1.0), (2, 1.5, 2.0), (5, 6.0, 8.0), (9, 6.0, 8.0)]
)
def test_backoff_jitter_bounds(n, low, high):
    assert backoff_delay(n, rand=lambda: 0.0) == pytest.approx(high)
    assert backoff_delay(n, rand=lambda: 1.0) == pytest.approx(low)
    assert low <= backoff_delay(n) <= high


def test_never_retried_after_a_stream_started_delivering(api):
    class Broken(httpx.SyncByteStream, httpx.AsyncByteStream):
        def __init__(self, head: bytes) -> None:
            self.head = head

        def __iter__(self):
            yield self.head
            raise httpx.ReadError("connection reset")

        async def __aiter__(self):
            yield self.head
            raise httpx.ReadError("connection reset")

    head = sse(*text_stream_events(["Hi"], terminal=False)[:5])
    rec = Recorder(
        lambda request: httpx.Response(
            200, stream=Broken(head), headers={"content-type": "text/event-stream"}
        )
    )
    client = api.client(rec)
    with pytest.raises(StreamError, match="broke off") as info:
        api.consume(lambda: client.responses.stream(model="m", input="Hi"))
    assert len(rec.requests) == 1 and api.sleeps == []
    assert info.value.reply.partial and info.value.reply.output_text == "Hi"


def test_a_stream_request_is_retried_before_it_delivers(api):
    rec = Recorder(error(503), sse_response(sse(*text_stream_events(["ok"]))))
    client = api.client(rec)
    _, stream = api.consume(lambda: client.responses.stream(model="m", input="Hi"))
    assert len(rec.requests) == 2 and stream.reply.output_text == "ok"


def test_uploads_are_resent_whole_on_retry(api, tmp_path):
    path = tmp_path / "a.wav"
    path.write_bytes(b"RIFF" + b"\x01" * 5000)
    rec = Recorder(error(500), httpx.Response(200, json={"text": "ok"}))
    client = api.client(rec)
    api.call(client.audio.transcriptions.create, file=path, model="whisper-1")
    assert len(rec.requests) == 2
    payload = b"RIFF" + b"\x01" * 5000
    assert all(payload in r.content for r in rec.requests)
    assert len(rec.requests[0].content) == len(rec.requests[1].content)
