"""Fast tests (no kernel) for tools/homework.py, the grader's pure parts (tools/grade.py) and
the book's page helpers (tools/book.py)."""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path

import pytest

TOOLS = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
HOMEWORK = FIXTURES / "homework"
sys.path.insert(0, str(TOOLS))

import book  # noqa: E402
import check_notebooks as cn  # noqa: E402
import grade  # noqa: E402
import homework as hw  # noqa: E402

MASTER = HOMEWORK / "97_homework.ipynb"


def master() -> dict:
    return hw.read_nb(MASTER)


def by_gid(nb, gid):
    return next(c for c in nb["cells"] if c.get("metadata", {}).get("nbgrader", {})
                .get("grade_id") == gid)


def code(src, tags=None, **meta):
    m = {"slideshow": {"slide_type": "-"}, **meta}
    if tags:
        m["tags"] = tags
    return {"cell_type": "code", "execution_count": None, "id": f"c{abs(hash(src)) % 10**8}",
            "metadata": m, "outputs": [], "source": src}


def md(src):
    return {"cell_type": "markdown", "id": f"m{abs(hash(src)) % 10**8}",
            "metadata": {"slideshow": {"slide_type": "-"}}, "source": src}


SETUP = ':dep course_lib = { path = "../course_lib" }\nuse course_lib::prelude::*;'
EX = "fn f() -> u32 {\n    // BEGIN SOLUTION\n    42\n    // END SOLUTION\n}"
CHECK = 'check_fn("42-f", || expect_eq(f(), 42, "the answer"));'


def nb_of(*cells):
    return {"cells": list(cells), "metadata": {"kernelspec": {"name": "rust"}}, "nbformat": 4,
            "nbformat_minor": 5}


def messages(nb, name="42_x.ipynb"):
    return [m for _, m in hw.metadata_problems(nb, name)]


# ------------------------------------------------------------------ annotate


def test_fixture_metadata_is_derived_and_annotate_is_idempotent():
    nb = master()
    assert hw.annotate(nb, MASTER.name) == []  # committed annotated
    assert hw.metadata_problems(nb, MASTER.name) == []
    assert by_gid(nb, "97-double-answer")["metadata"]["nbgrader"] == {
        "grade": False, "grade_id": "97-double-answer", "locked": False, "schema_version": 3,
        "solution": True, "task": False}
    check = by_gid(nb, "97-double-check")["metadata"]["nbgrader"]
    assert check["grade"] and check["locked"] and not check["solution"]
    assert check["points"] == 2  # two ids, one point each
    # '// points: 97-mean=2' plus the hidden 97-mean-one (1 point)
    assert by_gid(nb, "97-mean-check")["metadata"]["nbgrader"]["points"] == 3
    assert by_gid(nb, "setup")["metadata"]["nbgrader"]["locked"] is True
    plan = hw.analyse(nb, MASTER.name)
    assert plan.check_ids == ["97-double", "97-double-zero", "97-mean", "97-mean-one"]
    assert plan.exercises[1].points == {"97-mean": 2.0, "97-mean-one": 1.0}


def test_annotate_unseen_notebook_from_scratch():
    nb = nb_of(md("# 42 · X"), code(SETUP), code("let x = 1;"), code(EX), md("text"),
               code("use course_lib::grade::*;\n// points: 3\n" + CHECK))
    changes = hw.annotate(nb, "42_x.ipynb")
    assert any("tagged 'solution'" in c for c in changes)
    assert nb["cells"][3]["metadata"]["tags"] == ["solution"]
    assert nb["cells"][5]["metadata"]["nbgrader"]["points"] == 3
    assert "nbgrader" not in nb["cells"][2]["metadata"]
    once = copy.deepcopy(nb)
    assert hw.annotate(nb, "42_x.ipynb") == [] and nb == once
    assert hw.metadata_problems(nb, "42_x.ipynb") == []


