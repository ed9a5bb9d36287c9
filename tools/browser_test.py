#!/usr/bin/env python3
"""Real-browser test of what a student and a presenter see: JupyterLab, the Rust kernel, RISE.

    tools/browser_test.py [--notebook notebooks/00_welcome.ipynb] [--out build/browser]
                          [--browser chromium] [--driver chromedriver]
                          [--executed-dir build/executed] [--start-timeout S] [--run-timeout S]

One step of `make test` (run from the repo root as `.venv/bin/python tools/browser_test.py`).

1. Finds Debian's `chromium` and `chromedriver` (packages chromium and chromium-driver) on PATH
   (--browser/--driver, or $BROWSER_TEST_CHROMIUM/$BROWSER_TEST_CHROMEDRIVER, name other
   binaries, e.g. a missing one to exercise this branch: BROWSER_TEST_CHROMIUM=none). Missing:
   with CI=true that is a FAIL (exit 1); otherwise one line `SKIPPED: browser test: ...` and
   exit 77, which the caller reports as skipped, never as passed. Both paths are handed to
   Selenium, so Selenium Manager never tries to download a browser or driver.
2. Starts JupyterLab the way `make lab` does: `make -s lab` (setup, then `jupyter lab
   --notebook-dir=notebooks`) with LAB_ARGS (no browser, a random token, no port retries) and
   JUPYTER_PORT (a free port) in its environment, in its own process group, logging to
   OUT/lab.log, and polls /api/status until it answers. The user's own JupyterLab state is
   left alone: settings and workspaces live in fresh temp dirs (JUPYTERLAB_SETTINGS_DIR,
   JUPYTERLAB_WORKSPACES_DIR) whose overrides turn autosave off, notebook windowing off (every
   cell in the DOM) and news/update checks off; the trust database is in memory.
   Saves: RISE's "Render as slides" command saves the notebook before it renders it (its iframe
   shows what is on disk). So that the course notebook is never written, the server runs with
   ScratchSaveContentsManager (below): it reads notebooks/ as usual but writes every save and
   checkpoint to OUT/saved/files/ (and logs it to OUT/saved/saves.jsonl), and later reads of a
   saved file come from there. The test asserts that nothing was saved before the RISE click
   (autosave is really off) and that the course notebook's hash is unchanged at the end.
3. Opens the notebook in headless Chromium, waits for the kernel to be idle, runs every cell
   through the menus (Run > Run All Cells) and waits until each code cell shows `[N]:` and the
   kernel is idle again. Asserts: the kernel is `rust` (REST /api/sessions) and the toolbar
   says "Rust"; every code cell has an execution count; no output is rendered as
   application/vnd.jupyter.stderr (stderr streams and errors, e.g. compile errors and panics),
   naming the cell; the figures are SVG <img> elements inside .jp-RenderedSVG, loaded, whose
   data URI holds an <svg>, as many as build/executed/NAME.ipynb has image/svg+xml outputs
   when that file is newer than the notebook (make test's execute step writes it), else >= 1.
4. Selects the first cell and clicks the notebook toolbar's RISE button ("Render the current
   notebook as Reveal Slideshow", command RISE:preview, shortcut Alt+R): jupyterlab-rise 0.43.1
   opens /rise/NAME.ipynb in an iframe next to the notebook. Asserts that reveal.js sections
   exist (more than one), the current slide is visible with text, and the right arrow key moves
   to another slide. (reveal.js is bundled, not a global: the slide is read from the
   `section.present` classes and the #/slide-H-V hash. The key goes to the iframe with the
   focus on its notebook node, not on a cell: with a cell focused, JupyterLab's own ArrowRight
   shortcut, "move to the heading below", takes the key and RISE follows the active cell.)
5. Screenshots in OUT (default build/browser/): 01_notebook_after_run_all.png,
   02_first_figure.png, 03_slide_first.png, 04_slide_next.png (failure.png when something
   failed); also lab.log, chromedriver.log and the browser's console.log.
6. Quits the browser, shuts the kernel down through the REST API (DELETE /api/sessions/ID),
   then kills the server's whole process group, on failure too.

Prints one line per phase/assertion with the time since start, then
`browser test: N passed, M failed`; exit 0 when nothing failed, 1 otherwise (77: skipped, 2: bad
arguments). SIGTERM and Ctrl-C still run the cleanup. All waits are
bounded polls; the browser reaches nothing but 127.0.0.1 (other host names do not resolve).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

REPO = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = REPO / "notebooks"
EXECUTED_DIR = REPO / "build" / "executed"
DEFAULT_NOTEBOOK = "notebooks/00_welcome.ipynb"
DEFAULT_OUT = "build/browser"

EXIT_SKIP = 77
# Overrides of the binaries' names (also --browser/--driver), e.g. to see the skip path:
#   BROWSER_TEST_CHROMIUM=none .venv/bin/python tools/browser_test.py   -> exit 77
BROWSER_ENV = "BROWSER_TEST_CHROMIUM"
DRIVER_ENV = "BROWSER_TEST_CHROMEDRIVER"
INSTALL_HINT = "apt-get install chromium chromium-driver"

KERNEL_NAME = "rust"
KERNEL_DISPLAY_NAME = "Rust"
SVG_MIME = "image/svg+xml"
STDERR_MIME = "application/vnd.jupyter.stderr"

# Where ScratchSaveContentsManager (inside the JupyterLab server) puts what JupyterLab saves.
SAVE_DIR_ENV = "BROWSER_TEST_SAVE_DIR"
SAVE_LOG_NAME = "saves.jsonl"
CONTENTS_MANAGER = "browser_test.ScratchSaveContentsManager"

# JupyterLab 4.6 settings overrides: plugin id -> values (schemas in
# .venv/share/jupyter/lab/schemas/<package>/<plugin>.json; files are
# <settings dir>/<package>/<plugin>.jupyterlab-settings).
LAB_SETTINGS = {
    "@jupyterlab/docmanager-extension:plugin": {"autosave": False},
    "@jupyterlab/notebook-extension:tracker": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false",
                                                     "checkForUpdates": False},
}

# jupyterlab-rise 0.43.1: the notebook toolbar button runs this command (tooltip text below).
RISE_COMMAND = "RISE:preview"
RISE_TOOLTIP = "Render the current notebook as Reveal Slideshow"

WINDOW_SIZE = (1400, 1000)
CHROME_ARGS = [
    "--headless=new",
    "--no-sandbox",  # we run as root
    "--disable-dev-shm-usage",
    f"--window-size={WINDOW_SIZE[0]},{WINDOW_SIZE[1]}",
    # Nothing but the local server: no host name resolves, no proxy, no background traffic.
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
    "--no-proxy-server",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--no-first-run",
    "--no-default-browser-check",
]

# Timeouts (seconds); every wait is a poll bounded by one of these.
START_TIMEOUT = 300.0  # make -s lab: setup (fast when installed) + server start
KERNEL_TIMEOUT = 180.0  # notebook open -> kernel idle
RUN_TIMEOUT = 600.0  # Run All Cells -> every cell executed, kernel idle
STALL_SECONDS = 10.0  # idle, nothing queued, cells left without a count: the run stopped
SLIDES_TIMEOUT = 120.0  # RISE click -> reveal.js slides ready
POLL = 0.25


# ---------------------------------------------------------------- pure helpers (unit-tested)


def browser_decision(chromium: str | None, chromedriver: str | None,
                     ci: str | None) -> tuple[str, str]:
    """("run", "") when both binaries were found; else ("fail", line) when CI is "true", or
    ("skip", line) with the one `SKIPPED: browser test:` line to print (exit 77)."""
    missing = [name for name, path in (("chromium", chromium), ("chromedriver", chromedriver))
               if not path]
    if not missing:
        return "run", ""
    what = " and ".join(missing) + (" are" if len(missing) > 1 else " is")
    if ci == "true":
        return "fail", (f"FAIL: browser test: {what} not found and CI=true, so this is a "
                        f"failure, not a skip; install them: {INSTALL_HINT}")
    return "skip", (f"SKIPPED: browser test: {what} not found; install chromium and "
                    f"chromium-driver ({INSTALL_HINT}) to run it")


def settings_file(plugin_id: str) -> PurePosixPath:
    """'@scope/pkg:plugin' -> '@scope/pkg/plugin.jupyterlab-settings' (in the settings dir)."""
    package, sep, plugin = plugin_id.partition(":")
    if not sep or not package or not plugin:
        raise ValueError(f"not a JupyterLab plugin id: {plugin_id!r}")
    return PurePosixPath(package) / f"{plugin}.jupyterlab-settings"


def write_lab_settings(settings_dir: Path, settings: dict = LAB_SETTINGS) -> list[Path]:
    written = []
    for plugin_id, values in settings.items():
        path = settings_dir / settings_file(plugin_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values, indent=2) + "\n", encoding="utf-8")
        written.append(path)
    return written


def lab_path(notebook: Path, notebook_dir: Path = NOTEBOOK_DIR) -> str:
    """The notebook's path as JupyterLab (rooted at notebook_dir) names it, POSIX style."""
    rel = notebook.resolve().relative_to(notebook_dir.resolve())  # ValueError when outside
    return rel.as_posix()


