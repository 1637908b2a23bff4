"""The local backend outlives its server: a server gone idle is started again, once per request.

Also: clients for a server on this machine ignore proxy settings from the environment.
"""

from __future__ import annotations

import http.server
import json
import sys
import threading
import types
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from oainb import APIConnectionError, Client
from oainb._local import LocalServerError
from tests.core._harness import reply_body


class FakeLocal:
    """Stands in for `oainb._local`: each `ensure_server()` hands out the next server."""

    def __init__(self, *servers: tuple[str, str]) -> None:
        self.servers = list(servers)
        self.calls = 0

    def ensure_server(self, env: Any = None) -> tuple[str, str]:
        self.calls += 1
        return self.servers[min(self.calls, len(self.servers)) - 1]

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        module = types.ModuleType("oainb._local")
        setattr(module, "ensure_server", self.ensure_server)  # noqa: B010 - a stand-in module
        monkeypatch.setitem(sys.modules, "oainb._local", module)


OLD = ("http://127.0.0.1:40001/v1", "token-old")
NEW = ("http://127.0.0.1:40002/v1", "token-new")


def answer_only(alive: set[int]) -> Any:
    """A transport handler: servers on ports in `alive` answer, the others refuse."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.port not in alive:
            raise httpx.ConnectError("[Errno 111] Connection refused", request=request)
        return httpx.Response(200, json=reply_body("back again"))

    handler.seen = seen  # type: ignore[attr-defined]
    return handler


def test_a_server_gone_idle_is_started_again_and_the_call_succeeds(api, monkeypatch):
    local = FakeLocal(OLD, NEW)
    local.install(monkeypatch)
    handler = answer_only({40002})
    client = api.client(handler, backend="local", max_retries=0)
    assert client.base_url == OLD[0]

    reply = api.call(client.responses.create, model="gpt-4o-mini", input="Hi")

    assert reply.output_text == "back again"
    assert local.calls == 2 and client.base_url == NEW[0]
    last = handler.seen[-1]
    assert last.url.port == 40002 and last.headers["Authorization"] == "Bearer token-new"
    assert api.sleeps == []  # no backoff: the new server is asked at once


def test_the_restart_happens_once_per_request(api, monkeypatch):
    local = FakeLocal(OLD, NEW)
    local.install(monkeypatch)
    client = api.client(answer_only(set()), backend="local", max_retries=0)
    with pytest.raises(APIConnectionError, match="Could not reach http://127.0.0.1:40002"):
        api.call(client.responses.create, model="gpt-4o-mini", input="Hi")
    assert local.calls == 2


def test_a_remote_backend_is_never_restarted(api, monkeypatch):
    local = FakeLocal(NEW)
    local.install(monkeypatch)
    client = api.client(answer_only(set()), base_url="http://127.0.0.1:40001/v1", max_retries=0)
    with pytest.raises(APIConnectionError):
        api.call(client.responses.create, model="gpt-4o-mini", input="Hi")
    assert local.calls == 0


def test_a_server_that_will_not_start_again_is_a_connection_error(api, monkeypatch):
    calls = []

    def ensure_server(env: Any = None) -> tuple[str, str]:
        calls.append(env)
        if len(calls) > 1:
            raise LocalServerError("The local oainb server exited while starting; see server.log.")
        return OLD

    module = types.ModuleType("oainb._local")
    setattr(module, "ensure_server", ensure_server)  # noqa: B010
    monkeypatch.setitem(sys.modules, "oainb._local", module)
    client = api.client(answer_only(set()), backend="local", max_retries=0)
    with pytest.raises(APIConnectionError, match="exited while starting; see server.log"):
        api.call(client.responses.create, model="gpt-4o-mini", input="Hi")


@pytest.fixture
def loopback_server() -> Iterator[str]:
    """A real HTTP server on 127.0.0.1 answering `GET /v1/models`."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps({"object": "list", "data": [{"id": "m", "object": "model"}]})
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body.encode())

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_a_loopback_server_is_reached_without_the_environments_proxy(loopback_server, monkeypatch):
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    # A proxy that refuses every connection: anything sent through it fails.
    monkeypatch.setenv("ALL_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    with pytest.raises(httpx.TransportError), httpx.Client() as through_proxy:
        through_proxy.get(f"{loopback_server}/models")  # the negative control

    with Client(base_url=loopback_server, api_key="sk-test-1", max_retries=0) as client:
        assert client.models.list() == ["m"]
