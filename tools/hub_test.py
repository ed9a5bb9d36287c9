#!/usr/bin/env python3
"""The hub test (`make test`, step "hub"): a class of two on localhost, end to end.

Builds a hub root from scratch (`make hub-build`, polars not warmed), starts JupyterHub in demo
mode on free ports with `make hub`, and then, as two students would:

- alice and bob log in through the login form (a wrong password is refused), get API tokens,
  and their servers are spawned; each sees the course notebooks and the `rust` kernel;
- alice solves one exercise of notebook 00 (the master's solution pasted into her copy), runs
  the whole notebook in a kernel over the websocket protocol, as JupyterLab does, with no error
  output, saves it and submits it; bob submits his unexecuted copy;
- refusals: a text file, an oversized notebook and a path outside the course folder are refused
  with their messages; bob's token cannot open alice's server; as Unix users, bob cannot read
  alice's home or inbound folder, nor write into it, nor read the grade book;
- every listening socket of the hub, the proxy and both servers is on 127.0.0.1;
- the instructor collects and grades (`python -m course_hub.collect`, the grader running as the
  unprivileged `dscgrader`); `grades.csv` has both students, alice's solved exercise passes and
  bob's fails; each student's feedback folder holds her graded notebook and only her rows;
- both servers are stopped through the API and the hub with SIGTERM; every process of theirs (by
  process id) must be gone; the test accounts are removed.

Exits 77 (skipped, outside CI) when not root: the local spawner needs root to run each student as
her own Unix user. Environment: HUB_TEST_ROOT reuses a prepared root (faster when iterating; by
default a new one under /var/tmp, deleted after a passing run); logs go to build/hub-test/.
"""

from __future__ import annotations

import csv
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tools" / "hub"))
from course_hub import accounts, client, collect  # noqa: E402

LOGS = REPO / "build" / "hub-test"
STUDENTS = ("alice", "bob")


def fail(msg: str) -> None:
    raise AssertionError(msg)


def check(cond: bool, msg: str) -> None:
    if not cond:
        fail(msg)
    print(f"  ok  {msg}")


def free_port_block(n: int = 3) -> int:
    for _ in range(200):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            base = s.getsockname()[1]
        if base + n >= 65535:
            continue
        ok = True
        for p in range(base, base + n):
            with socket.socket() as t:
                try:
                    t.bind(("127.0.0.1", p))
                except OSError:
                    ok = False
                    break
        if ok:
            return base
    fail("no block of free ports")


def pids_of_uid(uid: int) -> set[int]:
    out = set()
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                if d.stat().st_uid == uid:
                    out.add(int(d.name))
            except OSError:
                pass
    return out


def descendants(pid: int) -> set[int]:
    kids: dict[int, list[int]] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                ppid = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            kids.setdefault(ppid, []).append(int(d.name))
    out, todo = set(), [pid]
    while todo:
        p = todo.pop()
        for k in kids.get(p, []):
            if k not in out:
                out.add(k)
                todo.append(k)
    return out


def listening_sockets(pids: set[int]) -> list[tuple[int, str]]:
    """(pid, 'addr:port') of every listening TCP socket the processes hold."""
    inodes: dict[str, int] = {}
    for pid in pids:
        try:
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                try:
                    t = os.readlink(fd)
                except OSError:
                    continue
                if t.startswith("socket:["):
                    inodes[t[8:-1]] = pid
        except OSError:
            continue
    found = []
    for table, v6 in (("/proc/net/tcp", False), ("/proc/net/tcp6", True)):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            f = line.split()
            if f[3] != "0A" or f[9] not in inodes:  # 0A = LISTEN
                continue
            addr, port = f[1].split(":")
            if v6:
                host = "::1" if addr == "00000000000000000000000001000000" else (
                    "::" if set(addr) == {"0"} else addr)
            else:
                host = socket.inet_ntoa(bytes.fromhex(addr)[::-1])
            found.append((inodes[f[9]], f"{host}:{int(port, 16)}"))
    return found


def run_user(user: str, *cmd: str) -> subprocess.CompletedProcess:
    return subprocess.run(["runuser", "-u", user, "--", *cmd], capture_output=True, text=True)