def _mime_data(output: dict) -> dict:
    return output.get("data") or {}


def code_cell_count(nb: dict) -> int:
    return sum(1 for c in nb.get("cells", []) if c.get("cell_type") == "code")


def svg_output_count(nb: dict) -> int:
    """Number of outputs (display_data / execute_result) carrying image/svg+xml."""
    return sum(1 for c in nb.get("cells", []) if c.get("cell_type") == "code"
               for o in c.get("outputs", []) if SVG_MIME in _mime_data(o))


def expected_svg_count(source: Path, executed: Path) -> tuple[int | None, str]:
    """How many SVG figures the page must show: the executed copy's count when it exists and
    is newer than the source notebook, else None (meaning: at least one), with the reason."""
    if not executed.is_file():
        return None, f"{executed.name} not in {executed.parent}: expecting at least 1"
    if executed.stat().st_mtime <= source.stat().st_mtime:
        return None, f"{executed} is older than the notebook: expecting at least 1"
    nb = json.loads(executed.read_text(encoding="utf-8"))
    n = svg_output_count(nb)
    return n, f"{n} {SVG_MIME} outputs in {executed}"


def svg_count_ok(found: int, expected: int | None) -> bool:
    return found >= 1 if expected is None else found == expected


PROMPT = re.compile(r"\[(\d+|\*)?\]:")


def parse_prompt(text: str | None) -> int | str | None:
    """A code cell's input prompt: '[12]:' -> 12, '[*]:' -> '*', '[ ]:' or '' -> None."""
    compact = re.sub(r"\s+", "", (text or "").replace("\xa0", " "))
    m = PROMPT.fullmatch(compact)
    if not m or m.group(1) is None:
        return None
    return "*" if m.group(1) == "*" else int(m.group(1))


def run_state(prompts: list, status: str | None) -> str:
    """State of a Run All from the code cells' parsed prompts and the toolbar kernel status:
    'done' (every cell has a count, kernel idle), 'running', 'dead' (kernel dead or gone) or
    'stalled' (kernel idle, nothing queued, some cells without a count: the run stopped,
    e.g. after an error; the caller waits STALL_SECONDS before believing it)."""
    if status in ("dead", "unknown", "disconnected"):
        return "dead"
    if status != "idle" or any(p == "*" for p in prompts):
        return "running"
    if all(isinstance(p, int) for p in prompts):
        return "done"
    return "stalled"


def decode_data_uri(src: str) -> str:
    """Text of a data: URI (percent-encoded or ;base64), '' for anything else."""
    if not src.startswith("data:") or "," not in src:
        return ""
    head, _, payload = src.partition(",")
    if head.endswith(";base64"):
        return base64.b64decode(urllib.parse.unquote(payload)).decode("utf-8", "replace")
    return urllib.parse.unquote(payload)


