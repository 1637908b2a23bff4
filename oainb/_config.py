"""Where the client's settings come from: arguments first, then the environment.

The environment is read through an injectable mapping (as rich's `Console(_environ=...)`
does), so tests never have to patch `os.environ`.
"""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field

from oainb._exceptions import InputError

__all__ = [
    "BACKENDS",
    "DEFAULT_BASE_URL",
    "ClientConfig",
    "is_loopback",
    "redact",
    "resolve_config",
]

DEFAULT_BASE_URL = "https://api.openai.com/v1"
BACKENDS = ("local", "openai")
_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


@dataclass(frozen=True)
class ClientConfig:
    """The resolved settings; `api_key` never shows in its repr."""

    base_url: str
    api_key: str | None = field(default=None, repr=False)
    organization: str | None = None
    project: str | None = None
    backend: str = "openai"


def resolve_config(
    *,
    api_key: str | None = None,
    base_url: str | None = None,
    organization: str | None = None,
    project: str | None = None,
    backend: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> ClientConfig:
    """Merge arguments with OPENAI_API_KEY, OPENAI_BASE_URL, OPENAI_ORG_ID,
    OPENAI_PROJECT_ID and OAINB_BACKEND.

    With no key and no base URL anywhere (or `backend="local"`), the embedded local server
    is chosen: the returned config then has `backend="local"` and no URL yet (the client
    asks `oainb._local.ensure_server()` for one).

    Raises:
        InputError: `backend` is not one of None, "local", "openai", or is "openai" without
            a key or base URL.
    """
    env = os.environ if environ is None else environ
    backend = backend or env.get("OAINB_BACKEND") or None
    if backend is not None and backend not in BACKENDS:
        raise InputError(
            f"backend must be 'local' or 'openai', not {backend!r}; set backend= or OAINB_BACKEND.",
            param="backend",
        )
    api_key = api_key if api_key is not None else env.get("OPENAI_API_KEY") or None
    base_url = base_url if base_url is not None else env.get("OPENAI_BASE_URL") or None
    organization = organization or env.get("OPENAI_ORG_ID") or None
    project = project or env.get("OPENAI_PROJECT_ID") or None
    if backend == "local" or (backend is None and not api_key and not base_url):
        return ClientConfig(base_url="", api_key=None, backend="local")
    if backend == "openai" and not api_key and not base_url:
        raise InputError(
            "backend='openai' needs an API key; set OPENAI_API_KEY or pass api_key=.",
            param="api_key",
        )
    return ClientConfig(
        base_url=(base_url or DEFAULT_BASE_URL).rstrip("/"),
        api_key=api_key,
        organization=organization,
        project=project,
        backend="openai",
    )


def redact(text: str, secret: str | None) -> str:
    """`text` with every occurrence of `secret` (and of its first 12 characters) masked."""
    if not secret:
        return text
    text = text.replace(secret, "sk-***")
    if len(secret) > 16:
        text = text.replace(secret[:12], "sk-***")
    return text


def is_loopback(url: str) -> bool:
    """True when `url` points at this machine (`127.0.0.1`, `localhost`, `::1`).

    Example:
        >>> is_loopback("http://127.0.0.1:8765/v1"), is_loopback("https://api.openai.com/v1")
        (True, False)
    """
    host = urllib.parse.urlsplit(url).hostname or ""
    return host in _LOOPBACK_HOSTS or host.startswith("127.")
