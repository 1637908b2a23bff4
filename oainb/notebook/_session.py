"""This kernel's session: the clients the library functions use, the cost ledger, the last reply.

The magics, the widgets and `oainb.notebook.actions` share one `Session`, so `%oainb key`
changes the key every later call uses, and `%respond --continue` follows on from a reply a
playground made.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from oainb._config import is_loopback
from oainb._exceptions import InputError
from oainb.cost import Ledger, session_ledger

__all__ = ["Session", "is_local", "session", "status_text"]


@dataclass
class Session:
    """This kernel's state: the clients, the cost ledger, the last reply id.

    `client` is built on first use (`oainb.Client()`: the local server when no key is set).
    `set_api_key` rebuilds the clients with a key that lives only in memory.
    """

    client: Any = None
    async_client: Any = None
    ledger: Ledger = field(default_factory=session_ledger)
    previous_response_id: str | None = None
    api_key: str | None = field(default=None, repr=False)
    http_client: Any = None

    def get_client(self) -> Any:
        """The sync client, created on first use."""
        if self.client is None:
            from oainb import Client

            self.client = Client(api_key=self.api_key, http_client=self.http_client)
        return self.client

    def get_async_client(self) -> Any:
        """The async client, created on first use."""
        if self.async_client is None:
            from oainb import AsyncClient

            self.async_client = AsyncClient(api_key=self.api_key)
        return self.async_client

    def set_api_key(self, key: str | None) -> None:
        """Use `key` from now on (None: back to the environment or the local server)."""
        self.api_key = key or None
        self.client = self.async_client = None

    def reset(self) -> None:
        """Forget the clients and the conversation (the ledger stays)."""
        self.client = self.async_client = None
        self.previous_response_id = None


_SESSION = Session()


def session() -> Session:
    """The session of this kernel, shared by the magics, the widgets and these functions."""
    return _SESSION


def status_text(*, defaults: dict[str, Any] | None = None) -> str:
    """What `%oainb` prints: backend, whether a key is set (never the key), defaults, ledger."""
    from oainb._config import resolve_config

    state = session()
    if state.client is not None:
        backend = "local server" if is_local(state.client) else "OpenAI-compatible API"
        where = str(getattr(state.client, "base_url", "") or "")
    else:
        try:
            config = resolve_config(api_key=state.api_key)
        except InputError as exc:
            return f"backend: not configured ({exc})"
        where = config.base_url
        if config.backend == "local":
            backend = "local server (started on first call)"
        else:
            backend = "local server" if is_local(config) else "OpenAI-compatible API"
    key = state.api_key or os.environ.get("OPENAI_API_KEY")
    lines = [
        f"backend: {backend}{' at ' + where if where else ''}",
        f"API key: {'set' if key else 'not set'}" + (" (this session)" if state.api_key else ""),
    ]
    if defaults:
        lines.append("defaults: " + ", ".join(f"{k}={v}" for k, v in defaults.items()))
    if state.previous_response_id:
        lines.append(f"conversation: continues from {state.previous_response_id}")
    lines.append("ledger: " + state.ledger.summary())
    return "\n".join(lines)


def is_local(client: Any) -> bool:
    """True when `client` talks to the bundled local server (or any server on this machine)."""
    if getattr(client, "backend", None) == "local":
        return True
    return is_loopback(str(getattr(client, "base_url", "") or ""))