def test_annotate_removes_stale_keeps_hand_marked_readonly():
    ro = {"grade": False, "grade_id": "intro", "locked": True, "solution": False}
    nb = nb_of(md("# 42"), code(SETUP), code("let a = 1;", nbgrader={"grade": True,
               "grade_id": "old", "points": 1, "locked": True, "solution": False}),
               code("let b = 2;", nbgrader=dict(ro)))
    changes = hw.annotate(nb, "42_x.ipynb")
    assert "nbgrader" not in nb["cells"][2]["metadata"]
    assert nb["cells"][3]["metadata"]["nbgrader"] == ro
    assert any("stale" in c for c in changes)


@pytest.mark.parametrize("cells,expected", [
    ([code("fn f() { todo!() }", tags=["solution"]), code(CHECK)], "has no '// BEGIN SOLUTION'"),
    ([md("x\n// BEGIN SOLUTION\ny\n// END SOLUTION"), code(CHECK)],
     "solution delimiters outside a code cell"),
    ([code(EX), code("let y = f();")], "calls no check*"),
    ([code(EX)], "not followed by a check cell"),
    ([code(EX), code(EX.replace("fn f", "fn g"))], "not followed by a check cell"),
    ([code(EX), code(CHECK), code(EX.replace("fn f", "fn g")), code(CHECK.replace("f()", "g()"))],
     "duplicate check id '42-f'"),
    ([code("let v: u32 = {\n    // BEGIN SOLUTION\n    4\n    // END SOLUTION\n};"), code(CHECK)],
     "top-level `let` block"),
    ([code(EX), code(CHECK.replace("42-f", "07-f"))], "does not start with this notebook's"),
    ([code(EX), code(CHECK.replace("42-f", "42_F"))], "must look like 'NN-short-name'"),
    ([code(EX), code("// points: 42-g=2\n" + CHECK)], "names '42-g'"),
    ([code("fn f() {\n    // BEGIN SOLUTION\n    // BEGIN SOLUTION\n}"), code(CHECK)], "nested"),
    ([code("fn f() {\n    //BEGIN SOLUTION\n}"), code(CHECK)], "looks like a solution delimiter"),
    ([code("let z = 3;"), code(CHECK)], "outside a check cell"),
])
def test_shape_problems(cells, expected):
    nb = nb_of(md("# 42 · X"), code(SETUP), *cells)
    found = [m for _, m in hw.analyse(nb, "42_x.ipynb").problems]
    assert any(expected in m for m in found), found


def test_hygiene_requires_metadata_and_flags_mismatches(tmp_path):
    good = master()
    bad = copy.deepcopy(good)
    del by_gid(bad, "97-double-answer")["metadata"]["tags"]
    by_gid(bad, "97-double-check")["metadata"]["nbgrader"]["points"] = 7
    del by_gid(bad, "97-mean-answer")["metadata"]["nbgrader"]
    by_gid(bad, "setup")["metadata"]["nbgrader"]["grade_id"] = "97-double-answer"
    found = messages(bad, "97_homework.ipynb")
    assert any("not tagged 'solution'" in m for m in found)
    assert any("expected" in m and "'points': 2" in m for m in found)
    assert any("no nbgrader metadata" in m for m in found)
    assert any("duplicate grade_id '97-double-answer'" in m for m in found)
    p = tmp_path / "97_homework.ipynb"
    hw.write_nb(bad, p)
    assert any("run `make annotate`" in m for m in cn.check_notebook(p))
    hw.write_nb(good, p)
    assert cn.check_notebook(p) == []


# ------------------------------------------------------------------ student copies


