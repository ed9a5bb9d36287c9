"""Unit tests of the hub's pieces that need no root and no running hub (tools/hub/course_hub).

The end-to-end test (two students, a running JupyterHub, grading) is tools/hub_test.py, a step
of `make test`.
"""

import json
import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tools" / "hub"))
from course_hub import accounts, submit  # noqa: E402


def notebook(**meta) -> dict:
    return {"cells": [{"cell_type": "markdown", "metadata": {}, "source": "hi", "id": "a1"}],
            "metadata": meta, "nbformat": 4, "nbformat_minor": 5}


def write(p: Path, nb) -> Path:
    p.write_text(json.dumps(nb) if not isinstance(nb, str) else nb, encoding="utf-8")
    return p


def test_a_course_notebook_is_accepted_and_stored_under_its_course_name(tmp_path):
    inbound = tmp_path / "inbound"
    inbound.mkdir()
    src = write(tmp_path / "Copy of 03_reliability_from_unreliable_parts (1).ipynb", notebook())
    rec = submit.submit(src, inbound)
    assert rec["notebook"] == "03_reliability_from_unreliable_parts"
    stored = inbound / "03_reliability_from_unreliable_parts.ipynb"
    assert stored.read_bytes() == src.read_bytes()
    assert oct(stored.stat().st_mode & 0o777) == "0o600"
    # a second submission replaces the first, and both are in the log
    write(src, notebook(note="v2"))
    submit.submit(src, inbound)
    assert json.loads(stored.read_text())["metadata"] == {"note": "v2"}
    log = (inbound / "submissions.log").read_text().splitlines()
    assert len(log) == 2 and all(json.loads(line)["notebook"] == rec["notebook"] for line in log)
    assert not [p for p in inbound.iterdir() if ".tmp-" in p.name]


def test_the_student_copy_metadata_names_a_renamed_notebook(tmp_path):
    src = write(tmp_path / "my homework.ipynb", notebook(course={"notebook": "07_raft"}))
    assert submit.check(src)[0] == "07_raft"


@pytest.mark.parametrize("name,content,why", [
    ("notes.txt", "hello", "only .ipynb files"),
    ("05_time_and_clocks.ipynb", "{not json", "not a valid notebook"),
    ("05_time_and_clocks.ipynb", {"cells": "nope", "nbformat": 4, "nbformat_minor": 5, "metadata": {}},
     "not a valid notebook"),
    ("untitled.ipynb", None, "is not a course notebook"),
])
def test_refusals_say_why(tmp_path, name, content, why):
    src = write(tmp_path / name, notebook() if content is None else content)
    with pytest.raises(submit.SubmissionError, match=why):
        submit.check(src)


def test_an_oversized_notebook_is_refused_before_it_is_parsed(tmp_path):
    nb = notebook()
    nb["cells"][0]["source"] = "x" * 3000
    src = write(tmp_path / "01_what_makes_systems_distributed.ipynb", nb)
    with pytest.raises(submit.SubmissionError, match=r"limited to 0 MB|limited to"):
        submit.check(src, max_bytes=1000)
    assert submit.check(src, max_bytes=10_000)[0] == "01_what_makes_systems_distributed"


def test_submitting_needs_an_existing_inbound_folder(tmp_path):
    src = write(tmp_path / "00_welcome.ipynb", notebook())
    with pytest.raises(submit.SubmissionError, match="does not exist"):
        submit.submit(src, tmp_path / "missing")


@pytest.mark.parametrize("name", ["root", "alice", "a1", "x_y-z"])
def test_hub_names_map_to_prefixed_unix_accounts(name):
    assert accounts.system_name(name) == "dsc-" + name


@pytest.mark.parametrize("name", ["", "Alice", "1abc", "../etc", "a b", "a" * 25, "al.ice"])
def test_bad_hub_names_are_refused(name):
    with pytest.raises(accounts.AccountError, match="not allowed"):
        accounts.system_name(name)


def test_a_cache_snapshot_shares_compiled_files_and_owns_its_counters(tmp_path):
    shared = tmp_path / "shared"
    for key in ("111", "222"):
        (shared / key).mkdir(parents=True)
        (shared / key / "libfoo.rlib").write_bytes(b"compiled" * 100)
        (shared / key / "stderr").write_text("artifact\n")
        (shared / key / "hits").write_text("3")
    mine = tmp_path / "mine"
    uid, gid = os.getuid(), os.getgid()
    assert accounts.snapshot_cache(shared, mine, uid, gid) == 2
    for key in ("111", "222"):
        assert (mine / key / "libfoo.rlib").stat().st_ino == (shared / key / "libfoo.rlib").stat().st_ino
        assert (mine / key / "hits").stat().st_ino != (shared / key / "hits").stat().st_ino
        assert (mine / key / "hits").read_text() == "3"
    # evcxr rewrites the counter on a hit: the shared one must not change
    (mine / "111" / "hits").write_text("4")
    assert (shared / "111" / "hits").read_text() == "3"
    # a second snapshot adds only new shared entries and keeps the student's own
    (shared / "333").mkdir()
    (shared / "333" / "hits").write_text("0")
    assert accounts.snapshot_cache(shared, mine, uid, gid) == 1
    assert (mine / "111" / "hits").read_text() == "4"
    assert not [p for p in mine.iterdir() if p.name.startswith(".")]


def test_the_toolchain_env_names_std_and_nothing_under_root(tmp_path):
    lib = tmp_path / "toolchain" / "lib" / "rustlib" / "x86_64-unknown-linux-gnu" / "lib"
    lib.mkdir(parents=True)
    (lib / "libstd-abc.so").write_bytes(b"")
    env = accounts.toolchain_env(tmp_path)
    assert env["LD_LIBRARY_PATH"] == str(lib)
    (tmp_path / "python" / "lib").mkdir(parents=True)
    (tmp_path / "python" / "lib" / "libpython3.11.so.1.0").write_bytes(b"")
    assert accounts.toolchain_env(tmp_path)["LD_LIBRARY_PATH"] == f"{lib}:{tmp_path / 'python' / 'lib'}"
    assert env["PATH"].split(":")[0] == str(tmp_path / "toolchain" / "bin")
    assert "/root" not in env["PATH"]
