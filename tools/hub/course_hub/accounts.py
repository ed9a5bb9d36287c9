"""Students' accounts on the hub: one Unix user each, and the folders only that user can reach.

A hub user `alice` runs as the Unix user `dsc-alice` (prefix `dsc-`, so no hub name can be
`root` or any other account of the machine). Her server is started in her home,
`HUB_ROOT/home/alice` (mode 0700: no other student can list or read it), which holds:

    course/notebooks/   her copies of the student notebooks (HUB_ROOT/release), never overwritten
                        once there; a notebook added to a later release appears at the next start
    course/course_lib   -> HUB_ROOT/course/course_lib (a symlink: read-only, and the same path for
    course/data         -> HUB_ROOT/course/data        every student, see below)
    course/feedback     -> HUB_ROOT/exchange/feedback/alice (root-owned, group dsc-alice, 0750:
                           she reads her graded copies there and cannot write)
    .cache/evcxr/       her snapshot of the warmed compilation cache

and she submits into `HUB_ROOT/exchange/inbound/alice` (hers, 0700). The grade book
(`HUB_ROOT/grades`, 0700) and the hub's state are root's.

**The shared compilation cache.** evcxr keys each cached rustc output on the compiler's arguments
with its target folder masked, so two kernels hit the same entries exactly when they compile the
same crates from the same paths: the vendored crates (`HUB_ROOT/crates`) and `course_lib` (evcxr
canonicalises the setup cell's `../course_lib`, so the symlink above resolves to the one shared
path). `make hub` warms `HUB_ROOT/cache/evcxr` once, as root, with the students' paths. evcxr
writes to its cache while it runs (each hit rewrites the entry's `hits` counter; a miss adds an
entry; the size limit deletes old ones) and is not safe for two kernels compiling at once, so no
kernel ever writes the shared copy: at each start a student receives a *snapshot* of it, entry by
entry, in which the large compiled files are hard links to the shared ones (no disk, root-owned,
read-only: evcxr only copies them out) and the small `hits` counter is her own file. Her kernels
then write only her snapshot; two students compiling at once never touch the same file.
"""

from __future__ import annotations

import grp
import os
import pwd
import re
import shutil
import subprocess
from pathlib import Path

PREFIX = "dsc-"
# JupyterHub lower-cases names; this is also the hub's Authenticator.username_pattern.
USERNAME_PATTERN = r"^[a-z][a-z0-9_-]{0,23}$"


class AccountError(ValueError):
    """A hub user name or account that cannot be provisioned, with a message saying why."""


def toolchain_env(hub_root: Path) -> dict[str, str]:
    """PATH and LD_LIBRARY_PATH for anything that runs a course kernel on the hub.

    Only the hub's copies (toolchain, evcxr, the venv), nothing under /root. LD_LIBRARY_PATH
    names std's folder: a cell compiles to a shared library whose RUNPATH rustc writes relative
    to the folder it was built in, one level deeper than the one it is loaded from, which only
    resolves by luck (`..` stops at `/`) when the toolchain and the kernel's temporary folder
    share no parent; without it `dlopen failed` kills the kernel at its first cell.
    """
    hub_root = Path(hub_root)
    std = sorted((hub_root / "toolchain" / "lib" / "rustlib").glob("*/lib/libstd-*.so"))
    venv = hub_root / "course" / ".venv" / "bin"
    env = {"PATH": ":".join([str(hub_root / "toolchain" / "bin"), str(hub_root / "cargo" / "bin"),
                             str(venv), str(hub_root / "bin"), "/usr/local/bin", "/usr/bin", "/bin"])}
    libs = [str(std[0].parent)] if std else []
    # the hub's Python, when it is built as a shared library whose RUNPATH names the original
    # prefix (pyenv: /root/.pyenv/...): without this a student's python loads the system's
    # libpython of another patch release and fails at `import ssl`
    if list((hub_root / "python" / "lib").glob("libpython3*.so*")):
        libs.append(str(hub_root / "python" / "lib"))
    if libs:
        env["LD_LIBRARY_PATH"] = ":".join(libs)
    return env


def check_name(name: str) -> str:
    if not re.fullmatch(USERNAME_PATTERN, name):
        raise AccountError(
            f"user name {name!r} is not allowed: use 1-24 lower-case letters, digits, '-' or '_', "
            "starting with a letter")
    return name


def system_name(name: str) -> str:
    """The Unix account of hub user `name`."""
    return PREFIX + check_name(name)


def home_of(hub_root: Path, name: str) -> Path:
    return Path(hub_root) / "home" / check_name(name)


def unix_ids(name: str) -> tuple[int, int]:
    pw = pwd.getpwnam(system_name(name))
    return pw.pw_uid, pw.pw_gid


def ensure_system_account(sysname: str, home: Path, shell: str, comment: str) -> tuple[int, int]:
    """Create the Unix account `sysname` (its own group, no password) with `home` unless it
    exists; refuse one that exists with another home (not made by this hub). (uid, gid)."""
    try:
        pw = pwd.getpwnam(sysname)
    except KeyError:
        subprocess.run(["useradd", "--home-dir", str(home), "--no-create-home", "--user-group",
                        "--shell", shell, "--comment", comment, sysname],
                       check=True, capture_output=True, text=True)
        pw = pwd.getpwnam(sysname)
    if Path(pw.pw_dir) != Path(home):
        raise AccountError(f"the Unix user {sysname} exists with home {pw.pw_dir}, not {home}: "
                           "it was not made by this hub; remove it or choose another name")
    return pw.pw_uid, pw.pw_gid


