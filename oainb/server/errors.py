"""OpenAI-shaped errors for the local server.

Every failure leaves the server as ``{"error": {"message", "type", "param", "code"}}`` with the
status code the official API would use, so the client's status → exception mapping works against
this server unchanged.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

__all__ = [
    "ServerError",
    "error_body",
    "error_response",
    "exception_handlers",
    "from_engine_error",
    "invalid",
    "not_found",
]

log = logging.getLogger("oainb.server")

_TYPES = {
    400: "invalid_request_error",
    401: "invalid_request_error",
    404: "invalid_request_error",
    405: "invalid_request_error",
    409: "invalid_request_error",
    413: "invalid_request_error",
    415: "invalid_request_error",
    429: "rate_limit_exceeded",
    500: "server_error",
    503: "server_error",
}


class ServerError(Exception):
    """An error to send back as an OpenAI error body with its HTTP status."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        param: str | None = None,
        code: str | None = None,
        type: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.param = param
        self.code = code
        self.type = type or _TYPES.get(status, "invalid_request_error")
        self.headers = headers or {}


def invalid(message: str, *, param: str | None = None, code: str = "invalid_value") -> ServerError:
    """A 400 about one request parameter."""
    return ServerError(400, message, param=param, code=code)


def not_found(what: str, ident: str) -> ServerError:
    """A 404 naming the missing object."""
    return ServerError(404, f"No {what} with id '{ident}' found.", code="not_found")


def error_body(
    message: str, *, type: str, param: str | None = None, code: str | None = None
) -> dict[str, Any]:
    """The ``{"error": {...}}`` body every non-2xx answer carries."""
    return {"error": {"message": message, "type": type, "param": param, "code": code}}


def error_response(exc: ServerError) -> JSONResponse:
    """Render a :class:`ServerError` as a JSON response."""
    body = error_body(exc.message, type=exc.type, param=exc.param, code=exc.code)
    return JSONResponse(body, status_code=exc.status, headers=exc.headers)


async def _on_server_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ServerError)
    return error_response(exc)


async def _on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    status = exc.status_code
    if status == 404:
        message = f"Unknown endpoint {request.method} {request.url.path} on the local oainb server."
    else:
        message = str(exc.detail)
    return error_response(ServerError(status, message, code=None, headers=dict(exc.headers or {})))


async def _on_crash(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    message = f"The local server failed: {type(exc).__name__}: {exc}. See the server log."
    return error_response(ServerError(500, message, code="server_error"))


async def _on_engine_error(request: Request, exc: Exception) -> Response:
    return error_response(from_engine_error(exc))


def exception_handlers() -> dict[Any, Any]:
    """The handlers ``create_app`` installs, keyed as Starlette expects."""
    from oainb.server.engines import EngineError

    return {
        ServerError: _on_server_error,
        EngineError: _on_engine_error,
        HTTPException: _on_http_error,
        Exception: _on_crash,
    }


def from_engine_error(exc: Exception) -> ServerError:
    """Map an engine's error to the status OpenAI would answer with.

    Unknown models are 404s; what a request asks beyond the local model's reach (or a wrong
    value, which engines raise as ``ValueError`` subclasses) is a 400; anything else is the
    model failing, a 500.
    """
    from oainb.server.engines import UnknownModelError

    code = getattr(exc, "code", None)
    param = getattr(exc, "param", None)
    if isinstance(exc, UnknownModelError):
        return ServerError(404, str(exc), param=param or "model", code=code or "model_not_found")
    if isinstance(exc, ValueError):
        return ServerError(400, str(exc), param=param, code=code or "invalid_value")
    return ServerError(500, f"The local model failed: {exc}", code=code or "server_error")
