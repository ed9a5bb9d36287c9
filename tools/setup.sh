#!/usr/bin/env bash
# Idempotent setup steps for the course toolchain. Called by the Makefile and by Binder's postBuild.
#
#   tools/setup.sh STEP...        steps run in the order given:
#     venv     create .venv; pip install -r requirements.txt when requirements.txt changed
#     evcxr    install evcxr_jupyter $EVCXR_VERSION with cargo unless that version is installed
#     crates   vendor exactly the crates of Cargo.lock (all platforms) into $COURSE_CRATES_DIR
#              for the kernel; skipped while its stamp matches Cargo.lock (run by `kernel` too)
#     kernel   register the Rust kernel into $PREFIX/share/jupyter (only there) and set
#              EVCXR_CONFIG_DIR=<repo>/tools/evcxr in its kernel.json (turns on evcxr's cache)
#              and CARGO_HOME=<kernel dir>/cargo-home (crates.io replaced by the vendored
#              crates; lets the cache keep course_lib too); then checks that a kernel resolves
#              every crate to Cargo.lock's version (tools/kernel_crates.py resolve)
#     warm     run a throwaway notebook so ~/.cache/evcxr holds the compiled dependencies;
#              skipped when the warm stamp matches (see warm_key below); FORCE_WARM=1 reruns it
#     all      venv evcxr crates kernel warm
#
# Environment:
#   PREFIX   where the kernel is registered            (default: <repo>/.venv)
#   PYTHON   python that has nbclient (used by warm/kernel) (default: $PREFIX/bin/python)
#   EVCXR_VERSION                                       (default: 0.22.0)
#   COURSE_CRATES_DIR  the kernel's vendored crates (default: ~/.cache/ds-course/crates)
#   WARM_FRAMES=0      warm skips compiling polars (feature frames); the fresh-machine check
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
EVCXR_VERSION="${EVCXR_VERSION:-0.22.0}"
PREFIX="${PREFIX:-$REPO/.venv}"
PYTHON="${PYTHON:-$PREFIX/bin/python}"
CARGO_BIN="${CARGO_HOME:-$HOME/.cargo}/bin"
CACHE_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/evcxr"
# One folder per user, the same for every clone: evcxr's cache is keyed on rustc's arguments,
# which name each crate's source path, so a per-clone folder would recompile everything per clone.
CRATES_DIR="${COURSE_CRATES_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ds-course/crates}"
export PATH="$CARGO_BIN:$PATH"

say() { printf '==> %s\n' "$*"; }
die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

step_venv() {
    local venv="$REPO/.venv" stamp="$REPO/.venv/.requirements.stamp" want
    if [[ ! -x "$venv/bin/python" ]]; then
        say "creating .venv ($(python3 --version 2>&1))"
        python3 -m venv "$venv" \
            || die "python3 -m venv failed (on Debian/Ubuntu: apt-get install python3-venv)"
    fi
    want="$(sha256sum "$REPO/requirements.txt" | cut -d' ' -f1)"
    if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
        say "python requirements up to date (.venv)"
        return
    fi
    say "installing requirements.txt into .venv"
    "$venv/bin/python" -m pip install --disable-pip-version-check --quiet --upgrade pip
    "$venv/bin/python" -m pip install --disable-pip-version-check --quiet -r "$REPO/requirements.txt"
    echo "$want" > "$stamp"
    say "requirements installed"
}

evcxr_installed_version() {
    # evcxr_jupyter 0.22.0 rejects --version (it prints an error), so fall back to asking cargo
    # which version it installed.
    [[ -x "$CARGO_BIN/evcxr_jupyter" ]] || return 0
    local v
    v="$("$CARGO_BIN/evcxr_jupyter" --version 2>/dev/null </dev/null | grep -oE '[0-9]+\.[0-9]+\.[0-9]+' | head -n1 || true)"
    [[ -n "$v" ]] || v="$(cargo install --list 2>/dev/null | sed -n 's/^evcxr_jupyter v\([^:]*\):$/\1/p')"
    echo "$v"
}

