"""Start JupyterLab or Voilà for a test and drive the page the way a person would.

The recipe behind this (system Chromium through Playwright, never `playwright install`;
isolated Jupyter dirs; Run All from the menu; widgets checked as DOM nodes) is written up in
`../shared/recipes/README.md`. Servers bind 127.0.0.1, run in their own session with their
output in a log file, and are stopped by the PID recorded at start.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "CHROMIUM_ARGS",
    "WIDGET_MANAGER",
    "JupyterServer",
    "assert_no_error_outputs",
    "assert_widgets_rendered",
    "cell_index",
    "copy_tree",
    "free_port",
    "isolated_env",
    "open_notebook",
    "run_all_cells",
    "start_lab",
    "start_voila",
    "stop_oainb_server",
    "text_growth",
    "wait_kernel_idle",
    "wait_voila_done",
    "watch_text",
]

# Flags from the recipe: no sandbox (root in CI), nothing that phones home.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
WIDGET_MANAGER = "@jupyter-widgets/jupyterlab-manager"
# Environment variables that would point a kernel at OpenAI instead of the local backend.
_REMOTE_ENV = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_ORG_ID", "OPENAI_PROJECT_ID")


def free_port() -> int:
    """Return a loopback port that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def isolated_env(home: Path, *, widgets: bool = True) -> dict[str, str]:
    """Build the environment for a Jupyter server whose config, data and settings live in `home`.

    Args:
        home: an empty directory owned by the test.
        widgets: False disables the ipywidgets manager extension (the negative control).

    Returns:
        A copy of `os.environ` with the Jupyter dirs, `OAINB_HOME` and `MPLBACKEND` set and
        the OpenAI variables removed, so kernels use the bundled local backend.
    """
    settings = home / "lab-settings"
    _write_json(settings / "@jupyterlab/apputils-extension/notification.jupyterlab-settings",
                {"fetchNews": "false", "checkForUpdates": False})
    _write_json(settings / "@jupyterlab/apputils-extension/themes.jupyterlab-settings",
                {"theme": "JupyterLab Light"})
    # Keep every cell in the DOM: windowing would hide off-screen outputs from the selectors.
    _write_json(settings / "@jupyterlab/notebook-extension/tracker.jupyterlab-settings",
                {"windowingMode": "none"})
    if not widgets:
        _write_json(home / "config/labconfig/page_config.json",
                    {"disabledExtensions": {WIDGET_MANAGER: True}})
    env = {k: v for k, v in os.environ.items() if k not in _REMOTE_ENV}
    env.update(
        JUPYTER_CONFIG_DIR=str(home / "config"),
        JUPYTER_DATA_DIR=str(home / "data"),
        JUPYTER_RUNTIME_DIR=str(home / "runtime"),
        JUPYTERLAB_SETTINGS_DIR=str(settings),
        JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"),
        JUPYTER_PLATFORM_DIRS="1",
        IPYTHONDIR=str(home / "ipython"),
        OAINB_HOME=str(home / "oainb"),
        MPLCONFIGDIR=str(home / "mpl"),
        PYDEVD_DISABLE_FILE_VALIDATION="1",
    )
    return env


def _write_json(path: Path, data: Mapping[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))


@dataclass
class JupyterServer:
    """A JupyterLab or Voilà process started by a test."""

    url: str
    proc: subprocess.Popen[bytes]
    log: Path
    home: Path
    root: Path
    env: dict[str, str] = field(repr=False)

    def log_tail(self, n: int = 4000) -> str:
        """The last `n` characters of the server log, for failure messages."""
        return self.log.read_text(errors="replace")[-n:] if self.log.exists() else ""

    def wait_ready(self, path: str | None = "/api/status", timeout: float = 90.0) -> None:
        """Poll `path` until it answers 200 (with None: until the port accepts connections)."""
        deadline = time.monotonic() + timeout
        host, port = self.url.rsplit("/", 1)[-1].split(":")
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited {self.proc.returncode}:\n{self.log_tail()}")
            try:
                if path is None:
                    socket.create_connection((host, int(port)), timeout=2).close()
                    return
                with urllib.request.urlopen(self.url + path, timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"server not ready after {timeout}s:\n{self.log_tail()}")

    def stop(self) -> None:
        """Stop the server's process group (it and its kernels), then any oainb server a kernel started."""
        _stop_group(self.proc)
        stop_oainb_server(Path(self.env["OAINB_HOME"]))


def _stop_group(proc: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    if proc.poll() is not None:
        return
    # SIGTERM first: Jupyter then shuts its kernels down cleanly.
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=timeout)


