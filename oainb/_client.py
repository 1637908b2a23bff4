"""The HTTP core: `BaseClient` builds requests, decides retries and maps errors without I/O;
`Client` and `AsyncClient` only send, sleep and read, in bodies kept parallel line by line.

Retry rules follow openai-python's `_base_client.py` as CONTRACT.md §8 records them, with one
change: a 429 whose error code is `insufficient_quota` is never retried (more attempts cannot
add credit).
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import importlib
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import httpx
from typing_extensions import Self

from oainb._config import ClientConfig, is_loopback, redact, resolve_config
from oainb._exceptions import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    UnprocessableEntityError,
)
from oainb._extras import missing_dependency
from oainb._files import Upload
from oainb._types import NOT_GIVEN, NotGiven

if TYPE_CHECKING:  # pragma: no cover - typing only
    from oainb.resources.audio import AsyncAudio, Audio
    from oainb.resources.models import AsyncModels, Models
    from oainb.resources.responses import AsyncResponses, Responses

__all__ = [
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "AsyncClient",
    "BaseClient",
    "Client",
    "RequestOptions",
    "backoff_delay",
    "retry_after_seconds",
]

log = logging.getLogger("oainb")

DEFAULT_TIMEOUT = httpx.Timeout(600.0, connect=5.0)
DEFAULT_MAX_RETRIES = 2
INITIAL_RETRY_DELAY = 0.5
MAX_BACKOFF_DELAY = 8.0
#: A server asking for a longer wait than this is not retried (CONTRACT §8).
MAX_SERVER_DELAY = 120.0
_VERSION = "0.1.0"

_STATUS_ERRORS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}
_HINTS: dict[type[APIStatusError], str] = {
    BadRequestError: "fix the request",
    AuthenticationError: "check OPENAI_API_KEY or pass api_key=",
    PermissionDeniedError: "check that this key may use this model or endpoint",
    NotFoundError: "check the model name or id",
    ConflictError: "retry once the resource settles",
    UnprocessableEntityError: "fix the request",
    RateLimitError: "wait and retry, or lower the request rate",
    InternalServerError: "retry later",
}


@dataclass
class RequestOptions:
    """Everything needed to build one API request (and rebuild it for a retry)."""

    method: str
    path: str
    json: Mapping[str, Any] | None = None
    data: Mapping[str, Any] | None = None
    files: Mapping[str, Upload] | None = None
    params: Mapping[str, Any] | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    stream: bool = False
    timeout: float | httpx.Timeout | None | NotGiven = NOT_GIVEN
    max_retries: int | NotGiven = NOT_GIVEN


def backoff_delay(retries_taken: int, rand: Callable[[], float] = random.random) -> float:
    """Exponential backoff with jitter: `min(0.5 * 2**n, 8) * (1 - 0.25 * rand())` seconds.

    Example:
        >>> backoff_delay(0, rand=lambda: 0.0), backoff_delay(1, rand=lambda: 1.0)
        (0.5, 0.75)
    """
    base = min(INITIAL_RETRY_DELAY * 2.0**retries_taken, MAX_BACKOFF_DELAY)
    return base * (1 - 0.25 * rand())


def retry_after_seconds(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """The wait the server asked for, from `retry-after-ms` or `retry-after` (seconds or date).

    Example:
        >>> retry_after_seconds({"retry-after-ms": "250"})
        0.25
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    with contextlib.suppress(ValueError, TypeError):
        if "retry-after-ms" in lowered:
            return float(lowered["retry-after-ms"]) / 1000
    value = lowered.get("retry-after")
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    parsed = email.utils.parsedate_tz(value)
    if parsed is None:
        return None
    at = email.utils.mktime_tz(parsed)
    return float(at - (time.time() if now is None else now))


