"""``oainb serve`` (also ``python -m oainb.server``): run the local server with uvicorn.

Once listening, the server writes ``server.json`` (pid, host, port, token; readable by this user
only) into its data dir, so whoever started it with ``--port 0`` can find the port, and it
removes the file when it stops. With ``--idle-timeout`` it exits by itself after that many
seconds without a request or a running job.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import pathlib
import signal
import socket
import sys
import threading
from collections.abc import Iterator, Sequence
from typing import Any

__all__ = ["API_KEY_ENV", "STATE_FILE", "build_parser", "main"]

STATE_FILE = "server.json"
# The token can come from the environment instead of the command line, where other local
# users could read it in the process list.
API_KEY_ENV = "OAINB_SERVER_API_KEY"

log = logging.getLogger("oainb.server")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="oainb serve",
        description="Run the local OpenAI-compatible server (Responses and Audio APIs) on "
        "small bundled models.",
    )
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to bind (default 127.0.0.1, this machine only)")
    parser.add_argument("--port", type=int, default=8765, help="port; 0 picks a free one")
    parser.add_argument("--api-key", default=None,
                        help=f"require 'Authorization: Bearer TOKEN' (or set ${API_KEY_ENV})")
    parser.add_argument("--data-dir", default=None,
                        help="where responses and server.json live (default $OAINB_HOME or "
                        "~/.cache/oainb)")
    parser.add_argument("--idle-timeout", type=float, default=None,
                        help="exit after this many seconds without requests")
    parser.add_argument("--queue-size", type=int, default=8,
                        help="requests that may wait per engine before a 429 (default 8)")
    parser.add_argument("--gguf", default=None,
                        help="a chat GGUF file to serve instead of SmolLM2 (or set $OAINB_GGUF)")
    parser.add_argument("--log-level", default="info",
                        choices=["critical", "error", "warning", "info", "debug"])
    return parser


def _write_state(path: pathlib.Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(data, handle)
    os.replace(tmp, path)


def _remove_state(path: pathlib.Path) -> None:
    """Remove the state file if it still describes this process."""
    with contextlib.suppress(OSError, ValueError):
        if json.loads(path.read_text()).get("pid") == os.getpid():
            path.unlink()


async def _watch(server: Any, state_path: pathlib.Path, info: dict[str, Any],
                 activity: Any, idle_timeout: float | None) -> None:
    while not server.started:
        if server.should_exit:
            return
        await asyncio.sleep(0.05)
    _write_state(state_path, info)
    log.info("oainb server ready at http://%s:%d/v1 (pid %d)", info["host"], info["port"],
             info["pid"])
    if not idle_timeout:
        return
    while not server.should_exit:
        await asyncio.sleep(min(5.0, max(0.2, idle_timeout / 10)))
        if activity.idle_for() >= idle_timeout:
            log.info("idle for %.0f s: exiting", idle_timeout)
            server.should_exit = True


def _server_class() -> Any:
    import uvicorn

    class Server(uvicorn.Server):
        """uvicorn's server, minus re-raising SIGTERM/SIGINT after a graceful shutdown.

        uvicorn re-raises the signal once it has stopped, which would kill the process before
        ``server.json`` is removed; we return from ``main`` normally instead.
        """

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            if threading.current_thread() is not threading.main_thread():
                yield
                return
            handled = (signal.SIGINT, signal.SIGTERM)
            original = {sig: signal.signal(sig, self.handle_exit) for sig in handled}
            try:
                yield
            finally:
                for sig, handler in original.items():
                    signal.signal(sig, handler)

    return Server


async def _serve(args: argparse.Namespace, api_key: str | None) -> None:
    import uvicorn

    from oainb.server.app import create_app, default_data_dir
    from oainb.server.engines import Registry

    if not api_key and args.host not in ("127.0.0.1", "localhost", "::1"):
        log.warning("listening on %s without --api-key: anyone who can reach this address "
                    "can use the server", args.host)
    data_dir = pathlib.Path(args.data_dir) if args.data_dir else default_data_dir()
    data_dir.mkdir(parents=True, exist_ok=True)
    app = create_app(engines=Registry.default(gguf=args.gguf), data_dir=data_dir,
                     api_key=api_key, queue_size=args.queue_size, idle_timeout=args.idle_timeout)
    sock = socket.socket(socket.AF_INET6 if ":" in args.host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    port = sock.getsockname()[1]
    # Access logs show paths only; the token travels in a header uvicorn never logs.
    config = uvicorn.Config(app, log_level=args.log_level, timeout_graceful_shutdown=3)
    server = _server_class()(config)
    info = {"pid": os.getpid(), "host": args.host, "port": port, "token": api_key,
            "base_url": f"http://{args.host}:{port}/v1"}
    state_path = data_dir / STATE_FILE
    watcher = asyncio.create_task(
        _watch(server, state_path, info, app.state.oainb.activity, args.idle_timeout))
    try:
        await server.serve(sockets=[sock])
    finally:
        watcher.cancel()
        _remove_state(state_path)
        app.state.oainb.store.close()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``oainb`` (``oainb serve …``) and ``python -m oainb.server …``."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:1] == ["serve"]:
        args_list = args_list[1:]
    args = build_parser().parse_args(args_list)
    logging.basicConfig(level=args.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    api_key = args.api_key or os.environ.get(API_KEY_ENV) or None
    try:
        asyncio.run(_serve(args, api_key))
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
