"""The ASGI app of the local server: routes, the bearer-token guard and the upload limit."""

from __future__ import annotations

import contextlib
import hmac
import logging
import os
import pathlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from oainb.server.errors import ServerError, error_response, exception_handlers
from oainb.server.jobs import Activity, Lane
from oainb.server.store import Store

__all__ = ["MAX_UPLOAD_BYTES", "ServerState", "create_app", "default_data_dir"]

log = logging.getLogger("oainb.server")

MAX_UPLOAD_BYTES = 25 * 1024 * 1024  # OpenAI's limit for audio uploads
DEFAULT_QUEUE_SIZE = 8


def default_data_dir(env: Any = None) -> pathlib.Path:
    """``$OAINB_HOME``, else ``~/.cache/oainb``: where responses and the state file live."""
    env = os.environ if env is None else env
    home = env.get("OAINB_HOME")
    return pathlib.Path(home) if home else pathlib.Path.home() / ".cache" / "oainb"


@dataclass
class ServerState:
    """What every route reaches through ``request.app.state.oainb``."""

    engines: Any
    store: Store
    lanes: dict[str, Lane]
    activity: Activity
    data_dir: pathlib.Path
    idle_timeout: float | None
    # Responses still being generated, by id: (job, run). GET and cancel look here first.
    live: dict[str, Any] = field(default_factory=dict)

    def lane(self, kind: str) -> Lane:
        return self.lanes[kind]


def state_of(request: Request) -> ServerState:
    """The server state of the app serving ``request``."""
    state: ServerState = request.app.state.oainb
    return state


class GuardMiddleware:
    """Checks the bearer token, caps the request body, and records activity.

    A pure ASGI middleware (not ``BaseHTTPMiddleware``) so streamed answers pass through
    untouched. The body limit is checked against ``content-length`` first and then counted
    while the body streams in, so an oversized upload is refused before it is read whole.
    """

    def __init__(
        self, app: ASGIApp, *, api_key: str | None, activity: Activity, max_body: int
    ) -> None:
        self.app = app
        self._key = f"Bearer {api_key}".encode() if api_key else None
        self._activity = activity
        self._max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self._activity.touch()
        try:
            self._check(scope)
        except ServerError as exc:
            await error_response(exc)(scope, receive, send)
            return
        try:
            await self.app(scope, self._limited(receive), send)
        finally:
            self._activity.touch()

    def _check(self, scope: Scope) -> None:
        headers = dict(scope["headers"])
        if self._key is not None:
            given = headers.get(b"authorization", b"")
            if not hmac.compare_digest(given, self._key):
                raise ServerError(
                    401,
                    "Missing or wrong API key for the local oainb server: send "
                    "'Authorization: Bearer <token>' with the token it was started with.",
                    code="invalid_api_key",
                )
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self._max_body:
            raise _too_large(self._max_body)

    def _limited(self, receive: Receive) -> Receive:
        seen = 0
        limit = self._max_body

        async def receive_limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _too_large(limit)
            return message

        return receive_limited


def _too_large(limit: int) -> ServerError:
    return ServerError(
        413,
        f"The request body is larger than {limit // (1024 * 1024)} MB, the upload limit; "
        "send a shorter or more compressed file.",
        code="request_too_large",
    )


async def _models(request: Request) -> JSONResponse:
    registry = state_of(request).engines
    data = [
        {"id": name, "object": "model", "created": 0, "owned_by": "oainb-local"}
        for name in registry.model_ids()
    ]
    return JSONResponse({"object": "list", "data": data})


async def _model(request: Request) -> JSONResponse:
    """One model: local names and the OpenAI names they serve (``resolve`` raises a 404)."""
    name = request.path_params["model"]
    engine = state_of(request).engines.resolve(name)
    return JSONResponse({"id": name, "object": "model", "created": 0,
                         "owned_by": f"oainb-local:{engine.name}"})


def create_app(
    *,
    engines: Any = None,
    data_dir: str | os.PathLike[str] | None = None,
    api_key: str | None = None,
    queue_size: int = DEFAULT_QUEUE_SIZE,
    idle_timeout: float | None = None,
    max_body: int = MAX_UPLOAD_BYTES,
) -> Starlette:
    """Build the local OpenAI-compatible server.

    Example:
        app = create_app(data_dir="/tmp/oainb", api_key="secret")
        uvicorn.run(app, host="127.0.0.1", port=8000)

    Args:
        engines: an ``oainb.server.engines.Registry``; default: the bundled models, loaded lazily.
        data_dir: where the SQLite store lives; default ``$OAINB_HOME`` or ``~/.cache/oainb``.
        api_key: when set, every request needs ``Authorization: Bearer <api_key>``.
        queue_size: requests that may wait per engine before new ones get a 429.
        idle_timeout: seconds without requests after which ``oainb serve`` exits (kept on
            ``app.state.oainb`` for the command; the app itself never stops).
        max_body: largest request body accepted, in bytes (413 beyond it).
    """
    from oainb.server.routes_audio import audio_routes
    from oainb.server.routes_responses import response_routes

    if engines is None:
        from oainb.server.engines import Registry

        engines = Registry.default()
    folder = pathlib.Path(data_dir) if data_dir is not None else default_data_dir()
    store = Store(folder / "responses.sqlite3")
    closed = store.fail_unfinished("The local server stopped before this response finished.")
    if closed:
        log.info("marked %d unfinished response(s) from an earlier run as failed", closed)
    activity = Activity()
    lanes = {kind: Lane(kind, queue_size=queue_size, activity=activity)
             for kind in ("text", "stt", "tts")}
    state = ServerState(engines, store, lanes, activity, folder, idle_timeout)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        for lane in lanes.values():
            lane.close()

    routes = [
        *response_routes(),
        *audio_routes(),
        Route("/v1/models", _models, methods=["GET"]),
        Route("/v1/models/{model:path}", _model, methods=["GET"]),
    ]
    guard = Middleware(GuardMiddleware, api_key=api_key, activity=activity, max_body=max_body)
    app = Starlette(
        routes=routes,
        middleware=[guard],
        exception_handlers=exception_handlers(),
        lifespan=lifespan,
    )
    app.state.oainb = state
    return app