def stop_oainb_server(oainb_home: Path) -> None:
    """Stop the local oainb server a kernel auto-started under `oainb_home`, by its recorded PID.

    `Client()` starts it detached (own session) so it outlives the kernel; the state file that
    `oainb._local` writes names its PID. Only a server recorded under this test's own
    `OAINB_HOME` is touched.
    """
    for state in sorted(oainb_home.glob("**/server*.json")):
        try:
            pid = int(json.loads(state.read_text())["pid"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                break
            for _ in range(50):
                if not _alive(pid):
                    break
                time.sleep(0.1)


def _alive(pid: int) -> bool:
    try:
        # Reap it if it happens to be our child; otherwise just probe.
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(") ", 1)[-1].startswith("Z"))


def _spawn(cmd: list[str], env: dict[str, str], home: Path, name: str, cwd: Path) -> tuple[
        subprocess.Popen[bytes], Path]:
    log = home / f"{name}.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    return proc, log


@contextmanager
def start_lab(root: Path, home: Path, *, widgets: bool = True,
              extra_env: Mapping[str, str] | None = None) -> Iterator[JupyterServer]:
    """Run JupyterLab on a free loopback port, serving `root`, with no token and no news.

    Args:
        root: the folder the file browser shows (a temp copy, never the repo itself).
        home: an empty directory for config, settings, runtime files and the log.
        widgets: False disables the widget manager extension.
        extra_env: variables added to the server's (and so the kernels') environment.

    Yields:
        The running server; it is stopped when the block exits.
    """
    env = isolated_env(home, widgets=widgets)
    env.update(extra_env or {})
    port = free_port()
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root",
           "--ip=127.0.0.1", f"--port={port}", "--ServerApp.port_retries=0",
           "--IdentityProvider.token=", "--ServerApp.password=",
           f"--ServerApp.root_dir={root}", "--LabApp.news_url=None",
           "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
           "--LabApp.extension_manager=readonly", "--ServerApp.allow_remote_access=False"]
    proc, log = _spawn(cmd, env, home, "lab", root)
    server = JupyterServer(f"http://127.0.0.1:{port}", proc, log, home, root, env)
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


@contextmanager
def start_voila(notebook: Path, home: Path, *,
                extra_env: Mapping[str, str] | None = None) -> Iterator[JupyterServer]:
    """Serve one notebook with Voilà on a free loopback port; it runs the notebook per page load."""
    env = isolated_env(home)
    env.update(extra_env or {})
    port = free_port()
    cmd = [sys.executable, "-m", "voila", notebook.name, "--no-browser",
           "--Voila.ip=127.0.0.1", f"--port={port}", "--Voila.port_retries=0",
           "--show_tracebacks=True", "--theme=light"]
    proc, log = _spawn(cmd, env, home, "voila", notebook.parent)
    server = JupyterServer(f"http://127.0.0.1:{port}", proc, log, home, notebook.parent, env)
    try:
        server.wait_ready(path=None)  # "/" would run the notebook
        yield server
    finally:
        server.stop()


# ---------------------------------------------------------------- page helpers (Playwright)



def open_notebook(page: Any, server: JupyterServer, name: str, timeout: float = 120_000) -> None:
    """Open `name` alone in the Lab (`?reset` drops any saved layout) and wait for an idle kernel."""
    page.goto(f"{server.url}/lab/tree/{name}?reset")
    page.wait_for_selector(".jp-NotebookPanel .jp-Cell", state="visible", timeout=timeout)
    wait_kernel_idle(page, timeout=timeout)


def wait_kernel_idle(page: Any, timeout: float = 120_000) -> None:
    """Wait until the open notebook has a kernel and it is idle.

    The toolbar's execution indicator reads "idle" before any kernel exists, so the kernel
    name must also be set and the status bar must say Idle.
    """
    page.wait_for_function(
        r"""() => {
            const name = document.querySelector('.jp-NotebookPanel-toolbar [data-jp-item-name="kernelName"]');
            const ind = document.querySelector('.jp-NotebookPanel .jp-Notebook-ExecutionIndicator');
            const bar = document.querySelector('#jp-main-statusbar');
            return name && !/No Kernel/.test(name.innerText) && ind && ind.dataset.status === 'idle'
                   && bar && /\|\s*Idle/.test(bar.innerText);
        }""", timeout=timeout)


def _menu(page: Any, menu: str, item: str) -> None:
    page.click(f'.lm-MenuBar-itemLabel:text-is("{menu}")')
    page.click(f'.lm-Menu-itemLabel:text-is("{item}")')


