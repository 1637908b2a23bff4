"""Server-sent events framing, as OpenAI sends them.

Responses events carry an ``event: <type>`` line before their ``data:`` line; transcription
events are data-only (the spec's example). Neither ends with ``data: [DONE]``: a stream ends
after its terminal event, when the server closes the connection.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from starlette.responses import StreamingResponse

__all__ = ["SSE_HEADERS", "frame", "sse_response"]

SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def frame(data: dict[str, Any], *, named: bool = True) -> bytes:
    """One SSE frame for ``data``, with an ``event:`` line taken from ``data["type"]`` if named."""
    payload = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    head = f"event: {data['type']}\n" if named else ""
    return f"{head}data: {payload}\n\n".encode()


async def _framed(events: AsyncIterator[dict[str, Any]], named: bool) -> AsyncIterator[bytes]:
    async for event in events:
        yield frame(event, named=named)


def sse_response(events: AsyncIterator[dict[str, Any]], *, named: bool = True) -> StreamingResponse:
    """Stream ``events`` as ``text/event-stream``."""
    return StreamingResponse(
        _framed(events, named), media_type="text/event-stream", headers=SSE_HEADERS
    )