class BaseClient:
    """The I/O-free half of a client: settings, request building, retry decisions, errors."""

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | httpx.URL | None = None,
        organization: str | None = None,
        project: str | None = None,
        timeout: float | httpx.Timeout | None = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        backend: str | None = None,
        default_headers: Mapping[str, str] | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        config = resolve_config(
            api_key=api_key,
            base_url=None if base_url is None else str(base_url),
            organization=organization,
            project=project,
            backend=backend,
            environ=environ,
        )
        self._environ = environ
        if config.backend == "local":
            config = self._local_config(environ)
        self._config = config
        self.timeout = _to_timeout(timeout)
        self.max_retries = max_retries
        self._default_headers = dict(default_headers or {})
        self._rand: Callable[[], float] = random.random

    @staticmethod
    def _local_config(environ: Mapping[str, str] | None) -> ClientConfig:
        """Start (or reuse) the embedded server and point the client at it.

        Raises:
            MissingDependencyError: `oainb._local` cannot be imported.
            LocalServerError: (an `APIConnectionError`) the server did not start; the
                message names its log.
        """
        try:  # import_module, not `from oainb import _local`: tests swap it in sys.modules
            _local = importlib.import_module("oainb._local")
        except ImportError as exc:
            raise missing_dependency(
                "The embedded local backend (used when no OPENAI_API_KEY is set)", "local"
            ) from exc
        base_url, key = _local.ensure_server() if environ is None else _local.ensure_server(environ)
        return ClientConfig(base_url=str(base_url).rstrip("/"), api_key=key, backend="local")

    def _should_restart_local(self, exc: Exception, restarted: bool) -> bool:
        """Whether a failed connection means the local server is gone (once per request).

        The embedded server exits by itself after 30 minutes without requests; a kernel left
        idle that long then finds the port closed. Asking `ensure_server()` again starts a new
        one (on a new port, with a new token) and the request is sent once more.
        """
        return self.backend == "local" and not restarted and isinstance(exc, httpx.ConnectError)

    def _restart_local(self) -> None:
        log.info("The local server at %s is gone; starting (or finding) another", self.base_url)
        self._config = self._local_config(self._environ)

    @property
    def base_url(self) -> str:
        """The API root requests go to, e.g. `https://api.openai.com/v1`."""
        return self._config.base_url

    @property
    def api_key(self) -> str | None:
        """The key sent as a bearer token (never shown in a repr, log line or error)."""
        return self._config.api_key

    @property
    def organization(self) -> str | None:
        """The `OpenAI-Organization` header value, if any."""
        return self._config.organization

    @property
    def project(self) -> str | None:
        """The `OpenAI-Project` header value, if any."""
        return self._config.project

    @property
    def backend(self) -> str:
        """`"local"` for the embedded server, else `"openai"` (any remote base URL)."""
        return self._config.backend

    def __repr__(self) -> str:
        return f"<{type(self).__name__} base_url={self.base_url!r} backend={self.backend!r}>"

    def _headers(self, options: RequestOptions, retries_taken: int) -> dict[str, str]:
        headers = {
            "Accept": "text/event-stream" if options.stream else "application/json",
            "User-Agent": f"oainb/{_VERSION}",
            "x-stainless-retry-count": str(retries_taken),
        }
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        if self.organization:
            headers["OpenAI-Organization"] = self.organization
        if self.project:
            headers["OpenAI-Project"] = self.project
        headers.update(self._default_headers)
        headers.update(options.headers)
        return headers

    def _timeout(self, options: RequestOptions) -> httpx.Timeout:
        if isinstance(options.timeout, NotGiven):
            return self.timeout
        return _to_timeout(options.timeout)

    def _build_request(
        self,
        options: RequestOptions,
        *,
        retries_taken: int = 0,
        files: Mapping[str, Any] | None = None,
    ) -> httpx.Request:
        """The `httpx.Request` for `options`; `files` maps field names to open file tuples."""
        url = self.base_url + "/" + options.path.lstrip("/")
        return httpx.Request(
            options.method,
            url,
            params=_clean_params(options.params),
            headers=self._headers(options, retries_taken),
            json=options.json if options.json is not None else None,
            data=options.data,
            files=files,
            extensions={"timeout": self._timeout(options).as_dict()},
        )

    def _max_retries(self, options: RequestOptions) -> int:
        return (
            self.max_retries if isinstance(options.max_retries, NotGiven) else options.max_retries
        )

    def _should_retry(self, response: httpx.Response) -> bool:
        """Whether a failed status is worth another attempt (before looking at delays)."""
        if response.status_code == 429 and _error_code(response) == "insufficient_quota":
            return False  # before the header: no number of attempts adds credit
        override = response.headers.get("x-should-retry")
        if override == "true":
            return True
        if override == "false":
            return False
        return response.status_code in (408, 409, 429) or response.status_code >= 500

    def _retry_delay(self, retries_taken: int, headers: Mapping[str, str] | None) -> float | None:
        """Seconds to wait before the next attempt, or None when the server asked for > 120 s."""
        asked = retry_after_seconds(headers) if headers is not None else None
        if asked is not None and 0 < asked <= MAX_SERVER_DELAY:
            return asked
        if asked is not None and asked > MAX_SERVER_DELAY:
            return None
        return backoff_delay(retries_taken, self._rand)

    def _retry_after_status(
        self, response: httpx.Response, retries_taken: int, max_retries: int
    ) -> float | None:
        """Delay before retrying this error response, or None to raise it now."""
        if retries_taken >= max_retries or not self._should_retry(response):
            return None
        delay = self._retry_delay(retries_taken, response.headers)
        if delay is not None:
            log.info(
                "HTTP %s; retrying in %.2fs (retry %d of %d)",
                response.status_code,
                delay,
                retries_taken + 1,
                max_retries,
            )
        return delay

    def _retry_after_error(
        self, exc: Exception, retries_taken: int, max_retries: int
    ) -> float | None:
        """Delay before retrying after a connection error or timeout, or None to raise."""
        if retries_taken >= max_retries:
            return None
        delay = backoff_delay(retries_taken, self._rand)
        log.info(
            "%s; retrying in %.2fs (retry %d of %d)",
            type(exc).__name__,
            delay,
            retries_taken + 1,
            max_retries,
        )
        return delay

    def _make_connection_error(self, exc: Exception, request: httpx.Request) -> APIConnectionError:
        """Our own error for an httpx transport failure (its text redacted)."""
        detail = redact(str(exc), self.api_key)
        exc.args = (detail,)  # the cause is chained below: keep the key out of tracebacks too
        if isinstance(exc, httpx.TimeoutException):
            return APITimeoutError(request=request)
        detail = detail or type(exc).__name__
        return APIConnectionError(
            f"Could not reach {self.base_url} ({detail}); check the network and base_url.",
            request=request,
        )

    def _make_status_error(self, response: httpx.Response) -> APIStatusError:
        """Map an error response to its exception class, with the API's message and request id."""
        body = _redact_body(_decode_body(response), self.api_key)
        raw = body.get("error") if isinstance(body, dict) else None
        error = raw if isinstance(raw, dict) else {}
        status = response.status_code
        cls = _STATUS_ERRORS.get(status) or (
            InternalServerError if status >= 500 else APIStatusError
        )
        detail = " ".join(str(error.get("message") or _fallback_detail(body, raw)).split())
        detail = detail or response.reason_phrase or "the request failed"
        hint = _HINTS.get(cls, "see the API reference")
        if cls is RateLimitError and "insufficient_quota" in (error.get("code"), error.get("type")):
            hint = "add credit to the account; retrying will not help"
        message = f"HTTP {status}: {detail.rstrip('.')[:500]}; {hint}."
        request_id = response.headers.get("x-request-id")
        if request_id:
            message = message[:-1] + f" (request {request_id})."
        return cls(message, response=response, body=body)


