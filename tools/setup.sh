#!/usr/bin/env bash
# Idempotent setup steps for the course toolchain. Called by the Makefile and by Binder's postBuild.
#
#   tools/setup.sh STEP...        steps run in the order given:
#     venv     create .venv; pip install -r requirements.txt when requirements.txt changed
#     evcxr    install evcxr_jupyter $EVCXR_VERSION with cargo unless that version is installed
#     kernel   register the Rust kernel into $PREFIX/share/jupyter (only there) and set
#              EVCXR_CONFIG_DIR=<repo>/tools/evcxr in its kernel.json (turns on evcxr's cache)
#     warm     run a throwaway notebook so ~/.cache/evcxr holds the compiled dependencies;
#              skipped when the warm stamp matches (see warm_key below); FORCE_WARM=1 reruns it
#     all      venv evcxr kernel warm
#
# Environment:
#   PREFIX   where the kernel is registered            (default: <repo>/.venv)
#   PYTHON   python that has nbclient (used by warm/kernel) (default: $PREFIX/bin/python)
#   EVCXR_VERSION                                       (default: 0.22.0)
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
EVCXR_VERSION="${EVCXR_VERSION:-0.22.0}"
PREFIX="${PREFIX:-$REPO/.venv}"
PYTHON="${PYTHON:-$PREFIX/bin/python}"
CARGO_BIN="${CARGO_HOME:-$HOME/.cargo}/bin"
CACHE_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/evcxr"
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

step_kernel() {
    local data="$PREFIX/share/jupyter" spec="$PREFIX/share/jupyter/kernels/rust/kernel.json"
    local config="$REPO/tools/evcxr"
    [[ -x "$CARGO_BIN/evcxr_jupyter" ]] || die "evcxr_jupyter missing: run tools/setup.sh evcxr"
    if [[ -f "$spec" ]] && "$PYTHON" - "$spec" "$config" "$CARGO_BIN/evcxr_jupyter" <<'PY'
import json, sys
spec = json.load(open(sys.argv[1]))
ok = spec.get("env", {}).get("EVCXR_CONFIG_DIR") == sys.argv[2] and spec["argv"][0] == sys.argv[3]
sys.exit(0 if ok else 1)
PY
    then
        say "Rust kernel already registered (${spec#"$REPO/"})"
        return
    fi
    say "registering the Rust kernel into $data"
    JUPYTER_PATH="$data" "$CARGO_BIN/evcxr_jupyter" --install >/dev/null
    "$PYTHON" - "$spec" "$config" <<'PY'
import json, sys
path, config = sys.argv[1], sys.argv[2]
spec = json.load(open(path))
spec.setdefault("env", {})["EVCXR_CONFIG_DIR"] = config
with open(path, "w") as f:
    json.dump(spec, f, indent=2)
    f.write("\n")
PY
    say "kernel.json patched: EVCXR_CONFIG_DIR=$config"
}

warm_key() {
    # The cache holds registry crates compiled by this rustc for this evcxr; what evcxr resolves
    # follows course_lib's manifest and the lock file. Any change there means re-warming.
    {
        cat "$REPO/Cargo.lock" "$REPO/course_lib/Cargo.toml" "$REPO/tools/evcxr/init.evcxr"
        rustc -V
        echo "evcxr_jupyter $EVCXR_VERSION"
    } | sha256sum | cut -c1-16
}

step_warm() {
    local stamp
    stamp="$CACHE_DIR/course_lib-warm/$(warm_key)"
    if [[ -f "$stamp" && -z "${FORCE_WARM:-}" ]]; then
        say "evcxr cache already warm for this Cargo.lock/rustc ($stamp)"
        return
    fi
    say "warming the evcxr cache (cold: compiles course_lib's dependencies, a minute or two)"
    local t0=$SECONDS
    "$PYTHON" "$REPO/tools/run_notebooks.py" --warm
    mkdir -p "$(dirname "$stamp")"
    date -u +%FT%TZ > "$stamp"
    say "evcxr cache warm ($((SECONDS - t0)) s)"
}

[[ $# -gt 0 ]] || { sed -n '2,20p' "$0"; exit 2; }
for step in "$@"; do
    case "$step" in
        venv) step_venv ;;
        evcxr) step_evcxr ;;
        kernel) step_kernel ;;
        warm) step_warm ;;
        all) step_venv; step_evcxr; step_kernel; step_warm ;;
        *) die "unknown step '$step' (venv, evcxr, kernel, warm, all)" ;;
    esac
done
