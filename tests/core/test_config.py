from __future__ import annotations

import sys
import types

import httpx
import pytest

from oainb import AsyncClient, Client, InputError, MissingDependencyError
from oainb._config import DEFAULT_BASE_URL, resolve_config


def test_environment_is_read_through_the_injected_mapping():
    env = {
        "OPENAI_API_KEY": "sk-test-env",
        "OPENAI_BASE_URL": "http://127.0.0.1:9/v1/",
        "OPENAI_ORG_ID": "org-9",
        "OPENAI_PROJECT_ID": "proj-9",
    }
    config = resolve_config(environ=env)
    assert (config.api_key, config.base_url, config.organization, config.project) == (
        "sk-test-env",
        "http://127.0.0.1:9/v1",
        "org-9",
        "proj-9",
    )
    assert config.backend == "openai"


def test_arguments_win_over_the_environment():
    config = resolve_config(api_key="sk-test-arg", environ={"OPENAI_API_KEY": "sk-test-env"})
    assert config.api_key == "sk-test-arg" and config.base_url == DEFAULT_BASE_URL


def test_client_reads_os_environ(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-os")
    assert Client().api_key == "sk-test-os"


def test_no_key_and_no_url_means_the_local_backend():
    assert resolve_config(environ={}).backend == "local"
    assert (
        resolve_config(environ={"OAINB_BACKEND": "local", "OPENAI_API_KEY": "sk-test-x"}).backend
        == "local"
    )
    assert resolve_config(base_url="http://127.0.0.1:1/v1", environ={}).backend == "openai"


def test_unknown_backend_and_openai_without_key_are_input_errors():
    with pytest.raises(InputError, match="backend must be 'local' or 'openai'"):
        resolve_config(backend="azure", environ={})
    with pytest.raises(InputError, match="needs an API key"):
        resolve_config(backend="openai", environ={})


@pytest.mark.parametrize("cls", [Client, AsyncClient])
def test_local_backend_uses_ensure_server(monkeypatch, cls):
    calls = []
    fake = types.ModuleType("oainb._local")

    def ensure_server(env=None):
        calls.append(env)
        return "http://127.0.0.1:8765/v1", "sk-test-local"

    setattr(fake, "ensure_server", ensure_server)  # noqa: B010 - mypy cannot see module attributes
    monkeypatch.setitem(sys.modules, "oainb._local", fake)
    client = cls(http_client=(httpx.Client() if cls is Client else httpx.AsyncClient()))
    assert calls == [None]
    assert client.backend == "local" and client.base_url == "http://127.0.0.1:8765/v1"
    assert client.api_key == "sk-test-local"


@pytest.mark.parametrize("cls", [Client, AsyncClient])
def test_local_backend_missing_names_the_extra(monkeypatch, cls):
    monkeypatch.setitem(sys.modules, "oainb._local", None)  # makes the import fail
    with pytest.raises(MissingDependencyError, match=r'pip install "oainb\[local\]"'):
        cls(backend="local")


def test_timeout_and_retries_are_kept():
    client = Client(api_key="sk-test-1", timeout=12.0, max_retries=5)
    assert client.timeout.read == 12.0 and client.timeout.connect == 5.0 and client.max_retries == 5
    assert Client(api_key="sk-test-1").timeout.read == 600.0


def test_per_request_timeout_reaches_the_transport():
    seen = {}

    def handler(request):
        seen["timeout"] = request.extensions["timeout"]
        return httpx.Response(200, json={"object": "list", "data": []})

    client = Client(
        api_key="sk-test-1",
        timeout=30.0,
        http_client=httpx.Client(transport=httpx.MockTransport(handler)),
    )
    client.models.list()
    assert seen["timeout"]["read"] == 30.0


def test_local_backend_passes_the_injected_environment(monkeypatch):
    seen = []
    fake = types.ModuleType("oainb._local")

    def ensure_server(env=None):
        seen.append(env)
        return "http://127.0.0.1:1/v1", "sk-test-l"

    setattr(fake, "ensure_server", ensure_server)  # noqa: B010
    monkeypatch.setitem(sys.modules, "oainb._local", fake)
    Client(environ={"OAINB_HOME": "/tmp/x"})
    assert seen == [{"OAINB_HOME": "/tmp/x"}]


def test_local_server_failure_is_an_oainb_error(monkeypatch):
    from oainb import APIConnectionError
    from oainb._local import LocalServerError

    def ensure_server(env=None):
        raise LocalServerError("The local oainb server did not answer within 60 s; "
                               "see ~/.cache/oainb/server.log, or set OPENAI_API_KEY.")

    fake = types.ModuleType("oainb._local")
    setattr(fake, "ensure_server", ensure_server)  # noqa: B010
    monkeypatch.setitem(sys.modules, "oainb._local", fake)
    # LocalServerError is an APIConnectionError: it reaches the user as it is, log path and all.
    with pytest.raises(APIConnectionError, match="local oainb server did not answer.*server.log"):
        Client(backend="local")
