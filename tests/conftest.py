"""Fixtures every test gets: a clean environment, fresh seed-shape warnings, and a guard that
checks every request body sent through an `httpx.MockTransport` against the official spec."""

from __future__ import annotations

import json
import pathlib
from typing import Any

import httpx
import pytest

from tests.openapi_schema import decode_multipart, request_errors

pytest_plugins = ["pytester"]
if (pathlib.Path(__file__).parent / "server_fixture.py").exists():
    pytest_plugins.append("tests.server_fixture")

_ENV_PREFIXES = ("OAINB_",)
_ENV_NAMES = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_ORG_ID", "OPENAI_PROJECT_ID")

#: Which spec schema the body of each endpoint must satisfy.
REQUEST_SCHEMAS = {
    ("POST", "/responses"): "CreateResponse",
    ("POST", "/audio/speech"): "CreateSpeechRequest",
    ("POST", "/audio/transcriptions"): "CreateTranscriptionRequest",
    ("POST", "/audio/translations"): "CreateTranslationRequest",
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run the real-browser tests last, after every other test.

    Playwright's sync API leaves an asyncio loop marked running in the main thread while it is
    open, and later asyncio tests in the same process would find it there. `scripts/test.sh`
    runs the browser tests in a process of their own; this keeps a plain `pytest` safe too.
    """
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)  # stable


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees a real key, base URL or oainb setting from the machine it runs on."""
    import os

    for name in list(os.environ):
        if name in _ENV_NAMES or name.startswith(_ENV_PREFIXES):
            monkeypatch.delenv(name, raising=False)


@pytest.fixture(autouse=True)
def fresh_seed_warnings() -> None:
    """Each test sees the one-time seed-shape warnings anew."""
    try:
        from oainb._compat import reset_warnings
    except ImportError:  # pragma: no cover - the core is not importable yet
        return
    reset_warnings()


class SpecGuard:
    """Collects every spec violation in request bodies sent through a MockTransport."""

    def __init__(self) -> None:
        self.violations: list[str] = []
        self.checked = 0

    def check(self, request: httpx.Request) -> None:
        path = request.url.path
        path = path[3:] if path.startswith("/v1/") else path
        schema = REQUEST_SCHEMAS.get((request.method, path))
        if schema is None:
            return
        content_type = request.headers.get("content-type", "")
        if content_type.startswith("multipart/form-data"):
            body: Any = decode_multipart(content_type, request.content)
        else:
            try:
                body = json.loads(request.content or b"null")
            except ValueError:
                self.violations.append(f"{request.method} {path}: body is not JSON")
                return
        self.checked += 1
        self.violations += [f"{request.method} {path}: {p}" for p in request_errors(schema, body)]


@pytest.fixture(autouse=True)
def spec_guard(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Validate every JSON (or multipart) request body sent via `httpx.MockTransport`.

    A test that sends a wrong body on purpose reads `spec_guard.violations` and clears it;
    any violation left at teardown fails the test.
    """
    guard = SpecGuard()
    original = httpx.MockTransport.handle_request
    original_async = httpx.MockTransport.handle_async_request

    def handle_request(self: httpx.MockTransport, request: httpx.Request) -> httpx.Response:
        request.read()
        guard.check(request)
        return original(self, request)

    async def handle_async_request(
        self: httpx.MockTransport, request: httpx.Request
    ) -> httpx.Response:
        await request.aread()
        guard.check(request)
        return await original_async(self, request)

    monkeypatch.setattr(httpx.MockTransport, "handle_request", handle_request)
    monkeypatch.setattr(httpx.MockTransport, "handle_async_request", handle_async_request)
    yield guard
    if guard.violations:
        pytest.fail("request bodies violate the spec:\n  " + "\n  ".join(guard.violations[:20]))


@pytest.fixture(params=[True, False], ids=["sync", "async"])
def api(request: pytest.FixtureRequest) -> Any:
    """Runs a test once with `Client` and once with `AsyncClient` (see tests/core/_harness.py)."""
    from tests.core._harness import Api

    return Api(sync=request.param)
