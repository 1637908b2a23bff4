"""The embedded default: ``ensure_server()`` starts or reuses a detached local server."""

from __future__ import annotations

import json
import os
import pathlib
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from oainb import _local

pytestmark = pytest.mark.server
_ROOT = pathlib.Path(__file__).resolve().parents[2]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by its parent) still answers kill(0).
    try:
        return pathlib.Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return True


def _stop(pid: int) -> None:
    if _alive(pid):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 20
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if _alive(pid):
        os.kill(pid, signal.SIGKILL)


@pytest.fixture
def home(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[pathlib.Path]:
    """A fresh ``$OAINB_HOME``; whatever server got started there is stopped by its PID."""
    monkeypatch.setattr(_local, "_announced", False)
    started: set[int] = set()
    yield tmp_path
    state = tmp_path / "server.json"
    if state.exists():
        started.add(json.loads(state.read_text())["pid"])
    for pid in started:
        _stop(pid)


def _state(home: pathlib.Path) -> dict[str, Any]:
    state: dict[str, Any] = json.loads((home / "server.json").read_text())
    return state


def test_starts_once_then_reuses(home: pathlib.Path, capsys: pytest.CaptureFixture[str],
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(home.parent))
    env = {"OAINB_HOME": str(home)}
    base_url, token = _local.ensure_server(env)
    assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/v1")
    state = _state(home)
    assert state["token"] == token and (home / "server.json").stat().st_mode & 0o077 == 0
    models = httpx.get(f"{base_url}/models", headers={"Authorization": f"Bearer {token}"},
                       trust_env=False)
    assert models.status_code == 200
    assert httpx.get(f"{base_url}/models", trust_env=False).status_code == 401
    assert _local.ensure_server(env) == (base_url, token)
    assert _state(home)["pid"] == state["pid"]
    # One line, printed once, that a saved notebook can keep: no token, port or absolute path.
    assert capsys.readouterr().err == (
        f"oainb: started the local backend on 127.0.0.1 "
        f"(no OPENAI_API_KEY set; log: ~/{home.name}/server.log)\n")
    # The token is not on the command line, where other users could read it.
    cmdline = pathlib.Path(f"/proc/{state['pid']}/cmdline").read_bytes()
    assert token.encode() not in cmdline


def test_a_stale_state_file_is_replaced(home: pathlib.Path) -> None:
    (home / "server.json").write_text(json.dumps(
        {"pid": 2**22 + 12345, "host": "127.0.0.1", "port": 9, "token": "old",
         "base_url": "http://127.0.0.1:9/v1"}))
    _, token = _local.ensure_server({"OAINB_HOME": str(home)})
    assert token != "old" and _alive(_state(home)["pid"])


def test_two_kernels_at_once_share_one_server(home: pathlib.Path) -> None:
    code = "from oainb._local import ensure_server; print(ensure_server()[0])"
    env = {**os.environ, "OAINB_HOME": str(home), "PYTHONPATH": str(_ROOT)}
    kernels = [subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, text=True) for _ in range(2)]
    urls = {kernel.communicate(timeout=120)[0].strip() for kernel in kernels}
    assert len(urls) == 1 and urls.pop().startswith("http://127.0.0.1:")
    log = (home / "server.log").read_text()
    assert log.count("oainb server ready") == 1


def test_a_kernel_that_started_the_server_exits_without_a_warning(home: pathlib.Path) -> None:
    """The server outlives the kernel on purpose; Python must not call it a leak at exit."""
    code = "from oainb._local import ensure_server; ensure_server()"
    env = {**os.environ, "OAINB_HOME": str(home), "PYTHONPATH": str(_ROOT)}
    kernel = subprocess.run([sys.executable, "-X", "dev", "-c", code], check=False, env=env,
                            timeout=120, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    assert kernel.returncode == 0, kernel.stderr
    assert "ResourceWarning" not in kernel.stderr and "still running" not in kernel.stderr
    assert _alive(_state(home)["pid"])  # and it still runs for the next kernel


def test_a_server_that_stops_leaves_no_zombie_behind(home: pathlib.Path) -> None:
    _local.ensure_server({"OAINB_HOME": str(home)})
    pid = _state(home)["pid"]
    os.kill(pid, signal.SIGTERM)  # as when it stops after its idle timeout
    deadline = time.monotonic() + 30
    while pathlib.Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not pathlib.Path(f"/proc/{pid}").exists(), "the stopped server is left a zombie"


def test_the_server_exits_by_itself_when_idle(tmp_path: pathlib.Path) -> None:
    with open(tmp_path / "idle.log", "wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "oainb.server", "--port", "0", "--data-dir", str(tmp_path),
             "--idle-timeout", "1"], stdin=subprocess.DEVNULL, stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True,
            env={**os.environ, "PYTHONPATH": str(_ROOT)})
    try:
        assert server.wait(timeout=60) == 0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    assert "ready" in (tmp_path / "idle.log").read_text()
    assert not (tmp_path / "server.json").exists()


def test_client_with_no_key_uses_the_local_backend(home: pathlib.Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    oainb = pytest.importorskip("oainb")
    if not hasattr(oainb, "Client"):
        pytest.skip("oainb.Client is not written yet")
    monkeypatch.setenv("OAINB_HOME", str(home))
    client = oainb.Client()
    try:
        assert client.backend == "local"
        assert str(client.base_url).startswith("http://127.0.0.1:")
        assert "smollm2-135m-instruct" in client.models.list()
    finally:
        client.close()


def test_a_server_that_cannot_start_is_a_clear_error(home: pathlib.Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "executable", "/bin/false")
    with pytest.raises(_local.LocalServerError, match="exited while starting") as info:
        _local.ensure_server({"OAINB_HOME": str(home)})
    assert str(home / "server.log") in str(info.value)


def test_the_session_server_stops_itself_if_the_test_run_is_killed(local_server: Any) -> None:
    """The fixture's server has an idle timeout: a run killed hard cannot leave it forever."""
    args = pathlib.Path(f"/proc/{local_server.pid}/cmdline").read_bytes().split(b"\0")
    assert float(args[args.index(b"--idle-timeout") + 1]) > 0