def svg_image_problems(images: list[dict]) -> list[str]:
    """Problems of the figures found in the page, each {src, complete, naturalWidth}."""
    problems = []
    for i, img in enumerate(images):
        if not img.get("complete") or not img.get("naturalWidth"):
            problems.append(f"figure {i + 1} not loaded (complete={img.get('complete')}, "
                            f"naturalWidth={img.get('naturalWidth')})")
        elif "<svg" not in decode_data_uri(img.get("src") or ""):
            problems.append(f"figure {i + 1}: src is not an SVG data URI "
                            f"({(img.get('src') or '')[:60]!r})")
    return problems


def first_lines(text: str, n: int = 4, width: int = 160) -> str:
    lines = [ln.strip()[:width] for ln in text.splitlines()
             if ln.strip().strip("-─═")]  # no blank lines, no rules
    more = " ..." if len(lines) > n else ""
    return " | ".join(lines[:n]) + more


def stderr_problems(items: list) -> list[str]:
    """[(cell index, stderr text), ...] -> one message per cell with its first lines."""
    return [f"cell {idx}: {first_lines(text)}" for idx, text in items]


def session_kernel_name(sessions: list, path: str) -> str | None:
    for s in sessions:
        if s.get("path") == path or (s.get("notebook") or {}).get("path") == path:
            return (s.get("kernel") or {}).get("name")
    return None


def blocked_hosts(console_lines: list[str]) -> list[str]:
    """Host names of the requests the browser could not resolve (only 127.0.0.1 resolves)."""
    hosts = set()
    for ln in console_lines:
        if "ERR_NAME_NOT_RESOLVED" in ln:
            m = re.search(r"\bhttps?://([^/\s:\"']+)", ln)
            if m:
                hosts.add(m.group(1))
    return sorted(hosts)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def summary_line(passed: int, failed: int) -> str:
    return f"browser test: {passed} passed, {failed} failed"


def tail(path: Path, n: int = 40) -> str:
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return "(no log)"
    return "\n".join("    " + ln for ln in lines[-n:]) if lines else "    (empty)"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------- the server's save redirect


def _make_scratch_manager():
    from jupyter_server.services.contents.largefilemanager import AsyncLargeFileManager
    from tornado.web import HTTPError

    class ScratchSaveContentsManager(AsyncLargeFileManager):
        """Jupyter's default contents manager, except that nothing under its root is ever
        written: a save goes to $BROWSER_TEST_SAVE_DIR/files/<path> (through a second manager
        rooted there) and later reads of that path come from there, checkpoints live there
        too, delete and rename are refused. Each save is logged as one JSON line in
        $BROWSER_TEST_SAVE_DIR/saves.jsonl. Used only by tools/browser_test.py."""

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            base = os.environ.get(SAVE_DIR_ENV)
            if not base:
                raise RuntimeError(f"{SAVE_DIR_ENV} is not set (only tools/browser_test.py "
                                   "runs JupyterLab with this contents manager)")
            scratch = Path(base).resolve() / "files"
            scratch.mkdir(parents=True, exist_ok=True)
            self._save_log = Path(base).resolve() / SAVE_LOG_NAME
            self._saved: set[str] = set()
            # Same config (so the same in-memory trust database and hooks), other root.
            self._scratch = AsyncLargeFileManager(root_dir=str(scratch), config=self.config,
                                                  log=self.log)

        def _key(self, path: str) -> str:
            return path.strip("/")

        def _shadow(self, path: str) -> str:
            """Make sure the scratch copy of `path` exists (a copy of the real file if it was
            never saved) and return the key."""
            key = self._key(path)
            if key not in self._saved:
                real = Path(super()._get_os_path(key))
                dest = Path(self._scratch._get_os_path(key))
                dest.parent.mkdir(parents=True, exist_ok=True)
                if real.is_file():
                    shutil.copy2(real, dest)
                self._saved.add(key)
            return key

        async def get(self, path, content=True, type=None, format=None, **kwargs):
            mgr = self._scratch if self._key(path) in self._saved else super()
            return await mgr.get(path, content=content, type=type, format=format, **kwargs)

        async def save(self, model, path=""):
            key = self._key(path)
            Path(self._scratch._get_os_path(key)).parent.mkdir(parents=True, exist_ok=True)
            self._saved.add(key)
            with open(self._save_log, "a", encoding="utf-8") as f:
                f.write(json.dumps({"path": key, "type": model.get("type"),
                                    "time": time.time()}) + "\n")
            self.log.info("browser test: save of %s redirected to %s", key,
                          self._scratch.root_dir)
            return await self._scratch.save(model, key)

        async def create_checkpoint(self, path):
            return await self._scratch.create_checkpoint(self._shadow(path))

        async def list_checkpoints(self, path):
            return await self._scratch.list_checkpoints(self._shadow(path))

        async def restore_checkpoint(self, checkpoint_id, path):
            return await self._scratch.restore_checkpoint(checkpoint_id, self._shadow(path))

        async def delete_checkpoint(self, checkpoint_id, path):
            return await self._scratch.delete_checkpoint(checkpoint_id, self._shadow(path))

        async def delete_file(self, path):
            raise HTTPError(403, f"browser test: not deleting {path}")

        async def rename_file(self, old_path, new_path):
            raise HTTPError(403, f"browser test: not renaming {old_path}")

    return ScratchSaveContentsManager


def __getattr__(name):  # module attribute, built lazily: importing this file stays cheap
    if name == "ScratchSaveContentsManager":
        cls = _make_scratch_manager()
        globals()[name] = cls
        return cls
    raise AttributeError(name)


def read_saves(save_dir: Path) -> list[dict]:
    log = save_dir / SAVE_LOG_NAME
    if not log.is_file():
        return []
    return [json.loads(ln) for ln in log.read_text(encoding="utf-8").splitlines() if ln.strip()]


# ---------------------------------------------------------------- reporting


class Fatal(Exception):
    """A failure after which the remaining phases cannot run."""


class Report:
    def __init__(self):
        self.t0 = time.monotonic()
        self.passed = 0
        self.failed = 0

    def elapsed(self) -> float:
        return time.monotonic() - self.t0

    def _line(self, tag: str, msg: str):
        print(f"[{self.elapsed():6.1f} s] {tag:<5} {msg}", flush=True)

    def phase(self, msg: str):
        self._line("==>", msg)

    def info(self, msg: str):
        self._line("", msg)

    def check(self, ok: bool, msg: str, detail: str = "") -> bool:
        if ok:
            self.passed += 1
        else:
            self.failed += 1
        self._line("PASS" if ok else "FAIL", msg + (f": {detail}" if detail else ""))
        return ok