def main() -> int:
    if os.geteuid() != 0:
        print("SKIPPED: the hub test needs root (JupyterHub's local spawner runs each student as her "
              "own Unix user); run `make test` as root, as CI does")
        return 77
    LOGS.mkdir(parents=True, exist_ok=True)
    reuse = os.environ.get("HUB_TEST_ROOT")
    hub_root = Path(reuse) if reuse else Path(tempfile.mkdtemp(prefix="ds-course-hub-", dir="/var/tmp"))
    os.chmod(hub_root, 0o755)
    print(f"==> hub root {hub_root}")
    t0 = time.monotonic()
    with open(LOGS / "build.log", "w") as log:
        r = subprocess.run(["make", "-s", "-C", str(REPO), "hub-build"], stdout=log, stderr=subprocess.STDOUT,
                           env=dict(os.environ, HUB_ROOT=str(hub_root), WARM_FRAMES="0"))
    if r.returncode != 0:
        print((LOGS / "build.log").read_text()[-3000:])
        fail(f"make hub-build failed (exit {r.returncode}); log in {LOGS / 'build.log'}")
    print(f"==> hub root built in {time.monotonic() - t0:.0f} s")

    port = free_port_block(3)
    password = secrets.token_urlsafe(12)
    venv = hub_root / "course" / ".venv"
    env = dict(os.environ, HUB_ROOT=str(hub_root), HUB_DEMO="1", HUB_PASSWORD=password, HUB_PORT=str(port),
               HUB_CULL_IDLE="0", HUB_MAX_SUBMISSION_MB="1")
    for a in STUDENTS:  # a clean class: accounts left by an interrupted run go first
        accounts.remove(hub_root, a)
    hub_log = open(LOGS / "hub.log", "w")
    # the README's command: `make hub` (builds again, seconds when nothing changed, then runs the hub)
    hub = subprocess.Popen(["make", "-s", "-C", str(REPO), "hub"], env=dict(env, WARM_FRAMES="0"),
                           stdout=hub_log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    server_pids: dict[str, set[int]] = {}
    ok = False
    try:
        t1 = time.monotonic()
        while True:
            if hub.poll() is not None:
                fail(f"the hub exited with {hub.returncode}; see {LOGS / 'hub.log'}")
            try:
                if client.Session(base).request("GET", "/hub/api", timeout=2).status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() - t1 > 300:
                fail(f"the hub did not answer within 300 s; see {LOGS / 'hub.log'}")
            time.sleep(0.5)
        print(f"==> hub up on {base} after {time.monotonic() - t1:.1f} s")

        bad = client.Session(base)
        bad.login("alice", password + "x")
        check(bad.name is None, "a wrong password is refused")

        sessions = {}
        for name in STUDENTS:
            s = client.Session(base)
            s.login(name, password)
            check(s.name == name, f"{name} logs in with the demo password")
            s.get_token()
            t2 = time.monotonic()
            s.start_server()
            print(f"      {name}'s server ready in {time.monotonic() - t2:.1f} s")
            sessions[name] = s
            uid = accounts.unix_ids(name)[0]
            server_pids[name] = pids_of_uid(uid)
            check(bool(server_pids[name]), f"{name}'s server runs as Unix user {accounts.system_name(name)}")
            listing = s.api("GET", "api/contents/notebooks").json()
            names = {c["name"] for c in listing.get("content", [])}
            release = {p.name for p in (hub_root / "release").glob("*.ipynb")}
            check(release <= names and "00_welcome.ipynb" in names,
                  f"{name} sees the course: {len(names & release)} notebooks in notebooks/")
            specs = s.api("GET", "api/kernelspecs").json()
            check("rust" in specs.get("kernelspecs", {}), f"{name}'s server offers the rust kernel")

        alice, bob = sessions["alice"], sessions["bob"]
        # alice solves 00-p99 and runs the whole notebook as JupyterLab would
        nb = alice.api("GET", "api/contents/notebooks/00_welcome.ipynb").json()["content"]
        master = json.loads((REPO / "notebooks" / "00_welcome.ipynb").read_text())
        solution = next(c["source"] for c in master["cells"]
                        if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "00-p99-answer")
        solved = 0
        for c in nb["cells"]:
            if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "00-p99-answer":
                c["source"] = solution if isinstance(solution, str) else "".join(solution)
                solved += 1
        check(solved == 1, "alice's copy has the exercise cell 00-p99-answer")
        kid = client.start_kernel(alice, "notebooks/00_welcome.ipynb")
        code = [c for c in nb["cells"] if c["cell_type"] == "code"]
        t3 = time.monotonic()
        results = client.execute(alice, kid, ["".join(c["source"]) if isinstance(c["source"], list)
                                              else c["source"] for c in code], timeout=300)
        run_s = time.monotonic() - t3
        errors = [(i, o) for i, r in enumerate(results) for o in r["outputs"] if o["output_type"] == "error"]
        check(not errors and all(r["reply"]["status"] == "ok" for r in results),
              f"notebook 00 runs in alice's kernel: {len(code)} cells, no error, {run_s:.1f} s")
        printed = "".join(o.get("text", "") for r in results for o in r["outputs"])
        check("PASS [00-p99]" in printed and "FAIL [00-rounds]" in printed,
              "her solved exercise passes in her run and the untouched one fails")
        shared = {p.name for p in (hub_root / "cache" / "evcxr").iterdir() if p.is_dir()}
        mine = hub_root / "home" / "alice" / ".cache" / "evcxr"
        hits = sum(int((p / "hits").read_text() or 0) for p in mine.iterdir() if (p / "hits").is_file())
        # a new entry is a compilation the shared cache did not have; build scripts' feature probes
        # (autocfg's empty crates, a few ms each, named by a per-run hash) are the only allowed ones
        extra = {p.name for p in mine.iterdir() if p.is_dir()} - shared
        compiled = sorted(crate for e in extra
                          for crate in (mine / e / "meta").read_text().splitlines()[1:2]
                          if not crate.startswith("autocfg_"))
        check(not compiled and hits > 0,
              f"her kernel compiled no crate the shared cache had ({hits} hits in her snapshot; "
              f"new entries: {len(extra)} feature probes{', and ' + ', '.join(compiled) if compiled else ''})")
        for c, r in zip(code, results):
            c["outputs"], c["execution_count"] = r["outputs"], r["reply"].get("execution_count")
        put = alice.api("PUT", "api/contents/notebooks/00_welcome.ipynb",
                        body={"type": "notebook", "format": "json", "content": nb})
        check(put.status == 200, "alice saves the executed notebook")
        alice.api("DELETE", f"api/kernels/{kid}")

        home = alice.request("GET", "/hub/home")
        check(home.status == 200 and 'href="/user/alice/course/submit"' in home.text,
              "the hub's control panel links alice to her Submit page")
        page = alice.api("GET", "course/submit")
        check(page.status == 200 and "Submit" in page.text and "00_welcome.ipynb" in page.text,
              "the Submit page lists her notebooks")
        r = alice.api("POST", "course/api/submit", body={"path": "notebooks/00_welcome.ipynb"})
        check(r.status == 200 and r.json().get("notebook") == "00_welcome", f"alice submits: {r.text}")
        r = bob.api("POST", "course/api/submit", body={"path": "notebooks/00_welcome.ipynb"})
        check(r.status == 200, "bob submits his unexecuted copy")
        subs = alice.api("GET", "course/api/submissions").json()
        check(len(subs) == 1 and subs[0]["notebook"] == "00_welcome", "alice's submissions list shows it")

        # refusals, each with a message
        bob.api("PUT", "api/contents/notes.txt", body={"type": "file", "format": "text", "content": "hello"})
        r = bob.api("POST", "course/api/submit", body={"path": "notes.txt"})
        check(r.status == 400 and "not a notebook" in r.json().get("error", ""), f"a text file is refused: {r.text}")
        big = {"cells": [{"cell_type": "markdown", "metadata": {}, "source": "x" * (2 * 1024 * 1024)}],
               "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
        bob.api("PUT", "api/contents/notebooks/01_what_makes_systems_distributed.ipynb",
                body={"type": "notebook", "format": "json", "content": big})
        r = bob.api("POST", "course/api/submit", body={"path": "notebooks/01_what_makes_systems_distributed.ipynb"})
        check(r.status == 413 and "limited to 1 MB" in r.json().get("error", ""),
              f"an oversized notebook is refused: {r.text[:160]}")
        r = bob.api("POST", "course/api/submit", body={"path": "../../alice/course/notebooks/00_welcome.ipynb"})
        check(r.status == 400 and "outside your course folder" in r.json().get("error", ""),
              f"a path outside the course folder is refused: {r.text[:160]}")
        bob.api("PUT", "api/contents/notebooks/broken.ipynb", body={"type": "file", "format": "text",
                                                                   "content": "{not json"})
        r = bob.api("POST", "course/api/submit", body={"path": "notebooks/broken.ipynb"})
        check(r.status == 400 and "not a valid notebook" in r.json().get("error", ""),
              f"a malformed notebook is refused: {r.text[:160]}")

        # isolation
        r = bob.request("GET", f"/user/alice/api/contents/notebooks", token=True)
        check(r.status in (403, 404), f"bob's token cannot open alice's server (HTTP {r.status})")
        sb = accounts.system_name("bob")
        home_a = hub_root / "home" / "alice"
        check(run_user(sb, "cat", str(home_a / "course" / "notebooks" / "00_welcome.ipynb")).returncode != 0,
              "bob cannot read alice's notebook")
        check(run_user(sb, "ls", str(hub_root / "exchange" / "inbound" / "alice")).returncode != 0,
              "bob cannot list alice's submissions")
        check(run_user(sb, "sh", "-c", f"echo x > {hub_root}/exchange/inbound/alice/00_welcome.ipynb").returncode != 0,
              "bob cannot overwrite alice's submission")
        check(run_user(sb, "ls", str(hub_root / "exchange" / "feedback" / "alice")).returncode != 0,
              "bob cannot read alice's feedback")
        check(run_user(sb, "sh", "-c", f"echo x > {hub_root}/release/00_welcome.ipynb").returncode != 0
              and run_user(sb, "sh", "-c", f"echo x >> {hub_root}/course/course_lib/Cargo.toml").returncode != 0,
              "bob cannot change the course or the hand-outs")

        hub_pids = {hub.pid} | descendants(hub.pid)
        every = hub_pids | server_pids["alice"] | server_pids["bob"]
        socks = listening_sockets(every)
        check(bool(socks) and all(a.startswith("127.0.0.1:") for _, a in socks),
              f"every listening socket is on 127.0.0.1 ({len(socks)}: {', '.join(sorted(a for _, a in socks))})")

        # the instructor: collect, grade, feedback
        t4 = time.monotonic()
        with open(LOGS / "collect.log", "w") as log:
            r = subprocess.run([str(venv / "bin" / "python"), "-m", "course_hub.collect", "--hub-root", str(hub_root)],
                               cwd=hub_root / "course" / "tools" / "hub", stdout=log, stderr=subprocess.STDOUT,
                               env=dict(os.environ, HUB_MAX_SUBMISSION_MB="1"))
        collect_log = (LOGS / "collect.log").read_text()
        check(r.returncode == 0, f"collect and grade ran in {time.monotonic() - t4:.0f} s")
        book = hub_root / "grades" / "grades.csv"
        rows = list(csv.DictReader(open(book, encoding="utf-8")))
        who = {r["student"] for r in rows}
        check(who == {"alice", "bob"}, f"grades.csv has both students ({sorted(who)})")

        def status(student, ex):
            return next((r["status"] for r in rows if r["student"] == student and r["exercise"] == ex), None)

        check(status("alice", "00-p99") == "pass" and status("bob", "00-p99") == "fail",
              "alice's solved exercise passes, bob's unsolved one fails")
        check(status("alice", "00-rounds") == "fail", "alice's unsolved exercise fails")
        check(status("alice", "[reproducibility]") == "ok" and status("bob", "[reproducibility]") == "not-executed",
              "her outputs, as run in her kernel, match the fresh run; bob's copy was never executed")
        check(run_user(sb, "cat", str(book)).returncode != 0, "bob cannot read the grade book")
        check(run_user(collect.GRADER_USER, "cat", str(book)).returncode != 0,
              "the grader account cannot read the grade book either")
        fb = alice.api("GET", "api/contents/feedback").json()
        fb_names = {c["name"] for c in fb.get("content", [])}
        check({"00_welcome.ipynb", "grades.csv"} <= fb_names, f"alice's feedback folder: {sorted(fb_names)}")
        mine = bob.api("GET", "api/contents/feedback/grades.csv").json()["content"]
        check("bob," in mine and "alice," not in mine, "bob's feedback has his rows only")
        print("      " + collect_log.strip().splitlines()[-1])

        # stop everything, by process id
        for name, s in sessions.items():
            s.stop_server()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and any(pids_of_uid(accounts.unix_ids(n)[0]) for n in STUDENTS):
            time.sleep(0.5)
        left = {n: pids_of_uid(accounts.unix_ids(n)[0]) for n in STUDENTS}
        check(not any(left.values()), "both servers and their kernels stopped through the API")
        hub_pids = {hub.pid} | descendants(hub.pid)
        os.killpg(hub.pid, signal.SIGTERM)
        hub.wait(timeout=30)
        time.sleep(1)
        alive = [p for p in hub_pids if Path(f"/proc/{p}").exists()]
        check(not alive, f"the hub and its proxy ({len(hub_pids)} processes) are gone after SIGTERM")
        ok = True
    finally:
        if hub.poll() is None:
            os.killpg(hub.pid, signal.SIGKILL)
        for name in STUDENTS:
            try:
                for p in pids_of_uid(accounts.unix_ids(name)[0]):
                    os.kill(p, signal.SIGKILL)
            except (KeyError, ProcessLookupError):
                pass
        hub_log.close()
        for name in STUDENTS:
            accounts.remove(hub_root, name)
        subprocess.run(["userdel", collect.GRADER_USER], capture_output=True)
        subprocess.run(["groupdel", collect.GRADER_USER], capture_output=True)
        if ok and not reuse:
            shutil.rmtree(hub_root, ignore_errors=True)
    print("hub test passed")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except AssertionError as e:
        if not str(e):
            import traceback
            traceback.print_exc()
        print(f"FAIL: {e}", file=sys.stderr)
        sys.exit(1)
    except (client.HubError, OSError, TimeoutError) as e:
        import traceback
        traceback.print_exc()
        print(f"FAIL: {type(e).__name__}: {e} (logs in {LOGS})", file=sys.stderr)
        sys.exit(1)
