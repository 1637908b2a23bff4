"""Every error oainb raises, under one root.

```
OainbError
├─ InputError (also a ValueError)      bad input found locally, before any request
├─ APIError (.request)
│  ├─ APIConnectionError
│  │  └─ APITimeoutError
│  └─ APIStatusError (.status_code .response .body .request_id .type .code .param)
│     ├─ BadRequestError 400          ├─ ConflictError 409
│     ├─ AuthenticationError 401      ├─ UnprocessableEntityError 422
│     ├─ PermissionDeniedError 403    ├─ RateLimitError 429
│     ├─ NotFoundError 404            └─ InternalServerError 5xx
├─ StreamError (.reply: the partial Reply, when there is one)
├─ MissingDependencyError (also an ImportError)
└─ BudgetExceededError
```

Messages are one sentence: what went wrong and what to do next. None of them ever
contains the API key (the core redacts it before raising).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover - typing only
    import httpx

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "BudgetExceededError",
    "ConflictError",
    "InputError",
    "InternalServerError",
    "MissingDependencyError",
    "NotFoundError",
    "OainbError",
    "PermissionDeniedError",
    "RateLimitError",
    "StreamError",
    "UnprocessableEntityError",
]


class OainbError(Exception):
    """The root of every error raised by oainb."""


class InputError(OainbError, ValueError):
    """A parameter was rejected locally, before any request was sent.

    Example:
        >>> from oainb import InputError
        >>> isinstance(InputError("speed must be between 0.25 and 4.0"), ValueError)
        True
    """

    def __init__(self, message: str, *, param: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param


class APIError(OainbError):
    """A request to the API failed; `.request` is the `httpx.Request` that was sent."""

    def __init__(self, message: str, *, request: httpx.Request | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.request = request


class APIConnectionError(APIError):
    """The server could not be reached, or the connection broke."""

    def __init__(
        self, message: str = "Connection error.", *, request: httpx.Request | None = None
    ) -> None:
        super().__init__(message, request=request)


class APITimeoutError(APIConnectionError):
    """The request timed out."""

    def __init__(
        self,
        message: str = "The request timed out; retry, or raise `timeout=`.",
        *,
        request: httpx.Request | None = None,
    ) -> None:
        super().__init__(message, request=request)


class APIStatusError(APIError):
    """The API answered with a non-2xx status.

    Attributes:
        status_code: the HTTP status.
        response: the `httpx.Response`.
        body: the decoded JSON body (or text) of the answer.
        request_id: the `x-request-id` header, to quote when asking support.
        type, code, param: the fields of the API's `{"error": {...}}` object.
    """

    def __init__(
        self, message: str, *, response: httpx.Response, body: object | None = None
    ) -> None:
        super().__init__(message, request=response.request if _has_request(response) else None)
        self.response = response
        self.status_code = response.status_code
        self.body = body
        self.request_id: str | None = response.headers.get("x-request-id")
        error = _error_object(body)
        self.type: str | None = _str_or_none(error.get("type"))
        self.code: str | None = _str_or_none(error.get("code"))
        self.param: str | None = _str_or_none(error.get("param"))


class BadRequestError(APIStatusError):
    """400: the API rejected the request's shape or values."""


class AuthenticationError(APIStatusError):
    """401: the API key is missing, wrong or revoked."""


class PermissionDeniedError(APIStatusError):
    """403: the key may not use this model or endpoint."""


class NotFoundError(APIStatusError):
    """404: no such model, response id or endpoint."""


class ConflictError(APIStatusError):
    """409: the resource is in a state that forbids this call."""


class UnprocessableEntityError(APIStatusError):
    """422: the request was well formed but could not be processed."""


class RateLimitError(APIStatusError):
    """429: too many requests, or the account is out of credit (`code == "insufficient_quota"`)."""


class InternalServerError(APIStatusError):
    """5xx: the server failed; retrying later usually helps."""


class StreamError(OainbError):
    """A stream reported an error or broke off; `.reply` keeps what arrived before it."""

    def __init__(
        self,
        message: str,
        *,
        reply: Any = None,
        code: str | None = None,
        param: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.reply = reply
        self.code = code
        self.param = param


class MissingDependencyError(OainbError, ImportError):
    """An optional dependency is not installed; the message names the pip extra to install."""


class BudgetExceededError(OainbError):
    """A call would take the session's spending past the budget that was set."""


def _has_request(response: httpx.Response) -> bool:
    try:
        _ = response.request
    except RuntimeError:
        return False
    return True


def _error_object(body: object) -> dict[str, Any]:
    if isinstance(body, dict):
        inner = body.get("error")
        if isinstance(inner, dict):
            return inner
        return body
    return {}


def _str_or_none(value: object) -> str | None:
    return None if value is None else str(value)
