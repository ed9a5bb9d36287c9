#!/usr/bin/env python3
"""Exercises as nbgrader-compatible metadata, and student copies of the notebooks.

    tools/homework.py annotate [--check] [NOTEBOOK ...]   write nbgrader metadata (idempotent)
    tools/homework.py student [--out DIR] [NOTEBOOK ...]  student copies into build/student/
    tools/homework.py test-student [NOTEBOOK ...]         generate, execute and verify them

Default NOTEBOOK list: notebooks/*.ipynb.

The exercise shape (see the README, "Homework"): a code cell whose solution sits between lines
`// BEGIN SOLUTION` and `// END SOLUTION` (the cell is tagged `solution`) is an exercise; the
next code cell is its check cell, which calls `check*("NN-id", ...)` from `course_lib::grade`.
From that shape `annotate` derives nbgrader's cell metadata:

* exercise cell: `{solution: true, grade: false, locked: false, grade_id: "<first id>-answer"}`
* check cell: `{solution: false, grade: true, locked: true, grade_id: "<first id>-check",
  points: <sum over its check ids>}`; each id is worth 1 point unless the cell has a comment
  line `// points: 2` (every id in the cell) or `// points: 01-a=2, 01-b=0.5`
* the setup cell: read-only, `{locked: true, grade_id: "setup"}`

A check cell tagged `hidden`, and lines between `// BEGIN HIDDEN TESTS` and
`// END HIDDEN TESTS` in a check cell, are left out of the student copy; the grader always
runs the master's check cells. Pure Python, no Jupyter import: the hygiene check and the
grader import this module.
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = REPO / "notebooks"
STUDENT_DIR = REPO / "build" / "student"

BEGIN_SOLUTION = "// BEGIN SOLUTION"
END_SOLUTION = "// END SOLUTION"
BEGIN_HIDDEN = "// BEGIN HIDDEN TESTS"
END_HIDDEN = "// END HIDDEN TESTS"
STUB = "todo!()"
SCHEMA_VERSION = 3
SOLUTION_TAG = "solution"
HIDDEN_TAG = "hidden"
SETUP_GRADE_ID = "setup"

# check("id", ...), check_close("id", ...), grade::check_fn("id", ...), ...
CHECK_CALL = re.compile(r'\bcheck(?:_[a-z_]+)?\s*\(\s*"([^"\\]*)"')
EXERCISE_ID = re.compile(r"^(\d\d)-[a-z0-9][a-z0-9-]*$")
POINTS_LINE = re.compile(r"^\s*//\s*points\s*:\s*(.*?)\s*$", re.M)
GRADE_ID = re.compile(r"^[A-Za-z0-9_-]+$")
NB_NUMBER = re.compile(r"^(\d\d)_")


def source(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []) or [])


def _delimiter_like(line: str, word: str) -> bool:
    return word in line.upper() and line.strip().startswith(("//", "#", "/*"))


def solution_regions(src: str) -> tuple[list[tuple[int, int]], list[str]]:
    """(begin line, end line) pairs of `// BEGIN SOLUTION` … `// END SOLUTION` (0-based line
    numbers; a delimiter is a line equal to the marker once stripped), and problems."""
    regions, problems = [], []
    begin = None
    for n, line in enumerate(src.split("\n")):
        s = line.strip()
        if s == BEGIN_SOLUTION:
            if begin is not None:
                problems.append(f"line {n + 1}: nested '{BEGIN_SOLUTION}'")
            begin = n
        elif s == END_SOLUTION:
            if begin is None:
                problems.append(f"line {n + 1}: '{END_SOLUTION}' without '{BEGIN_SOLUTION}'")
            else:
                regions.append((begin, n))
                begin = None
        elif _delimiter_like(s, "BEGIN SOLUTION") or _delimiter_like(s, "END SOLUTION"):
            problems.append(f"line {n + 1}: {s!r} looks like a solution delimiter; write exactly "
                            f"'{BEGIN_SOLUTION}' / '{END_SOLUTION}' on a line of its own")
    if begin is not None:
        problems.append(f"line {begin + 1}: '{BEGIN_SOLUTION}' without '{END_SOLUTION}'")
    return regions, problems


def value_block_problem(src: str, regions: list[tuple[int, int]]) -> str | None:
    """A solution inside a top-level `let x = { … }` block: its `todo!()` panics when the cell
    runs, evcxr then forgets `x`, and the check cell no longer compiles."""
    lines = src.split("\n")
    for begin, _ in regions:
        for line in reversed(lines[:begin]):
            if line and not line[0].isspace() and not line.startswith(("//", "}", ")")):
                if re.match(r"let\s", line):
                    return (f"line {begin + 1}: the solution sits in a top-level `let` block; "
                            "in the student copy its todo!() panics when the cell runs and evcxr "
                            "forgets the variable, so the check cell stops compiling. Write a "
                            "function (`fn answer() -> T { … }`) and call it inside check_fn")
                break
    return None


def check_ids(src: str) -> list[str]:
    """Ids of the check*("id", …) calls in a cell, in order (comment lines skipped)."""
    code = "\n".join(ln for ln in src.split("\n") if not ln.strip().startswith("//"))
    return CHECK_CALL.findall(code)


def parse_points(src: str, ids: list[str]) -> tuple[dict[str, float], list[str]]:
    """Points per check id: 1 each, or as a `// points: …` comment says."""
    pts = {i: 1.0 for i in ids}
    problems = []
    for m in POINTS_LINE.finditer(src):
        spec = m.group(1)
        try:
            if "=" not in spec:
                value = float(spec)
                pts = {i: value for i in ids}
                continue
            for part in filter(None, (p.strip() for p in spec.split(","))):
                key, val = (x.strip() for x in part.split("=", 1))
                if key not in pts:
                    problems.append(f"'// points:' names {key!r}, which this cell does not check")
                    continue
                pts[key] = float(val)
        except ValueError:
            problems.append(f"cannot read '// points: {spec}' (write '// points: 2' or "
                            "'// points: 01-a=2, 01-b=1')")
    for k, v in pts.items():
        if v < 0 or v != v:
            problems.append(f"points for {k} must be a non-negative number")
    return pts, problems


@dataclass
class Exercise:
    solution: int  # cell index of the exercise cell
    check: int | None = None  # cell index of its check cell
    ids: list[str] = field(default_factory=list)
    points: dict[str, float] = field(default_factory=dict)
    hidden: bool = False

    @property
    def max_points(self) -> float:
        return sum(self.points.values())

    @property
    def answer_grade_id(self) -> str:
        return f"{self.ids[0]}-answer" if self.ids else f"answer-{self.solution}"

    @property
    def check_grade_id(self) -> str:
        return f"{self.ids[0]}-check" if self.ids else f"check-{self.check}"


@dataclass
class Plan:
    """What the notebook's shape says: exercises, the setup cell, and shape problems."""

    exercises: list[Exercise]
    setup: int | None
    problems: list[tuple[int | None, str]]

    def role(self, index: int) -> tuple[str, Exercise | None]:
        for ex in self.exercises:
            if ex.solution == index:
                return "solution", ex
            if ex.check == index:
                return "check", ex
        return ("setup", None) if index == self.setup else ("other", None)

    @property
    def check_ids(self) -> list[str]:
        return [i for ex in self.exercises for i in ex.ids]


