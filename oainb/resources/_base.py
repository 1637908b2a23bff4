"""What every endpoint group shares: the client handle and small pure helpers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import httpx

from oainb._exceptions import APIError, InputError
from oainb._types import NotGiven

if TYPE_CHECKING:  # pragma: no cover - typing only
    from oainb._client import AsyncClient, Client

__all__ = [
    "AsyncAPIResource",
    "SyncAPIResource",
    "encode_form",
    "given",
    "merge_extra",
    "parse_json",
    "path_id",
]


class SyncAPIResource:
    """Base of the sync endpoint groups: holds the `Client` it sends through."""

    def __init__(self, client: Client) -> None:
        self._client = client


class AsyncAPIResource:
    """Base of the async endpoint groups: holds the `AsyncClient` it sends through."""

    def __init__(self, client: AsyncClient) -> None:
        self._client = client


def given(**params: Any) -> dict[str, Any]:
    """The keyword arguments the caller actually passed (NOT_GIVEN dropped)."""
    return {k: v for k, v in params.items() if not isinstance(v, NotGiven)}


def merge_extra(body: dict[str, Any], extra_body: Mapping[str, Any] | None) -> dict[str, Any]:
    """`body` plus `extra_body` (fields this version does not know, sent as they are)."""
    return {**body, **dict(extra_body or {})}


def encode_form(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Multipart form fields as the official SDK encodes them (CONTRACT §5).

    Lists become repeated `name[]` fields, dicts `name[key]` fields, booleans `true`/`false`.

    Example:
        >>> encode_form({"include": ["logprobs"], "chunking_strategy": {"type": "server_vad"},
        ...              "stream": True, "prompt": None})
        {'include[]': ['logprobs'], 'chunking_strategy[type]': 'server_vad', 'stream': 'true'}
    """
    out: dict[str, Any] = {}
    for key, value in fields.items():
        _encode_into(out, key, value)
    return out


def _encode_into(out: dict[str, Any], key: str, value: Any) -> None:
    if value is None or isinstance(value, NotGiven):
        return
    if isinstance(value, bool):
        out[key] = "true" if value else "false"
    elif isinstance(value, (list, tuple)):
        out[f"{key}[]"] = [_scalar(v) for v in value]
    elif isinstance(value, Mapping):
        for sub, inner in value.items():
            _encode_into(out, f"{key}[{sub}]", inner)
    else:
        out[key] = _scalar(value)


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def parse_json(response: httpx.Response) -> Any:
    """The JSON body of a successful response, or an `APIError` saying it was not JSON."""
    try:
        return response.json()
    except ValueError as exc:
        raise APIError(
            f"The server answered {response.status_code} with a body that is not JSON; "
            "check base_url points at an OpenAI-compatible API.",
            request=response.request,
        ) from exc


def path_id(value: Any, name: str) -> str:
    """Check an id that goes into a URL path (`resp_...`)."""
    if not isinstance(value, str) or not value.strip() or "/" in value or "?" in value:
        raise InputError(f"{name} must be an id like 'resp_abc123', not {value!r}.", param=name)
    return value
