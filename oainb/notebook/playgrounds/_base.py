"""What every playground shares: Run and Cancel, a live output, a footer, a saved copy.

Run's callback returns at once: it starts the request as a task on the running event
loop (the kernel's), so the kernel keeps handling widget events, Cancel among them,
while the request streams. Cancel cancels that task; the stream's `async with`
closes the connection on the way out, and the text received so far stays shown.

The callbacks hold no API logic: each playground turns its controls into the keyword
arguments of one library function in `oainb.notebook.actions` (the same one its
magic calls) and awaits it, feeding a `LiveView` that draws into an `Output` widget.

A widget's output lives in widget state, which a saved notebook may not keep. So
when a playground is displayed it also leaves an (empty) regular output with a
display id under itself, and the final result is written there too: the saved
notebook shows what the playground produced.
"""

from __future__ import annotations

import asyncio
import html
import time
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets

__all__ = ["OutputHandle", "Playground", "footer_html"]


class OutputHandle:
    """A display handle that draws one MIME bundle into an `Output` widget.

    Setting `Output.outputs` directly, instead of `with output:` around the awaits of a
    task, keeps other cells' output from being captured while the task is suspended.
    """

    def __init__(self, output: widgets.Output) -> None:
        self.output = output
        self.bundle: dict[str, Any] = {}

    def update(self, obj: dict[str, Any], **kwargs: Any) -> None:
        self.bundle = dict(obj)
        self.output.outputs = ({"output_type": "display_data", "data": self.bundle, "metadata": {}},)

    def __call__(self, bundle: dict[str, Any]) -> OutputHandle:
        """`LiveView(display=handle)`: show the first bundle and return the handle itself."""
        self.update(bundle)
        return self


def footer_html(result: Any, elapsed: float, *, notes: list[str] | None = None) -> str:
    """`gpt-4o-mini · 12 in / 48 out tokens · $0 here, about $0.00003 on OpenAI · 1.4 s`."""
    from oainb.display import annotations_of

    bits = [str(getattr(result, "model", "") or "")]
    usage = getattr(result, "usage", None)
    if usage is not None and (usage.input_tokens or usage.output_tokens):
        bits.append(f"{usage.input_tokens} in / {usage.output_tokens} out tokens")
    elif usage is not None and usage.seconds:
        bits.append(f"{usage.seconds:.1f} s of audio")
    info = annotations_of(result)
    if info is not None and info.cost is not None:
        bits.append(str(info.cost))
    bits.append(f"{elapsed:.1f} s")
    bits += notes or []
    return "<small>" + html.escape(" · ".join(b for b in bits if b)) + "</small>"