def wait_for(fn, timeout: float, what: str, interval: float = POLL):
    """Poll fn() until it returns something truthy; Fatal after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value:
            return value
        if time.monotonic() > deadline:
            raise Fatal(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


# ---------------------------------------------------------------- JupyterLab via make lab

_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class LabServer:
    """`make -s lab` on a free port with isolated settings; always stop() it."""

    def __init__(self, out: Path, report: Report, command=("make", "-s", "lab"),
                 cwd: Path = REPO, extra_env: dict | None = None):
        self.out, self.report, self.command, self.cwd = out, report, list(command), cwd
        self.extra_env = extra_env or {}
        self.proc: subprocess.Popen | None = None
        self.tmp = Path(tempfile.mkdtemp(prefix="browser-test-"))
        self.port = free_port()
        self.token = secrets.token_hex(24)
        self.save_dir = out / "saved"
        self.log_path = out / "lab.log"
        self._log = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def lab_args(self) -> str:
        return " ".join([
            "--no-browser", f"--ServerApp.token={self.token}", "--ServerApp.port_retries=0",
            f"--ServerApp.contents_manager_class={CONTENTS_MANAGER}",
            "--NotebookNotary.db_file=:memory:",
        ])

    def env(self) -> dict:
        settings, workspaces, pypath = (self.tmp / "settings", self.tmp / "workspaces",
                                        self.tmp / "python")
        for d in (settings, workspaces, pypath):
            d.mkdir(parents=True, exist_ok=True)
        write_lab_settings(settings)
        # Only this module is put on the server's path (for the contents manager).
        link = pypath / "browser_test.py"
        if not link.is_symlink():
            link.symlink_to(Path(__file__).resolve())
        env = dict(os.environ)
        env.update({
            "LAB_ARGS": self.lab_args(),
            "JUPYTER_PORT": str(self.port),
            "JUPYTERLAB_SETTINGS_DIR": str(settings),
            "JUPYTERLAB_WORKSPACES_DIR": str(workspaces),
            SAVE_DIR_ENV: str(self.save_dir),
            "PYTHONPATH": os.pathsep.join(
                [str(pypath)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])),
        })
        env.update(self.extra_env)
        return env

    def start(self, timeout: float):
        shutil.rmtree(self.save_dir, ignore_errors=True)
        self.save_dir.mkdir(parents=True)
        env = self.env()
        self._log = open(self.log_path, "w", encoding="utf-8")
        self.report.info(f"starting: {' '.join(self.command)} (port {self.port}, "
                         f"log {self.log_path})")
        self.proc = subprocess.Popen(self.command, cwd=self.cwd, env=env, stdin=subprocess.DEVNULL,
                                     stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise Fatal(f"{' '.join(self.command)} exited with {self.proc.returncode} before "
                            f"the server answered; end of {self.log_path}:\n{tail(self.log_path)}")
            try:
                self.api("GET", "/api/status", timeout=3)
                return
            except (OSError, urllib.error.URLError, ValueError):
                pass
            if time.monotonic() > deadline:
                raise Fatal(f"JupyterLab did not answer {self.base}/api/status within "
                            f"{timeout:.0f} s; end of {self.log_path}:\n{tail(self.log_path)}")
            time.sleep(0.5)

    def api(self, method: str, path: str, timeout: float = 10):
        sep = "&" if "?" in path else "?"
        req = urllib.request.Request(f"{self.base}{path}{sep}token={self.token}", method=method)
        with _NO_PROXY.open(req, timeout=timeout) as resp:
            body = resp.read()
        return json.loads(body) if body else None

    def _group_gone(self, pgid: int, grace: float) -> bool:
        """Wait up to `grace` seconds for every process of the group to exit."""
        deadline = time.monotonic() + grace
        while True:
            self.proc.poll()  # reap make itself (its children are not ours to reap)
            try:
                os.killpg(pgid, 0)
            except ProcessLookupError:
                return True
            if time.monotonic() > deadline:
                return False
            time.sleep(0.2)

    def stop(self):
        """SIGTERM the whole process group (make, jupyter), SIGKILL what is left after 20 s."""
        if self.proc is not None:
            pgid = self.proc.pid  # start_new_session: the group's id is the leader's pid
            for sig, grace in ((signal.SIGTERM, 20.0), (signal.SIGKILL, 5.0)):
                try:
                    os.killpg(pgid, sig)
                except ProcessLookupError:
                    break
                if self._group_gone(pgid, grace):
                    break
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
            self.proc = None
        if self._log:
            self._log.close()
            self._log = None
        shutil.rmtree(self.tmp, ignore_errors=True)


# ---------------------------------------------------------------- the browser

JS_PANEL_STATE = """
const panel = document.getElementById(arguments[0]);
if (!panel) return null;
const ind = panel.querySelector('.jp-NotebookPanel-toolbar .jp-Notebook-ExecutionIndicator');
const kn = panel.querySelector('.jp-NotebookPanel-toolbar .jp-KernelName');
const cells = [...panel.querySelectorAll('.jp-Notebook .jp-Cell')];
return {
  status: ind ? ind.getAttribute('data-status') : null,
  kernel: kn ? kn.textContent.trim() : null,
  cells: cells.length,
  prompts: cells.filter(c => c.classList.contains('jp-CodeCell'))
                .map(c => (c.querySelector('.jp-InputPrompt') || {}).textContent || ''),
  code_index: cells.map((c, i) => c.classList.contains('jp-CodeCell') ? i : -1).filter(i => i >= 0),
};
"""

JS_DIALOG = """
const d = document.querySelector('.jp-Dialog');
return d ? d.innerText.replace(/\\s*\\n\\s*/g, ' | ').slice(0, 400) : null;
"""

JS_STDERR = """
const cells = [...document.getElementById(arguments[0]).querySelectorAll('.jp-Notebook .jp-Cell')];
const found = [];
const sel = `.jp-OutputArea-output[data-mime-type="${arguments[1]}"]`;
cells.forEach((c, i) => c.querySelectorAll(sel).forEach(o => found.push([i, o.innerText])));
return found;
"""

JS_SVGS = """
return [...document.getElementById(arguments[0]).querySelectorAll('.jp-RenderedSVG img')]
  .map(img => ({src: img.getAttribute('src') || '', complete: img.complete,
                naturalWidth: img.naturalWidth}));
