"""Dollar amounts stay text in JupyterLab: MathJax must not typeset `$0 here, about $0.0000099`.

JupyterLab runs MathJax over HTML and Markdown outputs, so two dollar signs in one output become
a formula unless we escape them. The cells show a reply with a cost footer as the notebook
shows it (its HTML), as Markdown alone (what GitHub and nbviewer read), and the live view.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat
import pytest

from .harness import assert_no_error_outputs, open_notebook, run_all_cells

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SETUP = """\
from IPython.display import Markdown, display
from oainb import Reply, Usage
from oainb.cost import CostEstimate
from oainb.display import annotate
from oainb.display.text import render_markdown
from oainb.notebook.live import LiveView
text = "It costs $5 today and $7 tomorrow."
reply = Reply(model="smollm2-135m-instruct", usage=Usage(input_tokens=3, output_tokens=5),
              output=[{"type": "message", "content": [{"type": "output_text", "text": text}]}])
annotate(reply, cost=CostEstimate(model="gpt-4o-mini", usd=0.0000099, local=True))"""
CELLS = [
    SETUP,
    "reply",
    "display(Markdown(render_markdown(reply)))",
    # The first text delta shows the live view: the text so far and the status line.
    ("view = LiveView(label='m $1 and $2')\n"
     "view(type('E', (), {'type': 'response.output_text.delta', 'delta': text})())"),
]


def test_dollar_amounts_are_not_typeset_as_maths(lab: Callable[..., Any], page: Any,
                                                 tmp_path: Path) -> None:
    from playwright.sync_api import expect

    root = tmp_path / "root"
    root.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) for src in CELLS]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, root / "dollars.ipynb")
    open_notebook(page, lab(root), "dollars.ipynb")
    run_all_cells(page)
    assert_no_error_outputs(page)
    cells = page.locator(".jp-Notebook .jp-Cell")
    for index in (1, 2, 3):
        out = cells.nth(index).locator(".jp-OutputArea")
        expect(out).to_contain_text("$5 today and $7 tomorrow")
        expect(out.locator("mjx-container, .MathJax")).to_have_count(0)
    for index in (1, 2):
        expect(cells.nth(index).locator(".jp-OutputArea")).to_contain_text(
            "$0 here, about $0.0000099 on OpenAI")
    expect(cells.nth(3).locator(".jp-OutputArea")).to_contain_text("m $1 and $2")
