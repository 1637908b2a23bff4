"""What a batch returns and how it reports progress outside a notebook (no I/O, no widgets).

`BatchResult` keeps every input in order with its result or its error; `TextProgress` is the
plain-text progress line scripts get (the notebook's widget is `oainb.notebook.widgets.BatchProgress`).
"""

from __future__ import annotations

import html
import sys
from dataclasses import dataclass
from typing import Any, Protocol, TextIO

__all__ = ["BatchItem", "BatchResult", "NoProgress", "Progress", "TextProgress", "result_cost"]


@dataclass
class BatchItem:
    """One input of a batch and what became of it.

    Attributes:
        index: its position in the inputs.
        input: the input itself (a path, a prompt, a text).
        result: the result object when the call succeeded, else None.
        error: the exception when every attempt failed, else None.
        attempts: how many requests were sent for it (retries after a 429 count).
        cost: its `CostEstimate` when the result carried one.
    """

    index: int
    input: Any
    result: Any = None
    error: Exception | None = None
    attempts: int = 0
    cost: Any = None
    done: bool = False

    @property
    def status(self) -> str:
        """`"ok"`, `"failed"`, or `"not run"` (the batch was interrupted first)."""
        if not self.done:
            return "not run"
        return "ok" if self.error is None else "failed"


class BatchResult:
    """Every input of a batch in order, each with its result or its error.

    ```python
    done = oainb.batch.respond(prompts)
    done.results            # successes, in input order
    done.errors             # BatchItems that failed, in input order, with `.error`
    done.items[3].status    # "ok" / "failed" / "not run"
    ```
    """

    def __init__(self, kind: str, items: list[BatchItem], *, elapsed: float = 0.0) -> None:
        self.kind = kind
        self.items = items
        self.elapsed = elapsed
        self.progress: Any = None

    @property
    def results(self) -> list[Any]:
        """The successful results, in input order."""
        return [item.result for item in self.items if item.status == "ok"]

    @property
    def errors(self) -> list[BatchItem]:
        """The failed items, in input order; `.error` holds each exception."""
        return [item for item in self.items if item.status == "failed"]

    @property
    def done(self) -> int:
        """How many inputs have finished, successfully or not."""
        return sum(item.done for item in self.items)

    @property
    def cost(self) -> float:
        """Total dollars at OpenAI prices of the calls whose cost is known."""
        return round(sum(float(getattr(i.cost, "usd", 0.0)) for i in self.items if i.cost), 10)

    @property
    def local(self) -> bool:
        """True when every priced call ran on the local backend (nothing was billed)."""
        costs = [i.cost for i in self.items if i.cost is not None]
        return bool(costs) and all(getattr(c, "local", False) for c in costs)

    def cost_text(self) -> str:
        """The total as a user reads it: `$0.0031`, or `$0 here, about $0.0031 on OpenAI`."""
        from oainb.cost import format_usd

        if self.local:
            return f"$0 here, about {format_usd(self.cost)} on OpenAI"
        return format_usd(self.cost)

    def summary(self) -> str:
        """One line: counts, cost and time."""
        failed = len(self.errors)
        line = f"{self.kind}: {self.done}/{len(self.items)} done"
        if failed:
            line += f", {failed} failed"
        return f"{line}, cost {self.cost_text()}, {self.elapsed:.1f} s"

    def __len__(self) -> int:
        return len(self.items)

    def __repr__(self) -> str:
        return f"<BatchResult {self.kind} {len(self.results)} ok {len(self.errors)} failed>"

    def _repr_mimebundle_(
        self, include: Any = None, exclude: Any = None, **kwargs: Any
    ) -> dict[str, str]:
        lines = [self.summary()]
        lines += [f"  [{i.index}] {_short(i.input)}: {i.error}" for i in self.errors]
        rows = "".join(
            f"<tr><td>{i.index}</td><td>{html.escape(_short(i.input))}</td>"
            f"<td>{i.status}</td><td>{html.escape(_outcome(i))}</td></tr>"
            for i in self.items
        )
        page = (
            f"<div><b>{html.escape(self.summary())}</b><table>"
            f"<tr><th>#</th><th>input</th><th>status</th><th>result</th></tr>{rows}</table></div>"
        )
        data = {"text/plain": "\n".join(lines), "text/html": page}
        return {k: v for k, v in data.items()
                if (not include or k in include) and k not in (exclude or ())}


def _short(value: Any, width: int = 60) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _outcome(item: BatchItem) -> str:
    if item.error is not None:
        return f"{type(item.error).__name__}: {item.error}"
    return "" if item.result is None else _short(repr(item.result), 80)


class Progress(Protocol):
    """What a batch reports its progress to (a widget, a text line, or nothing)."""

    def start(self, total: int, kind: str) -> None: ...
    def update(self, snapshot: BatchResult) -> None: ...
    def finish(self, result: BatchResult) -> None: ...


class TextProgress:
    """Progress as one rewritten line on a terminal, for scripts: `respond 3/8 (1 failed)`."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.total = 0
        self.kind = ""
        self._last = ""

    def start(self, total: int, kind: str) -> None:
        self.total, self.kind = total, kind
        self._write(f"{kind} 0/{total}")

    def update(self, snapshot: BatchResult) -> None:
        failed = len(snapshot.errors)
        note = f" ({failed} failed)" if failed else ""
        self._write(f"{self.kind} {snapshot.done}/{self.total}{note}")

    def finish(self, result: BatchResult) -> None:
        self._write(result.summary(), end="\n")

    def _write(self, text: str, end: str = "") -> None:
        if text == self._last:
            return  # two inputs finished together: one line is enough
        self._last = text
        tty = getattr(self.stream, "isatty", lambda: False)()
        # On a terminal the line rewrites itself; in a log file each update is its own line.
        self.stream.write(("\r" + text + end) if tty else text + "\n")
        self.stream.flush()


class NoProgress:
    """Reports nothing (`progress=False`)."""

    def start(self, total: int, kind: str) -> None: ...
    def update(self, snapshot: BatchResult) -> None: ...
    def finish(self, result: BatchResult) -> None: ...


def result_cost(result: Any) -> Any:
    """The `CostEstimate` the library function attached to a result, if any."""
    from oainb.display import annotations_of

    info = annotations_of(result)
    cost = info.cost if info is not None else getattr(result, "cost", None)
    return cost if hasattr(cost, "usd") else None
