"""A requests-per-minute limiter that does no I/O.

The limiter only does arithmetic on times that the caller passes in. The batch
runners (`oainb.batch`) read a clock, ask `reserve(now)` for the time at which the
next request may start, sleep until then, and report a server's ``retry-after``
with `pause_until`. Because the clock and the sleep belong to the caller, tests
drive the limiter on a fake clock.

Starts are spaced evenly (`period / rpm` apart) rather than let through in a
burst: OpenAI documents that a per-minute limit may be enforced over shorter
intervals, so a burst of `rpm` requests in the first second can still be refused.
Evenly spaced starts also mean that no window of `period` seconds holds more than
`rpm` of them.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["RateLimiter", "retry_after_seconds"]

# openai-python's rule (see ../shared/contract/CONTRACT.md §8): a server delay of
# more than two minutes means "do not retry", the user has to act first.
MAX_RETRY_AFTER = 120.0


class RateLimiter:
    """Spaces request starts so that at most `rpm` begin in any `period` seconds.

    ```python
    limiter = RateLimiter(rpm=30)
    start = limiter.reserve(now=clock())   # 2 s after the previous start, or now
    ```

    Args:
        rpm: requests allowed per `period`; `None` means no limit (only pauses
            from `pause_until` apply).
        period: the window in seconds, 60 for requests per minute.

    Raises:
        ValueError: if `rpm` is not a positive number.
    """

    def __init__(self, rpm: float | None = None, *, period: float = 60.0) -> None:
        if rpm is not None and not rpm > 0:
            raise ValueError(f"rpm must be a positive number or None, not {rpm!r}.")
        self.rpm = rpm
        self.interval = period / rpm if rpm else 0.0
        self._next_start = -math.inf
        self._paused_until = -math.inf

    def reserve(self, now: float) -> float:
        """Claim the next start slot and return the time at which it begins.

        The returned time is never earlier than `now`. Each call claims a slot, so
        call it once per request attempt, just before sleeping until the slot.
        """
        start = max(now, self._next_start, self._paused_until)
        self._next_start = start + self.interval
        return start

    def pause_until(self, when: float) -> None:
        """Hold every later start until `when` (a server asked to retry after)."""
        self._paused_until = max(self._paused_until, when)


def retry_after_seconds(exc: BaseException) -> float | None:
    """How long a failed request asks us to wait before retrying, or `None`.

    Reads a `retry_after` attribute (seconds) when the error carries one, else the
    `retry-after-ms` / `retry-after` headers of the HTTP response attached to it.
    Only rate-limit and overload errors (429, 503) count; an `insufficient_quota`
    429 does not, because waiting will not help. A delay above two minutes is
    treated as "do not retry", as openai-python does.
    """
    status = getattr(exc, "status_code", None)
    if status not in (429, 503):
        return None
    if getattr(exc, "code", None) == "insufficient_quota":
        return None
    delay = getattr(exc, "retry_after", None)
    if delay is None:
        delay = _from_headers(getattr(getattr(exc, "response", None), "headers", None))
    if delay is None:
        delay = 1.0  # a 429 without a hint: back off a little, like the SDK's first retry
    delay = float(delay)
    if delay < 0 or delay > MAX_RETRY_AFTER:
        return None
    return delay


def _from_headers(headers: Any) -> float | None:
    if not headers:
        return None
    for name, scale in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        raw = headers.get(name)
        if raw is None:
            continue
        try:
            return float(raw) / scale
        except ValueError:
            continue  # an HTTP date: rare for these APIs; fall back to the default
    return None
