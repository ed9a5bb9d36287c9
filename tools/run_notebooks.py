#!/usr/bin/env python3
"""Execute course notebooks headlessly on the Rust (evcxr) kernel and build HTML.

    tools/run_notebooks.py [NOTEBOOK.ipynb ...]   default: notebooks/*.ipynb
    tools/run_notebooks.py --warm                 run a throwaway notebook to fill evcxr's cache

For every notebook: executes it with cwd notebooks/ (so the setup cell's "../course_lib"
resolves), writes build/executed/NAME.ipynb and build/html/NAME.html, then
build/html/index.html, build/timings.md and build/timings.json. A cell that errors (compile
error, panic, crashed kernel, timeout) fails the run; the message names notebook, cell index
and error text. Timings over budget are WARN lines, not failures. Every kernel runs with its
own EVCXR_TMPDIR, so the Cargo.lock evcxr resolved survives the kernel: a crate version that
differs from the workspace's Cargo.lock (the one `cargo test` tested) fails the notebook.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = REPO / "notebooks"
KERNEL_NAME = "rust"

# Budgets (seconds): over budget prints a WARN line, never fails the run. BUDGET_SETUP is
# "kernel ready": kernel start until the setup cell is done (course_lib loaded, first variable
# paid by notebooks/evcxr.toml); evcxr 0.22 alone spends 4-6 s of it starting.
BUDGET_SETUP = 12.0
BUDGET_MEDIAN_CELL = 1.0
BUDGET_TOTAL = 60.0

SETUP_CELL = ':dep course_lib = { path = "../course_lib" }\nuse course_lib::prelude::*;'
WARM_CELL = "let mut r = SimRng::new(1);\nr.uniform()"
# Notebooks that need data frames load course_lib with polars; its first build inside evcxr takes
# ~10 minutes, so setup warms it too rather than leaving it to the first student who opens one.
FRAMES_SETUP_CELL = (':dep course_lib = { path = "../course_lib", features = ["frames"] }\n'
                     "use course_lib::prelude::*;")

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# evcxr reports a panic as stderr text only (the reply status is "ok"), and a crashed
# child process as a stderr line too: both must fail the run.
PANIC = re.compile(r"^thread '[^']*'(?: \(\d+\))? panicked at .*$", re.M)
CRASH = re.compile(r"^Child process terminated with status.*$", re.M)
FRAME = re.compile(r"^\s*\d+: ")
# course_lib's Figure and Table print this through Debug when evcxr could not call their
# evcxr_display (the cell's last expression moved a variable of the same cell): the picture is
# missing, so the cell counts as failed. Keep in sync with plot::NOT_DRAWN_MARKER.
NOT_DRAWN = "was not drawn inline"


# ---------------------------------------------------------------- pure helpers (unit-tested)


def strip_ansi(text: str) -> str:
    return ANSI.sub("", text)


def notebook_title(nb, fallback: str) -> str:
    """Text of the first '# ' heading in a markdown cell, else `fallback`."""
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "markdown":
            continue
        for line in _source(cell).splitlines():
            if line.startswith("# "):
                return line[2:].strip()
    return fallback


def cell_error(cell) -> str | None:
    """The error a code cell's outputs show, as plain text, or None."""
    texts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            tb = "\n".join(out.get("traceback") or [])
            texts.append(strip_ansi(tb) or f"{out.get('ename')}: {out.get('evalue')}")
    stderr = strip_ansi(
        "".join(o.get("text", "") for o in cell.get("outputs", [])
                if o.get("output_type") == "stream" and o.get("name") == "stderr")
    )
    for out in cell.get("outputs", []):
        plain = out.get("data", {}).get("text/plain", "")
        plain = "".join(plain) if isinstance(plain, list) else plain
        if NOT_DRAWN in plain:
            texts.append(plain.splitlines()[0])
    for pattern in (PANIC, CRASH):
        m = pattern.search(stderr)
        if m:
            # The panic line and its message (the lines up to the backtrace).
            tail = stderr[m.start():].splitlines()
            msg = [tail[0]]
            for ln in tail[1:6]:
                if not ln.strip() or "backtrace" in ln or FRAME.match(ln):
                    break
                msg.append(ln)
            texts.append("\n".join(msg))
    return "\n".join(texts) if texts else None


@dataclass
class Timing:
    notebook: str
    setup_s: float | None = None  # kernel start -> setup cell (course_lib loaded) done
    cell_s: list = field(default_factory=list)  # seconds per code cell after the setup cell
    cell_idx: list = field(default_factory=list)  # their cell indices in the notebook
    total_s: float = 0.0
    status: str = "ok"

    @property
    def median_s(self) -> float | None:
        return statistics.median(self.cell_s) if self.cell_s else None

    @property
    def max_s(self) -> float | None:
        return max(self.cell_s) if self.cell_s else None

    @property
    def max_cell(self) -> int | None:
        """Notebook cell index of the slowest cell after the setup cell."""
        return self.cell_idx[self.cell_s.index(self.max_s)] if self.cell_s else None


