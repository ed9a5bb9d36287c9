"""The grader and the student copies on the real Rust kernel, with the small fixture notebook
fixtures/homework/97_homework.ipynb and its submissions (regenerate them with
fixtures/homework/make_submissions.py). They fail when no 'rust' kernel is registered (make test registers it first)."""

from __future__ import annotations

import copy
import csv
import json
import os
import re
import shutil
import sys
from pathlib import Path

import pytest

TOOLS = Path(__file__).resolve().parent.parent
REPO = TOOLS.parent
HOMEWORK = Path(__file__).resolve().parent / "fixtures" / "homework"
sys.path.insert(0, str(TOOLS))

import grade  # noqa: E402
import homework as hw  # noqa: E402


def _have_rust_kernel() -> bool:
    from jupyter_client.kernelspec import KernelSpecManager

    return "rust" in KernelSpecManager().find_kernel_specs()


@pytest.fixture(autouse=True)
def _rust_kernel_required():
    # A missing kernel fails these tests (never skips them): `make test` registers it first.
    if not _have_rust_kernel():
        pytest.fail("no 'rust' Jupyter kernel registered: run `make setup` (make test does)")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    out = tmp_path_factory.mktemp("grades")
    rc = grade.grade_all(HOMEWORK / "submissions", out, HOMEWORK, jobs=2, cell_timeout=30,
                         notebook_timeout=400)
    assert rc == 0
    with open(out / "grades.csv", newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        assert reader.fieldnames == grade.COLUMNS
        rows = list(reader)
    table = {}
    for r in rows:
        table.setdefault(r["student"], {})[r["exercise"]] = r
    return out, table


IDS = ["97-double", "97-double-zero", "97-mean", "97-mean-one"]


def statuses(table, student):
    return [table[student][i]["status"] for i in IDS]


def points(table, student):
    return sum(float(table[student][i]["points"]) for i in IDS)


def test_correct_submission(graded):
    _, t = graded
    assert statuses(t, "alice") == ["pass"] * 4 and points(t, "alice") == 5
    assert [t["alice"][i]["max_points"] for i in IDS] == ["1", "1", "2", "1"]
    assert t["alice"]["[reproducibility]"]["status"] == "ok"


def test_partly_wrong_submission_with_an_edited_output(graded):
    _, t = graded
    assert statuses(t, "bob") == ["pass", "pass", "fail", "pass"] and points(t, "bob") == 3
    assert "got 9.000" in t["bob"]["97-mean"]["message"]
    repro = t["bob"]["[reproducibility]"]
    assert repro["status"] == "mismatch" and "draw = 0.123456" in repro["message"]


def test_panicking_submission(graded):
    _, t = graded
    assert statuses(t, "carol") == ["pass", "pass", "fail", "fail"]
    assert "your code panicked: index out of bounds" in t["carol"]["97-mean"]["message"]


def test_infinite_loop_is_killed_and_the_rest_still_graded(graded):
    _, t = graded
    assert statuses(t, "dave") == ["timeout", "timeout", "pass", "pass"]
    assert "timed out after 30 s" in t["dave"]["97-double"]["message"]
    assert t["dave"]["[run]"]["status"] == "timeout"


def test_compile_error(graded):
    _, t = graded
    assert statuses(t, "erin") == ["pass", "pass", "error", "error"]
    msg = t["erin"]["97-mean"]["message"]
    assert "cannot find function `mean`" in msg and "your exercise cell failed" in msg


def test_malformed_file(graded):
    _, t = graded
    assert statuses(t, "frank") == ["invalid"] * 4 and points(t, "frank") == 0
    assert "not valid JSON" in t["frank"]["[file]"]["message"]


def test_wrong_kernel_and_huge_output(graded):
    out, t = graded
    assert statuses(t, "grace") == ["pass"] * 4
    assert "'python3'" in t["grace"]["[kernel]"]["message"]
    assert t["grace"]["[output]"]["status"] == "note"
    nb = json.loads((out / "executed" / "grace" / "97_homework.ipynb").read_text())
    assert len(json.dumps(nb)) < 400_000


def test_deleted_and_reordered_cells(graded):
    _, t = graded
    assert statuses(t, "heidi") == ["pass"] * 4
    msg = t["heidi"]["[cells]"]["message"]
    assert "reordered" in msg and "re-inserted from the course copy: 97-double-check" in msg


def test_unknown_notebook(graded):
    _, t = graded
    assert t["ivan"]["[file]"]["status"] == "unknown-notebook"


def test_summary_and_resume(graded, capsys):
    out, _ = graded
    page = (out / "summary.html").read_text()
    assert "alice" in page and "5 / 5" in page
    before = (out / "grades.csv").read_text()
    assert grade.grade_all(HOMEWORK / "submissions", out, HOMEWORK, jobs=2) == 0
    assert "0 to grade, 9 already graded" in capsys.readouterr().out
    assert (out / "grades.csv").read_text() == before


def test_student_copy_compiles_and_every_check_fails(tmp_path):
    nb = hw.read_nb(HOMEWORK / "97_homework.ipynb")
    plan = hw.analyse(nb, "97_homework.ipynb")
    stu = hw.student_copy(nb, "97_homework.ipynb")
    assert hw.leftover_solution(nb, stu) == []
    res = grade.run_student_copy(stu, "97_homework.ipynb", tmp_path)
    assert grade.student_copy_problems(res, plan) == []
    out = "".join(grade.stdout_text(c) for c in res.nb["cells"] if c["cell_type"] == "code")
    assert "FAIL [97-double]: your code panicked: not yet implemented" in out
    assert "97-mean-one" not in out  # hidden from students
    # The kernel is stopped at once (no graceful shutdown), so evcxr cannot remove its build
    # folder (50-700 MB); it lives in the run's own TMPDIR, which the grader deletes.
    assert list(tmp_path.rglob(".kernel-tmp")) == []


@pytest.mark.parametrize("inside_repo", [False, True])
def test_kernel_tmpdir_is_the_runs_own(tmp_path, monkeypatch, inside_repo):
    """A kernel started by the grader sees a TMPDIR of its own (checked from Rust), deleted after
    the run, also when the run's folder is given relative to a working directory inside this
    repository (a Cargo workspace, as `make test-student` does)."""
    nb = hw.read_nb(HOMEWORK / "97_homework.ipynb")
    probe = copy.deepcopy(nb)
    code = [c for c in probe["cells"] if c["cell_type"] == "code"]
    code[1]["source"] = 'println!("TMPDIR={}", std::env::var("TMPDIR").unwrap_or_default());'
    probe["cells"] = [c for c in probe["cells"] if c is code[0] or c is code[1]]
    if inside_repo:
        work = REPO / "build" / f"test-kernel-tmp-{os.getpid()}"
        monkeypatch.chdir(REPO)
        workdir = work.relative_to(REPO)
    else:
        work = workdir = tmp_path / "w"
    try:
        res = grade.execute_notebook(probe, workdir)
    finally:
        if inside_repo:
            shutil.rmtree(work, ignore_errors=True)
    out = grade.stdout_text(probe["cells"][1])
    m = re.search(r"TMPDIR=(\S+)", out)
    assert m and Path(m.group(1)).name.startswith("course-kernel-"), (out, res)
    assert not Path(m.group(1)).exists()
