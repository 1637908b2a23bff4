"""A playground in a real JupyterLab: Run clicked in the page, the saved file keeps the result.

This is the one place that proves the "saved copy" works end to end: the widget callback
updates a regular output by display id, and the notebook file on disk holds it as an
ordinary `display_data` output that nbviewer or GitHub can show without widget state.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat
import pytest

from tests.browser.conftest import browser, chromium_path, lab, page, servers  # noqa: F401
from tests.browser.harness import (
    _menu,
    assert_no_error_outputs,
    assert_widgets_rendered,
    open_notebook,
    run_all_cells,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.server]

CELL = (
    "from oainb.notebook.widgets import ResponsesPlayground\n"
    "pg = ResponsesPlayground()\n"
    "pg.prompt.value = 'What is the capital of France?'\n"
    "pg.max_output_tokens.value = 20\n"
    "pg"
)


def _saved_outputs(path: Path) -> list[dict[str, Any]]:
    nb = nbformat.read(path, as_version=4)
    return [dict(o) for o in nb.cells[0].get("outputs", [])]


def test_playground_run_in_jupyterlab_is_kept_in_the_saved_file(
    lab: Callable[..., Any], page: Any, tmp_path: Path  # noqa: F811
) -> None:
    root = tmp_path / "root"
    root.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(CELL)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, root / "pg.ipynb")
    open_notebook(page, lab(root), "pg.ipynb")
    run_all_cells(page)
    assert_no_error_outputs(page)
    assert_widgets_rendered(page, min_count=1)
    page.click("button.widget-button:has-text('Run')")
    # The saved copy is a regular output under the widget, updated from the click's callback.
    page.wait_for_selector(".jp-OutputArea-output:has-text('Responses result')", timeout=240_000)
    _menu(page, "File", "Save Notebook")
    deadline = time.monotonic() + 60
    saved: dict[str, Any] = {}
    while time.monotonic() < deadline and not saved:
        for output in _saved_outputs(root / "pg.ipynb"):
            data = dict(output.get("data", {}))
            if output.get("output_type") == "display_data" and str(
                    data.get("text/plain", "")).startswith("[Responses result]"):
                saved = data
        time.sleep(0.5)
    assert saved, "the saved file has no regular output with the playground's result"
    reply_text = str(saved["text/plain"]).split("\n", 1)[1]
    assert reply_text.strip()  # the reply itself, not only the header
    assert "Responses result" in saved["text/html"] and "<script" not in saved["text/html"]
