"""The session ledger: every priced call of this kernel, and the budget that refuses new ones."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from oainb._exceptions import BudgetExceededError
from oainb._prices import CostEstimate, format_usd

__all__ = ["Ledger", "LedgerEntry", "session_ledger"]


@dataclass(frozen=True)
class LedgerEntry:
    """One priced call in the session ledger."""

    kind: str
    cost: CostEstimate
    label: str = ""


class Ledger:
    """The running total of a session's calls, with an optional budget.

    With a budget set, `check(estimate)` refuses (raises `BudgetExceededError`) a call whose
    estimate would take the total past it. Local calls count at their OpenAI-equivalent price.

    Example:
        >>> from oainb.cost import Ledger, CostEstimate
        >>> ledger = Ledger(budget=0.01)
        >>> ledger.record(CostEstimate(model="gpt-4o", usd=0.004), kind="respond")
        >>> ledger.spent
        0.004
    """

    def __init__(self, *, budget: float | None = None) -> None:
        self.budget = budget
        self.entries: list[LedgerEntry] = []
        self._lock = threading.Lock()

    @property
    def spent(self) -> float:
        """Dollars recorded so far (OpenAI-equivalent for local calls)."""
        return round(sum(e.cost.usd for e in self.entries), 10)

    @property
    def charged(self) -> float:
        """Dollars actually billed so far (local calls count 0)."""
        return round(sum(e.cost.charged for e in self.entries), 10)

    def set_budget(self, budget: float | None) -> None:
        """Set (or, with None, clear) the session budget in dollars."""
        if budget is not None and budget < 0:
            raise ValueError("A budget is a positive amount of dollars, e.g. 0.50.")
        self.budget = budget

    def check(self, estimate: CostEstimate) -> None:
        """Raise `BudgetExceededError` if `estimate` would take the total past the budget."""
        if self.budget is None:
            return
        after = self.spent + estimate.usd
        if after > self.budget + 1e-12:
            where = " (OpenAI prices; $0 on the local backend)" if estimate.local else ""
            raise BudgetExceededError(
                f"Refused: this call may cost up to {format_usd(estimate.usd)}{where} "
                f"({estimate.basis}), which would pass the session budget of "
                f"{format_usd(self.budget)} ({format_usd(self.spent)} spent); "
                "raise it with `%oainb budget AMOUNT` or lower max_output_tokens."
            )

    def record(self, cost: CostEstimate, *, kind: str, label: str = "") -> None:
        """Add one finished (or interrupted) call."""
        with self._lock:
            self.entries.append(LedgerEntry(kind=kind, cost=cost, label=label))

    def reset(self) -> None:
        """Forget every entry (the budget stays)."""
        with self._lock:
            self.entries.clear()

    def summary(self) -> str:
        """A few lines: calls, total, budget."""
        lines = [f"{len(self.entries)} call(s), {format_usd(self.spent)} at OpenAI prices"]
        if any(e.cost.local for e in self.entries):
            lines[0] += f" ({format_usd(self.charged)} billed)"
        if self.budget is not None:
            lines.append(f"budget {format_usd(self.budget)}, {format_usd(max(0.0, self.budget - self.spent))} left")
        for e in self.entries[-5:]:
            lines.append(f"  {e.kind} {e.cost.model}: {e.cost}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        budget = "" if self.budget is None else f" of {format_usd(self.budget)}"
        return f"<Ledger {len(self.entries)} calls {format_usd(self.spent)}{budget}>"


_SESSION = Ledger()


def session_ledger() -> Ledger:
    """The ledger of this Python process (the kernel's session), shared by magics and widgets."""
    return _SESSION
