#!/usr/bin/env python3
"""Grade submitted notebooks by re-executing them in fresh Rust kernels.

    tools/grade.py SUBMISSIONS OUT [--jobs 2] [--cell-timeout 60] [--notebook-timeout 600] ...

SUBMISSIONS holds `.ipynb` files, one sub-folder per student (`alice/01_x.ipynb`) or flat
(`alice__01_x.ipynb`). For each submission, in its own process group with time and memory
limits: read it (malformed files are reported, not fatal), find its course notebook (by name,
by the student copy's metadata, or by its grade ids), rebuild it from the course copy (check
and setup cells always come from the course copy, exercise cells from the student, cells
matched by nbgrader grade_id or cell id, never by position), execute it in a fresh kernel,
read the `PASS [id]` / `FAIL [id]` lines of the check cells, and compare the submitted outputs
with the fresh ones (stale or edited outputs). Writes, as it goes:

    OUT/grades.csv       student,notebook,exercise,points,max_points,status,message
    OUT/summary.html     one table per class: points per student and notebook, every status
    OUT/results/*.json   one per graded submission (a re-run skips unchanged submissions)
    OUT/executed/STUDENT/NOTEBOOK.ipynb   the fresh execution, for feedback

See the README ("Grading") for the statuses and the trust model.
"""

from __future__ import annotations

import argparse
import copy
import csv
import hashlib
import html
import io
import json
import os
import re
import resource
import signal
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

TOOLS = Path(__file__).resolve().parent
sys.path.insert(0, str(TOOLS))
import homework as hw  # noqa: E402
import run_notebooks as rn  # noqa: E402

REPO = TOOLS.parent
COLUMNS = ["student", "notebook", "exercise", "points", "max_points", "status", "message"]
RESULT_LINE = re.compile(r"^(PASS|FAIL) \[([^\]\s]+)\]: ?(.*)$", re.M)
# Lines ignored by the reproducibility check: timings (the course prints none unless labelled).
TIMING_LINE = re.compile(r"(?i)\b(timings?|elapsed|took|wall[- ]?clock)\b")
THREAD_ID = re.compile(r"(thread '[^']*') \(\d+\)")
USE_STMT = re.compile(r"(?ms)^[ \t]*(?:pub\s+)?use\s+[^;]+;")
MAX_FILE_BYTES = 50_000_000
SHOWN_MIMES = ("text/plain", "text/html", "image/svg+xml", "text/markdown", "text/latex")


# ---------------------------------------------------------------- pure helpers (unit-tested)


def safe_name(text: str) -> str:
    """A file-name component that cannot leave its folder: [A-Za-z0-9._-], no leading dot."""
    s = re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._")
    return s[:80] or "_"


def parse_results(text: str) -> dict[str, tuple[bool, str]]:
    """{check id: (passed, message)} from a check cell's printed lines (first line per id)."""
    out: dict[str, tuple[bool, str]] = {}
    for verdict, cid, msg in RESULT_LINE.findall(text):
        out.setdefault(cid, (verdict == "PASS", msg.strip()))
    return out


def stdout_text(cell) -> str:
    return "".join(_text(o.get("text", "")) for o in cell.get("outputs", [])
                   if o.get("output_type") == "stream" and o.get("name") == "stdout")


def _text(x) -> str:
    return "".join(x) if isinstance(x, list) else (x or "")


def normalized_outputs(outputs) -> list[str]:
    """A cell's outputs as comparable lines: ANSI codes, thread numbers, execution counts and
    timing lines removed; stream chunks joined (kernels split them differently)."""
    parts = []
    streams: dict[str, str] = {}
    for o in outputs or []:
        kind = o.get("output_type")
        if kind == "stream":
            streams[o.get("name", "stdout")] = streams.get(o.get("name", "stdout"), "") + \
                _text(o.get("text"))
        elif kind == "error":
            parts.append(f"error: {o.get('ename')}: {o.get('evalue')}")
        elif kind in ("execute_result", "display_data"):
            data = o.get("data", {})
            for mime in SHOWN_MIMES:
                if mime in data:
                    parts.append(f"{mime}: {_text(data[mime])}")
    for name in sorted(streams):
        parts.insert(0, f"{name}: {streams[name]}")
    lines = []
    for part in parts:
        for ln in rn.strip_ansi(part).splitlines():
            ln = THREAD_ID.sub(r"\1", ln).rstrip()
            if not TIMING_LINE.search(ln):
                lines.append(ln)
    return lines


def use_lines(src: str) -> str:
    """The `use …;` statements of a cell (kept when the rest of the cell cannot be re-run)."""
    return "\n".join(m.strip() for m in USE_STMT.findall(src))


def first_difference(a: list[str], b: list[str]) -> str:
    for x, y in zip(a, b):
        if x != y:
            return f"submitted {x[:80]!r}, fresh run {y[:80]!r}"
    if len(a) != len(b):
        return f"submitted {len(a)} output line(s), fresh run {len(b)}"
    return ""


def split_submission_name(rel: Path) -> tuple[str, str]:
    """(student, notebook stem) from a path relative to SUBMISSIONS."""
    stem = rel.stem
    if len(rel.parts) > 1:
        return rel.parts[0], stem
    if "__" in stem:
        student, nb = stem.rsplit("__", 1)
        return student, nb
    return stem, stem