def _to_timeout(timeout: float | httpx.Timeout | None) -> httpx.Timeout:
    if isinstance(timeout, httpx.Timeout):
        return timeout
    if timeout is None:
        return httpx.Timeout(None)
    return httpx.Timeout(timeout, connect=min(5.0, timeout))


def _clean_params(params: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not params:
        return None
    out: dict[str, Any] = {}
    for key, value in params.items():
        if value is None or isinstance(value, NotGiven):
            continue
        out[key] = ("true" if value else "false") if isinstance(value, bool) else value
    return out


def _decode_body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except (ValueError, UnicodeDecodeError):
        return response.text


def _fallback_detail(body: Any, raw: Any) -> str:
    """A message from a body that is not the API's `{"error": {...}}` shape (a proxy's)."""
    if isinstance(raw, str):
        return raw
    if isinstance(body, dict):
        return str(body.get("detail") or body.get("message") or "")
    return body if isinstance(body, str) else ""


def _redact_body(body: Any, secret: str | None) -> Any:
    if isinstance(body, str):
        return redact(body, secret)
    if isinstance(body, dict):
        return {k: _redact_body(v, secret) for k, v in body.items()}
    if isinstance(body, list):
        return [_redact_body(v, secret) for v in body]
    return body


def _error_code(response: httpx.Response) -> str | None:
    body = _decode_body(response)
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        return str(error.get("code") or error.get("type") or "") or None
    return None


def _open_files(options: RequestOptions, stack: contextlib.ExitStack) -> dict[str, Any] | None:
    if not options.files:
        return None
    return {
        name: (upload.filename, stack.enter_context(upload.open()), upload.content_type)
        for name, upload in options.files.items()
    }


class Client(BaseClient):
    """A synchronous client for the Responses and Audio APIs.

    Example:
        >>> from oainb import Client
        >>> client = Client(api_key="sk-test-123")
        >>> client.base_url
        'https://api.openai.com/v1'

    Args:
        api_key: defaults to OPENAI_API_KEY.
        base_url: defaults to OPENAI_BASE_URL, else https://api.openai.com/v1.
        organization, project: default to OPENAI_ORG_ID, OPENAI_PROJECT_ID.
        timeout: seconds (or an `httpx.Timeout`) per request; 600 by default.
        max_retries: extra attempts after a retryable failure; 2 by default.
        http_client: an `httpx.Client` to send through (for proxies, or a test transport).
        backend: None chooses the embedded local server when there is neither a key nor a
            base URL; "local" always does; "openai" never does. OAINB_BACKEND sets a default.

    Raises:
        MissingDependencyError: the local backend is needed but `oainb[local]` is not installed.
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | httpx.URL | None = None,
        organization: str | None = None,
        project: str | None = None,
        timeout: float | httpx.Timeout | None = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        http_client: httpx.Client | None = None,
        backend: str | None = None,
        default_headers: Mapping[str, str] | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(
            api_key=api_key,
            base_url=base_url,
            organization=organization,
            project=project,
            timeout=timeout,
            max_retries=max_retries,
            backend=backend,
            default_headers=default_headers,
            environ=environ,
        )
        self._owns_http = http_client is None
        self._http = http_client or httpx.Client(
            timeout=self.timeout, follow_redirects=True, trust_env=not is_loopback(self.base_url)
        )
        self._sleep: Callable[[float], None] = time.sleep

    @cached_property
    def responses(self) -> Responses:
        """`create`, `stream`, `retrieve`, `cancel`, `delete` on `/responses`."""
        from oainb.resources.responses import Responses

        return Responses(self)

    @cached_property
    def audio(self) -> Audio:
        """`audio.transcriptions`, `audio.translations`, `audio.speech`."""
        from oainb.resources.audio import Audio

        return Audio(self)

    @cached_property
    def models(self) -> Models:
        """`models.list()`: the model ids this backend serves."""
        from oainb.resources.models import Models

        return Models(self)

    def request(self, options: RequestOptions) -> httpx.Response:
        """Send `options`, retrying as the rules say; a stream's body is left unread.

        Raises:
            APIStatusError: (a subclass per status) when the API answers with an error.
            APIConnectionError, APITimeoutError: when the server cannot be reached in time.
        """
        max_retries = self._max_retries(options)
        retries, restarted = 0, False
        with contextlib.ExitStack() as stack:
            files = _open_files(options, stack)
            while True:
                request = self._build_request(options, retries_taken=retries, files=files)
                log.debug("%s %s", request.method, request.url)
                try:
                    response = self._http.send(request, stream=True)
                    if not options.stream or not response.is_success:
                        response.read()
                except httpx.HTTPError as exc:
                    if self._should_restart_local(exc, restarted):
                        restarted = True
                        self._restart_local()
                        continue
                    delay = self._retry_after_error(exc, retries, max_retries)
                    if delay is None:
                        raise self._make_connection_error(exc, request) from exc
                    self._sleep(delay)
                    retries += 1
                    continue
                if response.is_success:
                    return response
                response.close()
                delay = self._retry_after_status(response, retries, max_retries)
                if delay is None:
                    raise self._make_status_error(response)
                self._sleep(delay)
                retries += 1

    def close(self) -> None:
        """Close the connection pool (only if this client created it)."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class AsyncClient(BaseClient):
    """The asynchronous twin of `Client`: same arguments, `await` its methods.

    Example:
        >>> from oainb import AsyncClient
        >>> client = AsyncClient(api_key="sk-test-123")
        >>> reply = await client.responses.create(model="gpt-4o-mini", input="Hi")  # doctest: +SKIP
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | httpx.URL | None = None,
        organization: str | None = None,
        project: str | None = None,
        timeout: float | httpx.Timeout | None = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        http_client: httpx.AsyncClient | None = None,
        backend: str | None = None,
        default_headers: Mapping[str, str] | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(
            api_key=api_key,
            base_url=base_url,
            organization=organization,
            project=project,
            timeout=timeout,
            max_retries=max_retries,
            backend=backend,
            default_headers=default_headers,
            environ=environ,
        )
        self._owns_http = http_client is None
        self._http = http_client or httpx.AsyncClient(
            timeout=self.timeout, follow_redirects=True, trust_env=not is_loopback(self.base_url)
        )
        self._sleep: Callable[[float], Awaitable[None]] = asyncio.sleep

    @cached_property
    def responses(self) -> AsyncResponses:
        """`create`, `stream`, `retrieve`, `cancel`, `delete` on `/responses`."""
        from oainb.resources.responses import AsyncResponses

        return AsyncResponses(self)

    @cached_property
    def audio(self) -> AsyncAudio:
        """`audio.transcriptions`, `audio.translations`, `audio.speech`."""
        from oainb.resources.audio import AsyncAudio

        return AsyncAudio(self)

    @cached_property
    def models(self) -> AsyncModels:
        """`models.list()`: the model ids this backend serves."""
        from oainb.resources.models import AsyncModels

        return AsyncModels(self)

    async def request(self, options: RequestOptions) -> httpx.Response:
        """Send `options`, retrying as the rules say; a stream's body is left unread.

        Raises:
            APIStatusError: (a subclass per status) when the API answers with an error.
            APIConnectionError, APITimeoutError: when the server cannot be reached in time.
        """
        max_retries = self._max_retries(options)
        retries, restarted = 0, False
        with contextlib.ExitStack() as stack:
            files = _open_files(options, stack)
            while True:
                request = self._build_request(options, retries_taken=retries, files=files)
                log.debug("%s %s", request.method, request.url)
                try:
                    response = await self._http.send(request, stream=True)
                    if not options.stream or not response.is_success:
                        await response.aread()
                except httpx.HTTPError as exc:
                    if self._should_restart_local(exc, restarted):
                        restarted = True
                        # Starting a server blocks for a few seconds: off the event loop.
                        await asyncio.to_thread(self._restart_local)
                        continue
                    delay = self._retry_after_error(exc, retries, max_retries)
                    if delay is None:
                        raise self._make_connection_error(exc, request) from exc
                    await self._sleep(delay)
                    retries += 1
                    continue
                if response.is_success:
                    return response
                await response.aclose()
                delay = self._retry_after_status(response, retries, max_retries)
                if delay is None:
                    raise self._make_status_error(response)
                await self._sleep(delay)
                retries += 1

    async def close(self) -> None:
        """Close the connection pool (only if this client created it)."""
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()