"""

JS_SLIDE_STATE = """
const reveal = document.querySelector('.reveal');
const all = [...document.querySelectorAll('.reveal .slides section')];
const present = all.filter(
  s => s.classList.contains('present') && !s.querySelector('section.present'));
const cur = present[present.length - 1];
let visible = false, text = '';
if (cur) {
  const r = cur.getBoundingClientRect(), cs = getComputedStyle(cur);
  visible = r.width > 0 && r.height > 0 && cs.display !== 'none' && cs.visibility !== 'hidden'
    && r.bottom > 0 && r.right > 0 && r.top < innerHeight && r.left < innerWidth;
  text = cur.innerText.trim();
}
return {ready: !!(reveal && reveal.classList.contains('ready')), sections: all.length,
        horizontal: document.querySelectorAll('.reveal .slides > section').length,
        index: cur ? all.indexOf(cur) : -1, id: cur ? cur.id : '', hash: location.hash,
        visible: visible, text: text.slice(0, 300), focused: document.hasFocus(),
        figures: document.querySelectorAll('.reveal .jp-RenderedSVG img').length,
        rect: cur ? JSON.stringify(cur.getBoundingClientRect()) : '',
        animating: document.getAnimations().filter(
          a => a.playState === 'running' && a instanceof CSSTransition).length};
"""


def start_browser(chromium: str, driver: str, out: Path, profile: Path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium
    for arg in CHROME_ARGS:
        opts.add_argument(arg)
    opts.add_argument(f"--user-data-dir={profile}")
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(executable_path=driver, log_output=str(out / "chromedriver.log"))
    return webdriver.Chrome(service=service, options=opts)


@dataclass
class Target:
    """What is tested; the defaults are the course's (the kernel is overridable for debugging
    this script against another kernel)."""
    notebook: Path
    out: Path
    chromium: str
    chromedriver: str
    kernel_name: str = KERNEL_NAME
    kernel_display_name: str = KERNEL_DISPLAY_NAME
    notebook_dir: Path = NOTEBOOK_DIR
    executed_dir: Path = EXECUTED_DIR
    start_timeout: float = START_TIMEOUT
    run_timeout: float = RUN_TIMEOUT


# JupyterLab 4's notebook footer ("Click to add a cell.") inside the slideshow: "absent",
# "hidden" or "visible". notebooks/rise.css hides it; visible, it covers each slide's top line.
JS_FOOTER_STATE = """
const f = document.querySelector('.jp-Notebook-footer');
if (!f) return 'absent';
const s = getComputedStyle(f);
return (s.display === 'none' || s.visibility === 'hidden' || f.getClientRects().length === 0)
    ? 'hidden' : 'visible';