def analyse(nb: dict, name: str = "") -> Plan:
    """Derive exercises from the cells' shape (never from existing metadata)."""
    cells = nb.get("cells", [])
    problems: list[tuple[int | None, str]] = []
    number = m.group(1) if (m := NB_NUMBER.match(Path(name).name)) else None
    code = [i for i, c in enumerate(cells) if c.get("cell_type") == "code"]
    setup = code[0] if code else None
    exercises: list[Exercise] = []
    solution_cells = set()
    for i, cell in enumerate(cells):
        src = source(cell)
        regions, probs = solution_regions(src)
        if cell.get("cell_type") != "code":
            if regions:
                problems.append((i, "solution delimiters outside a code cell"))
            continue
        problems += [(i, p) for p in probs]
        tagged = SOLUTION_TAG in tags(cell)
        if tagged and not regions:
            problems.append((i, f"tagged '{SOLUTION_TAG}' but has no '{BEGIN_SOLUTION}' … "
                             f"'{END_SOLUTION}' lines"))
        if regions:
            if i == setup:
                problems.append((i, "the setup cell cannot be an exercise"))
                continue
            if (p := value_block_problem(src, regions)):
                problems.append((i, p))
            solution_cells.add(i)
            exercises.append(Exercise(solution=i))
    checks = set()
    for ex in exercises:
        later = [j for j in code if j > ex.solution]
        if not later or later[0] in solution_cells:
            problems.append((ex.solution, "exercise cell is not followed by a check cell "
                             "(the next code cell must call check*(\"NN-id\", …))"))
            continue
        j = later[0]
        src = source(cells[j])
        ids = check_ids(src)
        if not ids:
            problems.append((j, "check cell (the code cell after an exercise) calls no "
                             "check*(\"NN-id\", …) from course_lib::grade"))
        ex.check, ex.ids = j, ids
        ex.hidden = HIDDEN_TAG in tags(cells[j])
        ex.points, probs = parse_points(src, ids)
        problems += [(j, p) for p in probs]
        checks.add(j)
        for cid in ids:
            mm = EXERCISE_ID.match(cid)
            if not mm:
                problems.append((j, f"check id {cid!r} must look like 'NN-short-name' "
                                 "(lower case, digits, dashes)"))
            elif number and mm.group(1) != number:
                problems.append((j, f"check id {cid!r} does not start with this notebook's "
                                 f"number {number}"))
        _, hidden_probs = _strip_hidden(src)
        problems += [(j, p) for p in hidden_probs]
    seen: dict[str, int] = {}
    for ex in exercises:
        for cid in ex.ids:
            if cid in seen and seen[cid] != ex.check:
                problems.append((ex.check, f"duplicate check id {cid!r} (also in cell {seen[cid]})"))
            elif cid in seen:
                problems.append((ex.check, f"check id {cid!r} used twice in the cell"))
            seen.setdefault(cid, ex.check)
    for i in code:
        if i in checks or i in solution_cells:
            continue
        stray = [c for c in check_ids(source(cells[i])) if EXERCISE_ID.match(c)]
        if stray:
            problems.append((i, f"check ids {stray} outside a check cell (not graded): put the "
                             "exercise in a cell with solution delimiters right before it"))
        if BEGIN_HIDDEN in source(cells[i]):
            problems.append((i, f"'{BEGIN_HIDDEN}' outside a check cell"))
    return Plan(exercises=exercises, setup=setup, problems=problems)


