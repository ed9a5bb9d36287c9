#!/usr/bin/env python3
"""Benchmark (not a test): grade a class of 30 submissions of one notebook.

    tools/bench_grade.py [NOTEBOOK] [--n 30] [--jobs 2] [--out build/bench-grade]

Submissions alternate between the solved notebook (the course copy) and the unsolved student
copy, so both PASS and FAIL paths run. Prints the load average before and after (the machine
may be shared) and the wall time; the issue's budget is 30 submissions in 10 minutes.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

TOOLS = Path(__file__).resolve().parent
sys.path.insert(0, str(TOOLS))
import grade  # noqa: E402
import homework as hw  # noqa: E402

REPO = TOOLS.parent


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("notebook", nargs="?", type=Path,
                    default=REPO / "notebooks" / "01_what_makes_systems_distributed.ipynb")
    ap.add_argument("--n", type=int, default=30)
    ap.add_argument("--jobs", type=int, default=int(os.environ.get("GRADE_JOBS", 2)))
    ap.add_argument("--out", type=Path, default=REPO / "build" / "bench-grade")
    a = ap.parse_args(argv)
    nb = hw.read_nb(a.notebook)
    student = hw.student_copy(nb, a.notebook.name)
    shutil.rmtree(a.out, ignore_errors=True)
    subs = a.out / "submissions"
    for k in range(a.n):
        hw.write_nb(nb if k % 2 == 0 else student, subs / f"student{k:02d}" / a.notebook.name)
    load0 = os.getloadavg()
    t0 = time.monotonic()
    rc = grade.grade_all(subs, a.out / "grades", a.notebook.parent, jobs=a.jobs)
    dt = time.monotonic() - t0
    load1 = os.getloadavg()
    print(f"\nbench-grade: {a.n} submissions of {a.notebook.name} graded in {dt:.0f} s "
          f"({dt / 60:.1f} min, {dt / a.n:.1f} s each) with {a.jobs} worker(s) on "
          f"{os.cpu_count()} CPU(s); load average before {load0[0]:.2f}, after {load1[0]:.2f}; "
          + (f"budget (30 in 600 s): {'met' if dt <= 600 else 'NOT met'}" if a.n == 30 else
             f"at this rate 30 take {dt / a.n * 30:.0f} s (budget 600 s)"))
    return rc


if __name__ == "__main__":
    sys.exit(main())