"""


class BrowserTest:
    def __init__(self, target: Target, report: Report, server: LabServer):
        self.t, self.r, self.server = target, report, server
        self.driver = None
        self.panel_id = None
        self.path = lab_path(target.notebook, target.notebook_dir)
        self.nb = json.loads(target.notebook.read_text(encoding="utf-8"))

    # -- small utilities
    def js(self, script: str, *args):
        return self.driver.execute_script(script, *args)

    def shot(self, name: str, element=None):
        path = self.t.out / name
        if element is not None:
            element.screenshot(str(path))
        else:
            self.driver.save_screenshot(str(path))
        self.r.info(f"screenshot {path}")

    def fail_on_dialog(self, when: str):
        text = self.js(JS_DIALOG)
        if text:
            raise Fatal(f"a dialog is open {when}: {text}")

    def panel_state(self) -> dict:
        return self.js(JS_PANEL_STATE, self.panel_id) or {}

    def click_menu(self, menu: str, item: str):
        from selenium.webdriver.common.by import By

        bar = [e for e in self.driver.find_elements(By.CSS_SELECTOR, ".lm-MenuBar-item")
               if e.text.strip() == menu]
        if not bar:
            raise Fatal(f"no '{menu}' menu in the menu bar")
        bar[0].click()

        def find_item():
            for li in self.driver.find_elements(By.CSS_SELECTOR, ".lm-Menu .lm-Menu-item"):
                labels = li.find_elements(By.CSS_SELECTOR, ".lm-Menu-itemLabel")
                if labels and labels[0].text.strip() == item and li.is_displayed():
                    return li
            return None

        li = wait_for(find_item, 10, f"'{item}' in the {menu} menu")
        if "lm-mod-disabled" in (li.get_attribute("class") or ""):
            raise Fatal(f"'{menu} > {item}' is disabled")
        li.click()

    # -- phases
    def open_notebook(self):
        t0 = time.monotonic()
        url = (f"{self.server.base}/lab/tree/{urllib.parse.quote(self.path)}"
               f"?token={self.server.token}")
        self.driver.get(url)

        def panel():
            self.fail_on_dialog("while the notebook opens")
            return self.js("const p = document.querySelector('.jp-NotebookPanel');"
                           "return p && p.querySelector('.jp-Cell') ? p.id : null;")

        self.panel_id = wait_for(panel, 120, "the notebook to open")
        n_cells = len(self.nb.get("cells", []))

        def kernel_idle():
            self.fail_on_dialog("while the kernel starts")
            st = self.panel_state()
            ok = st.get("status") == "idle" and st.get("kernel") not in (None, "", "No Kernel")
            return st if ok else None

        st = wait_for(kernel_idle, KERNEL_TIMEOUT, "the kernel to be idle")
        self.r.check(st["cells"] == n_cells,
                     f"notebook open, kernel '{st['kernel']}' idle after "
                     f"{time.monotonic() - t0:.1f} s",
                     f"{st['cells']} cells in the page, {n_cells} in {self.t.notebook.name}")
        self.hide_left_sidebar()

    def hide_left_sidebar(self):
        """Fold the file browser away (a click on its side-bar tab), so the notebook and the
        slides get the window's width. Cosmetic: a failure is only reported."""
        from selenium.webdriver.common.by import By

        tabs = self.driver.find_elements(
            By.CSS_SELECTOR, ".jp-SideBar.jp-mod-left .lm-TabBar-tab.lm-mod-current")
        if tabs:
            tabs[0].click()
        else:
            self.r.info("left sidebar already folded (or not found)")

    def run_all(self):
        t0 = time.monotonic()
        self.click_menu("Run", "Run All Cells")
        self.r.info("clicked Run > Run All Cells")
        deadline = t0 + self.t.run_timeout
        stalled_since = None
        last_progress = t0
        while True:
            self.fail_on_dialog("while the cells run")
            st = self.panel_state()
            prompts = [parse_prompt(p) for p in st.get("prompts", [])]
            state = run_state(prompts, st.get("status"))
            done = sum(isinstance(p, int) for p in prompts)
            now = time.monotonic()
            if state == "done":
                break
            if state == "dead":
                raise Fatal(f"kernel status '{st.get('status')}' after {done}/{len(prompts)} cells")
            if state == "stalled":
                stalled_since = stalled_since or now
                if now - stalled_since >= STALL_SECONDS:
                    break
            else:
                stalled_since = None
            if now - last_progress >= 30:
                self.r.info(f"running: {done}/{len(prompts)} code cells have a count, "
                            f"kernel {st.get('status')}")
                last_progress = now
            if now > deadline:
                break
            time.sleep(POLL)
        expected = code_cell_count(self.nb)
        rest_state = self.rest_kernel_state()
        missing = [i for i, p in zip(st.get("code_index", []), prompts) if not isinstance(p, int)]
        why = ("" if state == "done" else
               "the run stopped (see the error check)" if state == "stalled" else
               f"timed out after {self.t.run_timeout:.0f} s")
        if missing:
            why += f"; cells without a count: {', '.join(map(str, missing[:12]))}"
        if rest_state != "idle":
            why += f"; REST says the kernel is {rest_state!r}"
        self.r.check(state == "done" and done == expected and rest_state == "idle",
                     f"Run All Cells: {done} of {expected} code cells show [N]:, kernel "
                     f"{st.get('status')} (REST: {rest_state}), after "
                     f"{time.monotonic() - t0:.1f} s", why.lstrip("; "))
        return state == "done"

    def rest_kernel_state(self) -> str | None:
        """execution_state of this notebook's kernel as the server sees it."""
        for s in self.server.api("GET", "/api/sessions") or []:
            if s.get("path") == self.path:
                kid = (s.get("kernel") or {}).get("id")
                return (self.server.api("GET", f"/api/kernels/{kid}") or {}).get("execution_state")
        return None

    def check_kernel(self):
        sessions = self.server.api("GET", "/api/sessions") or []
        rest = session_kernel_name(sessions, self.path)
        shown = self.panel_state().get("kernel")
        self.r.check(rest == self.t.kernel_name and shown == self.t.kernel_display_name,
                     f"kernel is {self.t.kernel_name}",
                     f"REST /api/sessions: {rest!r}, toolbar: {shown!r}")

    def check_errors(self):
        found = self.js(JS_STDERR, self.panel_id, STDERR_MIME) or []
        problems = stderr_problems(found)
        self.r.check(not problems, "no error/stderr output in any cell",
                     "; ".join(problems) if problems else "")

    def check_figures(self):
        expected, why = expected_svg_count(self.t.notebook,
                                           self.t.executed_dir / self.t.notebook.name)
        images = self.js(JS_SVGS, self.panel_id) or []
        problems = svg_image_problems(images)
        count_ok = svg_count_ok(len(images), expected)
        want = "at least 1" if expected is None else str(expected)
        self.r.check(count_ok and not problems,
                     f"{len(images)} SVG figures in the page (.jp-RenderedSVG img), "
                     f"all loaded and <svg>",
                     f"expected {want} ({why})" + ("; " + "; ".join(problems) if problems else ""))
        return bool(images)

    def check_no_saves(self, when: str):
        saves = read_saves(self.server.save_dir)
        self.r.check(not saves, f"JupyterLab saved nothing {when} (autosave off)",
                     ", ".join(s["path"] for s in saves))

    def screenshots_notebook(self, have_figure: bool):
        # The first code cell at the top: its prompt and the next ones show the counts.
        self.js("const c = document.getElementById(arguments[0])"
                ".querySelector('.jp-Notebook .jp-CodeCell');"
                "c && c.scrollIntoView({block: 'start'});", self.panel_id)
        time.sleep(0.3)  # a frame or two for the scroll to paint
        self.shot("01_notebook_after_run_all.png")
        if have_figure:
            self.js("const img = document.getElementById(arguments[0])"
                    ".querySelector('.jp-RenderedSVG img');"
                    "const out = img.closest('.jp-OutputArea-child') || img;"
                    "const tall = out.getBoundingClientRect().height > 0.8 * innerHeight;"
                    "out.scrollIntoView({block: tall ? 'start' : 'center'});", self.panel_id)
            time.sleep(0.3)
            self.shot("02_first_figure.png")

    def select_first_cell(self):
        """A presenter starts from the top: scroll to the first cell and click its prompt
        area (RISE starts the slideshow at the selected cell)."""
        from selenium.webdriver.common.action_chains import ActionChains

        prompt = self.js("const c = document.getElementById(arguments[0])"
                         ".querySelector('.jp-Notebook .jp-Cell');"
                         "c.scrollIntoView({block: 'start'});"
                         "return c.querySelector('.jp-InputPrompt') || c;", self.panel_id)
        time.sleep(0.2)
        ActionChains(self.driver).move_to_element(prompt).click().perform()
        active = wait_for(lambda: self.js(
            "const cells = [...document.getElementById(arguments[0])"
            ".querySelectorAll('.jp-Notebook .jp-Cell')];"
            "const i = cells.findIndex(c => c.classList.contains('jp-mod-active'));"
            "return i === 0 ? 'first' : null;", self.panel_id), 10, "the first cell to be active")
        return active

    def rise_button(self):
        from selenium.webdriver.common.by import By

        toolbar = f"#{self.panel_id} .jp-NotebookPanel-toolbar"
        buttons = [b for b in self.driver.find_elements(
                       By.CSS_SELECTOR, f"{toolbar} jp-button[data-command='{RISE_COMMAND}'], "
                       f"{toolbar} jp-button[title^='{RISE_TOOLTIP}']") if b.is_displayed()]
        if not buttons:  # a narrow toolbar moves items into its "more" popup
            for opener in self.driver.find_elements(
                    By.CSS_SELECTOR, f"#{self.panel_id} .jp-Toolbar-responsive-opener"):
                if opener.is_displayed():
                    opener.click()
            buttons = wait_for(lambda: [b for b in self.driver.find_elements(
                By.CSS_SELECTOR, f".jp-Toolbar-responsive-popup jp-button[data-command="
                f"'{RISE_COMMAND}']") if b.is_displayed()], 5, "the RISE toolbar button")
        if not buttons:
            raise Fatal(f"no RISE button ({RISE_COMMAND}) in the notebook toolbar")
        return buttons[0]

    def slides(self):
        from selenium.webdriver.common.action_chains import ActionChains
        from selenium.webdriver.common.by import By
        from selenium.webdriver.common.keys import Keys

        self.select_first_cell()
        button = self.rise_button()
        title = button.get_attribute("title") or ""
        # RISE enables its button only while the notebook is the shell's current widget; in
        # headless Chromium 148 the toolbar can keep showing it disabled after Run All. A user
        # clicks the notebook's tab (or the notebook) first; so does the test, and if the button
        # still says disabled it uses RISE's own shortcut, Alt+R (the button's tooltip), which
        # checks the same condition when pressed.
        if button.get_attribute("disabled") is not None:
            for tab in self.driver.find_elements(By.CSS_SELECTOR, ".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current"):
                if tab.is_displayed():
                    tab.click()
            self.select_first_cell()
            button = self.rise_button()
        t0 = time.monotonic()
        if button.get_attribute("disabled") is None:
            button.click()
            self.r.info(f"clicked the RISE toolbar button ({title!r})")
        else:
            ActionChains(self.driver).key_down(Keys.ALT).send_keys("r").key_up(Keys.ALT).perform()
            self.r.info(f"the RISE toolbar button stayed disabled; pressed its shortcut Alt+R ({title!r})")
        rise_url = f"/rise/{urllib.parse.quote(self.path)}"

        def frame():
            self.fail_on_dialog("while the slideshow opens")
            for f in self.driver.find_elements(By.CSS_SELECTOR, ".jp-IFrame iframe"):
                if rise_url in (f.get_attribute("src") or ""):
                    return f
            return None

        iframe = wait_for(frame, SLIDES_TIMEOUT, f"the RISE iframe ({rise_url})")
        self.driver.switch_to.frame(iframe)
        try:
            st = wait_for(lambda: (lambda s: s if s["ready"] and s["sections"] > 1 and s["text"]
                                   else None)(self.js(JS_SLIDE_STATE)),
                          SLIDES_TIMEOUT, "reveal.js slides with text")
        except Fatal:
            st = self.js(JS_SLIDE_STATE)
            self.r.info(f"slide state: {st}")
            raise
        self.r.check(st["sections"] > 1 and st["visible"] and bool(st["text"]),
                     f"slides render after {time.monotonic() - t0:.1f} s: {st['sections']} "
                     f"sections ({st['horizontal']} horizontal), current {st['hash']} visible",
                     f"text {first_lines(st['text'], 2, 60)!r}, {st['figures']} figures in the "
                     "slides")
        self.settle_slides()
        footer = None
        try:
            footer = wait_for(lambda: (lambda v: v if v != "visible" else None)(
                self.js(JS_FOOTER_STATE)), 10, "the notebook footer hidden in the slides")
        except Fatal:
            footer = self.js(JS_FOOTER_STATE)
        self.r.check(footer != "visible",
                     "no 'Click to add a cell.' button over the slides (notebooks/rise.css)",
                     f"the notebook footer is {footer}")
        self.driver.switch_to.default_content()
        self.shot("03_slide_first.png", iframe)

        # The keyboard goes to the slideshow once its iframe has the focus (RISE focuses it
        # itself when ready; in headless Chromium that does not always stick).
        self.js("arguments[0].focus();", iframe)
        self.driver.switch_to.frame(iframe)
        if not self.js("return document.hasFocus();"):
            self.js("const n = document.querySelector('.reveal .jp-Notebook') ||"
                    " document.querySelector('.reveal'); n && n.focus();")
        before = self.js(JS_SLIDE_STATE)
        after, presses = before, 0
        while presses < 5 and after["index"] == before["index"]:
            ActionChains(self.driver).send_keys(Keys.ARROW_RIGHT).perform()
            presses += 1
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                after = self.js(JS_SLIDE_STATE)
                if after["index"] != before["index"]:
                    break
                time.sleep(POLL)
        self.settle_slides()
        after = self.js(JS_SLIDE_STATE)
        moved = after["index"] != before["index"]
        self.r.check(moved and after["visible"] and bool(after["text"]),
                     f"right arrow moves to another slide: {before['hash']} -> {after['hash']}",
                     f"{presses} key press(es), text {first_lines(after['text'], 2, 60)!r}"
                     + ("" if after["visible"] else f"; not visible: {after['rect']}"))
        self.driver.switch_to.default_content()
        self.shot("04_slide_next.png", iframe)

    def settle_slides(self):
        """Wait (bounded) for reveal's slide transition to finish before a screenshot."""
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and self.js(JS_SLIDE_STATE)["animating"]:
            time.sleep(0.1)
        time.sleep(0.2)

    def save_console(self):
        try:
            entries = self.driver.get_log("browser")
        except Exception:  # noqa: BLE001 - the log is a debugging aid only
            return
        lines = [f"{e.get('level')} {e.get('message')}" for e in entries]
        (self.t.out / "console.log").write_text("\n".join(lines) + "\n", encoding="utf-8")
        hosts = blocked_hosts(lines)
        if hosts:
            self.r.info(f"requests to other hosts were blocked: {', '.join(hosts)} "
                        f"(see {self.t.out / 'console.log'})")

    def run(self):
        self.r.phase(f"browser: {self.t.chromium} with {self.t.chromedriver}")
        self.driver = start_browser(self.t.chromium, self.t.chromedriver, self.t.out,
                                    self.server.tmp / "chrome-profile")
        self.driver.set_window_size(*WINDOW_SIZE)
        self.r.phase(f"notebook {self.path}")
        self.open_notebook()
        self.r.phase("Run > Run All Cells")
        finished = self.run_all()
        self.check_kernel()
        self.check_errors()
        have_figure = self.check_figures()
        self.check_no_saves("while the cells ran")
        self.screenshots_notebook(have_figure)
        if not finished:
            raise Fatal("not every cell ran: slides not tested")
        self.r.phase("RISE slideshow")
        self.slides()
        saves = read_saves(self.server.save_dir)
        self.r.info(f"saves redirected to {self.server.save_dir / 'files'}: "
                    f"{', '.join(s['path'] for s in saves) or 'none'}")

    def close(self):
        if self.driver is not None:
            try:
                self.save_console()
            finally:
                try:
                    self.driver.quit()
                except Exception:  # noqa: BLE001
                    pass
                self.driver = None

    def failure_screenshot(self):
        if self.driver is None:
            return
        try:
            self.driver.switch_to.default_content()
            self.shot("failure.png")
        except Exception:  # noqa: BLE001
            pass


