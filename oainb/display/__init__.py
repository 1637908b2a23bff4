"""Pure renderers for result objects: plain text, escaped HTML, Markdown, and matplotlib plots.

The result models' `_repr_mimebundle_` and the notebook layer both call `render_bundle`: plain
text and escaped HTML for every result, plus `text/markdown` for replies. Nothing here does I/O or imports
IPython; matplotlib is imported only when a plot is drawn.

Call details the wire objects do not carry (what the call cost, how long it took) are attached
with `annotate(result, cost=..., elapsed=...)` and read back with `annotations_of(result)`.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Any

__all__ = ["CallInfo", "annotate", "annotations_of", "render_bundle"]


@dataclass
class CallInfo:
    """What the notebook layer knows about a call beyond its result: cost, time, local or not."""

    cost: Any = None
    elapsed: float | None = None
    estimate: Any = None


# Keyed by id() with a weakref guard: result models are unhashable pydantic objects, and
# storing these on the model itself would leak them into `model_dump()` / `to_wire()`.
_INFO: dict[int, tuple[weakref.ref[Any], CallInfo]] = {}


def annotate(result: Any, *, cost: Any = None, elapsed: float | None = None, estimate: Any = None) -> Any:
    """Attach call details (a `CostEstimate`, seconds elapsed) to a result; returns the result.

    Example:
        >>> from oainb import Reply
        >>> from oainb.display import annotate, annotations_of
        >>> r = annotate(Reply(id="resp_1"), elapsed=1.5)
        >>> annotations_of(r).elapsed
        1.5
    """
    key = id(result)
    info = annotations_of(result) or CallInfo()
    if cost is not None:
        info.cost = cost
    if elapsed is not None:
        info.elapsed = elapsed
    if estimate is not None:
        info.estimate = estimate
    def forget(_ref: weakref.ref[Any], key: int = key) -> None:
        _INFO.pop(key, None)

    try:
        ref = weakref.ref(result, forget)
    except TypeError:  # pragma: no cover - every result model supports weak references
        return result
    _INFO[key] = (ref, info)
    return result


def annotations_of(result: Any) -> CallInfo | None:
    """The `CallInfo` attached to `result`, or None."""
    entry = _INFO.get(id(result))
    if entry is None or entry[0]() is not result:
        return None
    return entry[1]


def render_bundle(result: Any) -> dict[str, str]:
    """Every MIME rendering of `result`: text/plain, text/html, and text/markdown for a Reply."""
    from oainb.display.html import render_html
    from oainb.display.text import render_markdown, render_text

    bundle = {"text/plain": render_text(result), "text/html": render_html(result)}
    markdown = render_markdown(result)
    if markdown is not None:
        bundle["text/markdown"] = markdown
    return bundle
