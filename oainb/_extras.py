"""The one guard in front of optional dependencies (after openai-python's `_extras/_common.py`)."""

from __future__ import annotations

import importlib
from types import ModuleType

from oainb._exceptions import MissingDependencyError

__all__ = ["missing_dependency", "require"]


def missing_dependency(what: str, extra: str) -> MissingDependencyError:
    """The error to raise when `what` needs the pip extra `extra`."""
    return MissingDependencyError(
        f"{what} needs optional dependencies that are not installed; "
        f'run `pip install "oainb[{extra}]"` and retry.'
    )


def require(module: str, *, extra: str, what: str | None = None) -> ModuleType:
    """Import `module`, or raise `MissingDependencyError` naming `pip install "oainb[extra]"`.

    Example:
        >>> require("json", extra="local").__name__
        'json'
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise missing_dependency(what or f"`{module}`", extra) from exc
