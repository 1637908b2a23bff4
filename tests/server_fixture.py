"""A pytest plugin: the real local server, started once per test session.

``local_server`` runs ``python -m oainb.server --port 0`` in a subprocess with its own data dir
and a random token, its output in a log file and in its own session (so it never holds the test
runner's pipes), and stops it by PID when the session ends. Without ``oainb[local]`` the tests
that need it are skipped, except in CI (``$CI`` set), where that is a failure.
"""

from __future__ import annotations

import importlib.util
import json
import os
import pathlib
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

__all__ = ["LocalServer", "local_server", "missing_local_extra"]

_ROOT = pathlib.Path(__file__).resolve().parents[1]
_LOCAL_MODULES = ("starlette", "uvicorn", "multipart", "llama_cpp", "faster_whisper",
                  "espeakng_loader", "av")
STARTUP_TIMEOUT = 120.0
#: A safety net: a test session killed hard (SIGKILL, a closed terminal) never reaches the
#: fixture's `stop()`, and the server then stops itself after this many idle seconds.
IDLE_TIMEOUT = 900


def missing_local_extra() -> list[str]:
    """The modules of ``oainb[local]`` that are not installed."""
    return [name for name in _LOCAL_MODULES if importlib.util.find_spec(name) is None]


class LocalServer:
    """One ``oainb serve`` subprocess; ``restart()`` keeps its data dir, token and port."""

    def __init__(self, data_dir: pathlib.Path, *, api_key: str | None = None,
                 extra_args: tuple[str, ...] = ()) -> None:
        self.data_dir = data_dir
        self.api_key = api_key if api_key is not None else secrets.token_urlsafe(24)
        self.log_path = data_dir / "server.log"
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self._extra = extra_args

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def pid(self) -> int | None:
        return None if self.process is None else self.process.pid

    def start(self) -> None:
        env = {**os.environ, "OAINB_SERVER_API_KEY": self.api_key,
               "PYTHONPATH": os.pathsep.join(filter(None, [str(_ROOT),
                                                          os.environ.get("PYTHONPATH")]))}
        for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
            env.pop(name, None)
        state = self.data_dir / "server.json"
        state.unlink(missing_ok=True)
        command = [sys.executable, "-m", "oainb.server", "--host", "127.0.0.1",
                   "--port", str(self.port), "--data-dir", str(self.data_dir),
                   "--idle-timeout", str(IDLE_TIMEOUT), *self._extra]
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log,
                                            stderr=subprocess.STDOUT, env=env,
                                            start_new_session=True, cwd=str(self.data_dir))
        self._wait_ready(state)

    def _wait_ready(self, state: pathlib.Path) -> None:
        assert self.process is not None
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"oainb server exited with {self.process.returncode}; "
                                   f"log:\n{self.log_tail()}")
            try:
                info = json.loads(state.read_text())
            except (OSError, ValueError):
                info = {}
            if info.get("pid") == self.process.pid:
                self.port = int(info["port"])
                try:
                    reply = httpx.get(f"{self.base_url}/models", headers=self.headers,
                                      timeout=5, trust_env=False)
                    if reply.status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"oainb server not ready in {STARTUP_TIMEOUT} s; log:\n{self.log_tail()}")

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}

    def stop(self) -> None:
        """SIGTERM by PID, then SIGKILL if it does not stop within 15 s."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)

    def restart(self) -> None:
        """Stop and start again on the same port, data dir and token."""
        self.stop()
        self.start()

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def client(self, **kwargs: Any) -> Any:
        """An official ``openai.OpenAI`` client for this server."""
        import openai

        return openai.OpenAI(base_url=self.base_url, api_key=self.api_key, **kwargs)


@pytest.fixture(scope="session")
def local_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    """The real local server for this test session (see the module docstring)."""
    missing = missing_local_extra()
    if missing:
        reason = f"oainb[local] is not installed (missing {', '.join(missing)})"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI must install it", pytrace=False)
        pytest.skip(reason)
    server = LocalServer(tmp_path_factory.mktemp("oainb-server"))
    server.start()
    try:
        yield server
    finally:
        server.stop()
