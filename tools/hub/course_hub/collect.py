"""The instructor's side: collect every submission, grade them, hand the feedback back.

    python -m course_hub.collect [--hub-root /srv/ds-course] [--jobs 2] [NOTEBOOK_STEM ...]

(`make hub-grade`; run as root on the hub machine). Steps:

1. **collect**: each student's inbound folder is read (as root) and every submission checked again
   with the student-side rules (`submit.check`: a notebook, valid, within the size limit, a course
   notebook); refused files are listed with the reason and skipped. The rest are copied into the
   layout `make grade` reads, `HUB_ROOT/grading/submissions/<student>/<notebook>.ipynb`.
2. **grade**: `tools/grade.py` runs as the unprivileged Unix user `dscgrader`, never as root
   (it executes the students' code), with its own snapshot of the warmed cache, writing
   `HUB_ROOT/grading/out/`.
3. **grade book**: `grades.csv` and `summary.html` are copied to `HUB_ROOT/grades/` (root only).
4. **feedback**: each student's fresh executions and her own rows of the grade book
   (`grades.csv`) go to `HUB_ROOT/exchange/feedback/<student>/`, which only she (and root) can
   read; it appears as `feedback/` in her course folder.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

from . import accounts, submit

GRADER_USER = "dscgrader"  # no dash: cannot collide with a student's dsc-<name>


def collect(hub_root: Path, stems: set[str] | None = None) -> tuple[dict[str, list[str]], list[str]]:
    """Copy valid submissions into grading/submissions; returns ({student: [notebooks]}, refusals)."""
    inbound = hub_root / "exchange" / "inbound"
    dest = hub_root / "grading" / "submissions"
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    got: dict[str, list[str]] = {}
    refused: list[str] = []
    for sdir in sorted(p for p in inbound.iterdir() if p.is_dir()):
        student = sdir.name
        try:
            accounts.check_name(student)
        except accounts.AccountError as e:
            refused.append(f"{sdir}: {e}")
            continue
        for f in sorted(sdir.iterdir()):
            if f.name.startswith(".") or f.name == "submissions.log" or f.is_symlink():
                if f.is_symlink():
                    refused.append(f"{student}/{f.name}: a symbolic link, not a submission")
                continue
            try:
                name, data = submit.check(f)
            except submit.SubmissionError as e:
                refused.append(f"{student}/{f.name}: {e}")
                continue
            if stems and name not in stems:
                continue
            (dest / student).mkdir(exist_ok=True)
            (dest / student / f"{name}.ipynb").write_bytes(data)
            got.setdefault(student, []).append(name)
    return got, refused


def ensure_grader(hub_root: Path) -> tuple[int, int, Path]:
    home = hub_root / "grading" / "home"
    uid, gid = accounts.ensure_system_account(GRADER_USER, home, "/usr/sbin/nologin", "ds-course grader")
    home.mkdir(parents=True, exist_ok=True)
    os.chown(home, uid, gid)
    os.chmod(home, 0o700)
    (home / ".cache").mkdir(exist_ok=True)
    os.chown(home / ".cache", uid, gid)
    accounts.snapshot_cache(hub_root / "cache" / "evcxr", home / ".cache" / "evcxr", uid, gid)
    return uid, gid, home


def grade(hub_root: Path, jobs: int) -> Path:
    uid, gid, home = ensure_grader(hub_root)
    grading = hub_root / "grading"
    os.chmod(grading, 0o700)
    os.chown(grading, uid, gid)
    subs = grading / "submissions"
    for dirpath, dirnames, filenames in os.walk(subs):
        os.chown(dirpath, uid, gid)
        for f in filenames:
            os.chown(os.path.join(dirpath, f), uid, gid)
    out = grading / "out"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    os.chown(out, uid, gid)
    course = hub_root / "course"
    env = {
        **accounts.toolchain_env(hub_root),
        "HOME": str(home), "XDG_CACHE_HOME": str(home / ".cache"), "USER": GRADER_USER,
        "LANG": os.environ.get("LANG", "C.UTF-8"), "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
    }
    cmd = ["runuser", "-u", GRADER_USER, "--", "env", "-i", *[f"{k}={v}" for k, v in env.items()],
           str(course / ".venv" / "bin" / "python"), str(course / "tools" / "grade.py"),
           str(subs), str(out), "--jobs", str(jobs)]
    r = subprocess.run(cmd, cwd=home)
    if r.returncode not in (0, 1):  # grade.py exits 1 when some check failed: still graded
        raise SystemExit(f"grading failed (exit {r.returncode}); see the output above")
    return out


def publish(hub_root: Path, out: Path) -> dict[str, int]:
    """Grade book to HUB_ROOT/grades; each student's feedback to her own folder. {student: files}."""
    book = hub_root / "grades"
    book.mkdir(exist_ok=True)
    os.chmod(book, 0o700)
    for name in ("grades.csv", "summary.html"):
        if (out / name).is_file():
            shutil.copyfile(out / name, book / name)
            os.chmod(book / name, 0o600)
            os.chown(book / name, 0, 0)
    rows = list(csv.DictReader(open(out / "grades.csv", encoding="utf-8"))) if (out / "grades.csv").is_file() else []
    sent: dict[str, int] = {}
    executed = out / "executed"
    students = {r["student"] for r in rows} | ({p.name for p in executed.iterdir()} if executed.is_dir() else set())
    for student in sorted(students):
        try:
            gid = accounts.group_of(student)
        except (KeyError, accounts.AccountError):
            continue  # not a hub account (should not happen: collect only takes hub names)
        fb = hub_root / "exchange" / "feedback" / student
        fb.mkdir(parents=True, exist_ok=True)
        os.chown(fb, 0, gid)
        os.chmod(fb, 0o750)
        n = 0
        for f in sorted((executed / student).glob("*.ipynb")) if (executed / student).is_dir() else []:
            dst = fb / f.name
            shutil.copyfile(f, dst)
            os.chown(dst, 0, gid)
            os.chmod(dst, 0o640)
            n += 1
        mine = [r for r in rows if r["student"] == student]
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=list(rows[0].keys()) if rows else ["student"])
        w.writeheader()
        w.writerows(mine)
        (fb / "grades.csv").write_text(buf.getvalue(), encoding="utf-8")
        os.chown(fb / "grades.csv", 0, gid)
        os.chmod(fb / "grades.csv", 0o640)
        sent[student] = n
    return sent


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("notebooks", nargs="*", help="course notebook stems to grade (default: all submitted)")
    ap.add_argument("--hub-root", type=Path, default=Path(os.environ.get("HUB_ROOT", "/srv/ds-course")))
    ap.add_argument("--jobs", type=int, default=int(os.environ.get("GRADE_JOBS", "2")))
    args = ap.parse_args(argv)
    if os.geteuid() != 0:
        print("make hub-grade must run as root: it reads every student's inbound folder and writes "
              "their feedback folders", file=sys.stderr)
        return 2
    hub_root = args.hub_root.resolve()
    got, refused = collect(hub_root, set(args.notebooks) or None)
    for r in refused:
        print(f"refused: {r}")
    print(f"collected {sum(map(len, got.values()))} submission(s) from {len(got)} student(s)")
    if not got:
        return 0
    out = grade(hub_root, args.jobs)
    sent = publish(hub_root, out)
    print(f"grade book: {hub_root / 'grades' / 'grades.csv'}; feedback to {len(sent)} student(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
