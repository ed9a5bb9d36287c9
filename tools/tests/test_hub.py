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


# --- the Kubernetes files (not deployable here: no cluster, no container runtime) -----------

K8S = REPO / "tools" / "hub" / "k8s"


def dockerfile_instructions():
    lines, cur = [], ""
    for raw in (K8S / "Dockerfile").read_text().splitlines():
        if raw.lstrip().startswith("#") or not raw.strip():
            continue
        cur += raw.rstrip("\\").rstrip() + " "
        if not raw.rstrip().endswith("\\"):
            lines.append(cur.strip())
            cur = ""
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "") for line in lines]


def test_the_dockerfile_copies_only_what_exists_and_pins_the_course_versions():
    ins = dockerfile_instructions()
    assert ins[0][0] == "FROM" and "python:3.11" in ins[0][1]
    for op, arg in ins:
        assert op in {"FROM", "ARG", "ENV", "RUN", "COPY", "USER", "WORKDIR", "EXPOSE", "ENTRYPOINT", "CMD"}, op
        if op == "COPY":
            srcs = [a for a in arg.split() if not a.startswith("--")][:-1]
            for s in srcs:
                assert (REPO / s).exists(), f"COPY {s}: not in the repository"
    text = (K8S / "Dockerfile").read_text()
    setup = (REPO / "tools" / "setup.sh").read_text()
    evcxr = setup.split('EVCXR_VERSION="${EVCXR_VERSION:-', 1)[1].split("}", 1)[0]
    assert f"evcxr_jupyter --version {evcxr}" in text, "the image's evcxr is not the course's"
    assert "tools/setup.sh venv kernel warm" in text
    # the paths the image warms the cache with are the ones the pods' kernels compile with
    assert "XDG_CACHE_HOME=/opt/ds-course/cache" in text and "COURSE_CRATES_DIR=/opt/ds-course/crates" in text
    init = (K8S / "init-home.sh").read_text()
    assert 'ln -s "/opt/ds-course/course/$link"' in init and "/opt/ds-course/release/" in text
    assert setup_runs_as_jovyan(ins), "the warm step must run as the notebook user, not root"


def setup_runs_as_jovyan(ins):
    user = None
    for op, arg in ins:
        if op == "USER":
            user = arg.strip()
        if op == "RUN" and "tools/setup.sh" in arg:
            return user == "jovyan"
    return False


def test_the_z2jh_values_are_consistent_with_the_one_machine_hub():
    import yaml

    v = yaml.safe_load((K8S / "values.yaml").read_text())
    assert set(v) <= {"hub", "proxy", "singleuser", "cull", "prePuller", "scheduling"}
    su = v["singleuser"]
    assert su["image"]["name"] and su["image"]["tag"]

    def gigabytes(size):  # the chart's memory sizes: "1G", "3G", "512M"
        units = {"G": 1.0, "M": 1 / 1024}
        return float(size[:-1]) * units[size[-1]]

    assert gigabytes(su["memory"]["guarantee"]) <= gigabytes(su["memory"]["limit"])
    assert su["cpu"]["guarantee"] <= su["cpu"]["limit"]
    mounts = {m["mountPath"]: m for m in su["storage"]["extraVolumeMounts"]}
    # each pod mounts only its own user's submission and feedback folders; feedback read-only
    assert mounts["/srv/exchange/inbound"]["subPath"] == "inbound/{username}"
    assert mounts["/srv/exchange/feedback"]["subPath"] == "feedback/{username}"
    assert mounts["/srv/exchange/feedback"]["readOnly"] is True
    assert su["extraEnv"]["COURSE_INBOUND"] == "/srv/exchange/inbound"
    assert v["hub"]["config"]["Authenticator"]["username_pattern"] == accounts.USERNAME_PATTERN
    assert v["hub"]["config"]["JupyterHub"]["authenticator_class"] != "dummy"
    assert v["cull"]["enabled"] is True
    hook = su["lifecycleHooks"]["postStart"]["exec"]["command"][0]
    assert hook.startswith("/opt/ds-course/course/") and (REPO / hook.removeprefix("/opt/ds-course/course/")).exists()
