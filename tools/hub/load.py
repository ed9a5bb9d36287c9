#!/usr/bin/env python3
"""The hub load run (not a test): N students open a notebook at the same moment.

    HUB_ROOT=/srv/ds-course tools/hub/load.py [--users 8] [--notebook 00_welcome.ipynb]

(as root, on a prepared hub root: `make hub-build`). Starts JupyterHub in demo mode on free ports,
then N threads at once each log a user in, spawn her server, open the notebook (a kernel session,
as JupyterLab does on opening it) and run its setup cell and first lesson cell. Reports, per
user and as percentiles: server ready, kernel ready (session created to the first cell's reply;
the kernel's start-up includes `notebooks/evcxr.toml`'s preload of course_lib), and the setup
cell; the peak memory the machine used above its idle level (MemTotal − MemAvailable, sampled
every 0.25 s), the peak disk of the kernels' build folders, each student's own disk (her home
beyond the shared cache's hard links), and the load average. Prints a Markdown table for the
README. The users (`load1`…) and their folders are removed afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
from course_hub import accounts, client  # noqa: E402
from hub_test import free_port_block  # noqa: E402


def mem_used_mb() -> float:
    info = {}
    for line in Path("/proc/meminfo").read_text().splitlines():
        k, v = line.split(":", 1)
        info[k] = int(v.split()[0])
    return (info["MemTotal"] - info["MemAvailable"]) / 1024


def du_mb(*paths: Path) -> float:
    r = subprocess.run(["du", "-s", "-B1", *map(str, paths)], capture_output=True, text=True)
    return sum(int(line.split()[0]) for line in r.stdout.splitlines() if line.strip()) / 2**20


def kernel_dirs_mb(uids: set[int]) -> float:
    """Disk of the load users' evcxr build folders (other users' kernels on the machine excluded)."""
    dirs = []
    for p in Path(os.environ.get("TMPDIR", "/tmp")).glob("evcxr-kernel-*"):
        try:
            if p.stat().st_uid in uids:
                dirs.append(p)
        except OSError:
            pass
    return du_mb(*dirs) if dirs else 0.0


def cpu_seconds_of_uid(uid: int) -> float:
    """CPU time (user + system, with reaped children: the compilers) of a user's live processes."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            if d.stat().st_uid != uid:
                continue
            f = (d / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(x) for x in f[11:15])  # utime stime cutime cstime
    return total / tick


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    if not xs:
        return float("nan")
    i = (len(xs) - 1) * q
    lo, hi = int(i), min(int(i) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (i - lo)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--users", type=int, default=8)
    ap.add_argument("--notebook", default="00_welcome.ipynb")
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("run as root (the hub spawns each user as her own Unix user)", file=sys.stderr)
        return 2
    if not 1 <= args.users <= 50:
        print("--users must be between 1 and 50", file=sys.stderr)
        return 2
    hub_root = Path(os.environ.get("HUB_ROOT", "/srv/ds-course")).resolve()
    venv = hub_root / "course" / ".venv"
    names = [f"load{i + 1}" for i in range(args.users)]
    for n in names:
        accounts.remove(hub_root, n)
    port = free_port_block(3)
    password = secrets.token_urlsafe(12)
    env = dict(os.environ, HUB_ROOT=str(hub_root), HUB_DEMO="1", HUB_PASSWORD=password,
               HUB_PORT=str(port), HUB_CULL_IDLE="0")
    log = open("/tmp/hub-load.log", "w")
    hub = subprocess.Popen([str(venv / "bin" / "jupyterhub"), "-f",
                            str(hub_root / "course" / "tools" / "hub" / "jupyterhub_config.py")],
                           cwd=hub_root / "state", env=env, stdout=log, stderr=subprocess.STDOUT,
                           start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            if client.Session(base).request("GET", "/hub/api", timeout=2).status == 200:
                break
        except OSError:
            pass
        time.sleep(0.5)
    master = json.loads((hub_root / "release" / args.notebook).read_text())
    code = [c["source"] if isinstance(c["source"], str) else "".join(c["source"])
            for c in master["cells"] if c["cell_type"] == "code"][:2]

    results: dict[str, dict] = {}
    stop = threading.Event()
    peak = {"mem": 0.0, "kdisk": 0.0}
    base_mem = mem_used_mb()

    def sampler():
        while not stop.is_set():
            peak["mem"] = max(peak["mem"], mem_used_mb() - base_mem)
            stop.wait(0.25)

    def disk_sampler():
        while not stop.is_set():
            uids = set()
            for n in names:
                try:
                    uids.add(accounts.unix_ids(n)[0])
                except KeyError:
                    pass
            peak["kdisk"] = max(peak["kdisk"], kernel_dirs_mb(uids) if uids else 0.0)
            stop.wait(2)

    def student(name: str, barrier: threading.Barrier):
        r: dict = {}
        try:
            s = client.Session(base)
            barrier.wait()
            t0 = time.monotonic()
            s.login(name, password)
            s.get_token()
            s.start_server(timeout=600)
            r["server_s"] = time.monotonic() - t0
            t1 = time.monotonic()
            kid = client.start_kernel(s, f"notebooks/{args.notebook}")
            first = client.execute(s, kid, ["course_lib_loaded"], timeout=600)[0]
            r["kernel_s"] = time.monotonic() - t1
            runs = client.execute(s, kid, code, timeout=600)
            r["setup_s"] = runs[0]["seconds"]
            r["first_cell_s"] = runs[1]["seconds"] if len(runs) > 1 else float("nan")
            r["ok"] = first["reply"]["status"] == "ok" and all(x["reply"]["status"] == "ok" for x in runs)
            r["cpu_s"] = cpu_seconds_of_uid(accounts.unix_ids(name)[0])
            s.api("DELETE", f"api/kernels/{kid}")
            s.stop_server()
        except Exception as e:  # a load run reports failures, it does not stop at the first
            r["error"] = f"{type(e).__name__}: {e}"
        results[name] = r

    load0 = os.getloadavg()
    threads = [threading.Thread(target=sampler, daemon=True), threading.Thread(target=disk_sampler, daemon=True)]
    for t in threads:
        t.start()
    barrier = threading.Barrier(len(names))
    t_all = time.monotonic()
    workers = [threading.Thread(target=student, args=(n, barrier)) for n in names]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    wall = time.monotonic() - t_all
    load1 = os.getloadavg()
    stop.set()
    homes = [accounts.home_of(hub_root, n) for n in names]
    own_mb = (du_mb(hub_root / "cache", *homes) - du_mb(hub_root / "cache")) / len(names)
    os.killpg(hub.pid, signal.SIGTERM)
    hub.wait(timeout=60)
    for n in names:
        accounts.remove(hub_root, n)

    ok = [r for r in results.values() if r.get("ok")]
    failed = {n: r.get("error", "a cell failed") for n, r in results.items() if not r.get("ok")}
    print(f"\n{len(names)} users opened {args.notebook} at once on {os.cpu_count()} cores; "
          f"load average {load0[0]:.1f} before, {load1[0]:.1f} after; {wall:.0f} s in all")
    print("\n| measure | p50 | p90 | max |\n|---|---|---|---|")
    for key, label in (("server_s", "server ready (login → server up)"),
                       ("kernel_s", "kernel ready (open notebook → course_lib loaded)"),
                       ("setup_s", "setup cell"), ("first_cell_s", "first lesson cell")):
        xs = [r[key] for r in ok if key in r]
        print(f"| {label} | {pct(xs, .5):.1f} s | {pct(xs, .9):.1f} s | {max(xs, default=float('nan')):.1f} s |")
    cpu = [r["cpu_s"] for r in ok if "cpu_s" in r]
    print(f"\nCPU per student (server start, kernel start, setup and first cell): median {pct(cpu, .5):.1f} s, "
          f"max {max(cpu, default=float('nan')):.1f} s")
    print(f"\npeak memory above idle: {peak['mem']:.0f} MB ({peak['mem'] / len(names):.0f} MB per student); "
          f"peak kernel build folders: {peak['kdisk']:.0f} MB; each student's own disk: {own_mb:.1f} MB")
    for n, why in failed.items():
        print(f"FAILED {n}: {why}")
    shutil.rmtree(hub_root / "grading", ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
