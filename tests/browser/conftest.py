"""Fixtures for the real-browser tests: Debian's Chromium driven by Playwright for Python.

Locally a missing Chromium or Playwright skips these tests; under CI (`CI` set) it fails them,
because the browser test is part of the acceptance and must never silently vanish.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from .harness import CHROMIUM_ARGS, JupyterServer, start_lab, start_voila

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = REPO / "notebooks"
ARTIFACTS = Path(os.environ.get("OAINB_ARTIFACTS", REPO / "test-artifacts")) / "browser"


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"browser test cannot run in CI: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Path of the system Chromium (`$CHROMIUM`, else `chromium` on PATH)."""
    path = shutil.which(os.environ.get("CHROMIUM", "chromium"))
    if not path:
        _unavailable("no system Chromium: apt-get install -y chromium chromium-driver")
    return str(path)


@pytest.fixture(scope="module")
def browser(chromium_path: str) -> Iterator[Any]:
    """One headless Chromium per test module, launched from the system binary.

    Module scope: `tests/notebook/test_widgets_browser.py` imports this fixture, and two
    Playwright instances open at once would clash; each module's is stopped before the next.
    """
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright for Python is not installed: pip install playwright")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def servers() -> Iterator[ExitStack]:
    """Holds the servers a test starts; `page` depends on it, so pages close before servers stop."""
    with ExitStack() as stack:
        yield stack


@pytest.fixture
def lab(servers: ExitStack, tmp_path: Path) -> Callable[..., JupyterServer]:
    """`lab(root, widgets=True)` starts JupyterLab serving `root`; stopped after the test."""
    count = iter(range(100))

    def start(root: Path, *, widgets: bool = True, **kw: Any) -> JupyterServer:
        home = tmp_path / f"lab-home-{next(count)}"
        return servers.enter_context(start_lab(root, home, widgets=widgets, **kw))

    return start


@pytest.fixture
def voila(servers: ExitStack, tmp_path: Path) -> Callable[..., JupyterServer]:
    """`voila(notebook_path)` serves one notebook with Voilà; stopped after the test."""
    count = iter(range(100))

    def start(notebook: Path, **kw: Any) -> JupyterServer:
        home = tmp_path / f"voila-home-{next(count)}"
        return servers.enter_context(start_voila(notebook, home, **kw))

    return start


@pytest.fixture
def page(browser: Any, servers: ExitStack, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh page; its screenshot is always saved under `test-artifacts/browser/`."""
    context = browser.new_context(viewport={"width": 1280, "height": 1000},
                                  device_scale_factor=1)
    pg = context.new_page()
    pg.set_default_timeout(60_000)
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.page_errors = errors  # tests may inspect them
    yield pg
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    try:
        pg.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    finally:
        context.close()


@pytest.fixture
def shot(request: pytest.FixtureRequest) -> Callable[..., Path]:
    """`shot(page_or_locator, "name")` saves a named screenshot under `test-artifacts/browser/`."""

    def take(target: Any, name: str, **kw: Any) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        target.screenshot(path=str(path), **kw)
        return path

    return take


@pytest.fixture
def notebooks_copy(tmp_path: Path) -> Path:
    """A temp copy of `notebooks/`: the browser runs and saves there, never in the repo."""
    dst = tmp_path / "notebooks"
    shutil.copytree(NOTEBOOKS, dst,
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    return dst