def expected_nbgrader(plan: Plan, index: int, cell: dict) -> dict | None:
    """The nbgrader metadata the shape implies for one cell (None: no metadata needed)."""
    role, ex = plan.role(index)
    base = {"schema_version": SCHEMA_VERSION, "task": False}
    if role == "solution":
        return base | {"grade": False, "grade_id": ex.answer_grade_id, "locked": False,
                       "solution": True}
    if role == "check":
        pts = ex.max_points
        return base | {"grade": True, "grade_id": ex.check_grade_id, "locked": True,
                       "points": int(pts) if pts == int(pts) else pts, "solution": False}
    if role == "setup":
        return base | {"grade": False, "grade_id": SETUP_GRADE_ID, "locked": True,
                       "solution": False}
    return None


def _foreign_readonly(meta: dict | None) -> bool:
    """nbgrader metadata an author set by hand on an ordinary cell: read-only, kept as is."""
    return bool(meta) and bool(meta.get("locked")) and not meta.get("solution") \
        and not meta.get("grade")


def metadata_problems(nb: dict, name: str = "") -> list[tuple[int | None, str]]:
    """Shape problems plus every difference between stored and derived metadata."""
    plan = analyse(nb, name)
    problems = list(plan.problems)
    grade_ids: dict[str, int] = {}
    for i, cell in enumerate(nb.get("cells", [])):
        meta = cell.get("metadata", {}).get("nbgrader")
        want = expected_nbgrader(plan, i, cell)
        role, _ = plan.role(i)
        if role == "solution" and SOLUTION_TAG not in tags(cell):
            problems.append((i, f"has solution delimiters but is not tagged '{SOLUTION_TAG}' "
                             "(run `make annotate`)"))
        if want is not None and meta != want:
            what = "no nbgrader metadata" if not meta else f"nbgrader metadata {meta}"
            problems.append((i, f"{role} cell has {what}, expected {want} (run `make annotate`)"))
        elif want is None and meta and not _foreign_readonly(meta):
            problems.append((i, f"nbgrader metadata {meta} on a cell that is neither an exercise, "
                             "a check nor the setup cell (run `make annotate`)"))
        if meta and meta.get("grade_id") is not None:
            gid = meta["grade_id"]
            if not GRADE_ID.match(str(gid)):
                problems.append((i, f"grade_id {gid!r} must match {GRADE_ID.pattern}"))
            if gid in grade_ids:
                problems.append((i, f"duplicate grade_id {gid!r} (also cell {grade_ids[gid]})"))
            grade_ids.setdefault(gid, i)
    return problems


