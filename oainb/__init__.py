"""oainb: a Jupyter-first toolkit for the OpenAI Responses and Audio APIs."""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

__all__ = ["__version__", "load_ipython_extension"]


def load_ipython_extension(ipython: Any) -> None:
    """Register the oainb magics (``%load_ext oainb``)."""
    from oainb.notebook.magics import load_ipython_extension as _load

    _load(ipython)
