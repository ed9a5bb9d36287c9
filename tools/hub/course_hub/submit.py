"""Submitting a notebook: the checks, and the copy into the student's inbound folder.

One function, `submit`, used three ways: the page and REST endpoint of the server extension
(`…/user/<name>/course/submit`, see `extension.py`), the `submit` command in a JupyterLab
terminal (`python -m course_hub.submit 03_reliability_from_unreliable_parts.ipynb`), and the
instructor's collection, which runs the same checks again (`collect.py`): a student could write
anything into her inbound folder by hand, so nothing there is trusted.

A submission must be a readable notebook (nbformat 4, valid against its schema) no larger than
`MAX_BYTES` (`HUB_MAX_SUBMISSION_MB`, default 20), named like a course notebook
(`NN_name.ipynb`, also after the "(1)"/"Copy of" renames the grader repairs) or carrying the
student copy's `metadata.course.notebook`. It is stored as `<inbound>/<course notebook>.ipynb`,
written to a temporary file and renamed, so the instructor never collects half a file; a later
submission of the same notebook replaces the earlier one, and `submissions.log` records each.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path

MAX_BYTES = int(float(os.environ.get("HUB_MAX_SUBMISSION_MB", "20")) * 1024 * 1024)
NOTEBOOK_NAME = re.compile(r"^(?:Copy of )?(\d\d_[A-Za-z0-9_]+?)(?:[ -]?\(\d+\))?(?:-Copy\d*)?\.ipynb$")


class SubmissionError(ValueError):
    """A submission that is refused; the message says why and what is accepted."""


def course_notebook(path: Path, nb: dict) -> str:
    """The course notebook a submission is for (its stem, e.g. `01_what_makes_systems_distributed`)."""
    meta = nb.get("metadata", {}).get("course", {}).get("notebook")
    if isinstance(meta, str) and re.fullmatch(r"\d\d_[A-Za-z0-9_]+", meta):
        return meta
    m = NOTEBOOK_NAME.match(path.name)
    if m:
        return m.group(1)
    raise SubmissionError(
        f"{path.name} is not a course notebook: submit one of your copies from the notebooks "
        "folder (a name like 01_what_makes_systems_distributed.ipynb)")


def check(path: Path, max_bytes: int = MAX_BYTES) -> tuple[str, bytes]:
    """Validate a submission; returns (course notebook, the file's bytes) or raises SubmissionError."""
    path = Path(path)
    if path.suffix != ".ipynb":
        raise SubmissionError(f"{path.name} is not a notebook: only .ipynb files can be submitted")
    try:
        size = path.stat().st_size
    except OSError as e:
        raise SubmissionError(f"cannot read {path.name}: {e.strerror}") from None
    if not path.is_file():
        raise SubmissionError(f"{path.name} is not a file")
    if size > max_bytes:
        raise SubmissionError(
            f"{path.name} is {size / 2**20:.1f} MB; submissions are limited to {max_bytes / 2**20:.0f} MB "
            "(clear large outputs: Edit > Clear Outputs of All Cells, run it again, save, submit)")
    data = path.read_bytes()
    try:
        import nbformat
        nb = nbformat.reads(data.decode("utf-8"), as_version=4)
        nbformat.validate(nb)
    except Exception as e:  # nbformat raises several kinds; all mean "not a valid notebook"
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise SubmissionError(f"{path.name} is not a valid notebook ({first[:200]})") from None
    return course_notebook(path, dict(nb)), data


def submit(path: Path, inbound: Path, max_bytes: int = MAX_BYTES) -> dict:
    """Check `path` and store it in `inbound`; returns what was stored."""
    name, data = check(path, max_bytes)
    inbound = Path(inbound)
    if not inbound.is_dir():
        raise SubmissionError(f"your submission folder {inbound} does not exist: ask the instructor")
    dst = inbound / f"{name}.ipynb"
    tmp = inbound / f".{name}.ipynb.tmp-{os.getpid()}"
    tmp.write_bytes(data)
    os.chmod(tmp, 0o600)
    tmp.replace(dst)
    at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    record = {"notebook": name, "file": path.name, "bytes": len(data), "at": at}
    with open(inbound / "submissions.log", "a", encoding="utf-8") as log:
        log.write(json.dumps(record) + "\n")
    return record


def inbound_folder() -> Path:
    """The current student's inbound folder (the hub sets COURSE_INBOUND in her server's env)."""
    p = os.environ.get("COURSE_INBOUND")
    if not p:
        raise SubmissionError("COURSE_INBOUND is not set: submitting works on the course hub only")
    return Path(p)


def submitted() -> list[dict]:
    """The current student's submissions so far, newest first."""
    log = inbound_folder() / "submissions.log"
    if not log.is_file():
        return []
    rows = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines() if line.strip()]
    return rows[::-1]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="submit", description="Submit an executed notebook to the instructor.")
    ap.add_argument("notebook", type=Path, help="the notebook file, e.g. 03_reliability_from_unreliable_parts.ipynb")
    args = ap.parse_args(argv)
    path = args.notebook
    if not path.exists() and not path.is_absolute():
        alt = Path.home() / "course" / "notebooks" / path
        if alt.exists():
            path = alt
    try:
        rec = submit(path, inbound_folder())
    except SubmissionError as e:
        print(f"not submitted: {e}", file=sys.stderr)
        return 1
    print(f"submitted {rec['notebook']} ({rec['bytes']} bytes) at {rec['at']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