def ensure_unix_user(hub_root: Path, name: str) -> tuple[int, int]:
    """Create `dsc-<name>` if it does not exist."""
    return ensure_system_account(system_name(name), home_of(hub_root, name), "/bin/bash",
                                 f"ds-course hub user {name}")


def _chown_dirs(top: Path, uid: int, gid: int) -> None:
    """chown the folders (never the files: those may be hard links to shared, root-owned ones)."""
    os.chown(top, uid, gid)
    for dirpath, dirnames, _ in os.walk(top):
        for d in dirnames:
            os.chown(os.path.join(dirpath, d), uid, gid)


def snapshot_cache(shared: Path, mine: Path, uid: int, gid: int) -> int:
    """Give a student the shared cache's entries she lacks; returns how many were added.

    Large files are hard links (read-only to her); `hits` is copied and owned by her, because
    evcxr rewrites it on every hit. Falls back to copies across file systems.
    """
    mine.mkdir(parents=True, exist_ok=True)
    os.chown(mine, uid, gid)
    added = 0
    if not shared.is_dir():
        return 0
    for entry in sorted(shared.iterdir()):
        target = mine / entry.name
        if target.exists() or not entry.is_dir():
            continue
        tmp = mine / f".{entry.name}.new"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        for f in entry.rglob("*"):
            rel = f.relative_to(entry)
            dst = tmp / rel
            if f.is_dir():
                dst.mkdir(parents=True, exist_ok=True)
            elif f.name == "hits":
                shutil.copyfile(f, dst)
                os.chown(dst, uid, gid)
            else:
                try:
                    os.link(f, dst)
                except OSError:
                    shutil.copy2(f, dst)
        _chown_dirs(tmp, uid, gid)
        tmp.rename(target)
        added += 1
    return added


HOW_TO_SUBMIT = """# Handing in a notebook

1. Run it from the top: *Kernel > Restart Kernel and Run All Cells*, then save (Ctrl-S).
2. *File > Hub Control Panel*, then **Submit homework** in its top bar (the page is
   `/user/{name}/course/submit` on the hub), and press *Submit* next to the notebook.
   Or, in a terminal (*File > New > Terminal*):
   `submit notebooks/03_reliability_from_unreliable_parts.ipynb`.

Submitting again replaces your earlier copy. The instructor grades a fresh run of your notebook;
the graded copy and your points appear in the `feedback/` folder.
"""


def provision(hub_root: Path, name: str) -> dict:
    """Everything a student's server needs before it starts (idempotent; run at every spawn)."""
    hub_root = Path(hub_root)
    uid, gid = ensure_unix_user(hub_root, name)
    sysname = system_name(name)
    home = home_of(hub_root, name)
    home.mkdir(parents=True, exist_ok=True)
    os.chown(home, uid, gid)
    os.chmod(home, 0o700)

    course = home / "course"
    notebooks = course / "notebooks"
    notebooks.mkdir(parents=True, exist_ok=True)
    new_notebooks = []
    for src in sorted((hub_root / "release").iterdir()):
        dst = notebooks / src.name
        if src.is_file() and (not dst.exists() or src.suffix != ".ipynb"):
            if src.suffix == ".ipynb":
                new_notebooks.append(src.name)
            shutil.copyfile(src, dst)
            os.chown(dst, uid, gid)
    for link, target in (("course_lib", hub_root / "course" / "course_lib"),
                         ("data", hub_root / "course" / "data")):
        p = course / link
        if not p.is_symlink():
            if p.exists():
                shutil.rmtree(p)
            p.symlink_to(target)

    inbound = hub_root / "exchange" / "inbound" / name
    inbound.mkdir(parents=True, exist_ok=True)
    os.chown(inbound, uid, gid)
    os.chmod(inbound, 0o700)
    feedback = hub_root / "exchange" / "feedback" / name
    feedback.mkdir(parents=True, exist_ok=True)
    os.chown(feedback, 0, gid)
    os.chmod(feedback, 0o750)
    fb_link = course / "feedback"
    if not fb_link.is_symlink():
        fb_link.symlink_to(feedback)

    how = course / "HOW_TO_SUBMIT.md"
    how.write_text(HOW_TO_SUBMIT.format(name=name), encoding="utf-8")
    os.chown(how, uid, gid)
    for d in (course, notebooks):
        os.chown(d, uid, gid)
    for d in (home / ".cache",):
        d.mkdir(exist_ok=True)
        os.chown(d, uid, gid)
    added = snapshot_cache(hub_root / "cache" / "evcxr", home / ".cache" / "evcxr", uid, gid)
    return {"user": sysname, "uid": uid, "gid": gid, "home": str(home),
            "new_notebooks": new_notebooks, "cache_entries_added": added}


def group_of(name: str) -> int:
    return grp.getgrnam(system_name(name)).gr_gid


def remove(hub_root: Path, name: str) -> None:
    """Delete a student's Unix account and folders (the hub test's clean-up; `make hub` never does)."""
    sysname = system_name(name)
    try:
        pwd.getpwnam(sysname)
    except KeyError:
        pass
    else:
        subprocess.run(["userdel", sysname], check=False, capture_output=True)
        try:
            grp.getgrnam(sysname)
            subprocess.run(["groupdel", sysname], check=False, capture_output=True)
        except KeyError:
            pass
    for p in (home_of(hub_root, name), Path(hub_root) / "exchange" / "inbound" / name,
              Path(hub_root) / "exchange" / "feedback" / name):
        shutil.rmtree(p, ignore_errors=True)