def test_student_copy_removes_solutions_and_hidden_checks():
    nb = master()
    nb["cells"][3]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "x"}]
    nb["cells"][3]["execution_count"] = 4
    stu = hw.student_copy(nb, MASTER.name)
    assert hw.leftover_solution(nb, stu) == []
    text = json.dumps(stu)
    assert "BEGIN SOLUTION" not in text and "xs.iter().sum" not in text
    assert "97-mean-one" not in text and "HIDDEN" not in text
    assert hw.source(by_gid(stu, "97-double-answer")) == \
        "fn double(x: u64) -> u64 {\n    todo!()\n}"
    assert all(c.get("outputs", []) == [] and c.get("execution_count") is None
               for c in stu["cells"] if c["cell_type"] == "code")
    assert by_gid(stu, "97-double-check")["metadata"]["editable"] is False
    assert by_gid(stu, "97-double-answer")["metadata"]["deletable"] is False
    assert stu["metadata"]["course"] == {"notebook": "97_homework", "student_copy": True}
    # a hidden check cell disappears whole
    nb2 = master()
    by_gid(nb2, "97-double-check")["metadata"]["tags"] = ["hidden"]
    assert "97-double-zero" not in json.dumps(hw.student_copy(nb2, MASTER.name))


def test_leftover_detector_catches_a_planted_leak():
    nb = master()
    stu = hw.student_copy(nb, MASTER.name)
    by_gid(stu, "97-mean-answer")["source"] += "\n// xs.iter().sum::<f64>() / xs.len() as f64"
    stu["cells"].append(code("let leak = 1;\n    xs.iter().sum::<f64>() / xs.len() as f64"))
    assert hw.leftover_solution(nb, stu)


def test_student_copies_of_course_notebooks_are_clean(tmp_path):
    paths = sorted((TOOLS.parent / "notebooks").glob("*.ipynb"))
    assert hw.cmd_student(paths, tmp_path) == 0
    for p in paths:
        assert hw.leftover_solution(hw.read_nb(p), hw.read_nb(tmp_path / p.name)) == [], p


def test_replace_solutions_keeps_indentation():
    src = "impl X {\n    fn f(&self) {\n        // BEGIN SOLUTION\n        1;\n        // END SOLUTION\n    }\n}"
    assert hw.replace_solutions(src) == "impl X {\n    fn f(&self) {\n        todo!()\n    }\n}"


# ------------------------------------------------------------------ grader, pure parts


def test_parse_results_and_names():
    text = "PASS [01-a]: correct\nnoise\nFAIL [01-b]: expected 3 — hint: x\nPASS [01-b]: later"
    assert grade.parse_results(text) == {"01-a": (True, "correct"),
                                         "01-b": (False, "expected 3 — hint: x")}
    assert grade.split_submission_name(Path("alice/01_x.ipynb")) == ("alice", "01_x")
    assert grade.split_submission_name(Path("bob__01_x.ipynb")) == ("bob", "01_x")
    assert grade.split_submission_name(Path("a__b__01_x.ipynb")) == ("a__b", "01_x")
    assert grade.clean_stem("01_x (2)") == "01_x" and grade.clean_stem("01_x-checkpoint") == "01_x"
    for evil in ["../../etc/passwd", "..", "/abs", "a/b", ".hidden", ""]:
        s = grade.safe_name(evil)
        assert "/" not in s and not s.startswith(".") and s


def test_identify_by_name_metadata_number_and_grade_ids():
    ms = {"97_homework": grade.Master("97_homework", master(), hw.analyse(master(), MASTER.name))}
    assert grade.identify("97_homework", None, ms) == ("97_homework", "file name")
    assert grade.identify("97_homework (1)", None, ms)[0] == "97_homework"
    stu = hw.student_copy(master(), MASTER.name)
    assert grade.identify("my_homework", stu, ms) == ("97_homework", "the student copy's metadata")
    assert grade.identify("97-hw", None, ms)[0] == "97_homework"
    del stu["metadata"]["course"]
    assert grade.identify("renamed", stu, ms)[1] == "its grade ids"
    assert grade.identify("intro_to_python", {"cells": []}, ms) == (None, "")


def _ms():
    nb = master()
    return grade.Master("97_homework", nb, hw.analyse(nb, MASTER.name))