step_evcxr() {
    command -v cargo >/dev/null || die "cargo not found: install Rust (rustup) first"
    local have
    have="$(evcxr_installed_version)"
    if [[ "$have" == "$EVCXR_VERSION" ]]; then
        say "evcxr_jupyter $EVCXR_VERSION already installed ($CARGO_BIN/evcxr_jupyter)"
        return
    fi
    say "installing evcxr_jupyter $EVCXR_VERSION with cargo (was: ${have:-none}); takes ~8 min on 2 cores"
    local t0=$SECONDS
    cargo install --locked evcxr_jupyter --version "$EVCXR_VERSION"
    say "evcxr_jupyter $EVCXR_VERSION installed in $((SECONDS - t0)) s"
}

# The kernel's crates. evcxr does not read Cargo.lock: each kernel resolves its own cell crate
# (`ctx`, depending on course_lib) afresh, against whatever its crate source offers, so with the
# registry as source it can pick versions `cargo test` never tested, or ones never downloaded
# (offline, that kills the kernel at start). So the kernel gets a source that offers exactly
# Cargo.lock's crates: `cargo vendor --locked` (every platform's, because cargo's resolver reads
# them all even when it compiles for one) into CRATES_DIR, replacing crates.io in the kernel's
# CARGO_HOME. --versioned-dirs keeps an unchanged crate at the same path when Cargo.lock changes,
# so evcxr's cache still hits for it. --respect-source-config uses a mirror from your cargo config.
# evcxr's built-in rust-analyzer (its type inference: `let x = …` without a type) also reads the
# standard library's own workspace with `cargo metadata` when the rust-src component is
# installed; that workspace has crates.io dependencies of its own (library/Cargo.lock), and if
# the kernel's crate source lacks them the analysis fails as a whole and every `let` of a
# non-literal type fails ("Couldn't automatically determine type"). So they are vendored too.
# They never reach a cell: where a std crate and a Cargo.lock crate are semver-compatible, the
# resolution check below requires the kernel to pick Cargo.lock's.
sysroot_manifest() {
    local m
    m="$(rustc --print sysroot)/lib/rustlib/src/rust/library/Cargo.toml"
    if [[ -f "$m" && -f "${m%.toml}.lock" ]]; then echo "$m"; fi
}

crates_key() {
    local std
    std="$(sysroot_manifest)"
    { cat "$REPO/Cargo.lock"; if [[ -n "$std" ]]; then cat "${std%.toml}.lock"; fi; } \
        | sha256sum | cut -d' ' -f1
}

