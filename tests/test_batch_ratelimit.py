from __future__ import annotations

import httpx
import pytest

from oainb._exceptions import BadRequestError, RateLimitError
from oainb._ratelimit import RateLimiter, retry_after_seconds


def _status_error(cls: type, status: int, headers: dict[str, str], body: object = None) -> Exception:
    request = httpx.Request("POST", "http://127.0.0.1/v1/responses")
    response = httpx.Response(status, headers=headers, request=request)
    return cls("refused", response=response, body=body)  # type: ignore[no-any-return]


def test_starts_are_spaced_so_no_minute_holds_more_than_rpm() -> None:
    limiter = RateLimiter(rpm=30)
    starts = [limiter.reserve(now=0.0) for _ in range(31)]
    assert starts[:3] == [0.0, 2.0, 4.0]
    # the 31st request may not start inside the first minute
    assert starts[30] >= 60.0


def test_an_idle_limiter_lets_the_next_request_start_now() -> None:
    limiter = RateLimiter(rpm=60)
    assert limiter.reserve(now=0.0) == 0.0
    assert limiter.reserve(now=100.0) == 100.0


def test_pause_holds_every_later_start() -> None:
    limiter = RateLimiter()  # no rpm: only pauses apply
    assert limiter.reserve(now=1.0) == 1.0
    limiter.pause_until(8.0)
    assert limiter.reserve(now=2.0) == 8.0
    assert limiter.reserve(now=9.0) == 9.0


@pytest.mark.parametrize("rpm", [0, -5])
def test_rpm_must_be_positive(rpm: int) -> None:
    with pytest.raises(ValueError, match="rpm"):
        RateLimiter(rpm=rpm)


def test_retry_after_is_read_from_headers() -> None:
    assert retry_after_seconds(_status_error(RateLimitError, 429, {"retry-after": "7"})) == 7.0
    assert retry_after_seconds(_status_error(RateLimitError, 429, {"retry-after-ms": "250"})) == 0.25


def test_quota_errors_bad_requests_and_long_delays_are_not_retried() -> None:
    quota = {"error": {"code": "insufficient_quota", "message": "no credit"}}
    assert retry_after_seconds(_status_error(RateLimitError, 429, {}, quota)) is None
    assert retry_after_seconds(_status_error(BadRequestError, 400, {"retry-after": "1"})) is None
    assert retry_after_seconds(_status_error(RateLimitError, 429, {"retry-after": "600"})) is None
    assert retry_after_seconds(ValueError("boom")) is None
