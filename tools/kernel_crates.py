#!/usr/bin/env python3
"""The Rust kernel's crates must be the ones `cargo test` tested: Cargo.lock's, exactly.

evcxr does not read the workspace's Cargo.lock. Every kernel builds its own little crate (named
`ctx`, in a temporary folder) whose only dependency is `course_lib`, and cargo resolves that
crate afresh, against whatever its sources offer. `tools/setup.sh` therefore gives the kernel a
crate source that offers nothing else: Cargo.lock's crates vendored into a directory (`cargo
vendor`), which the kernel's own CARGO_HOME puts in place of crates.io. This module checks that
this holds, in two places:

    tools/kernel_crates.py resolve --cargo-home DIR [--features frames]
        resolves a crate shaped like evcxr's (edition 2024, `course_lib` by path) offline with
        the kernel's CARGO_HOME, as evcxr will, and compares the result with Cargo.lock
        (`tools/setup.sh kernel` runs it for every feature set the notebooks use);
    tools/kernel_crates.py sysroot --cargo-home DIR --manifest STD_CARGO_TOML
        checks that the standard library's own workspace (rust-src) resolves offline with the
        kernel's CARGO_HOME: evcxr's rust-analyzer reads it, and when it cannot, its type
        inference fails for every `let` in every cell;
    tools/kernel_crates.py compare KERNEL_LOCK
        compares the Cargo.lock a real kernel left behind (`run_notebooks.py` runs its kernels
        with EVCXR_TMPDIR set, so their folder and lock survive the kernel).

Either way a crate whose version is not Cargo.lock's is a failure that names the crate, both
versions and the fix. Exit status: 0 = same versions, 1 = drift, 2 = could not check.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
WORKSPACE_LOCK = REPO / "Cargo.lock"
CRATES_IO = "registry+https://github.com/rust-lang/crates.io-index"

FIX = ("The kernel must use exactly the crate versions in Cargo.lock (the ones `cargo test` "
       "tested). Run `make setup`: it vendors Cargo.lock's crates again for the kernel "
       "(tools/setup.sh, step `crates`). If that does not help, delete the vendored folder "
       "(COURSE_CRATES_DIR, default ~/.cache/ds-course/crates) and run `make setup` again.")


def registry_packages(lock_text: str) -> dict[str, set[str]]:
    """Crate name -> versions, for the crates.io packages of a Cargo.lock's text."""
    lock = tomllib.loads(lock_text)
    out: dict[str, set[str]] = {}
    for pkg in lock.get("package", []):
        if pkg.get("source") == CRATES_IO:
            out.setdefault(pkg["name"], set()).add(pkg["version"])
    return out


def drift(kernel_lock: str, workspace_lock: str) -> list[str]:
    """One line per crates.io package the kernel resolved whose version Cargo.lock lacks."""
    tested = registry_packages(workspace_lock)
    lines = []
    for name, versions in sorted(registry_packages(kernel_lock).items()):
        for version in sorted(versions - tested.get(name, set())):
            have = ", ".join(sorted(tested.get(name, set())))
            lines.append(f"{name} {version} (Cargo.lock: {have})" if have
                         else f"{name} {version} (not in Cargo.lock at all)")
    return lines


def drift_report(where: str, lines: list[str]) -> str:
    """The failure message for `lines` from `drift`, with the fix."""
    listed = "\n".join(f"  {ln}" for ln in lines)
    return (f"{where} resolved {len(lines)} crate version(s) that Cargo.lock does not have:\n"
            f"{listed}\n{FIX}")


def evcxr_manifest(course_lib: Path, features: list[str]) -> str:
    """A Cargo.toml shaped like the one evcxr 0.22 writes for its cell crate (module.rs)."""
    feats = ", ".join(f'"{f}"' for f in features)
    dep = f'{{ path = "{course_lib.as_posix()}"' + (f", features = [{feats}]" if feats else "") + " }"
    return ("[package]\nname = \"ctx\"\nversion = \"1.0.0\"\nedition = \"2024\"\n\n"
            "[lib]\ncrate-type = [\"cdylib\"]\npath = \"src/lib.rs\"\n\n"
            f"[dependencies]\ncourse_lib = {dep}\n")