def shutdown_kernels(server: LabServer, report: Report):
    """DELETE every session of this private server (the notebook's one, normally), then wait
    until their kernels are gone. Never raises: the server must be stopped after it."""
    what = "kernel shut down through the REST API"
    try:
        sessions = server.api("GET", "/api/sessions") or []
        if not sessions:
            report.info("no session to shut down")
            return
        kernel_ids = {(s.get("kernel") or {}).get("id") for s in sessions} - {None}
        for s in sessions:
            server.api("DELETE", f"/api/sessions/{s['id']}")

        def gone():
            running = {k.get("id") for k in (server.api("GET", "/api/kernels") or [])}
            return not (kernel_ids & running)

        wait_for(gone, 30, "the kernel to shut down", interval=0.5)
        names = ", ".join(s.get("path", "?") for s in sessions)
        report.check(True, f"{what} (DELETE /api/sessions/ID for {names})")
    except (Fatal, OSError, ValueError) as e:  # URLError and HTTPError are OSErrors
        report.check(False, what, str(e))


def run(target: Target, report: Report, server: LabServer | None = None) -> None:
    before = sha256(target.notebook)
    server = server or LabServer(target.out, report)
    test = None
    try:
        report.phase("JupyterLab: make -s lab")
        t0 = time.monotonic()
        server.start(target.start_timeout)
        report.check(True, f"JupyterLab answers {server.base}/api/status after "
                           f"{time.monotonic() - t0:.1f} s")
        test = BrowserTest(target, report, server)
        test.run()
    except Fatal as e:
        report.check(False, str(e))
        if test:
            test.failure_screenshot()
    except Exception as e:  # noqa: BLE001 - a broken test run is a failure with its trace
        report.check(False, f"unexpected {type(e).__name__}: {e}",
                     traceback.format_exc(limit=3).strip().replace("\n", " | ")[:600])
        if test:
            test.failure_screenshot()
    finally:
        report.phase("cleanup")
        try:
            if test:
                test.close()
            if server.proc is not None:
                shutdown_kernels(server, report)
        finally:
            server.stop()
            report.info("JupyterLab's process group stopped")
        report.check(sha256(target.notebook) == before,
                     f"{target.notebook.name} unchanged on disk (sha256 {before[:12]})")