def budget_warnings(t: Timing) -> list[str]:
    warns = []
    if t.setup_s is not None and t.setup_s > BUDGET_SETUP:
        warns.append(f"WARN {t.notebook}: kernel ready (start -> course_lib loaded) took {t.setup_s:.1f} s"
                     f" (budget {BUDGET_SETUP:.0f} s; cold evcxr cache? run `make warm`)")
    if t.median_s is not None and t.median_s > BUDGET_MEDIAN_CELL:
        warns.append(f"WARN {t.notebook}: median cell {t.median_s:.2f} s"
                     f" (budget {BUDGET_MEDIAN_CELL:.0f} s)")
    if t.total_s > BUDGET_TOTAL:
        warns.append(f"WARN {t.notebook}: total {t.total_s:.1f} s (budget {BUDGET_TOTAL:.0f} s)")
    return warns


def _fmt(x: float | None, digits: int = 2) -> str:
    return "-" if x is None else f"{x:.{digits}f}"


def timing_table(timings: list[Timing]) -> str:
    """Markdown table: notebook, setup, median cell, max cell, total, status."""
    rows = ["| notebook | kernel ready: start → course_lib loaded (s) | median cell (s) "
            "| max cell (s) | total (s) | status |",
            "|---|---:|---:|---:|---:|---|"]
    for t in timings:
        worst = _fmt(t.max_s) + ("" if t.max_cell is None else f" (cell {t.max_cell})")
        rows.append(f"| {t.notebook} | {_fmt(t.setup_s, 1)} | {_fmt(t.median_s)} "
                    f"| {worst} | {_fmt(t.total_s, 1)} | {t.status} |")
    return "\n".join(rows) + "\n"


def index_html(entries: list[tuple[str, str, str]]) -> str:
    """entries: (html file name, title, status)."""
    items = "\n".join(
        f'  <li><a href="{html.escape(href)}">{html.escape(title)}</a>'
        + ("" if status == "ok" else f" <strong>({html.escape(status)})</strong>") + "</li>"
        for href, title, status in entries
    ) or "  <li>No notebooks yet.</li>"
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\">"
        "<title>Distributed systems course: notebooks</title></head>\n<body>\n"
        "<h1>Distributed systems course: notebooks</h1>\n<ol>\n"
        f"{items}\n</ol>\n</body>\n</html>\n"
    )