def test_merge_restores_deleted_checks_and_keeps_answers_and_order():
    m = _ms()
    sub = hw.student_copy(m.nb, MASTER.name)
    by_gid(sub, "97-double-answer")["source"] = "fn double(x: u64) -> u64 { x + x }"
    by_gid(sub, "97-mean-check")["source"] = 'println!("PASS [97-mean]: correct");'  # tampered
    cells = sub["cells"]
    cells.remove(by_gid(sub, "97-double-check"))
    cells.append(code("// my scratch cell"))
    ans = by_gid(sub, "97-double-answer")
    cells.remove(ans)
    cells.append(ans)
    graded, submitted, notes = grade.merge(m, sub)
    assert any("reordered" in n for n in notes)
    assert any("re-inserted from the course copy: 97-double-check" in n for n in notes)
    assert any("1 cell(s) added" in n for n in notes)
    gids = [c["metadata"].get("nbgrader", {}).get("grade_id") for c in graded["cells"]]
    assert gids.index("97-double-answer") + 1 == gids.index("97-double-check")
    assert hw.source(by_gid(graded, "97-double-answer")) == "fn double(x: u64) -> u64 { x + x }"
    # check cells always come from the course copy, hidden checks included
    assert "97-mean-one" in hw.source(by_gid(graded, "97-mean-check"))
    assert "// my scratch cell" in [hw.source(c) for c in graded["cells"]]
    assert len({c["id"] for c in graded["cells"]}) == len(graded["cells"])
    # deleted exercise cell: graded as the stub
    sub2 = hw.student_copy(m.nb, MASTER.name)
    sub2["cells"].remove(by_gid(sub2, "97-mean-answer"))
    g2, _, notes2 = grade.merge(m, sub2)
    assert "todo!()" in hw.source(by_gid(g2, "97-mean-answer"))
    assert any("graded as unanswered: 97-mean-answer" in n for n in notes2)


def test_kernel_notes():
    m = _ms()
    assert grade.kernel_note({"metadata": {"kernelspec": {"name": "rust"}}}, m) is None
    assert "'python3'" in grade.kernel_note({"metadata": {"kernelspec": {"name": "python3"}}}, m)
    assert "no kernel" in grade.kernel_note({"metadata": {}}, m)


def test_reproducibility_ignores_timings_and_thread_numbers():
    a = [{"output_type": "stream", "name": "stdout", "text": "x = 1\nsweep took 3.2 s\n"},
         {"output_type": "stream", "name": "stderr",
          "text": "thread '<unnamed>' (123) panicked at x\n"}]
    b = [{"output_type": "stream", "name": "stdout", "text": "x = 1\n"},
         {"output_type": "stream", "name": "stdout", "text": "sweep took 9.9 s\n"},
         {"output_type": "stream", "name": "stderr",
          "text": "thread '<unnamed>' (999) panicked at x\n"}]
    assert grade.normalized_outputs(a) == grade.normalized_outputs(b)
    graded = {"cells": [{"cell_type": "code", "outputs": b},
                        {"cell_type": "code", "outputs": [
                            {"output_type": "execute_result", "data": {"text/plain": "2"}}]}]}
    assert grade.repro_row(graded, {0: a})["status"] == "ok"
    row = grade.repro_row(graded, {0: a, 1: [{"output_type": "execute_result",
                                              "data": {"text/plain": "3"}}]})
    assert row["status"] == "mismatch" and "cell 1" in row["message"] and "'text/plain: 3'" \
        in row["message"]
    assert grade.repro_row(graded, {0: []})["status"] == "not-executed"