def _sigterm(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--notebook", default=DEFAULT_NOTEBOOK, help="default: %(default)s")
    ap.add_argument("--out", default=DEFAULT_OUT,
                    help="screenshots and logs (default: %(default)s)")
    ap.add_argument("--browser", default=os.environ.get(BROWSER_ENV, "chromium"),
                    help=f"chromium binary, name on PATH or path (default: ${BROWSER_ENV} "
                         "or %(default)s)")
    ap.add_argument("--driver", default=os.environ.get(DRIVER_ENV, "chromedriver"),
                    help=f"chromedriver binary, name on PATH or path (default: ${DRIVER_ENV} "
                         "or %(default)s)")
    ap.add_argument("--executed-dir", default=str(EXECUTED_DIR),
                    help="where make test's execute step wrote NAME.ipynb, for the expected "
                         "figure count (default: build/executed)")
    ap.add_argument("--start-timeout", type=float, default=START_TIMEOUT,
                    help="seconds for make -s lab to answer (default: %(default)s)")
    ap.add_argument("--run-timeout", type=float, default=RUN_TIMEOUT,
                    help="seconds for Run All Cells to finish (default: %(default)s)")
    args = ap.parse_args(argv)

    chromium, chromedriver = shutil.which(args.browser), shutil.which(args.driver)
    action, line = browser_decision(chromium, chromedriver, os.environ.get("CI"))
    if action != "run":
        print(line, flush=True)
        return EXIT_SKIP if action == "skip" else 1

    notebook = Path(args.notebook).resolve()
    if not notebook.is_file():
        ap.error(f"no such notebook: {args.notebook}")
    try:
        lab_path(notebook)
    except ValueError:
        ap.error(f"{args.notebook} is not inside {NOTEBOOK_DIR} (make lab serves that folder)")
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.png"):
        old.unlink()

    signal.signal(signal.SIGTERM, _sigterm)
    for var in ("no_proxy", "NO_PROXY"):  # selenium <-> chromedriver stays local
        os.environ[var] = ",".join(filter(None, [os.environ.get(var), "127.0.0.1", "localhost"]))
    report = Report()
    report.phase(f"browser test of {args.notebook} (out: {args.out})")
    target = Target(notebook=notebook, out=out, chromium=chromium, chromedriver=chromedriver,
                    executed_dir=Path(args.executed_dir).resolve(),
                    start_timeout=args.start_timeout, run_timeout=args.run_timeout)
    try:
        run(target, report)
    except KeyboardInterrupt as e:
        report.check(False, f"interrupted ({e})")
    print(summary_line(report.passed, report.failed), flush=True)
    return 0 if report.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