def clean_stem(stem: str) -> str:
    """Undo what downloads and editors do to names: ' (1)', '-checkpoint', 'Copy of '."""
    s = re.sub(r"-checkpoint$", "", stem)
    s = re.sub(r"\s*\(\d+\)$", "", s)
    s = re.sub(r"^(copy of |copy_of_)", "", s, flags=re.I)
    return s.strip()


@dataclass
class Master:
    name: str  # file stem, e.g. 01_what_makes_systems_distributed
    nb: dict
    plan: hw.Plan

    @property
    def grade_ids(self) -> set[str]:
        return {ex.check_grade_id for ex in self.plan.exercises} | \
            {ex.answer_grade_id for ex in self.plan.exercises}


def load_masters(folder: Path) -> dict[str, Master]:
    out = {}
    for p in sorted(folder.glob("*.ipynb")):
        nb = hw.read_nb(p)
        out[p.stem] = Master(p.stem, nb, hw.analyse(nb, p.name))
    return out


def identify(stem_guess: str, nb: dict | None, masters: dict[str, Master]) -> tuple[str | None, str]:
    """The course notebook a submission belongs to, and how it was found."""
    s = clean_stem(stem_guess)
    if s in masters:
        return s, "file name"
    meta_name = ((nb or {}).get("metadata", {}).get("course", {}) or {}).get("notebook")
    if meta_name in masters:
        return meta_name, "the student copy's metadata"
    m = re.match(r"^(\d\d)[_ -]", s)
    if m:
        same = [k for k in masters if k.startswith(m.group(1) + "_")]
        if len(same) == 1:
            return same[0], "number in the file name"
    if nb:
        gids = {c.get("metadata", {}).get("nbgrader", {}).get("grade_id")
                for c in nb.get("cells", []) if isinstance(c, dict)}
        best = max(masters.values(), key=lambda mm: len(mm.grade_ids & gids), default=None)
        if best and best.grade_ids & gids:
            return best.name, "its grade ids"
    return None, ""


def _grade_id(cell) -> str | None:
    return (cell.get("metadata", {}).get("nbgrader") or {}).get("grade_id")


def merge(master: Master, sub: dict) -> tuple[dict, dict[int, list], list[str]]:
    """The notebook to execute, the submitted outputs per index in it, and notes.

    Course order; setup and check cells from the course copy; exercise and other cells as
    submitted (matched by grade_id, then cell id); missing cells restored from the course copy
    (exercises as `todo!()` stubs); cells the student added kept after the cell they followed.
    """
    notes = []
    mcells = master.nb["cells"]
    scells = [c for c in sub.get("cells", []) if isinstance(c, dict) and "cell_type" in c]
    by_gid: dict[str, int] = {}
    by_id: dict[str, int] = {}
    for j, c in enumerate(scells):
        if (g := _grade_id(c)) and g not in by_gid:
            by_gid[g] = j
        if (cid := c.get("id")) and cid not in by_id:
            by_id[cid] = j
    matched: dict[int, int] = {}  # master index -> submission index
    used = set()
    for i, mc in enumerate(mcells):
        g = _grade_id(mc)
        j = by_gid.get(g) if g else None
        if j is None and mc.get("id") in by_id:
            cand = by_id[mc["id"]]
            if scells[cand].get("cell_type") == mc.get("cell_type") and \
                    (not _grade_id(scells[cand]) or _grade_id(scells[cand]) == g):
                j = cand
        if j is not None and j not in used:
            matched[i] = j
            used.add(j)
    order = [i for i, _ in sorted(matched.items(), key=lambda kv: kv[1])]
    if order != sorted(order):
        notes.append("cells were reordered: graded in the course's order")
    # Student-added cells, anchored after the matched cell they followed.
    after: dict[int, list[int]] = {}
    anchor = -1
    inverse = {j: i for i, j in matched.items()}
    for j in range(len(scells)):
        if j in inverse:
            anchor = inverse[j]
        else:
            after.setdefault(anchor, []).append(j)
    out_cells, submitted = [], {}
    restored_checks, restored_other, missing_answers = [], 0, []

    def add(cell, sub_outputs=None):
        if sub_outputs is not None and cell.get("cell_type") == "code":
            submitted[len(out_cells)] = sub_outputs
        out_cells.append(cell)

    for j in after.get(-1, []):
        add(_fresh(scells[j]), scells[j].get("outputs"))
    for i, mc in enumerate(mcells):
        role, ex = master.plan.role(i)
        j = matched.get(i)
        cell = _fresh(mc)
        if role in ("check", "setup"):
            if j is None:
                (restored_checks if role == "check" else []).append(_grade_id(mc) or str(i))
            add(cell, scells[j].get("outputs") if j is not None and
                hw.source(scells[j]) == hw.source(mc) else None)
        elif role == "solution":
            if j is None:
                missing_answers.append(_grade_id(mc) or str(i))
                cell["source"] = hw.replace_solutions(hw.source(mc))
                add(cell)
            else:
                cell["source"] = hw.source(scells[j])
                add(cell, scells[j].get("outputs"))
        else:
            if j is None:
                restored_other += 1
                add(cell)
            else:
                cell["source"] = hw.source(scells[j])
                add(cell, scells[j].get("outputs"))
        for k in after.get(i, []):
            add(_fresh(scells[k]), scells[k].get("outputs"))
    if restored_checks:
        notes.append(f"check cell(s) deleted, re-inserted from the course copy: "
                     f"{', '.join(restored_checks)}")
    if missing_answers:
        notes.append(f"exercise cell(s) deleted, graded as unanswered: {', '.join(missing_answers)}")
    if restored_other:
        notes.append(f"{restored_other} other cell(s) deleted, restored from the course copy")
    extra = sum(len(v) for v in after.values())
    if extra:
        notes.append(f"{extra} cell(s) added by the student, run where they were")
    nb = {"cells": out_cells, "metadata": copy.deepcopy(master.nb.get("metadata", {})),
          "nbformat": 4, "nbformat_minor": master.nb.get("nbformat_minor", 5)}
    for k, c in enumerate(nb["cells"]):
        c["id"] = c.get("id") or f"graded-{k}"
    ids = [c["id"] for c in nb["cells"]]
    if len(set(ids)) != len(ids):
        for k, c in enumerate(nb["cells"]):
            c["id"] = f"graded-{k}"
    return nb, submitted, notes


