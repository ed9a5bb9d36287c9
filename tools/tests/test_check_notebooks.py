"""Tests for tools/check_notebooks.py and run_notebooks.py's pure helpers (no kernel needed).

Each hygiene fixture is the good sample notebook (fixtures/00_sample.ipynb) with one rule broken,
written to a tmp dir; the checker must report that problem, and only the good one passes.
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path

import nbformat
import pytest

TOOLS = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
sys.path.insert(0, str(TOOLS))

import check_notebooks as cn  # noqa: E402
import run_notebooks as rn  # noqa: E402

GOOD = FIXTURES / "00_sample.ipynb"


def good_nb() -> dict:
    return json.loads(GOOD.read_text(encoding="utf-8"))


def src(cell) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def write(tmp_path: Path, nb: dict, name: str = "00_sample.ipynb") -> Path:
    p = tmp_path / name
    p.write_text(json.dumps(nb, indent=1), encoding="utf-8")
    return p


def first_code(nb) -> dict:
    return next(c for c in nb["cells"] if c["cell_type"] == "code")


def problems(tmp_path, nb, name="00_sample.ipynb") -> list[str]:
    return cn.check_notebook(write(tmp_path, nb, name))


# ------------------------------------------------------------------ check_notebooks


def test_good_fixtures_pass():
    for p in [GOOD, *sorted((FIXTURES / "failing").glob("*.ipynb"))]:
        assert cn.check_notebook(p) == [], p


def test_good_with_features_passes(tmp_path):
    nb = good_nb()
    first_code(nb)["source"] = (
        ':dep course_lib = { path = "../course_lib", features = ["frames"] }\n'
        "use course_lib::prelude::*;"
    )
    assert problems(tmp_path, nb) == []


def mutate_outputs(nb):
    cell = nb["cells"][3]
    cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "x\n"}]


def mutate_exec_count(nb):
    first_code(nb)["execution_count"] = 1


def mutate_kernel(nb):
    nb["metadata"]["kernelspec"]["name"] = "python3"


def mutate_setup(nb):
    first_code(nb)["source"] = ':dep course_lib = { path = "../course_lib" }\nuse std::fmt;'


def mutate_setup_extra(nb):
    first_code(nb)["source"] = (
        ':dep course_lib = { path = "../course_lib", version = "1" }\nuse course_lib::prelude::*;'
    )


def mutate_slide(nb):
    del nb["cells"][2]["metadata"]["slideshow"]


def mutate_slide_value(nb):
    nb["cells"][2]["metadata"]["slideshow"]["slide_type"] = "bogus"


def mutate_title(nb):
    nb["cells"][0]["source"] = "# Toolchain sample\n\nNo number."


def mutate_title_number(nb):
    nb["cells"][0]["source"] = src(nb["cells"][0]).replace("# 00 ·", "# 07 ·")


def mutate_first_cell_code(nb):
    cell = copy.deepcopy(nb["cells"][1])
    cell["id"] = "code-first"
    nb["cells"].insert(0, cell)


def mutate_objectives(nb):
    nb["cells"][0]["source"] = src(nb["cells"][0]).replace("Learning objectives", "Goals")


def mutate_summary(nb):
    for c in nb["cells"]:
        c["source"] = src(c).replace("## Summary", "## Wrap-up")


def mutate_references(nb):
    for c in nb["cells"]:
        c["source"] = src(c).replace("## References", "## Reading")


def mutate_solution(nb):
    for c in nb["cells"]:
        c["source"] = src(c).replace("// END SOLUTION\n", "")


def mutate_invalid(nb):
    del nb["cells"][0]["cell_type"]


CASES = [
    (mutate_outputs, "cell 3: has outputs"),
    (mutate_exec_count, "cell 1: has an execution count"),
    (mutate_kernel, "kernelspec name must be 'rust'"),
    (mutate_setup, "cell 1: first code cell must be exactly the standard setup cell"),
    (mutate_setup_extra, "cell 1: first code cell must be exactly the standard setup cell"),
    (mutate_slide, "cell 2: metadata.slideshow.slide_type"),
    (mutate_slide_value, "cell 2: metadata.slideshow.slide_type"),
    (mutate_title, "cell 0: first cell must start '# NN · Title'"),
    (mutate_title_number, "title number 07 does not match file name prefix 00"),
    (mutate_first_cell_code, "cell 0: first cell must be markdown"),
    (mutate_objectives, "no learning-objectives section"),
    (mutate_summary, "no 'Summary' heading"),
    (mutate_references, "no 'References' heading"),
    (mutate_solution, "'// BEGIN SOLUTION' without '// END SOLUTION'"),
    (mutate_invalid, "not a valid nbformat 4 notebook"),
]


@pytest.mark.parametrize("mutate,expected", CASES, ids=[c[0].__name__ for c in CASES])
def test_each_rule_is_reported(tmp_path, mutate, expected):
    nb = good_nb()
    mutate(nb)
    found = problems(tmp_path, nb)
    assert any(expected in p for p in found), found
    assert all(p.startswith(str(tmp_path / "00_sample.ipynb")) for p in found)


@pytest.mark.parametrize("name", ["1_x.ipynb", "01-intro.ipynb", "01_Intro.ipynb", "01_.ipynb"])
def test_bad_file_name(tmp_path, name):
    assert any("file name must match" in p for p in problems(tmp_path, good_nb(), name))


def test_not_json(tmp_path):
    p = tmp_path / "00_sample.ipynb"
    p.write_text("{not json", encoding="utf-8")
    assert any("not readable as JSON" in m for m in cn.check_notebook(p))


def test_main_exit_codes(tmp_path, capsys):
    good = write(tmp_path, good_nb())
    assert cn.main([str(good)]) == 0
    nb = good_nb()
    mutate_kernel(nb)
    mutate_summary(nb)
    bad = write(tmp_path, nb, "01_bad.ipynb")
    assert cn.main([str(good), str(bad)]) == 1
    out = capsys.readouterr().out
    assert "01_bad.ipynb: kernelspec" in out and "no 'Summary' heading" in out


def test_no_notebooks_is_not_a_failure(monkeypatch, tmp_path):
    monkeypatch.setattr(cn, "NOTEBOOK_DIR", tmp_path)
    assert cn.main([]) == 0


def test_fix_strip(tmp_path):
    nb = good_nb()
    mutate_outputs(nb)
    mutate_exec_count(nb)
    first_code(nb)["metadata"]["execution"] = {"iopub.status.busy": "2025-01-01T00:00:00Z"}
    p = write(tmp_path, nb)
    assert cn.check_notebook(p)
    assert cn.main(["--fix-strip", str(p)]) == 0
    assert cn.check_notebook(p) == []
    assert "execution" not in first_code(json.loads(p.read_text()))["metadata"]


# ------------------------------------------------------------------ run_notebooks helpers


def test_title_extraction():
    nb = nbformat.read(GOOD, as_version=4)
    assert rn.notebook_title(nb, "fallback") == "00 · Toolchain sample"
    assert rn.notebook_title({"cells": [{"cell_type": "code", "source": "# x"}]}, "fb") == "fb"


def test_timing_table_and_budgets():
    fast = rn.Timing("01_fast", setup_s=4.2, cell_s=[0.3, 0.5, 0.9], cell_idx=[3, 5, 8],
                     total_s=12.0)
    slow = rn.Timing("02_slow", setup_s=30.0, cell_s=[1.5, 2.5], cell_idx=[2, 4], total_s=75.0)
    failed = rn.Timing("03_broken", status="FAIL")
    assert fast.median_s == 0.5 and fast.max_s == 0.9 and fast.max_cell == 8
    assert slow.median_s == 2.0
    table = rn.timing_table([fast, slow, failed])
    assert "| 01_fast | 4.2 | 0.50 | 0.90 (cell 8) | 12.0 | ok |" in table
    assert "| 03_broken | - | - | - | 0.0 | FAIL |" in table
    assert rn.budget_warnings(fast) == []
    warns = rn.budget_warnings(slow)
    assert len(warns) == 3 and all(w.startswith("WARN 02_slow") for w in warns)


def test_cell_error_detection():
    compile_err = {"outputs": [{"output_type": "error", "ename": "Error", "evalue": "mismatched",
                                "traceback": ["\x1b[31m[E0308] Error:\x1b[0m mismatched types"]}]}
    assert rn.cell_error(compile_err) == "[E0308] Error: mismatched types"
    panic = {"outputs": [
        {"output_type": "stream", "name": "stderr", "text": "\n"},
        {"output_type": "stream", "name": "stderr",
         "text": "thread '<unnamed>' (123) panicked at src/lib.rs:1:2:\n"},
        {"output_type": "stream", "name": "stderr", "text": "index out of bounds\n"},
        {"output_type": "stream", "name": "stderr", "text": "stack backtrace:\n   0: foo\n"},
    ]}
    err = rn.cell_error(panic)
    assert err.splitlines() == ["thread '<unnamed>' (123) panicked at src/lib.rs:1:2:",
                                "index out of bounds"]
    ok = {"outputs": [{"output_type": "stream", "name": "stderr", "text": "warning: unused\n"},
                      {"output_type": "execute_result", "data": {"text/plain": "1"}}]}
    assert rn.cell_error(ok) is None
    # a Figure shown through Debug (evcxr could not call evcxr_display) is a missing picture
    fallback = {"outputs": [{"output_type": "execute_result", "data": {"text/plain":
        'Figure "t" was not drawn inline: end the cell with a plain variable'}}]}
    assert rn.cell_error(fallback).startswith('Figure "t" was not drawn inline')


def test_failure_message_names_cell():
    msg = rn.failure_message("notebooks/01_x.ipynb", 4, "[E0308] Error: mismatched types\n  at 1")
    assert msg.splitlines()[0] == "notebooks/01_x.ipynb: cell 4 failed: [E0308] Error: mismatched types"


def test_index_html_lists_notebooks():
    page = rn.index_html([("01_a.html", "01 · A <b>", "ok"), ("02_b.html", "02 · B", "FAIL")])
    assert '<a href="01_a.html">01 · A &lt;b&gt;</a>' in page
    assert "(FAIL)" in page
    assert "No notebooks yet" in rn.index_html([])


def test_uses_frames_reads_only_the_setup_cell(tmp_path):
    """setup warms polars only for notebooks whose setup cell asks for feature `frames`."""
    plain = good_nb()
    path = tmp_path / "plain.ipynb"
    path.write_text(json.dumps(plain), encoding="utf-8")
    assert not rn._uses_frames(path)

    mentions = copy.deepcopy(plain)  # a later cell that talks about frames does not count
    mentions["cells"].append(nbformat.v4.new_code_cell('// features = ["frames"]'))
    path.write_text(json.dumps(mentions), encoding="utf-8")
    assert not rn._uses_frames(path)

    frames = copy.deepcopy(plain)
    setup = next(c for c in frames["cells"] if c["cell_type"] == "code")
    setup["source"] = rn.FRAMES_SETUP_CELL
    path.write_text(json.dumps(frames), encoding="utf-8")
    assert rn._uses_frames(path)


def test_notebooks_prelude_loads_course_lib_exactly_as_the_setup_cell():
    """notebooks/evcxr.toml preloads course_lib at kernel start. Its `:dep` line must be the
    setup cell's, character for character: any difference (a path, a feature) changes evcxr's
    Cargo.toml, and the setup cell would then rebuild and reload course_lib, losing the point."""
    import tomllib

    config = tomllib.loads((rn.NOTEBOOK_DIR / "evcxr.toml").read_text())
    prelude = config["evcxr"]["prelude"].strip().splitlines()
    assert "\n".join(prelude[:2]) == rn.SETUP_CELL
    # one variable whose type evcxr must infer: that is what warms its type inference
    assert any(line.startswith("let course_lib_loaded") for line in prelude[2:])
