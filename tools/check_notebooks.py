#!/usr/bin/env python3
"""Hygiene check for course notebooks (see shared NOTEBOOKS.md: "Shape" and "Storage").

    tools/check_notebooks.py [NOTEBOOK.ipynb ...]     default: notebooks/*.ipynb
    tools/check_notebooks.py --fix-strip [...]        strip outputs/execution counts in place

Reports every problem as `FILE: cell N: message` (or `FILE: message`) and exits 1 if any.
Zero notebooks is not a failure.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import homework  # noqa: E402  (exercise shape and nbgrader metadata)

REPO = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = REPO / "notebooks"

FILENAME = re.compile(r"^(\d\d)_[a-z0-9_]+\.ipynb$")
SLIDE_TYPES = {"slide", "subslide", "fragment", "skip", "notes", "-"}
FEATURE = r'"[A-Za-z0-9_-]+"'
SETUP_CELL = re.compile(
    r':dep course_lib = \{ path = "\.\./course_lib"'
    rf"(?:, features = \[\s*{FEATURE}(?:\s*,\s*{FEATURE})*\s*,?\s*\])? \}}"
    r"\nuse course_lib::prelude::\*;"
)
STANDARD_SETUP = ':dep course_lib = { path = "../course_lib" }\nuse course_lib::prelude::*;'
HEADING = re.compile(r"^#{1,6}\s+(.*)$")
BOLD_LINE = re.compile(r"^\s*(?:\*\*|__)(.+?)(?:\*\*|__)")


source = homework.source  # a cell's source as one string


def _headings(cells) -> list[str]:
    out = []
    for cell in cells:
        if cell.get("cell_type") != "markdown":
            continue
        for line in source(cell).splitlines():
            m = HEADING.match(line)
            if m:
                out.append(m.group(1).strip())
    return out


def check_notebook(path: Path) -> list[str]:
    """All hygiene problems of one notebook, as 'FILE: [cell N: ]message' strings."""
    import nbformat

    name = str(path)
    problems: list[str] = []

    def bad(msg: str, cell: int | None = None) -> None:
        problems.append(f"{name}: " + (f"cell {cell}: " if cell is not None else "") + msg)

    m_name = FILENAME.match(path.name)
    if not m_name:
        bad(r"file name must match ^\d\d_[a-z0-9_]+\.ipynb$ (e.g. 03_failure_detectors.ipynb)")

    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        bad(f"not readable as JSON: {e}")
        return problems
    try:
        nb = nbformat.from_dict(raw)
        if nb.get("nbformat") != 4:
            raise ValueError(f"nbformat {nb.get('nbformat')}, expected 4")
        nbformat.validate(nb)
    except Exception as e:  # ValidationError and friends
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        bad(f"not a valid nbformat 4 notebook: {first}")
        return problems

    cells = nb.cells
    ks = nb.metadata.get("kernelspec", {})
    if ks.get("name") != "rust":
        bad(f"kernelspec name must be 'rust' (found {ks.get('name')!r})")

    for i, cell in enumerate(cells):
        slide = cell.get("metadata", {}).get("slideshow", {}).get("slide_type")
        if slide not in SLIDE_TYPES:
            bad(f"metadata.slideshow.slide_type must be one of {sorted(SLIDE_TYPES)}"
                f" (found {slide!r})", i)
        if cell.cell_type == "code":
            if cell.get("outputs"):
                bad("has outputs: store notebooks without outputs (tools/check_notebooks.py "
                    "--fix-strip)", i)
            if cell.get("execution_count") is not None:
                bad("has an execution count: store notebooks unexecuted (--fix-strip)", i)

    # Exercises: solution delimiters, check cells, nbgrader metadata (tools/homework.py).
    for i, msg in homework.metadata_problems(raw, path.name):
        bad(msg, i)

    # Title cell.
    if not cells or cells[0].cell_type != "markdown":
        bad("first cell must be markdown starting '# NN · Title'", 0)
    else:
        first_line = source(cells[0]).lstrip().splitlines()[0] if source(cells[0]).strip() else ""
        m = re.match(r"^# (\d\d) · \S", first_line)
        if not m:
            bad(f"first cell must start '# NN · Title' (found {first_line[:60]!r})", 0)
        elif m_name and m.group(1) != m_name.group(1):
            bad(f"title number {m.group(1)} does not match file name prefix {m_name.group(1)}", 0)

    # Setup cell.
    code = [(i, c) for i, c in enumerate(cells) if c.cell_type == "code"]
    if not code:
        bad("no code cell: the first code cell must be the standard setup cell")
    else:
        i, cell = code[0]
        if not SETUP_CELL.fullmatch(source(cell).strip()):
            bad("first code cell must be exactly the standard setup cell "
                "(only `, features = [...]` may be added):\n" + STANDARD_SETUP, i)

    # Sections.
    headings = [h.lower() for h in _headings(cells)]
    bold = [m.group(1).lower() for c in cells if c.cell_type == "markdown"
            for line in source(c).splitlines() if (m := BOLD_LINE.match(line))]
    if not any("objectives" in h for h in headings + bold):
        bad("no learning-objectives section (a heading or bold line containing 'objectives')")
    if not any(re.match(r"summary\b", h) for h in headings):
        bad("no 'Summary' heading")
    if not any(re.match(r"references\b", h) for h in headings):
        bad("no 'References' heading")
    return problems


def strip_notebook(path: Path) -> bool:
    """Remove outputs, execution counts and execution timing metadata; True if changed."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    changed = False
    for cell in nb.cells:
        if cell.cell_type == "code":
            if cell.get("outputs") or cell.get("execution_count") is not None:
                changed = True
            cell.outputs = []
            cell.execution_count = None
        if "execution" in cell.get("metadata", {}):
            del cell.metadata["execution"]
            changed = True
    if changed:
        nbformat.write(nb, path)
    return changed


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("notebooks", nargs="*", type=Path,
                    help="notebooks to check (default: notebooks/*.ipynb)")
    ap.add_argument("--fix-strip", action="store_true",
                    help="strip outputs and execution counts in place, then check")
    args = ap.parse_args(argv)
    paths = args.notebooks or sorted(NOTEBOOK_DIR.glob("*.ipynb"))
    if not paths:
        print("==> check-notebooks: no notebooks to check (notebooks/ has no *.ipynb)")
        return 0
    if args.fix_strip:
        for p in paths:
            try:
                if strip_notebook(p):
                    print(f"==> stripped outputs from {p}")
            except Exception as e:
                print(f"{p}: cannot strip: {e}", file=sys.stderr)
    problems = [msg for p in paths for msg in check_notebook(p)]
    for msg in problems:
        print(msg)
    bad_files = len({msg.split(": ", 1)[0] for msg in problems})
    if problems:
        print(f"check-notebooks: {len(problems)} problem(s) in {bad_files} of {len(paths)} "
              "notebook(s)", file=sys.stderr)
        return 1
    print(f"==> check-notebooks: {len(paths)} notebook(s) OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