def _fresh(cell) -> dict:
    c = {"cell_type": cell.get("cell_type", "code"), "id": cell.get("id"),
         "metadata": copy.deepcopy(cell.get("metadata", {})), "source": hw.source(cell)}
    if c["cell_type"] == "code":
        c["outputs"], c["execution_count"] = [], None
    if c["cell_type"] not in ("code", "markdown", "raw"):
        c["cell_type"] = "raw"
    return c


def kernel_note(sub: dict, master: Master) -> str | None:
    want = master.nb.get("metadata", {}).get("kernelspec", {}).get("name", "rust")
    ks = sub.get("metadata", {}).get("kernelspec")
    if not isinstance(ks, dict) or not ks.get("name"):
        return f"no kernel recorded in the submission: graded with the course's '{want}' kernel"
    if ks.get("name") != want:
        return (f"submitted for kernel '{ks.get('name')}': graded with the course's '{want}' "
                "kernel")
    return None


# ---------------------------------------------------------------- execution


@dataclass
class CellRun:
    status: str = "not-run"  # ok | error | timeout | crashed | not-run | skipped
    error: str = ""
    seconds: float = 0.0
    truncated: bool = False


@dataclass
class RunResult:
    cells: dict[int, CellRun] = field(default_factory=dict)
    total_s: float = 0.0
    setup_s: float | None = None
    stopped: str = ""  # why the run ended early, if it did
    restarts: int = 0


def _client_class():
    from nbclient import NotebookClient

    class CappedClient(NotebookClient):
        """Keeps at most `max_output_chars` of output per cell; drops the rest."""

        max_output_chars = 100_000
        sizes: dict = {}
        truncated: set = set()

        def output(self, outs, msg, display_id, cell_index):
            content = msg.get("content", {})
            # what the output will weigh in the saved notebook, wrapper included
            size = len(json.dumps(content.get("data", content.get("text", "")))) + 64
            used = self.sizes.get(cell_index, 0)
            if used + size > self.max_output_chars:
                self.truncated.add(cell_index)
                return None
            self.sizes[cell_index] = used + size
            return super().output(outs, msg, display_id, cell_index)

    return CappedClient


def _cell_problem(cell) -> tuple[str, str] | None:
    """('error'|'crashed', text) when a cell's outputs show a failure."""
    texts, crashed = [], False
    for o in cell.get("outputs", []):
        if o.get("output_type") == "error":
            tb = rn.strip_ansi("\n".join(o.get("traceback") or []))
            texts.append(tb or f"{o.get('ename')}: {o.get('evalue')}")
    stderr = rn.strip_ansi("".join(_text(o.get("text")) for o in cell.get("outputs", [])
                                   if o.get("output_type") == "stream"
                                   and o.get("name") == "stderr"))
    if (m := rn.PANIC.search(stderr)):
        tail = stderr[m.start():].splitlines()
        texts.append(" ".join(tail[:2]))
    if (m := rn.CRASH.search(stderr)):
        texts.append(m.group(0))
        crashed = True
    if not texts:
        return None
    return ("crashed" if crashed else "error"), "\n".join(texts)


