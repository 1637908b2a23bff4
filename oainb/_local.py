"""Find or start the embedded local server: what ``Client()`` uses with no API key.

The server records itself in ``server.json`` under ``$OAINB_HOME`` (default ``~/.cache/oainb``)
once it listens. A running server of this user is reused when its process is alive and
``GET /v1/models`` answers with its token; otherwise one is started in the background, detached
from this process (own session, output to ``server.log``), and exits by itself after 30 minutes
without requests. A file lock keeps two kernels from starting two servers at once.

Only the standard library, httpx and `oainb._exceptions` are imported here: the server's own
code (starlette, the models) runs in the child process.
"""

from __future__ import annotations

import contextlib
import json
import os
import pathlib
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from typing import Any

import httpx

from oainb._exceptions import APIConnectionError

__all__ = ["IDLE_TIMEOUT", "STARTUP_TIMEOUT", "LocalServerError", "ensure_server", "home_dir"]

STARTUP_TIMEOUT = 60.0
IDLE_TIMEOUT = 1800
_STATE = "server.json"
_LOG = "server.log"
_TOKEN_ENV = "OAINB_SERVER_API_KEY"  # read by `oainb serve`; keeps the token out of `ps`
_announced = False


class LocalServerError(APIConnectionError):
    """The embedded local server could not be started or reached.

    An `APIConnectionError`, so code (and the magics) that handle an unreachable API
    handle this too; the message names the server's log file.
    """


def home_dir(env: Mapping[str, str] | None = None) -> pathlib.Path:
    """``$OAINB_HOME``, else ``~/.cache/oainb``."""
    env = os.environ if env is None else env
    home = env.get("OAINB_HOME")
    return pathlib.Path(home).expanduser() if home else pathlib.Path.home() / ".cache" / "oainb"


def ensure_server(env: Mapping[str, str] | None = None) -> tuple[str, str]:
    """Return ``(base_url, api_key)`` of a running local server, starting one if needed.

    Example:
        base_url, api_key = ensure_server()
        httpx.get(f"{base_url}/models", headers={"Authorization": f"Bearer {api_key}"})

    Args:
        env: the environment to read ``OAINB_HOME`` from (default ``os.environ``).

    Raises:
        LocalServerError: the server did not answer within a minute (the message names its
            log file), or exited while starting.
    """
    env = os.environ if env is None else env
    home = home_dir(env)
    found = _running(home / _STATE)
    if found is None:
        home.mkdir(parents=True, exist_ok=True)
        with _file_lock(home / "server.lock"):
            found = _running(home / _STATE)  # another kernel may have started one meanwhile
            if found is None:
                found = _start(home, env)
                _announce("started", home)
    _announce("using", home)
    return found


def _short_path(path: pathlib.Path) -> str:
    """``path`` with the home directory written ``~``, so no user name lands in a notebook."""
    try:
        return "~/" + path.relative_to(pathlib.Path.home()).as_posix()
    except ValueError:
        return str(path)


def _announce(verb: str, home: pathlib.Path) -> None:
    """Say once per process which backend we use, in one line a saved notebook may keep.

    No token, no port (it changes each start) and no absolute path.
    """
    global _announced
    if not _announced:
        _announced = True
        print(f"oainb: {verb} the local backend on 127.0.0.1 "
              f"(no OPENAI_API_KEY set; log: {_short_path(home / _LOG)})", file=sys.stderr)


def _read_state(path: pathlib.Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, but another user's: its check below will decide
    except OSError:
        return False
    return True


def _answers(base_url: str, token: str, timeout: float = 2.0) -> bool:
    try:
        reply = httpx.get(f"{base_url}/models", headers={"Authorization": f"Bearer {token}"},
                          timeout=timeout, trust_env=False)
    except httpx.HTTPError:
        return False
    return reply.status_code == 200


def _running(path: pathlib.Path) -> tuple[str, str] | None:
    """The server described by ``path``, if its process is alive and it answers."""
    state = _read_state(path)
    if not state or not _alive(int(state.get("pid") or 0)):
        return None
    base_url = str(state.get("base_url") or f"http://{state.get('host')}:{state.get('port')}/v1")
    token = str(state.get("token") or "")
    return (base_url, token) if _answers(base_url, token) else None


def _start(home: pathlib.Path, env: Mapping[str, str]) -> tuple[str, str]:
    token = secrets.token_urlsafe(32)
    state_path = home / _STATE
    with contextlib.suppress(OSError):
        state_path.unlink()  # a stale file from a server that died
    command = [sys.executable, "-m", "oainb.server", "--host", "127.0.0.1", "--port", "0",
               "--data-dir", str(home), "--idle-timeout", str(IDLE_TIMEOUT)]
    # The child imports the same oainb as we do, even from a checkout that is not installed.
    package_root = str(pathlib.Path(__file__).resolve().parents[1])
    path = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH", "")) if p)
    child_env = {**os.environ, **env, _TOKEN_ENV: token, "PYTHONPATH": path}
    log_path = home / _LOG
    with open(log_path, "ab") as log:
        # Never inherit our stdout/stderr: a kernel's (or a test runner's) pipes would be held
        # open by the server for as long as it lives.
        process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            env=child_env, cwd=str(home), close_fds=True, **_detached())
    try:
        return _wait_ready(process, state_path, token, log_path)
    finally:
        _leave_running(process)


def _leave_running(process: subprocess.Popen[bytes]) -> None:
    """Let the server outlive us without a zombie or a warning.

    A daemon thread waits for it, so it is reaped whenever it stops by itself (idle timeout),
    and its `Popen` is never collected while the server runs: `Popen.__del__` would print
    "ResourceWarning: subprocess N is still running" at exit, once per started server.
    """
    if process.poll() is None:
        threading.Thread(target=process.wait, name=f"oainb-server-{process.pid}",
                         daemon=True).start()


def _detached() -> dict[str, Any]:
    if os.name == "nt":  # pragma: no cover - exercised on Windows only
        flags = getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0) | getattr(
            subprocess, "DETACHED_PROCESS", 0)
        return {"creationflags": flags}
    return {"start_new_session": True}


def _wait_ready(process: subprocess.Popen[bytes], state_path: pathlib.Path, token: str,
                log_path: pathlib.Path) -> tuple[str, str]:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        code = process.poll()
        if code is not None:
            raise LocalServerError(
                f"The local oainb server exited while starting (code {code}); see {log_path}. "
                "Is oainb[local] installed (pip install 'oainb[local]')?")
        state = _read_state(state_path)
        if state and state.get("pid") == process.pid:
            base_url = str(state["base_url"])
            if _answers(base_url, token):
                return base_url, token
        time.sleep(0.1)
    raise LocalServerError(
        f"The local oainb server did not answer within {STARTUP_TIMEOUT:.0f} s; see {log_path}, "
        "or set OPENAI_API_KEY to use OpenAI instead.")


@contextlib.contextmanager
def _file_lock(path: pathlib.Path) -> Iterator[None]:
    """An exclusive lock between processes (flock on POSIX, msvcrt on Windows)."""
    with open(path, "a+b") as handle:
        if os.name == "nt":  # pragma: no cover - exercised on Windows only
            import importlib

            msvcrt: Any = importlib.import_module("msvcrt")
            handle.seek(0)
            while True:
                try:
                    msvcrt.locking(handle.fileno(), msvcrt.LK_LOCK, 1)
                    break
                except OSError:
                    time.sleep(0.1)
            try:
                yield
            finally:
                handle.seek(0)
                msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
        else:
            import fcntl

            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