def resolve(cargo_home: Path, features: list[str], course_lib: Path = REPO / "course_lib") -> str:
    """Resolve an evcxr-shaped crate offline with the kernel's CARGO_HOME; its Cargo.lock text."""
    with tempfile.TemporaryDirectory(prefix="kernel-resolve-") as tmp:
        root = Path(tmp)
        (root / "src").mkdir()
        (root / "src" / "lib.rs").write_text("")
        (root / "Cargo.toml").write_text(evcxr_manifest(course_lib, features))
        env = dict(os.environ, CARGO_HOME=str(cargo_home))
        proc = subprocess.run(
            ["cargo", "generate-lockfile", "--offline", "--manifest-path", str(root / "Cargo.toml")],
            env=env, capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(proc.stderr.strip() or proc.stdout.strip())
        return (root / "Cargo.lock").read_text()


def sysroot_resolves(cargo_home: Path, manifest: Path) -> str | None:
    """None if std's workspace resolves offline with `cargo_home` (as rust-analyzer loads it),
    else cargo's error text."""
    env = dict(os.environ, CARGO_HOME=str(cargo_home), RUSTC_BOOTSTRAP="1")
    proc = subprocess.run(["cargo", "metadata", "--format-version", "1", "--offline",
                           "--manifest-path", str(manifest)],
                          env=env, capture_output=True, text=True)
    return None if proc.returncode == 0 else (proc.stderr.strip() or "cargo metadata failed")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("resolve", help="resolve as evcxr will, with the kernel's CARGO_HOME")
    r.add_argument("--cargo-home", type=Path, required=True)
    r.add_argument("--features", default="", help="course_lib features, comma-separated")
    s = sub.add_parser("sysroot", help="std's workspace resolves offline for rust-analyzer")
    s.add_argument("--cargo-home", type=Path, required=True)
    s.add_argument("--manifest", type=Path, required=True)
    c = sub.add_parser("compare", help="compare a kernel's Cargo.lock with the workspace's")
    c.add_argument("kernel_lock", type=Path)
    args = ap.parse_args(argv)

    if args.cmd == "sysroot":
        error = sysroot_resolves(args.cargo_home, args.manifest)
        if error:
            print(f"ERROR: the standard library's workspace ({args.manifest}) does not resolve "
                  f"with the kernel's crates, so evcxr's type inference would fail:\n{error}\n"
                  f"{FIX}", file=sys.stderr)
            return 1
        print("==> std's workspace resolves offline with the kernel's crates (type inference)")
        return 0
    workspace = WORKSPACE_LOCK.read_text()
    if args.cmd == "resolve":
        features = [f for f in args.features.split(",") if f]
        label = "course_lib" + (f" with features {','.join(features)}" if features else "")
        try:
            kernel = resolve(args.cargo_home, features)
        except (OSError, RuntimeError) as e:
            print(f"ERROR: the kernel's cargo could not resolve {label} offline:\n{e}\n{FIX}",
                  file=sys.stderr)
            return 2
        where = f"A kernel loading {label}"
    else:
        try:
            kernel = args.kernel_lock.read_text()
        except OSError as e:
            print(f"ERROR: no kernel lock to compare: {e}", file=sys.stderr)
            return 2
        label, where = str(args.kernel_lock), f"The kernel ({args.kernel_lock})"
    lines = drift(kernel, workspace)
    if lines:
        print(f"ERROR: {drift_report(where, lines)}", file=sys.stderr)
        return 1
    n = sum(len(v) for v in registry_packages(kernel).values())
    print(f"==> kernel crates = Cargo.lock's ({label}: {n} crates, every version the tested one)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