def execute_notebook(nb: dict, workdir: Path, *, cell_timeout: float = 60,
                     setup_timeout: float = 600, notebook_timeout: float = 900,
                     max_output_chars: int = 100_000, pgid_file: Path | None = None,
                     log_path: Path | None = None, setup_lock: Path | None = None) -> RunResult:
    """Execute every code cell of `nb` (a dict, filled with outputs in place) in a fresh kernel
    whose working folder is `workdir`/notebooks (with `../course_lib` and `../data` linked to
    this repository). `notebooks/evcxr.toml` is deliberately not copied there: course_lib then
    loads in the setup cell, under `setup_lock`, not while the kernel starts, so parallel
    kernels never fill evcxr's cache at once. Never raises for the notebook's own faults: a
    cell that times out or crashes the kernel is recorded, the kernel is killed and restarted,
    the cells before it are replayed (outputs discarded) and the run continues after it, until
    `notebook_timeout`."""
    import nbformat
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    rn._ensure_kernel_env()
    cwd = workdir / "notebooks"
    cwd.mkdir(parents=True, exist_ok=True)
    for name in ("course_lib", "data"):
        link = workdir / name
        if not link.exists() and (REPO / name).exists():
            link.symlink_to(REPO / name)
    # the other course notebooks beside it, as in the student's own folder: a cell that lists
    # the folder (notebook 00's course map) then prints in the fresh run what it printed for her
    for other in sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        if not (cwd / other.name).exists():
            (cwd / other.name).symlink_to(other)
    node = nbformat.from_dict(nb)
    code = [i for i, c in enumerate(node.cells) if c.cell_type == "code"]
    res = RunResult(cells={i: CellRun() for i in code})
    poisoned: set[int] = set()
    t0 = time.monotonic()
    deadline = t0 + notebook_timeout
    Client = _client_class()
    log = open(log_path, "a") if log_path else subprocess.DEVNULL
    start = 0  # position in `code` to continue from
    setup_attempts = 1
    # evcxr keeps its build folder (50-700 MB) in $TMPDIR and removes it only on a graceful
    # shutdown; ours is immediate, so each run gets a fresh folder that we delete. It lives in
    # the system's temporary folder, not in `workdir`: inside this repository (a Cargo
    # workspace) rust-analyzer refuses evcxr's project and the kernel dies at start.
    kernel_tmp = Path(tempfile.mkdtemp(prefix="course-kernel-"))
    try:
        while start < len(code):
            Client.sizes, Client.truncated = {}, set()
            client = Client(node, kernel_name=node.metadata.get("kernelspec", {}).get("name", "rust"),
                            timeout=cell_timeout, startup_timeout=120, allow_errors=True,
                            shutdown_kernel="immediate", record_timing=False,
                            resources={"metadata": {"path": str(cwd)}})
            client.max_output_chars = max_output_chars
            next_start = None
            kernel_tmp.mkdir(parents=True, exist_ok=True)
            env = dict(os.environ, TMPDIR=str(kernel_tmp))
            with client.setup_kernel(stdout=log, stderr=log, env=env):
                if pgid_file:
                    try:
                        pgid_file.write_text(str(os.getpgid(client.km.provisioner.process.pid)))
                    except Exception:
                        pass
                # Replay the cells before `start` to rebuild state (outputs kept from before).
                for pos in range(len(code)):
                    i = code[pos]
                    if i in poisoned:
                        # Keep the `use` lines of a cell that timed out or crashed: later
                        # cells may rely on its imports.
                        if (uses := use_lines(node.cells[i].source)):
                            tmp = nbformat.v4.new_code_cell(uses)
                            client.timeout = max(1, int(min(cell_timeout,
                                                            deadline - time.monotonic())))
                            orig = node.cells[i]
                            try:
                                client.execute_cell(tmp, i)
                            except Exception:
                                pass
                            node.cells[i] = orig  # nbclient stores the cell it ran at index i
                        continue
                    replay = pos < start
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        res.stopped = f"notebook time limit ({notebook_timeout:g} s) reached"
                        next_start = len(code)
                        break
                    limit = setup_timeout if pos == 0 else cell_timeout
                    orig_cell = node.cells[i]
                    cell = copy.deepcopy(orig_cell) if replay else orig_cell
                    client.timeout = max(1, int(min(limit, remaining)))
                    c0 = time.monotonic()
                    failure = None
                    try:
                        if pos == 0 and setup_lock:
                            with _locked(setup_lock):
                                client.execute_cell(cell, i)
                        else:
                            client.execute_cell(cell, i)
                    except CellTimeoutError:
                        failure = ("timeout", f"timed out after {client.timeout} s"
                                   + (" (notebook time limit)" if limit > remaining else ""))
                    except DeadKernelError as e:
                        failure = ("crashed", f"the kernel died: {e}")
                    except Exception as e:  # kernel protocol trouble: treat as a crash
                        failure = ("crashed", f"{type(e).__name__}: {e}")
                    if failure is None and (p := _cell_problem(cell)) and p[0] == "crashed":
                        failure = p
                    if replay:
                        node.cells[i] = orig_cell
                        if pos == 0 and _cell_problem(cell) and setup_attempts < 3:
                            setup_attempts += 1
                            next_start = start
                            break
                        if failure:  # should not happen (deterministic), but do not loop
                            poisoned.add(i)
                        continue
                    run = res.cells[i]
                    run.seconds = time.monotonic() - c0
                    if pos == 0:
                        res.setup_s = time.monotonic() - t0
                    run.truncated = i in Client.truncated
                    if failure:
                        run.status, run.error = failure
                        poisoned.add(i)
                        if time.monotonic() >= deadline:
                            res.stopped = f"notebook time limit ({notebook_timeout:g} s) reached"
                            next_start = len(code)
                        else:
                            res.restarts += 1
                            next_start = pos + 1
                        break
                    p = _cell_problem(cell)
                    if pos == 0 and p and setup_attempts < 3:
                        # The course's setup cell is known to work: an error is the
                        # environment (evcxr's shared cache raced with another kernel).
                        setup_attempts += 1
                        cell.outputs = []
                        next_start = 0
                        break
                    run.status, run.error = ("error", p[1]) if p else ("ok", "")
                else:
                    next_start = len(code)
            start = next_start if next_start is not None else len(code)
    finally:
        res.total_s = time.monotonic() - t0
        if log_path:
            log.close()
        shutil.rmtree(kernel_tmp, ignore_errors=True)
    for i, run in res.cells.items():
        if run.truncated:
            node.cells[i].outputs.append(nbformat.v4.new_output(
                "stream", name="stderr",
                text=f"[output truncated by the grader after {max_output_chars} characters]\n"))
        if run.status == "not-run" and res.stopped:
            run.error = res.stopped
    nb.clear()
    nb.update(json.loads(nbformat.writes(node)))
    return res