step_crates() {
    command -v cargo >/dev/null || die "cargo not found: install Rust (rustup) first"
    local stamp="$CRATES_DIR.cargo-lock-sha256" want std
    want="$(crates_key)"
    if [[ -d "$CRATES_DIR" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
        say "kernel crates = Cargo.lock's, vendored (${CRATES_DIR/#$HOME/\~})"
        return
    fi
    std="$(sysroot_manifest)"
    local what="Cargo.lock's crates"
    if [[ -n "$std" ]]; then what="$what and those of std's own workspace (rust-src)"; fi
    say "vendoring $what for the kernel into ${CRATES_DIR/#$HOME/\~} (downloads them the first time, ~0.5 GB)"
    mkdir -p "$(dirname "$CRATES_DIR")"
    local t0=$SECONDS sync=()
    if [[ -n "$std" ]]; then sync=(--sync "$std"); fi
    (
        # two clones setting up at once must not vendor into the same folder at once
        if command -v flock >/dev/null; then flock 9; fi
        rm -f "$stamp"
        # RUSTC_BOOTSTRAP: std's manifest uses cargo features of the nightly channel
        (cd "$REPO" && RUSTC_BOOTSTRAP=1 cargo vendor --locked --versioned-dirs \
            --respect-source-config --quiet "${sync[@]}" "$CRATES_DIR" >/dev/null) \
            || die "cargo vendor failed: is crates.io (or your mirror) reachable? (README, troubleshooting: offline or firewalled machine)"
        echo "$want" > "$stamp"
    ) 9>"$CRATES_DIR.lock"
    say "vendored $(find "$CRATES_DIR" -mindepth 1 -maxdepth 1 -type d | wc -l) crates in $((SECONDS - t0)) s"
}

# The kernel's own CARGO_HOME: your cargo config (copied, without its [source.*] tables) plus
# - crates.io replaced by the vendored crates (above);
# - a profile override that makes course_lib a non-incremental build. evcxr's :cache only keeps
#   non-incremental builds, so course_lib is then compiled once and reused by every later kernel
#   session (seconds instead of ~10-20 s per notebook start). evcxr keys that cache on rustc's
#   arguments; course_lib/build.rs puts a hash of its sources into them, so an edit is a miss;
# - a second override that compiles each cell's own code (evcxr's crate `ctx`) at opt-level 0:
#   the work of a cell runs inside course_lib and its dependencies, which stay at evcxr's
#   opt-level 2, and LLVM no longer optimizes every cell, which halves the median cell (about
#   1.0 s -> 0.5 s on the 2-core machine).
# Your own ~/.cargo is never modified.
step_cargo_home() {
    local home="$1" user_home="${CARGO_HOME:-$HOME/.cargo}" item
    mkdir -p "$home"
    {
        echo "# Generated by tools/setup.sh for the course's Rust kernel; edit that script, not this file."
        for item in config.toml config; do
            if [[ -f "$user_home/$item" ]]; then
                echo "# --- copied from $user_home/$item, without its [source.*] tables"
                awk '/^[[:space:]]*\[/ { skip = ($0 ~ /^[[:space:]]*\[source\./) } !skip' \
                    "$user_home/$item"
                echo
                break
            fi
        done
        echo "# --- course: the kernel sees exactly Cargo.lock's crates (tools/setup.sh, step crates)"
        echo "[source.crates-io]"
        echo "replace-with = \"course-lock\""
        echo "[source.course-lock]"
        echo "directory = \"$CRATES_DIR\""
        echo "# --- course: let evcxr's cache keep course_lib between sessions"
        echo "[profile.dev.package.course_lib]"
        echo "incremental = false"
        echo "# --- course: compile each cell's own code (evcxr's crate \`ctx\`) unoptimized"
        echo "[profile.dev.package.ctx]"
        echo "opt-level = 0"
    } > "$home/config.toml.new"
    mv "$home/config.toml.new" "$home/config.toml"
}

# Resolve a crate shaped like evcxr's with the kernel's CARGO_HOME, for each feature set the
# notebooks load course_lib with, and compare with Cargo.lock (a drift names crate, versions,
# fix); then std's workspace, offline, as evcxr's rust-analyzer will read it.
check_kernel_crates() {
    local home="$1" features std
    for features in "" $(notebook_features); do
        "$PYTHON" "$REPO/tools/kernel_crates.py" resolve --cargo-home "$home" --features "$features" \
            || die "the kernel would not use Cargo.lock's crates (see above)"
    done
    std="$(sysroot_manifest)"
    if [[ -n "$std" ]]; then
        "$PYTHON" "$REPO/tools/kernel_crates.py" sysroot --cargo-home "$home" --manifest "$std" \
            || die "evcxr's type inference would fail in every kernel (see above)"
    fi
}

# The course_lib feature sets used by the notebooks' setup cells (e.g. "frames"), one per line.
notebook_features() {
    grep -ho 'course_lib = { path = \\"\.\./course_lib\\", features = \[[^]]*\]' \
        "$REPO"/notebooks/*.ipynb 2>/dev/null \
        | sed 's/.*features = \[//; s/\]$//; s/[\\" ]//g' | LC_ALL=C sort -u
}

step_kernel() {
    local data="$PREFIX/share/jupyter" spec="$PREFIX/share/jupyter/kernels/rust/kernel.json"
    local config="$REPO/tools/evcxr" home="$PREFIX/share/jupyter/kernels/rust/cargo-home"
    [[ -x "$CARGO_BIN/evcxr_jupyter" ]] || die "evcxr_jupyter missing: run tools/setup.sh evcxr"
    step_crates
    if [[ -f "$spec" ]] && "$PYTHON" - "$spec" "$config" "$CARGO_BIN/evcxr_jupyter" "$home" <<'PY'
import json, os, sys
spec = json.load(open(sys.argv[1]))
env = spec.get("env", {})
ok = (env.get("EVCXR_CONFIG_DIR") == sys.argv[2] and spec["argv"][0] == sys.argv[3]
      and env.get("CARGO_HOME") == sys.argv[4]
      and os.path.isfile(os.path.join(sys.argv[4], "config.toml")))
sys.exit(0 if ok else 1)
PY
    then
        step_cargo_home "$home"  # cheap; picks up changes to the user's cargo config
        say "Rust kernel already registered (${spec#"$REPO/"})"
        check_kernel_crates "$home"
        return
    fi
    say "registering the Rust kernel into $data"
    JUPYTER_PATH="$data" "$CARGO_BIN/evcxr_jupyter" --install >/dev/null
    step_cargo_home "$home"
    "$PYTHON" - "$spec" "$config" "$home" <<'PY'
import json, sys
path, config, home = sys.argv[1], sys.argv[2], sys.argv[3]
spec = json.load(open(path))
env = spec.setdefault("env", {})
env["EVCXR_CONFIG_DIR"] = config
env["CARGO_HOME"] = home
with open(path, "w") as f:
    json.dump(spec, f, indent=2)
    f.write("\n")
PY
    say "kernel.json patched: EVCXR_CONFIG_DIR=$config, CARGO_HOME=${home#"$REPO/"}"
    check_kernel_crates "$home"
}

warm_key() {
    # The cache holds registry crates compiled by this rustc for this evcxr; what evcxr resolves
    # follows course_lib's manifest and the lock file. Any change there means re-warming.
    {
        cat "$REPO/Cargo.lock" "$REPO/course_lib/Cargo.toml" "$REPO/tools/evcxr/init.evcxr" \
            "$REPO/notebooks/evcxr.toml"
        # course_lib itself is cached too (see step_cargo_home): warm again after edits
        find "$REPO/course_lib/src" "$REPO/course_lib/build.rs" "$REPO/data" -type f \
            | LC_ALL=C sort | xargs cat
        rustc -V
        echo "evcxr_jupyter $EVCXR_VERSION"
        echo "crates $CRATES_DIR"
        echo "frames ${WARM_FRAMES:-1}"
    } | sha256sum | cut -c1-16
}

step_warm() {
    local stamp
    stamp="$CACHE_DIR/course_lib-warm/$(warm_key)"
    if [[ -f "$stamp" && -z "${FORCE_WARM:-}" ]]; then
        say "evcxr cache already warm for this Cargo.lock/rustc ($stamp)"
        return
    fi
    # The kernel's crates are Cargo.lock's, vendored by step_crates (run by step_kernel); the
    # warm kernels' own lock files are compared with Cargo.lock again (run_notebooks.py).
    say "warming the evcxr cache (cold: compiles course_lib's dependencies, a minute or two)"
    local t0=$SECONDS
    "$PYTHON" "$REPO/tools/run_notebooks.py" --warm
    mkdir -p "$(dirname "$stamp")"
    date -u +%FT%TZ > "$stamp"
    say "evcxr cache warm ($((SECONDS - t0)) s)"
}

[[ $# -gt 0 ]] || { sed -n '2,23p' "$0"; exit 2; }
for step in "$@"; do
    case "$step" in
        venv) step_venv ;;
        evcxr) step_evcxr ;;
        kernel) step_kernel ;;
        warm) step_warm ;;
        crates) step_crates ;;
        all) step_venv; step_evcxr; step_kernel; step_warm ;;
        *) die "unknown step '$step' (venv, evcxr, crates, kernel, warm, all)" ;;
    esac
done
