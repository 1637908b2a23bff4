"""The notebooks saved in the repo hold no API key and no absolute path of the machine they ran on.

Issue 6, acceptance 4. A saved notebook is published as is (GitHub, nbviewer, Binder), so a key
or a path such as `/home/alice/...` in an output would leak. The checks read every string in the
JSON (sources, outputs, metadata), not only what a person would see.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
EXPECTED = ["01-quickstart", "02-responses", "03-transcription", "04-speech", "05-playgrounds",
            "06-costs"]

# OpenAI keys (sk-..., sk-proj-...), bearer tokens and key assignments with a literal value.
KEY_PATTERNS = [
    re.compile(r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{16,}"),
    re.compile(r"Bearer\s+[A-Za-z0-9_\-.]{12,}"),
    re.compile(r"OPENAI_API_KEY['\"]?\s*[:=]\s*['\"][^'\"\s]{8,}['\"]"),
    re.compile(r"api_key\s*=\s*['\"][^'\"\s]{8,}['\"]"),
]
# Absolute paths that name a machine's layout: POSIX homes and scratch dirs, macOS, Windows.
PATH_PATTERNS = [
    re.compile(r"(?<![\w.:/~-])/(?:home|root|tmp|Users|work|var/folders|private|opt|mnt|srv)"
               r"/[\w.\-]+"),
    re.compile(r"(?<![A-Za-z])[A-Za-z]:\\\\?[\w.\-]+"),
    re.compile(r"file://"),
]


def _strings(node: Any, where: str = "") -> Iterator[tuple[str, str]]:
    """Every string in a JSON document, with a dotted path to it."""
    if isinstance(node, str):
        yield where, node
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield from _strings(item, f"{where}[{i}]")
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(value, f"{where}.{key}")


def _machine_paths() -> list[str]:
    """Paths of this very machine that must not appear, whatever their shape."""
    found = {str(REPO), str(Path.home())}
    for var in ("TMPDIR", "OAINB_HOME", "VIRTUAL_ENV"):
        if os.environ.get(var):
            found.add(os.environ[var])
    return sorted(p for p in found if len(p) > 1)


def problems(notebook: dict[str, Any]) -> list[str]:
    """What would leak from `notebook` (a parsed .ipynb): keys and absolute paths."""
    found = []
    machine = _machine_paths()
    for where, text in _strings(notebook):
        # Embedded images and audio are base64: a random run of letters could look like a key.
        text = re.sub(r"[A-Za-z0-9+/=\n]{200,}", "", text)
        for pattern in KEY_PATTERNS:
            found += [f"{where}: key-like {m.group()[:12]}..." for m in pattern.finditer(text)]
        for pattern in PATH_PATTERNS:
            found += [f"{where}: absolute path {m.group()!r}" for m in pattern.finditer(text)]
        found += [f"{where}: this machine's path {p!r}" for p in machine if p in text]
    return found


def test_every_notebook_of_the_tour_is_there() -> None:
    assert [p.stem for p in NOTEBOOKS] == EXPECTED


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_saved_notebook_has_no_key_and_no_absolute_path(path: Path) -> None:
    notebook = json.loads(path.read_text(encoding="utf-8"))
    assert problems(notebook) == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_saved_notebook_has_no_error_output_and_a_python_kernel(path: Path) -> None:
    notebook = json.loads(path.read_text(encoding="utf-8"))
    assert notebook["metadata"]["kernelspec"]["name"] == "python3"
    errors = [out for cell in notebook["cells"] for out in cell.get("outputs", [])
              if out.get("output_type") == "error" or out.get("name") == "stderr"]
    assert errors == []


@pytest.mark.parametrize("leak", [
    "key = 'sk-proj-abcdefghijklmnopqrstuvwx'",
    "Authorization: Bearer 0123456789abcdef0123",
    "OPENAI_API_KEY='not-a-real-key-but-long'",
    "saved to /home/alice/oainb/notebooks/speech.mp3",
    "FileNotFoundError: /tmp/pytest-of-root/pytest-3/clip.wav",
    r"C:\Users\bob\clip.wav",
])
def test_the_checks_catch_a_leak(leak: str) -> None:
    notebook = {"cells": [{"cell_type": "code", "source": "x",
                           "outputs": [{"output_type": "stream", "name": "stdout", "text": leak}]}],
                "metadata": {}}
    assert problems(notebook)


@pytest.mark.parametrize("fine", [
    "POST http://127.0.0.1:8765/v1/responses",
    "transcript.save('speech.srt') wrote notebooks/speech.srt",
    "see https://platform.openai.com/docs/api-reference/responses",
    "~/.cache/oainb/server.json",
    "data:audio/mpeg;base64," + "QUJD" * 100,
])
def test_the_checks_let_ordinary_text_through(fine: str) -> None:
    notebook = {"cells": [{"cell_type": "markdown", "source": fine}], "metadata": {}}
    assert problems(notebook) == []