def annotate(nb: dict, name: str = "") -> list[str]:
    """Write the derived metadata into `nb` in place; returns what changed (empty: nothing).
    Idempotent. Cells that are not exercises, checks or the setup cell lose stale nbgrader
    metadata, except read-only markings an author set by hand."""
    plan = analyse(nb, name)
    changes = []
    for i, cell in enumerate(nb.get("cells", [])):
        meta = cell.setdefault("metadata", {})
        want = expected_nbgrader(plan, i, cell)
        role, _ = plan.role(i)
        if role == "solution" and SOLUTION_TAG not in tags(cell):
            meta["tags"] = tags(cell) + [SOLUTION_TAG]
            changes.append(f"cell {i}: tagged '{SOLUTION_TAG}'")
        if want is not None and meta.get("nbgrader") != want:
            meta["nbgrader"] = want
            changes.append(f"cell {i}: {role} metadata, grade_id {want['grade_id']!r}"
                           + (f", {want['points']} point(s)" if role == "check" else ""))
        elif want is None and "nbgrader" in meta and not _foreign_readonly(meta["nbgrader"]):
            del meta["nbgrader"]
            changes.append(f"cell {i}: removed stale nbgrader metadata")
    return changes


# ---------------------------------------------------------------- student copies


def replace_solutions(src: str) -> str:
    """Each `// BEGIN SOLUTION` … `// END SOLUTION` region becomes `todo!()` at its indent."""
    lines = src.split("\n")
    regions, problems = solution_regions(src)
    if problems:
        raise ValueError("; ".join(problems))
    out, skip_until = [], -1
    starts = {b: e for b, e in regions}
    for n, line in enumerate(lines):
        if n <= skip_until:
            continue
        if n in starts:
            indent = line[: len(line) - len(line.lstrip())]
            out.append(indent + STUB)
            skip_until = starts[n]
            continue
        out.append(line)
    return "\n".join(out)


def _strip_hidden(src: str) -> tuple[str, list[str]]:
    out, problems, hidden = [], [], False
    for n, line in enumerate(src.split("\n")):
        s = line.strip()
        if s == BEGIN_HIDDEN:
            if hidden:
                problems.append(f"line {n + 1}: nested '{BEGIN_HIDDEN}'")
            hidden = True
        elif s == END_HIDDEN:
            if not hidden:
                problems.append(f"line {n + 1}: '{END_HIDDEN}' without '{BEGIN_HIDDEN}'")
            hidden = False
        elif not hidden:
            out.append(line)
    if hidden:
        problems.append(f"'{BEGIN_HIDDEN}' without '{END_HIDDEN}'")
    return "\n".join(out), problems


