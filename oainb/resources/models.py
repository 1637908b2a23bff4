from __future__ import annotations

import builtins
from typing import Any

from oainb._client import RequestOptions
from oainb.resources._base import AsyncAPIResource, SyncAPIResource, parse_json

__all__ = ["AsyncModels", "Models"]


def _ids(body: Any) -> list[str]:
    data = body.get("data", []) if isinstance(body, dict) else []
    return [str(item["id"]) for item in data if isinstance(item, dict) and "id" in item]


class Models(SyncAPIResource):
    """`GET /models`."""

    def list(self) -> builtins.list[str]:
        """The ids of the models the backend serves.

        Example:
            >>> client.models.list()  # doctest: +SKIP
            ['gpt-4o-mini', 'whisper-1', ...]
        """
        response = self._client.request(RequestOptions("GET", "/models"))
        return _ids(parse_json(response))


class AsyncModels(AsyncAPIResource):
    """`GET /models`, async."""

    async def list(self) -> builtins.list[str]:
        """The ids of the models the backend serves."""
        response = await self._client.request(RequestOptions("GET", "/models"))
        return _ids(parse_json(response))
