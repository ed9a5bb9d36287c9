#!/usr/bin/env bash
# The newcomer's path, on this machine, with nothing cached: `make test` runs it.
#
#   tools/fresh_machine.sh [SOURCE_TREE] [NOTEBOOK]
#       SOURCE_TREE  a git checkout to test (default: this repository, including uncommitted
#                    and untracked, not ignored, files)
#       NOTEBOOK     the notebook to execute (default: notebooks/00_welcome.ipynb)
#
# It copies the tree into a temporary folder and runs there, as a brand-new user would,
#   tools/setup.sh venv evcxr kernel warm       (what `make lab` and `make test` run first)
#   .venv/bin/python tools/run_notebooks.py NOTEBOOK
# with an empty HOME (so no ~/.cache/evcxr, no vendored crates, no pip cache), an empty
# CARGO_HOME (no registry: every crate is downloaded again) and a clean environment. Only two
# things are reused, to stay within CI's time: the Rust toolchain (RUSTUP_HOME) and the installed
# evcxr_jupyter binary (~10 minutes to build), copied into the empty CARGO_HOME with cargo's
# record of installing it. Polars (feature frames) is resolved and checked but not compiled
# (WARM_FRAMES=0; ~10 minutes). The temporary folder is removed afterwards; the log is kept in
# build/fresh-machine.log.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SRC="$(cd "${1:-$REPO}" && pwd)"
NOTEBOOK="${2:-notebooks/00_welcome.ipynb}"
LOG="$REPO/build/fresh-machine.log"

say() { printf '==> fresh machine: %s\n' "$*"; }
die() { printf 'FAIL fresh machine: %s\n' "$*" >&2; exit 1; }

user_cargo="${CARGO_HOME:-$HOME/.cargo}"
evcxr_bin="$user_cargo/bin/evcxr_jupyter"
[[ -x "$evcxr_bin" ]] || die "needs an installed evcxr_jupyter ($evcxr_bin): run \`make setup\` first"
cargo_bin="$(dirname "$(command -v cargo)")" || die "cargo not found"
rustup_home="${RUSTUP_HOME:-$HOME/.rustup}"
git -C "$SRC" rev-parse --git-dir >/dev/null 2>&1 || die "$SRC is not a git checkout"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/ds-fresh-machine.XXXXXX")"
cleanup() { rm -rf "$tmp"; }
trap cleanup EXIT
mkdir -p "$tmp/home" "$tmp/cargo/bin" "$tmp/repo" "$tmp/tmp" "$(dirname "$LOG")"

# The tree as a fresh clone would have it (tracked files, plus new files not yet committed).
(cd "$SRC" && git ls-files -z --cached --others --exclude-standard \
    | tar --null --ignore-failed-read -T - -cf - 2>/dev/null) | tar -C "$tmp/repo" -xf -
[[ -f "$tmp/repo/$NOTEBOOK" ]] || die "$NOTEBOOK is not in $SRC"

# evcxr_jupyter as `cargo install` leaves it: the binary and cargo's install records, so that
# setup's evcxr step finds version and all and skips the ~10-minute build.
cp "$evcxr_bin" "$tmp/cargo/bin/"
for f in .crates.toml .crates2.json; do
    if [[ -f "$user_cargo/$f" ]]; then cp "$user_cargo/$f" "$tmp/cargo/"; fi
done

say "testing $SRC ($(git -C "$SRC" log -1 --format='%h %s' | cut -c1-60)) in $tmp"
say "empty HOME, CARGO_HOME and caches; reused: the toolchain ($rustup_home), evcxr_jupyter"
t0=$SECONDS
status=0
env -i \
    HOME="$tmp/home" CARGO_HOME="$tmp/cargo" RUSTUP_HOME="$rustup_home" TMPDIR="$tmp/tmp" \
    PATH="$tmp/cargo/bin:$cargo_bin:/usr/local/bin:/usr/bin:/bin" \
    LANG=C.UTF-8 TERM=dumb CI="${CI:-}" WARM_FRAMES=0 \
    bash -c 'set -euo pipefail
        cd "$1"
        registry="$CARGO_HOME/registry"
        if [[ -e "$registry" || -e "$HOME/.cache" ]]; then
            echo "not fresh: $registry or $HOME/.cache exists before setup" >&2; exit 1
        fi
        tools/setup.sh venv evcxr kernel warm
        .venv/bin/python tools/run_notebooks.py "$2" --out "$3"
    ' fresh "$tmp/repo" "$NOTEBOOK" "$tmp/build" >"$LOG" 2>&1 || status=$?
elapsed=$((SECONDS - t0))
grep -E '^(==>|ERROR|FAIL|WARN)' "$LOG" | sed 's/^/    /' | tail -n 40 || true
if [[ $status -ne 0 ]]; then
    echo "---- last lines of $LOG" >&2
    tail -n 30 "$LOG" >&2
    die "setup or $NOTEBOOK failed after $elapsed s on an empty registry and cache (log: ${LOG#"$REPO/"})"
fi
say "setup and $NOTEBOOK passed from nothing in $elapsed s (log: ${LOG#"$REPO/"})"