class Playground(widgets.VBox):
    """Base class: subclasses build `controls`, `kwargs()` and `call(**kwargs)`.

    Attributes:
        run_button, cancel_button: click them (or call `.click()` in a test).
        output: the live view, then the final result.
        footer: usage, cost and time of the last run.
        status: `"idle"`, `"running"`, `"done"`, `"cancelled"` or `"failed"`.
        result: the last result object (partial after a cancel, when the action kept one).
        task: the `asyncio.Task` of the running (or last) request.
    """

    title = "Playground"

    def __init__(self, controls: list[widgets.Widget], *, client: Any = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.client = client
        self.status = "idle"
        self.result: Any = None
        self.error: BaseException | None = None
        self.task: asyncio.Task[Any] | None = None
        self.notes: list[str] = []  # said under the result: options this run could not use
        self._clock = clock
        self._view: Any = None
        self._saved: Any = None  # display handle of the regular (saved) copy
        self.run_button = widgets.Button(description="Run", button_style="primary", icon="play")
        self.cancel_button = widgets.Button(description="Cancel", icon="stop", disabled=True)
        self.run_button.on_click(self._on_run)
        self.cancel_button.on_click(self._on_cancel)
        self.output = widgets.Output()
        self.footer = widgets.HTML()
        self.handle = OutputHandle(self.output)
        buttons = widgets.HBox([self.run_button, self.cancel_button])
        super().__init__(children=[*controls, buttons, self.output, self.footer])

    # -- what a subclass provides ---------------------------------------------------------

    def kwargs(self) -> dict[str, Any]:
        """The keyword arguments of the library call, read from the controls (pure)."""
        raise NotImplementedError

    async def call(self, on_event: Callable[[Any], None], **kwargs: Any) -> Any:
        """Await the library function with `kwargs`, feeding `on_event`."""
        raise NotImplementedError

    def label(self) -> str:
        return str(self.kwargs().get("model") or "")

    # -- callbacks: return at once ----------------------------------------------------------

    def _on_run(self, _button: Any = None) -> None:
        if self.task is not None and not self.task.done():
            return
        try:
            kwargs = self.kwargs()
        except ValueError as exc:  # a control holds something unusable (bad JSON schema...)
            self._show_error(exc)
            return
        try:
            loop = asyncio.get_running_loop()  # the kernel's loop; see the module docstring
        except RuntimeError:
            self._show_error(RuntimeError(
                "A playground runs its requests on the kernel's event loop, and none is running "
                "here; display it in a Jupyter notebook (or call the library function directly)."))
            return
        self._set_running(True)
        self.task = loop.create_task(self._run(kwargs))

    def _on_cancel(self, _button: Any = None) -> None:
        if self.task is not None and not self.task.done():
            self.task.cancel()

    # -- the task -------------------------------------------------------------------------

    async def _run(self, kwargs: dict[str, Any]) -> Any:
        from oainb.notebook.live import LiveView

        self.error, self.result, self.notes = None, None, []
        started = self._clock()
        self._view = LiveView(label=self.label(), display=self.handle, clock=self._clock)
        self._view.start()
        try:
            result = await self.call(self._view, **kwargs)
        except asyncio.CancelledError:
            # Our own task, cancelled by our own button: keep the partial text and end
            # quietly (nobody else awaits this task, so swallowing is safe here).
            self._show_cancelled()
            return self.result
        except Exception as exc:  # noqa: BLE001 - shown in the playground, like UsageError in a magic
            self._show_error(exc)
            return None
        finally:
            self._set_running(False)
        return self._finish(result, self._clock() - started)

    def _finish(self, result: Any, elapsed: float) -> Any:
        from oainb.display import render_bundle

        self.result, self.status = result, _status_of(result)
        self._view.finish(result)
        self.footer.value = footer_html(result, elapsed, notes=self.notes)
        if self._saved is not None:
            self._saved.update(_saved_bundle(render_bundle(result), self.title), raw=True)
        return result

    def _show_cancelled(self) -> None:
        from oainb.display.html import render_live_html

        text = self._view.text if self._view is not None else ""
        self.status = "cancelled"
        self.handle.update({
            "text/plain": f"{text}\n\n— cancelled",
            "text/html": render_live_html(text, status="cancelled", waiting=False),
        })
        self.footer.value = "<small>cancelled; the connection was closed</small>"
        if self._saved is not None and text:
            self._saved.update(_saved_bundle({"text/plain": text, "text/html":
                               f"<pre>{html.escape(text)}</pre>"}, self.title + " (cancelled)"),
                               raw=True)

    def _show_error(self, exc: BaseException) -> None:
        self.status, self.error = "failed", exc
        message = f"{type(exc).__name__}: {exc}"
        self.handle.update({"text/plain": message,
                            "text/html": f"<pre style='color:#b00'>{html.escape(message)}</pre>"})

    def _set_running(self, running: bool) -> None:
        self.status = "running" if running else self.status
        self.run_button.disabled = running
        self.cancel_button.disabled = not running

    @property
    def text(self) -> str:
        """The text shown so far (streamed deltas of the current or last run)."""
        return self._view.text if self._view is not None else ""

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(widgets.VBox._repr_mimebundle_(self), raw=True)
        self._saved = display({"text/plain": ""}, raw=True, display_id=True)


def _status_of(result: Any) -> str:
    status = getattr(result, "status", None)
    if getattr(result, "interrupted", False):
        return "cancelled"
    return "failed" if status == "failed" else "done"


def _saved_bundle(bundle: dict[str, Any], title: str) -> dict[str, Any]:
    """The result's own rendering, headed so a reader knows where it came from."""
    out = {k: v for k, v in bundle.items() if isinstance(v, str)}
    out["text/plain"] = f"[{title} result]\n" + out.get("text/plain", "")
    if "text/html" in out:
        out["text/html"] = (f"<div><small>{html.escape(title)} result</small>"
                            f"{out['text/html']}</div>")
    if "text/markdown" in out:
        out["text/markdown"] = f"*{title} result*\n\n" + out["text/markdown"]
    return out
