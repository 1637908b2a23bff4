"""Strip what differs from run to run out of executed notebooks before they are committed.

Usage: python scripts/clean_notebook.py NOTEBOOK.ipynb [...]

Removes per-cell execution timestamps, saved widget state (the widgets are live only in a
running kernel; results are also saved as regular outputs), the Python version in
`language_info`, and stderr streams: the only one is the line `Client()` prints when it
starts the local server, which names this machine's log path and port. `tests/test_notebooks_clean.py` then checks for keys and absolute paths.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat


def clean(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if "outputs" in cell:
            cell.outputs = [o for o in cell.outputs
                            if not (o.output_type == "stream" and o.name == "stderr")]
        cell.metadata.pop("execution", None)
        cell.metadata.pop("collapsed", None)
        cell.metadata.pop("scrolled", None)
    nb.metadata.pop("widgets", None)
    nb.metadata["language_info"] = {"name": "python"}
    nbformat.write(nb, path)


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        clean(Path(arg))
