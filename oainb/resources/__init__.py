"""Endpoint groups, attached to the clients lazily (`client.responses`, `client.audio`, ...)."""

from __future__ import annotations

__all__: list[str] = []