def test_exercise_rows_statuses():
    m = _ms()
    g, _, _ = grade.merge(m, hw.student_copy(m.nb, MASTER.name))
    k1 = g["cells"].index(by_gid(g, "97-double-check"))
    k2 = g["cells"].index(by_gid(g, "97-mean-check"))
    ka = g["cells"].index(by_gid(g, "97-mean-answer"))
    by_gid(g, "97-double-check")["outputs"] = [
        {"output_type": "stream", "name": "stdout",
         "text": "PASS [97-double]: correct\nFAIL [97-double-zero]: expected 0, got 1\n"}]
    res = grade.RunResult(cells={k1: grade.CellRun("ok"), ka: grade.CellRun(
        "error", "[E0308] Error: mismatched types"), k2: grade.CellRun(
        "error", "[E0425] Error: cannot find function `mean`")})
    rows = {r["exercise"]: r for r in grade.exercise_rows(m, g, res)}
    assert rows["97-double"]["status"] == "pass" and rows["97-double"]["points"] == 1
    assert rows["97-double-zero"]["status"] == "fail" and rows["97-double-zero"]["points"] == 0
    assert rows["97-mean"]["status"] == "error" and rows["97-mean"]["max_points"] == 2
    assert "cannot find function `mean`" in rows["97-mean"]["message"]
    assert "your exercise cell failed: [E0308]" in rows["97-mean"]["message"]
    res.cells[k2] = grade.CellRun("timeout", "timed out after 60 s")
    assert grade.exercise_rows(m, g, res)[2]["status"] == "timeout"


def test_csv_and_summary(tmp_path):
    res = {"student": "a<b", "notebook": "97_homework", "rows": [
        grade._row("97-double", 1, 1, "pass", "correct"),
        grade._row("97-mean", 0, 2, "fail", "expected 3,\n got 9")]}
    p = tmp_path / "g.csv"
    grade.write_csv(p, grade.csv_rows(res))
    grade.write_csv(p, grade.csv_rows(res), mode="a")
    lines = p.read_text().splitlines()
    assert lines[0] == "student,notebook,exercise,points,max_points,status,message"
    assert lines[2] == 'a<b,97_homework,97-mean,0,2,fail,"expected 3, got 9"' and len(lines) == 5
    page = grade.summary_html([res], 12.0)
    assert "a&lt;b" in page and "1 / 3" in page and "Graded in 12 s" in page


# ------------------------------------------------------------------ book helpers


def test_book_objectives_map_and_nav():
    nb = master()
    assert book.notebook_objectives(nb) == ["write two small functions and read their checks"]
    nb00 = hw.read_nb(TOOLS.parent / "notebooks" / "00_welcome.ipynb")
    cmap = book.course_map(nb00)
    assert [r[0] for r in cmap] == [f"{i:02d}" for i in range(26)]
    objs = book.notebook_objectives(nb00)
    assert len(objs) >= 3
    page = book.index_page([{"number": "00", "href": "00_welcome.html", "title": "00 · Welcome",
                             "objectives": ["run *a* cell"], "status": "ok"}], cmap)
    assert '<a href="00_welcome.html">00 · Welcome</a>' in page and "<em>a</em>" in page
    assert page.count("(planned)") == 25
    nav = book.nav_html(None, ("01_x.html", "01 · X"))
    out = book.add_nav("<html><body class='x'>hi</body></html>", nav)
    assert out.count('href="01_x.html"') == 2 and 'href="index.html"' in out


def test_book_and_slides_from_an_executed_notebook(tmp_path):
    executed = tmp_path / "executed"
    executed.mkdir()
    (executed / MASTER.name).write_bytes(
        (HOMEWORK / "submissions" / "alice" / MASTER.name).read_bytes())
    assert book.build_book([MASTER], executed, tmp_path / "book", None) == 0
    index = (tmp_path / "book" / "index.html").read_text()
    assert index.count("<tr>") == 1 and "read their checks" in index
    page = (tmp_path / "book" / "97_homework.html").read_text()
    assert page.count('href="index.html"') == 2 and "PASS [97-double]" in page
    assert book.build_slides([MASTER], executed, tmp_path / "slides", None) == 0
    slides = (tmp_path / "slides" / "97_homework.slides.html").read_text()
    assert slides.count("<section") >= 4 and "reveal.js" in slides