def _source(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


# ---------------------------------------------------------------- execution


class NotebookFailed(Exception):
    def __init__(self, message: str, timing: "Timing | None" = None):
        super().__init__(message)
        self.timing = timing


def failure_message(name: str, index: int, error: str) -> str:
    """'NAME: cell N failed: first error line' then the full error text, indented."""
    lines = error.strip().splitlines() or ["(no error text)"]
    return f"{name}: cell {index} failed: {lines[0].strip()}\n{_indent(error)}"


def kernel_lock_drift(kernel_dir: Path) -> str | None:
    """The drift report for the Cargo.lock evcxr left in `kernel_dir`, or None (no drift, or the
    kernel resolved no crates)."""
    import kernel_crates

    lock = kernel_dir / "Cargo.lock"
    if not lock.is_file():
        return None
    lines = kernel_crates.drift(lock.read_text(), kernel_crates.WORKSPACE_LOCK.read_text())
    return kernel_crates.drift_report("The kernel", lines) if lines else None


def execute(nb, name: str, first_timeout: int, timeout: int, log_path: Path | None,
            echo_kernel: bool = False) -> Timing:
    """Run every cell of `nb` in place; returns its timings; raises NotebookFailed."""
    from jupyter_client.kernelspec import NoSuchKernel
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    NOTEBOOK_DIR.mkdir(exist_ok=True)
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    first = code_cells[0] if code_cells else None
    client = NotebookClient(
        nb,
        kernel_name=KERNEL_NAME,
        timeout=timeout,
        timeout_func=lambda cell: first_timeout if cell is first else timeout,
        # notebooks/evcxr.toml loads course_lib while the kernel starts, so a cold cache
        # compiles there: kernel start gets the setup cell's time limit.
        startup_timeout=max(120, first_timeout),
        record_timing=True,
        allow_errors=False,
        resources={"metadata": {"path": str(NOTEBOOK_DIR)}},
    )
    t = Timing(notebook=name)
    popen_kw = {}
    log = None
    if not echo_kernel and log_path is not None:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(log_path, "w")
        popen_kw = {"stdout": log, "stderr": log}
    # evcxr's project folder for this kernel, kept until we have read its Cargo.lock. In the
    # system's temporary folder: inside this repository (a Cargo workspace) rust-analyzer
    # refuses evcxr's project and the kernel dies at start.
    kernel_dir = Path(tempfile.mkdtemp(prefix="evcxr-kernel-"))
    popen_kw["env"] = dict(os.environ, EVCXR_TMPDIR=str(kernel_dir))
    t0 = time.monotonic()
    try:
        with client.setup_kernel(**popen_kw):
            for index, cell in enumerate(nb.cells):
                if cell.cell_type != "code":
                    continue
                c0 = time.monotonic()
                try:
                    client.execute_cell(cell, index)
                except CellTimeoutError:
                    limit = first_timeout if cell is first else timeout
                    raise NotebookFailed(f"{name}: cell {index} timed out after {limit} s", t)
                except CellExecutionError as e:
                    msg = cell_error(cell) or strip_ansi(f"{e.ename}: {e.evalue}")
                    raise NotebookFailed(failure_message(name, index, msg), t)
                except DeadKernelError as e:
                    raise NotebookFailed(f"{name}: kernel died in cell {index}: {e}", t)
                msg = cell_error(cell)
                if msg:
                    raise NotebookFailed(failure_message(name, index, msg), t)
                now = time.monotonic()
                if cell is first:
                    t.setup_s = now - t0
                else:
                    t.cell_s.append(now - c0)
                    t.cell_idx.append(index)
    except NoSuchKernel:
        raise NotebookFailed(
            f"{name}: no Jupyter kernel named '{KERNEL_NAME}': run `make setup`", t)
    except RuntimeError as e:  # e.g. kernel did not start in time
        # A kernel in notebooks/ loads course_lib while it starts (notebooks/evcxr.toml): a
        # course_lib that does not compile kills it there, with the reason in the kernel's log.
        where = f"; the kernel's log: {log_path}" if log_path is not None else ""
        raise NotebookFailed(f"{name}: kernel failed: {e} (does `cargo build -p course_lib` "
                             f"work? notebooks/evcxr.toml loads it at kernel start{where})", t)
    finally:
        t.total_s = time.monotonic() - t0
        if log:
            log.close()
        drift = kernel_lock_drift(kernel_dir)
        shutil.rmtree(kernel_dir, ignore_errors=True)
    if drift:
        raise NotebookFailed(f"{name}: {drift}", t)
    return t


def _indent(text: str, limit: int = 40) -> str:
    lines = text.rstrip().splitlines()
    if len(lines) > limit:
        lines = lines[:limit] + [f"... ({len(lines) - limit} more lines)"]
    return "\n".join("    " + ln for ln in lines)


def write_html(nb, path: Path) -> None:
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter(template_name="lab").from_notebook_node(
        nb, resources={"metadata": {"name": notebook_title(nb, path.stem)}}
    )
    path.write_text(body, encoding="utf-8")


def _ensure_kernel_env() -> None:
    # The venv's kernel.json sets EVCXR_CONFIG_DIR; setting it here too keeps the cache on
    # when a differently registered 'rust' kernel is picked up (its env does not clear ours).
    os.environ.setdefault("EVCXR_CONFIG_DIR", str(REPO / "tools" / "evcxr"))
    # Kernel connection files go to the repo's .jupyter-runtime/, not ~/.local/share/jupyter.
    os.environ.setdefault("JUPYTER_RUNTIME_DIR", str(REPO / ".jupyter-runtime"))


def _uses_frames(path: Path) -> bool:
    """Whether a notebook's setup cell loads course_lib with the `frames` feature."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    return bool(code) and '"frames"' in _source(code[0])


def warm(first_timeout: int) -> int:
    import nbformat

    _ensure_kernel_env()
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": KERNEL_NAME, "display_name": "Rust", "language": "rust"}
    nb.cells = [nbformat.v4.new_code_cell(SETUP_CELL), nbformat.v4.new_code_cell(WARM_CELL)]
    try:
        t = execute(nb, "warm", first_timeout, first_timeout, None, echo_kernel=True)
    except NotebookFailed as e:
        print(f"FAIL warming the evcxr cache: {e}", file=sys.stderr)
        return 1
    value = nb.cells[1].outputs[0]["data"]["text/plain"] if nb.cells[1].outputs else "?"
    print(f"==> warm notebook ran: course_lib loaded in {t.setup_s:.1f} s, "
          f"SimRng::new(1).uniform() = {value}, total {t.total_s:.1f} s")
    frames = [p for p in sorted(NOTEBOOK_DIR.glob("*.ipynb")) if _uses_frames(p)]
    if not frames:
        return 0
    if os.environ.get("WARM_FRAMES") == "0":
        print(f"==> WARM_FRAMES=0: not compiling polars for {frames[0].name} now (its first "
              f"kernel will, ~10 minutes)")
        return 0
    print(f"==> warming course_lib with polars (feature frames, used by {frames[0].name}"
          f"{' and others' if len(frames) > 1 else ''}; cold: ~10 minutes)", flush=True)
    nb.cells = [nbformat.v4.new_code_cell(FRAMES_SETUP_CELL)]
    try:
        t = execute(nb, "warm-frames", max(first_timeout, 3600), first_timeout, None,
                    echo_kernel=True)
    except NotebookFailed as e:
        print(f"FAIL warming the evcxr cache with feature frames: {e}", file=sys.stderr)
        return 1
    print(f"==> warm notebook with frames ran: course_lib loaded in {t.setup_s:.1f} s")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("notebooks", nargs="*", type=Path,
                    help="notebooks to run (default: notebooks/*.ipynb)")
    ap.add_argument("--out", type=Path, default=REPO / "build", help="output folder (build/)")
    ap.add_argument("--first-timeout", type=int,
                    default=int(os.environ.get("NB_FIRST_CELL_TIMEOUT", 600)),
                    help="seconds for the setup cell (cold compile); env NB_FIRST_CELL_TIMEOUT")
    ap.add_argument("--timeout", type=int, default=int(os.environ.get("NB_CELL_TIMEOUT", 120)),
                    help="seconds for every other cell; env NB_CELL_TIMEOUT")
    ap.add_argument("--fail-fast", action="store_true", help="stop at the first failing notebook")
    ap.add_argument("--warm", action="store_true",
                    help="only run a throwaway notebook to fill evcxr's compilation cache")
    args = ap.parse_args(argv)

    if args.warm:
        return warm(max(args.first_timeout, 1800))

    import nbformat

    _ensure_kernel_env()
    paths = args.notebooks or sorted(NOTEBOOK_DIR.glob("*.ipynb"))
    out = args.out.resolve()
    executed_dir, html_dir, log_dir = out / "executed", out / "html", out / "logs"
    for d in (executed_dir, html_dir, log_dir):
        d.mkdir(parents=True, exist_ok=True)

    if not paths:
        print("==> no notebooks to execute (notebooks/ has no *.ipynb)")
    timings: list[Timing] = []
    failures: list[str] = []
    entries: list[tuple[str, str, str]] = []
    for i, path in enumerate(paths, 1):
        path = path.resolve()
        name = path.stem
        rel = os.path.relpath(path, REPO)
        print(f"==> [{i}/{len(paths)}] executing {rel}", flush=True)
        try:
            nb = nbformat.read(path, as_version=4)
        except Exception as e:  # unreadable notebook: fail, keep going
            failures.append(f"{rel}: cannot read notebook: {e}")
            print(f"FAIL {failures[-1]}", flush=True)
            timings.append(Timing(notebook=name, status="FAIL"))
            continue
        try:
            t = execute(nb, rel, args.first_timeout, args.timeout, log_dir / f"{name}.kernel.log")
        except NotebookFailed as e:
            failures.append(str(e))
            print(f"FAIL {e}", flush=True)
            t = e.timing or Timing(notebook=name)
            t.status = "FAIL"
        timings.append(t)
        t.notebook = name
        nbformat.write(nb, executed_dir / path.name)
        write_html(nb, html_dir / f"{name}.html")
        entries.append((f"{name}.html", notebook_title(nb, name), t.status))
        if t.status == "ok":
            print(f"    ok in {t.total_s:.1f} s (course_lib loaded after {_fmt(t.setup_s, 1)} s,"
                  f" median cell {_fmt(t.median_s)} s) -> {os.path.relpath(html_dir, REPO)}/"
                  f"{name}.html", flush=True)
        if failures and args.fail_fast:
            break

    (html_dir / "index.html").write_text(index_html(entries), encoding="utf-8")
    table = timing_table(timings)
    (out / "timings.md").write_text(table, encoding="utf-8")
    (out / "timings.json").write_text(json.dumps(
        [asdict(t) | {"median_s": t.median_s, "max_s": t.max_s, "max_cell": t.max_cell} for t in timings], indent=2)
        + "\n", encoding="utf-8")
    if timings:
        print("\n" + table)
        for t in timings:
            if t.status == "ok":
                for w in budget_warnings(t):
                    print(w)
    print(f"==> index: {os.path.relpath(html_dir / 'index.html', REPO)}; "
          f"timings: {os.path.relpath(out / 'timings.md', REPO)}")
    if failures:
        print(f"\nFAILED: {len(failures)} of {len(paths)} notebook(s) failed:", file=sys.stderr)
        for f in failures:
            print(f"  {f.splitlines()[0]}", file=sys.stderr)
        return 1
    print(f"==> {len(paths)} notebook(s) executed without errors")
    return 0


if __name__ == "__main__":
    sys.exit(main())
