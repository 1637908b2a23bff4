"""The quickstart, opened in JupyterLab and run from the menu, as a newcomer would with no key.

Checks what a person sees: the reply streaming into its cell (a waiting indicator, then text,
then the final display with its footer), an `<audio>` player for the spoken sentence and for
the transcript's source, the word-timestamp plot as an image, and the cost ledger.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from .harness import (
    assert_no_error_outputs,
    cell_index,
    open_notebook,
    run_all_cells,
    text_growth,
    watch_text,
)

pytestmark = [pytest.mark.browser, pytest.mark.server, pytest.mark.slow, pytest.mark.timeout(900)]


def _outputs(page: Any, index: int) -> Any:
    return page.locator(".jp-Notebook .jp-Cell").nth(index).locator(".jp-OutputArea")


def test_quickstart_runs_top_to_bottom_in_jupyterlab(
        lab: Callable[..., Any], page: Any, notebooks_copy: Path,
        shot: Callable[..., Path]) -> None:
    from playwright.sync_api import expect

    server = lab(notebooks_copy)
    open_notebook(page, server, "01-quickstart.ipynb")
    respond = cell_index(page, "%respond")
    run_all_cells(page, timeout=600_000, on_cleared=lambda: watch_text(
        page, ".jp-Notebook .jp-Cell", index=respond, within=".jp-OutputArea", key="reply"))
    assert_no_error_outputs(page)

    # The reply: shown live (waiting indicator or partial text first), then the final display.
    samples = text_growth(page, "reply")
    lengths = [n for _, n in samples if n > 0]
    assert len(set(lengths)) >= 2, f"the reply appeared in one step: {samples}"
    reply = _outputs(page, respond)
    expect(reply).to_contain_text("Paris")
    expect(reply).to_contain_text("smollm2-135m-instruct")
    expect(reply).not_to_contain_text("waiting for the first token")

    # The spoken sentence and the transcript each bring an audio player.
    speak = cell_index(page, "%speak")
    expect(_outputs(page, speak).locator("audio")).to_have_count(1)
    transcribe = cell_index(page, "%transcribe")
    transcript = _outputs(page, transcribe)
    expect(transcript).to_contain_text("quick brown fox")
    expect(transcript.locator("audio")).to_have_count(1)
    # Plots arrive as images: in the transcript view and from plot_words(ax=...).
    assert transcript.locator("img").count() >= 1
    expect(_outputs(page, cell_index(page, "plot_words")).locator("img")).to_have_count(1)
    expect(_outputs(page, cell_index(page, "transcript.srt()"))).to_contain_text("00:00:00,000 -->")

    ledger = _outputs(page, cell_index(page, "%oainb ledger"))
    expect(ledger).to_contain_text("3 call(s)")
    expect(ledger).to_contain_text("$0 billed")

    # The first call prints a one-time notice (server started, its log path) on stderr; the
    # README's pictures show the results without it.
    page.add_style_tag(content='.jp-OutputArea-output[data-mime-type='
                               '"application/vnd.jupyter.stderr"] { display: none; }')
    for name, index in [("quickstart_reply", respond), ("quickstart_speech", speak),
                        ("quickstart_transcript", transcribe)]:
        cell = page.locator(".jp-Notebook .jp-Cell").nth(index)
        cell.scroll_into_view_if_needed()
        shot(cell, name)
    page.locator(".jp-Notebook .jp-Cell").nth(transcribe).scroll_into_view_if_needed()
    shot(page, "quickstart_lab")