def solution_texts(nb: dict) -> list[str]:
    """The solution regions' text (without delimiters), for tests and sanity checks."""
    texts = []
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        lines = source(cell).split("\n")
        for b, e in solution_regions(source(cell))[0]:
            texts.append("\n".join(lines[b + 1:e]))
    return texts


def student_copy(nb: dict, name: str = "") -> dict:
    """The student version: solutions → `todo!()`, outputs cleared, hidden checks removed,
    locked cells marked read-only for JupyterLab (as nbgrader's LockCells does).
    Raises ValueError when the notebook's exercise shape is broken."""
    plan = analyse(nb, name)
    if plan.problems:
        i, msg = plan.problems[0]
        raise ValueError(f"{name}: cell {i}: {msg}" + (f" (and {len(plan.problems) - 1} more)"
                                                       if len(plan.problems) > 1 else ""))
    out = copy.deepcopy(nb)
    # Derived metadata, even if the stored one is stale (the copy must match the shape).
    annotate(out, name)
    keep = []
    for i, cell in enumerate(out["cells"]):
        role, ex = plan.role(i)
        meta = cell.setdefault("metadata", {})
        meta.pop("execution", None)
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
        if role == "solution":
            cell["source"] = replace_solutions(source(cell))
            meta["deletable"] = False
        elif role == "check":
            if ex.hidden:
                continue
            cell["source"], _ = _strip_hidden(source(cell))
            meta["deletable"] = False
            meta["editable"] = False
        elif role == "setup":
            meta["deletable"] = False
            meta["editable"] = False
        keep.append(cell)
    out["cells"] = keep
    course = out.setdefault("metadata", {}).setdefault("course", {})
    course["notebook"] = Path(name).stem if name else course.get("notebook", "")
    course["student_copy"] = True
    return out


def leftover_solution(master: dict, student: dict) -> list[str]:
    """Solution text still present in a student copy (empty: clean): a delimiter line in a code
    cell, a whole solution region anywhere, or any solution line (12+ characters) in the
    exercise's own cell."""
    found = []
    code = [c for c in student.get("cells", []) if c.get("cell_type") == "code"]
    for c in code:
        if any(ln.strip() in (BEGIN_SOLUTION, END_SOLUTION) for ln in source(c).split("\n")):
            found.append(f"cell {c.get('id')}: a solution delimiter is left")
    text = "\n".join(source(c) for c in student.get("cells", []))
    by_id = {c.get("id"): c for c in code}
    for mc in master.get("cells", []):
        if mc.get("cell_type") != "code":
            continue
        lines = source(mc).split("\n")
        for b, e in solution_regions(source(mc))[0]:
            sol = "\n".join(lines[b + 1:e])
            if sol.strip() and sol.strip() in text:
                found.append(f"solution text left: {sol.strip()[:60]!r}")
            own = source(by_id.get(mc.get("id"), {}))
            for line in sol.split("\n"):
                st = line.strip()
                if len(st) >= 12 and not st.startswith("//") and st in own:
                    found.append(f"cell {mc.get('id')}: solution line left: {st[:60]!r}")
    return found


# ---------------------------------------------------------------- files