class _locked:
    """An exclusive lock on a file (fcntl), so parallel kernels load course_lib one at a time."""

    def __init__(self, path: Path):
        self.path = path

    def __enter__(self):
        import fcntl

        self.f = open(self.path, "a")
        fcntl.flock(self.f, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        import fcntl

        fcntl.flock(self.f, fcntl.LOCK_UN)
        self.f.close()


def _reason(run: CellRun | None, what: str) -> str:
    if run is None:
        return f"{what} missing"
    first = (run.error.strip().splitlines() or [""])[0][:300]
    return {"error": f"{what} failed: {first}", "timeout": f"{what} {first}",
            "crashed": f"{what} crashed the kernel: {first}",
            "not-run": f"{what} did not run" + (f" ({first})" if first else ""),
            }.get(run.status, f"{what}: {run.status}")


def exercise_rows(master: Master, graded: dict, res: RunResult) -> list[dict]:
    """One row per check id, from the fresh outputs of the graded notebook."""
    rows = []
    by_gid = {_grade_id(c): (k, c) for k, c in enumerate(graded["cells"]) if _grade_id(c)}
    for ex in master.plan.exercises:
        k, cell = by_gid.get(ex.check_grade_id, (None, None))
        ka, _ = by_gid.get(ex.answer_grade_id, (None, None))
        found = parse_results(stdout_text(cell)) if cell else {}
        run = res.cells.get(k) if k is not None else None
        arun = res.cells.get(ka) if ka is not None else None
        for cid in ex.ids:
            pts = ex.points.get(cid, 1.0)
            if cid in found:
                ok, msg = found[cid]
                rows.append(_row(cid, pts if ok else 0, pts, "pass" if ok else "fail", msg))
                continue
            status = {"timeout": "timeout", "crashed": "error"}.get(run.status if run else "",
                                                                     "error")
            if run is None or run.status == "not-run":
                status = "timeout" if res.stopped else "error"
            msg = "no PASS/FAIL line: " + _reason(run, "the check cell")
            if arun and arun.status != "ok":
                msg += "; " + _reason(arun, "your exercise cell")
                if arun.status == "timeout":
                    status = "timeout"
            rows.append(_row(cid, 0, pts, status, msg))
    return rows


def _row(exercise, points, max_points, status, message) -> dict:
    return {"exercise": exercise, "points": _num(points), "max_points": _num(max_points),
            "status": status, "message": " ".join(str(message).split())[:500]}


def _num(x) -> float | int:
    return int(x) if float(x) == int(x) else round(float(x), 3)


def repro_row(graded: dict, submitted: dict[int, list]) -> dict:
    """Compare submitted outputs with the fresh ones, per code cell that had outputs."""
    compared, differ = 0, []
    for k, outs in submitted.items():
        if not outs:
            continue
        compared += 1
        a = normalized_outputs(outs)
        b = normalized_outputs(graded["cells"][k].get("outputs"))
        if a != b:
            differ.append((k, first_difference(a, b)))
    if not compared:
        return _row("[reproducibility]", 0, 0, "not-executed",
                    "the submission has no outputs to compare (not executed before submitting)")
    if not differ:
        return _row("[reproducibility]", 0, 0, "ok",
                    f"all {compared} submitted cell output(s) match the fresh run")
    shown = "; ".join(f"cell {k}: {d}" for k, d in differ[:5])
    return _row("[reproducibility]", 0, 0, "mismatch",
                f"{len(differ)} of {compared} cell(s) differ from the fresh run (stale or "
                f"edited outputs): {shown}" + (" …" if len(differ) > 5 else ""))


def grade_one(job: dict) -> dict:
    """Everything for one submission; returns the result (rows without student/notebook)."""
    path = Path(job["path"])
    masters = load_masters(Path(job["masters"]))
    t0 = time.monotonic()
    rows: list[dict] = []
    result = {"key": job["key"], "rel": job["rel"], "sha256": job["sha256"],
              "student": job["student"], "notebook": job["guess"], "rows": rows}
    sub = None
    problem = None
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            problem = f"file is {path.stat().st_size} bytes (limit {MAX_FILE_BYTES})"
        else:
            sub = json.loads(path.read_text(encoding="utf-8", errors="replace"))
            if not isinstance(sub, dict) or not isinstance(sub.get("cells"), list):
                problem, sub = "not a notebook (no list of cells)", None
            elif sub.get("nbformat") != 4:
                problem = f"nbformat {sub.get('nbformat')!r}, expected 4: graded as far as possible"
    except ValueError as e:
        problem = f"not valid JSON: {e}"
    except OSError as e:
        problem = f"cannot read: {e}"
    name, how = identify(job["guess"], sub, masters)
    if name is None:
        rows.append(_row("[file]", 0, 0, "unknown-notebook",
                         f"matches no course notebook (name {job['guess']!r}"
                         + (f"; {problem}" if problem else "") + ")"))
        result["seconds"] = time.monotonic() - t0
        return result
    result["notebook"] = name
    master = masters[name]
    if how != "file name":
        rows.append(_row("[file]", 0, 0, "note", f"identified as {name} by {how}"))
    if sub is None:
        rows.append(_row("[file]", 0, 0, "invalid", problem))
        for ex in master.plan.exercises:
            for cid in ex.ids:
                rows.append(_row(cid, 0, ex.points.get(cid, 1.0), "invalid",
                                 "the submitted file could not be read"))
        result["seconds"] = time.monotonic() - t0
        return result
    if problem:
        rows.append(_row("[file]", 0, 0, "note", problem))
    if (kn := kernel_note(sub, master)):
        rows.append(_row("[kernel]", 0, 0, "note", kn))
    graded, submitted, notes = merge(master, sub)
    if notes:
        rows.append(_row("[cells]", 0, 0, "note", "; ".join(notes)))
    work = Path(job["work"])
    res = execute_notebook(graded, work, cell_timeout=job["cell_timeout"],
                           setup_timeout=job["setup_timeout"],
                           notebook_timeout=job["notebook_timeout"],
                           max_output_chars=job["max_output_chars"],
                           pgid_file=work / "kernel.pgid", log_path=work / "kernel.log",
                           setup_lock=Path(job["setup_lock"]) if job.get("setup_lock") else None)
    rows.extend(exercise_rows(master, graded, res))
    bad = [(k, r) for k, r in sorted(res.cells.items()) if r.status in ("timeout", "crashed")]
    if bad or res.stopped:
        desc = "; ".join(f"cell {k} {r.status}: {(r.error.splitlines() or [''])[0][:120]}"
                         for k, r in bad[:5])
        rows.append(_row("[run]", 0, 0, "timeout" if any(r.status == "timeout" for _, r in bad)
                         or res.stopped else "crashed",
                         "; ".join(filter(None, [desc, res.stopped,
                                                 f"kernel restarted {res.restarts} time(s)"
                                                 if res.restarts else ""]))))
    trunc = [k for k, r in res.cells.items() if r.truncated]
    if trunc:
        rows.append(_row("[output]", 0, 0, "note",
                         f"huge output truncated in cell(s) {trunc[:10]} "
                         f"(limit {job['max_output_chars']} characters per cell)"))
    rows.append(repro_row(graded, submitted))
    out = Path(job["executed"])
    out.parent.mkdir(parents=True, exist_ok=True)
    hw.write_nb(graded, out)
    result["seconds"] = time.monotonic() - t0
    result["setup_s"] = res.setup_s
    return result


# ---------------------------------------------------------------- student-copy verification


def run_student_copy(nb: dict, name: str, work: Path, cell_timeout: float = 120) -> RunResult:
    graded = copy.deepcopy(nb)
    # Parallel runs (test-student --jobs 2) load course_lib one kernel at a time, as grading
    # does: two kernels filling evcxr's shared cache at once can fail ("Failed to wrap rustc").
    work.mkdir(parents=True, exist_ok=True)
    res = execute_notebook(graded, work / safe_name(Path(name).stem), cell_timeout=cell_timeout,
                           setup_lock=work / ".setup.lock")
    res.nb = graded  # type: ignore[attr-defined]
    return res


def student_copy_problems(res: RunResult, plan: hw.Plan) -> list[str]:
    """Every cell ran (no compile error, no panic outside check_fn), every check said FAIL."""
    nb = res.nb  # type: ignore[attr-defined]
    problems = []
    for k, run in sorted(res.cells.items()):
        strict = rn.cell_error(nb["cells"][k]) if run.status == "ok" else None
        if run.status != "ok" or strict:
            err = (run.error or strict or "").strip().splitlines()
            problems.append(f"cell {k} {run.status if run.status != 'ok' else 'error'}: "
                            f"{err[0] if err else ''}")
    by_gid = {_grade_id(c): c for c in nb["cells"] if _grade_id(c)}
    for ex in plan.exercises:
        cell = by_gid.get(ex.check_grade_id)
        if cell is None:  # a hidden check cell
            continue
        found = parse_results(stdout_text(cell))
        for cid in hw.check_ids(hw.source(cell)):  # the ids students see
            if cid not in found:
                problems.append(f"check {cid}: no PASS/FAIL line in the student copy")
            elif found[cid][0]:
                problems.append(f"check {cid}: PASSES with the todo!() stub (the check is too "
                                "weak)")
    return problems


# ---------------------------------------------------------------- batch


def discover(root: Path) -> list[tuple[Path, Path]]:
    """(path, path relative to root) of every submitted .ipynb (checkpoints skipped)."""
    out = []
    for p in sorted(root.rglob("*.ipynb")):
        rel = p.relative_to(root)
        if any(part.startswith(".") for part in rel.parts):
            continue
        out.append((p, rel))
    return out


def _sha(path: Path) -> str:
    h = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
    except OSError:
        return "unreadable"
    return h.hexdigest()


def _limit_memory(mb: int):
    def apply():
        if mb > 0:
            limit = mb * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    return apply


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def run_job(job: dict, memory_mb: int, hard_limit: float) -> dict:
    """Run grade_one in a child process (own process group, memory limit, wall-clock limit)."""
    work = Path(job["work"])
    work.mkdir(parents=True, exist_ok=True)
    job_file = work / "job.json"
    out_file = work / "result.json"
    out_file.unlink(missing_ok=True)
    job_file.write_text(json.dumps(job))
    with open(work / "worker.log", "w") as log:
        proc = subprocess.Popen([sys.executable, str(Path(__file__)), "--one", str(job_file),
                                 str(out_file)], stdout=log, stderr=log, stdin=subprocess.DEVNULL,
                                start_new_session=True, preexec_fn=_limit_memory(memory_mb),
                                cwd=work)
        try:
            proc.wait(timeout=hard_limit)
            why = None if proc.returncode == 0 else f"the grader's worker exited with status " \
                f"{proc.returncode} (memory limit {memory_mb} MiB?)"
        except subprocess.TimeoutExpired:
            why = f"killed after the hard limit of {hard_limit:g} s"
        finally:
            _kill_group(proc.pid)
            pg = work / "kernel.pgid"
            if pg.exists():
                try:
                    _kill_group(int(pg.read_text()))
                except ValueError:
                    pass
            proc.wait()
    if why is None and out_file.exists():
        return json.loads(out_file.read_text())
    tail = (work / "worker.log").read_text(errors="replace").strip().splitlines()[-1:] or [""]
    return {"key": job["key"], "rel": job["rel"], "sha256": job["sha256"],
            "student": job["student"], "notebook": job["guess"], "seconds": hard_limit,
            "rows": [_row("[run]", 0, 0, "crashed", f"{why or 'no result'}; last log line: "
                          f"{tail[0][:200]}")]}


def csv_rows(result: dict) -> list[dict]:
    return [{"student": result["student"], "notebook": result["notebook"], **r}
            for r in result["rows"]]


def write_csv(path: Path, rows: list[dict], mode: str = "w") -> None:
    new = mode == "w" or not path.exists() or path.stat().st_size == 0
    with open(path, mode, newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS)
        if new:
            w.writeheader()
        w.writerows(rows)
        f.flush()
        os.fsync(f.fileno())


STATUS_COLOUR = {"pass": "#d9f2d9", "fail": "#f9d6d5", "error": "#f9d6d5", "timeout": "#fde2b8",
                 "invalid": "#f9d6d5", "unknown-notebook": "#e5e5e5", "mismatch": "#fde2b8",
                 "crashed": "#f9d6d5"}


def summary_html(results: list[dict], elapsed: float | None = None) -> str:
    rows = [r for res in results for r in csv_rows(res)]
    students = sorted({r["student"] for r in rows})
    notebooks = sorted({r["notebook"] for r in rows})
    tot: dict[tuple[str, str], list[float]] = {}
    for r in rows:
        t = tot.setdefault((r["student"], r["notebook"]), [0.0, 0.0])
        t[0] += float(r["points"])
        t[1] += float(r["max_points"])
    head = "".join(f"<th>{html.escape(n)}</th>" for n in notebooks)
    body = []
    for s in students:
        tds = []
        for n in notebooks:
            if (s, n) in tot:
                p, m = tot[(s, n)]
                tds.append(f"<td>{_num(p)} / {_num(m)}</td>")
            else:
                tds.append("<td>–</td>")
        body.append(f"<tr><th>{html.escape(s)}</th>{''.join(tds)}</tr>")
    detail = []
    for r in rows:
        colour = STATUS_COLOUR.get(r["status"], "")
        detail.append("<tr>" + "".join(f"<td>{html.escape(str(r[c]))}</td>" for c in COLUMNS[:5])
                      + f'<td style="background:{colour}">{html.escape(r["status"])}</td>'
                      + f"<td>{html.escape(r['message'])}</td></tr>")
    took = f"<p>Graded in {elapsed:.0f} s.</p>" if elapsed is not None else ""
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<title>Grades</title><style>body{font-family:sans-serif;margin:2em}"
            "table{border-collapse:collapse;margin-bottom:2em}td,th{border:1px solid #ccc;"
            "padding:.25em .5em;text-align:left;vertical-align:top}</style></head><body>\n"
            f"<h1>Grades</h1>{took}\n<h2>Points per student and notebook</h2>\n"
            f"<table><tr><th>student</th>{head}</tr>\n" + "\n".join(body) + "</table>\n"
            "<h2>Every check</h2>\n<table><tr>"
            + "".join(f"<th>{c}</th>" for c in COLUMNS) + "</tr>\n" + "\n".join(detail)
            + "</table>\n</body></html>\n")