def run_all_cells(page: Any, *, timeout: float = 300_000,
                  on_cleared: Callable[[], None] | None = None) -> None:
    """Clear every output, then Run → Run All Cells, and wait until the run is over.

    Clearing first makes every prompt `[ ]`, so "every code cell has a number" (or the run
    stopped on an error) is an unambiguous end, even for a notebook saved with outputs.
    """
    _menu(page, "Edit", "Clear Outputs of All Cells")
    page.wait_for_function(
        """() => [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')]
                 .every(e => !/\\d/.test(e.textContent))""")
    if on_cleared is not None:
        on_cleared()  # e.g. start `watch_text` observers on the now empty outputs
    _menu(page, "Run", "Run All Cells")
    page.wait_for_function(
        """() => {
            const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')];
            if (prompts.some(e => e.textContent.includes('*'))) return false;
            const errored = document.querySelector('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.error"]');
            return prompts.length > 0 && (errored || prompts.every(e => /\\[\\d+\\]/.test(e.textContent)));
        }""", timeout=timeout)
    wait_kernel_idle(page, timeout=timeout)


def assert_no_error_outputs(page: Any) -> None:
    """Fail with the traceback text if any cell ended with an exception."""
    errors = page.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.error"]')
    if errors.count():
        raise AssertionError("a cell raised:\n" + "\n---\n".join(errors.all_inner_texts())[-4000:])


def assert_widgets_rendered(page: Any, *, min_count: int = 1, timeout: float = 30_000) -> int:
    """Check that ipywidgets are live DOM widgets, never their text repr; return how many.

    With the widget manager missing, JupyterLab shows the `text/plain` fallback such as
    `VBox(children=(IntSlider(...` or "Loading widget...": that must fail here.
    """
    deadline = time.monotonic() + timeout / 1000
    count = 0
    while time.monotonic() < deadline:
        count = page.locator(".jupyter-widgets").count()
        if count >= min_count:
            break
        time.sleep(0.25)
    reprs = page.locator(".jp-OutputArea-output").filter(
        has_text=_widget_repr_pattern()).count()
    if count < min_count or reprs:
        raise AssertionError(
            f"widgets not rendered: {count} .jupyter-widgets node(s) (want >= {min_count}), "
            f"{reprs} output(s) showing a widget's text repr")
    return count


def _widget_repr_pattern() -> Any:
    import re

    return re.compile(r"\b(?:IntSlider|VBox|HBox|Button|Tab|Output|Textarea|Dropdown)\(|"
                      r"Loading widget|Error displaying widget")


def cell_index(page: Any, source_snippet: str) -> int:
    """Index (among `.jp-Cell`) of the first code cell whose source contains `source_snippet`."""
    idx = page.evaluate(
        """(s) => [...document.querySelectorAll('.jp-Notebook .jp-Cell')]
               .findIndex(c => c.classList.contains('jp-CodeCell') &&
                          (c.querySelector('.jp-InputArea-editor')?.textContent || '').includes(s))""",
        source_snippet)
    if idx < 0:
        raise AssertionError(f"no cell contains {source_snippet!r}")
    return int(idx)


def watch_text(page: Any, selector: str, *, index: int = 0, within: str = "",
               key: str = "growth") -> None:
    """Record, on every DOM change, the text length of one element.

    The element is `document.querySelectorAll(selector)[index]`, narrowed to its descendant
    `within` when given (for example the output area of the n-th cell). A MutationObserver in
    the page does the sampling, so no poll can miss a short stream. `text_growth(page, key)`
    reads the `(ms, length)` samples back.
    """
    page.evaluate(
        """([sel, index, within, key]) => {
            window.__oainb = window.__oainb || {};
            const seen = window.__oainb[key] = [];
            const sample = () => {
                let el = document.querySelectorAll(sel)[index];
                if (el && within) el = el.querySelector(within);
                const n = el ? el.innerText.length : -1;
                if (!seen.length || seen[seen.length - 1][1] !== n) seen.push([performance.now(), n]);
            };
            new MutationObserver(sample).observe(document.body,
                {subtree: true, childList: true, characterData: true});
            sample();
        }""", [selector, index, within, key])


def text_growth(page: Any, key: str = "growth") -> list[tuple[float, int]]:
    """The `(ms, length)` samples recorded by `watch_text` under `key`."""
    return [(float(t), int(n)) for t, n in page.evaluate("(k) => window.__oainb[k]", key)]


def wait_voila_done(page: Any, timeout: float = 300_000) -> None:
    """Wait until Voilà has executed every cell and removed its loading spinner."""
    page.wait_for_function(
        """() => !document.querySelector('#loading') ||
                 getComputedStyle(document.querySelector('#loading')).display === 'none'""",
        timeout=timeout)
    page.wait_for_selector(".jp-OutputArea, .jupyter-widgets", timeout=timeout)


def copy_tree(src: Path, dst: Path) -> Path:
    """Copy `src` (notebooks and their small assets) to `dst`, leaving checkpoints behind."""
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    return dst
