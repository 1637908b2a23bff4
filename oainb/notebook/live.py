"""One output cell that follows a stream: waiting indicator, coalesced updates, final display.

The streams themselves do no display (STYLE §6). A `LiveView` is handed to a library function
as its `on_event` callback; it keeps the text so far and refreshes a single output with
`display(..., display_id=True)` and `handle.update(...)`, at most `max_rate` times a second
however fast tokens come. `finish(result)` replaces it with the result's own clean rendering,
which is what the notebook saves.

Credit: the display-handle pattern follows chatlab's `chatlab/views/` (rgbkrk/chatlab).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from oainb.display import render_bundle
from oainb.display.html import WAITING_TEXT, markdown_to_html, render_live_html

__all__ = [
    "MAX_UPDATES_PER_SECOND",
    "DisplayHandleLike",
    "LiveView",
    "LiveViewLike",
    "run_live",
    "was_shown_live",
]

#: Upper bound on refreshes of the live output; the eye does not need more, the kernel's
#: message queue and the browser do better with fewer.
MAX_UPDATES_PER_SECOND = 15.0
_STATUS_WORDS = {
    "response.created": "started",
    "response.queued": "queued",
    "response.in_progress": "in progress",
}
T = TypeVar("T")


class DisplayHandleLike(Protocol):
    """What `IPython.display.display(..., display_id=True)` returns: something to update."""

    def update(self, obj: Any, **kwargs: Any) -> None: ...


class LiveViewLike(Protocol):
    """What `run_live` drives: a `LiveView`, or a `BackgroundJob` widget."""

    def start(self) -> None: ...
    def __call__(self, event: Any) -> None: ...
    def finish(self, result: Any) -> Any: ...


def _ipython_display(bundle: dict[str, str]) -> DisplayHandleLike:
    from IPython.display import display

    handle: DisplayHandleLike = display(bundle, raw=True, display_id=True)
    return handle


# The result last finished by a live view, with the execution count of its cell: the magic
# returns that result so `_` holds it, and the notebook formatter skips re-showing it in the
# same cell (see `oainb.notebook.magics._show_result`).
_LAST_LIVE: dict[str, Any] = {"result": None, "count": None}


def was_shown_live(result: Any, execution_count: int | None) -> bool:
    """True (once) if a live view already displayed `result` in the cell `execution_count`."""
    if _LAST_LIVE["result"] is result and _LAST_LIVE["count"] == execution_count:
        _LAST_LIVE["result"] = None
        return True
    return False


def _execution_count() -> int | None:
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a base dependency
        return None
    shell = get_ipython()
    return None if shell is None else int(shell.execution_count)


class LiveView:
    """A single refreshing output for a stream of `ReplyEvent`s, `TranscriptEvent`s or bytes.

    Call the view with each event (it is an `on_event` callback), then `finish(result)`.

    Args:
        label: what runs, shown in the status line (`"gpt-4o-mini"`).
        cancel_hint: how to stop a background reply, shown while it runs.
        clock: seconds as a float; injected in tests (default `time.monotonic`).
        display: shows a MIME bundle and returns a handle with `.update(bundle)`; the default
            is IPython's `display(bundle, raw=True, display_id=True)`.
        max_rate: most refreshes per second.

    Example:
        >>> view = LiveView(label="gpt-4o-mini")  # doctest: +SKIP
        >>> reply = respond("Hi", on_event=view)  # doctest: +SKIP
        >>> view.finish(reply)  # doctest: +SKIP
    """

    def __init__(
        self,
        *,
        label: str = "",
        cancel_hint: str = "",
        clock: Callable[[], float] = time.monotonic,
        display: Callable[[dict[str, str]], DisplayHandleLike] | None = None,
        max_rate: float = MAX_UPDATES_PER_SECOND,
    ) -> None:
        self.label = label
        self.cancel_hint = cancel_hint
        self._clock = clock
        self._display = display or _ipython_display
        self._interval = 1.0 / max_rate
        self._parts: list[str] = []
        self._bytes = 0
        self._status = "waiting"
        self._handle: DisplayHandleLike | None = None
        self._started = clock()
        self._last_update = float("-inf")
        self.updates = 0
        self.finished = False
        # Markdown blocks before the last blank line are final: render them once (see _html).
        self._frozen_html = ""
        self._frozen_upto = 0
        self._frozen_fences = 0

    @property
    def text(self) -> str:
        """The text received so far."""
        return "".join(self._parts)

    def start(self) -> None:
        """Show the waiting indicator (done by the first event if not called)."""
        if self._handle is None:
            self._started = self._clock()
            self._handle = self._display(self._bundle())

    def __call__(self, event: Any) -> None:
        if isinstance(event, (bytes, bytearray)):
            self._bytes += len(event)
            self._status = "receiving audio"
        else:
            kind = getattr(event, "type", "")
            delta = getattr(event, "delta", None)
            if kind.endswith("text.delta") and isinstance(delta, str):
                self._parts.append(delta)
                self._status = "writing"
            elif kind in _STATUS_WORDS:
                self._status = _STATUS_WORDS[kind]
            elif kind == "oainb.poll":
                self._status = str(getattr(event, "status", "") or self._status).replace("_", " ")
        self._maybe_update()

    def _maybe_update(self) -> None:
        if self._handle is None:
            self.start()
            return
        now = self._clock()
        if now - self._last_update < self._interval:
            return
        self._last_update = now
        self._push(self._bundle())

    def _push(self, bundle: dict[str, str]) -> None:
        assert self._handle is not None
        self._handle.update(bundle, raw=True)
        self.updates += 1

    def status_line(self) -> str:
        """`gpt-4o-mini · writing · 1.2 s` (plus the cancel hint while a background reply runs)."""
        bits = [b for b in (self.label, self._status) if b]
        if self._bytes:
            bits.append(f"{self._bytes / 1024:.0f} KB")
        bits.append(f"{max(0.0, self._clock() - self._started):.1f} s")
        if self.cancel_hint:
            bits.append(self.cancel_hint)
        return " · ".join(bits)

    def _html_body(self, text: str) -> str:
        """The text so far as HTML, re-rendering only what follows the last finished block.

        Re-rendering the whole answer on every refresh would cost O(length) each time, O(n²)
        over a long answer. A blank line outside a code fence ends a block for good, so the
        blocks before it are rendered once and kept.
        """
        cut = text.rfind("\n\n")
        if cut > self._frozen_upto:
            fences = self._frozen_fences + text.count("```", self._frozen_upto, cut)
            if fences % 2 == 0:  # the blank line is not inside a code block
                self._frozen_html += markdown_to_html(text[self._frozen_upto:cut])
                self._frozen_upto, self._frozen_fences = cut, fences
        return self._frozen_html + markdown_to_html(text[self._frozen_upto:])

    def _bundle(self) -> dict[str, str]:
        text = self.text
        waiting = not text and not self._bytes
        status = self.status_line()
        plain = (WAITING_TEXT if waiting else text) + f"\n\n— {status}"
        html = render_live_html("", status=status, waiting=True) if waiting else render_live_html(
            "", status=status, body=self._html_body(text))
        # No text/markdown while streaming: frontends show the HTML, and escaping the whole
        # text again on every refresh is the costliest step. The final display has it.
        return {"text/plain": plain, "text/html": html}

    def finish(self, result: Any) -> Any:
        """Replace the live output with `result`'s final rendering; returns `result`."""
        if self._handle is None:
            self._handle = self._display(render_bundle(result))
        else:
            self._push(render_bundle(result))
        self.finished = True
        _LAST_LIVE.update(result=result, count=_execution_count())
        return result


def run_live(
    action: Callable[..., T], *args: Any, view: LiveViewLike | None = None, **kwargs: Any
) -> T:
    """Call `action(*args, on_event=view, **kwargs)` and show it live; returns its result.

    The action (`respond`, `transcribe`, ...) handles Ctrl-C itself and returns the partial
    result marked interrupted, so the view always ends on the result.

    Example:
        >>> from oainb.notebook.actions import respond
        >>> reply = run_live(respond, "Tell me a joke", model="gpt-4o-mini")  # doctest: +SKIP
    """
    view = view or LiveView(label=str(kwargs.get("model") or ""))
    view.start()
    key = "on_chunk" if getattr(action, "__name__", "") in ("speak", "aspeak") else "on_event"
    result = action(*args, **{key: view}, **kwargs)
    finished: T = view.finish(result)
    return finished