def _row_order(masters: dict[str, Master]):
    def key(result_row):
        res, r = result_row
        order = {cid: k for k, cid in
                 enumerate(masters[res["notebook"]].plan.check_ids)} if res["notebook"] in masters \
            else {}
        return (res["student"], res["notebook"], r["exercise"].startswith("["),
                order.get(r["exercise"], 1 << 30), r["exercise"])
    return key


def grade_all(submissions: Path, out: Path, masters_dir: Path, jobs: int = 2,
              cell_timeout: float = 60, setup_timeout: float = 600,
              notebook_timeout: float = 600, memory_mb: int = 8192,
              max_output_chars: int = 100_000, quiet: bool = False) -> int:
    t0 = time.monotonic()
    out = out.resolve()
    results_dir = out / "results"
    results_dir.mkdir(parents=True, exist_ok=True)
    masters = load_masters(masters_dir)
    if not masters:
        print(f"no course notebooks in {masters_dir}", file=sys.stderr)
        return 2
    found = discover(submissions)
    jobs_todo, done, keys = [], {}, set()
    for p in results_dir.glob("*.json"):
        try:
            r = json.loads(p.read_text())
            done[r["key"]] = r
        except (ValueError, KeyError, OSError):
            p.unlink(missing_ok=True)
    for path, rel in found:
        student, guess = split_submission_name(rel)
        key = f"{safe_name(student)}__{safe_name(clean_stem(guess))}"
        while key in keys:
            key += "_" + hashlib.sha1(str(rel).encode()).hexdigest()[:6]
        keys.add(key)
        sha = _sha(path)
        if key in done and done[key].get("sha256") == sha and done[key].get("rel") == str(rel):
            continue
        work = out / "work" / key
        assert out in work.resolve().parents
        jobs_todo.append({
            "path": str(path.resolve()), "rel": str(rel), "sha256": sha, "key": key,
            "student": student, "guess": guess, "masters": str(masters_dir.resolve()),
            "work": str(work), "executed": str(out / "executed" / safe_name(student)
                                                / f"{safe_name(clean_stem(guess))}.ipynb"),
            "cell_timeout": cell_timeout, "setup_timeout": setup_timeout,
            "notebook_timeout": notebook_timeout, "max_output_chars": max_output_chars,
            "setup_lock": str(out / ".setup.lock")})
    results = {k: v for k, v in done.items() if k in keys}
    skipped = len(found) - len(jobs_todo)
    csv_path = out / "grades.csv"
    ordered = _row_order(masters)

    def rewrite():
        pairs = sorted(((res, r) for res in results.values() for r in res["rows"]), key=ordered)
        write_csv(csv_path, [{"student": res["student"], "notebook": res["notebook"], **r}
                             for res, r in pairs])
    rewrite()
    print(f"==> {len(found)} submission(s) in {submissions}: {len(jobs_todo)} to grade, "
          f"{skipped} already graded (results in {out}/results)", flush=True)
    lock = threading.Lock()
    hard = setup_timeout + notebook_timeout + 180
    counter = [0]

    def work(job):
        t = time.monotonic()
        res = run_job(job, memory_mb, hard)
        tmp = results_dir / f".{job['key']}.tmp"
        with lock:
            write_csv(csv_path, csv_rows(res), mode="a")
            tmp.write_text(json.dumps(res, indent=1))
            tmp.replace(results_dir / f"{job['key']}.json")
            results[job["key"]] = res
            counter[0] += 1
            pts = sum(float(r["points"]) for r in res["rows"])
            mx = sum(float(r["max_points"]) for r in res["rows"])
            flags = sorted({r["status"] for r in res["rows"]} - {"pass", "fail", "ok", "note"})
            print(f"==> [{counter[0]}/{len(jobs_todo)}] {job['rel']}: {res['notebook']} "
                  f"{_num(pts)}/{_num(mx)} in {time.monotonic() - t:.1f} s"
                  + (f" ({', '.join(flags)})" if flags else ""), flush=True)
            (out / "summary.html").write_text(summary_html(list(results.values())),
                                              encoding="utf-8")

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        list(pool.map(work, jobs_todo))
    rewrite()
    elapsed = time.monotonic() - t0
    (out / "summary.html").write_text(summary_html(list(results.values()), elapsed),
                                      encoding="utf-8")
    n = len(jobs_todo)
    print(f"==> graded {n} submission(s) in {elapsed:.1f} s with {jobs} worker(s)"
          + (f" ({elapsed / n:.1f} s per submission)" if n else "")
          + f"; {csv_path}, {out / 'summary.html'}")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--one"]:
        job = json.loads(Path(argv[1]).read_text())
        res = grade_one(job)
        tmp = Path(argv[2]).with_suffix(".tmp")
        tmp.write_text(json.dumps(res))
        tmp.replace(argv[2])
        return 0
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("submissions", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--masters", type=Path, default=REPO / "notebooks",
                    help="the course notebooks (with solutions); default notebooks/")
    ap.add_argument("--jobs", type=int, default=int(os.environ.get("GRADE_JOBS", 2)),
                    help="submissions executed in parallel (default 2; env GRADE_JOBS)")
    ap.add_argument("--cell-timeout", type=float, default=60, help="seconds per cell (60)")
    ap.add_argument("--setup-timeout", type=float, default=600,
                    help="seconds for the setup cell, which may compile dependencies (600)")
    ap.add_argument("--notebook-timeout", type=float, default=600,
                    help="seconds per notebook, replays after a timeout included (600)")
    ap.add_argument("--memory-mb", type=int, default=8192,
                    help="address-space limit of each grading process and its kernel (8192)")
    ap.add_argument("--max-output-chars", type=int, default=100_000,
                    help="output kept per cell; the rest is dropped (100000)")
    a = ap.parse_args(argv)
    if not a.submissions.is_dir():
        print(f"{a.submissions}: not a folder of submissions", file=sys.stderr)
        return 2
    return grade_all(a.submissions, a.out, a.masters, a.jobs, a.cell_timeout, a.setup_timeout,
                     a.notebook_timeout, a.memory_mb, a.max_output_chars)


if __name__ == "__main__":
    sys.exit(main())