def read_nb(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def write_nb(nb: dict, path: Path) -> None:
    """Same layout as tools/nbtext.py writes (indent 1, UTF-8, trailing newline)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def _paths(args_paths: list[Path]) -> list[Path]:
    return list(args_paths) or sorted(NOTEBOOK_DIR.glob("*.ipynb"))


def cmd_annotate(paths: list[Path], check_only: bool) -> int:
    status = 0
    for p in paths:
        nb = read_nb(p)
        before = json.dumps(nb, sort_keys=True)
        changes = annotate(nb, p.name)
        plan = analyse(nb, p.name)
        for i, msg in plan.problems:
            print(f"{p}: " + (f"cell {i}: " if i is not None else "") + msg)
            status = 1
        if changes:
            if check_only:
                print(f"{p}: metadata out of date ({len(changes)} change(s)): run `make annotate`")
                status = 1
            else:
                if json.dumps(nb, sort_keys=True) != before:
                    write_nb(nb, p)
                for c in changes:
                    print(f"{p}: {c}")
        ex = plan.exercises
        print(f"==> {p.name}: {len(ex)} exercise(s), {sum(len(e.ids) for e in ex)} check id(s), "
              f"{sum(e.max_points for e in ex):g} point(s)"
              + ("" if changes or check_only else ", metadata already up to date"))
    return status


def cmd_student(paths: list[Path], out: Path) -> int:
    status = 0
    out.mkdir(parents=True, exist_ok=True)
    for p in paths:
        try:
            nb = read_nb(p)
            stu = student_copy(nb, p.name)
        except (ValueError, OSError) as e:
            print(f"FAIL {p}: {e}", file=sys.stderr)
            status = 1
            continue
        left = leftover_solution(nb, stu)
        if left:
            print(f"FAIL {p}: {'; '.join(left)}", file=sys.stderr)
            status = 1
            continue
        write_nb(stu, out / p.name)
        n = len(analyse(nb, p.name).exercises)
        print(f"==> {out / p.name}: {n} exercise(s) stubbed with {STUB}")
    return status


def cmd_test_student(paths: list[Path], out: Path, jobs: int = 2) -> int:
    """Generate the student copies, then execute each: every cell must run (no compile error,
    no panic outside check_fn), and every check id must print FAIL (nothing is solved)."""
    import grade  # the grader's executor; imported lazily (needs nbclient)

    if cmd_student(paths, out):
        return 1
    if jobs > 1 and len(paths) > 1:
        import subprocess
        from concurrent.futures import ThreadPoolExecutor

        def one(p: Path):
            r = subprocess.run([sys.executable, __file__, "test-student", "--jobs", "1", "--out",
                                str(out), str(p)], capture_output=True, text=True)
            return p, r.returncode, r.stdout + r.stderr

        failed = []
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            for p, rc, text in pool.map(one, paths):
                print("\n".join(ln for ln in text.splitlines() if "stubbed with" not in ln),
                      flush=True)
                if rc:
                    failed.append(p.name)
        if failed:
            print(f"test-student: {len(failed)} notebook(s) failed: {', '.join(failed)}",
                  file=sys.stderr)
        return 1 if failed else 0
    failures = []
    for p in paths:
        nb = read_nb(p)
        plan = analyse(nb, p.name)
        stu = read_nb(out / p.name)
        res = grade.run_student_copy(stu, p.name, out / "work")
        problems = grade.student_copy_problems(res, plan)
        for msg in problems:
            print(f"FAIL {p.name}: {msg}")
        if problems:
            failures.append(p.name)
        else:
            print(f"==> {p.name}: student copy runs; {len(plan.check_ids)} check(s) report FAIL "
                  f"as expected ({res.total_s:.1f} s)")
    if failures:
        print(f"test-student: {len(failures)} notebook(s) failed: {', '.join(failures)}",
              file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("annotate", help="derive nbgrader metadata from the exercise shape")
    a.add_argument("--check", action="store_true", help="only report; exit 1 if out of date")
    a.add_argument("notebooks", nargs="*", type=Path)
    s = sub.add_parser("student", help="write student copies")
    s.add_argument("--out", type=Path, default=STUDENT_DIR)
    s.add_argument("notebooks", nargs="*", type=Path)
    t = sub.add_parser("test-student", help="write student copies and execute them")
    t.add_argument("--out", type=Path, default=STUDENT_DIR)
    t.add_argument("--jobs", type=int, default=2, help="notebooks executed in parallel (2)")
    t.add_argument("notebooks", nargs="*", type=Path)
    args = ap.parse_args(argv)
    paths = _paths(args.notebooks)
    if args.cmd == "annotate":
        return cmd_annotate(paths, args.check)
    if args.cmd == "student":
        return cmd_student(paths, args.out)
    return cmd_test_student(paths, args.out, args.jobs)


if __name__ == "__main__":
    sys.exit(main())
