#!/usr/bin/env bash
# Builds the hub's root folder, HUB_ROOT (default /srv/ds-course), for `make hub`: everything the
# students' servers run, owned by root and readable by all, so no student needs anything in
# /root. Idempotent: a second run refreshes the course snapshot and skips what is in place.
#
#   HUB_ROOT/course/      a snapshot of this repository (git ls-files) with its own .venv
#                         (requirements.txt + tools/hub/requirements.txt) and Rust kernel
#   HUB_ROOT/toolchain/   the Rust toolchain (rustc, cargo, std), hard links to this machine's
#   HUB_ROOT/python/      the Python the venv is built on, hard links to this machine's
#   HUB_ROOT/cargo/       CARGO_HOME for the setup (evcxr_jupyter in bin/, the registry cache)
#   HUB_ROOT/crates/      the kernel's vendored crates (Cargo.lock's), shared by every kernel
#   HUB_ROOT/cache/evcxr/ the evcxr compilation cache, warmed once here for everyone; each
#                         student gets a snapshot of it (tools/hub/course_hub/accounts.py)
#   HUB_ROOT/proxy/       configurable-http-proxy from npm (tools/hub/package-lock.json)
#   HUB_ROOT/release/     the student copies (`make student`) handed to each new user
#   HUB_ROOT/home/, exchange/, grades/, state/   created empty; filled by the hub
#
# Environment: HUB_ROOT; WARM_FRAMES=0 skips polars in the warm step (the hub test does; a real
# class using notebook 04 wants it, ~10 min once).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HUB_ROOT="${HUB_ROOT:-/srv/ds-course}"

say() { printf '==> hub: %s\n' "$*"; }
die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

[[ "$(id -u)" == 0 ]] || die "make hub must run as root: JupyterHub's local spawner starts each \
student's server as that student's own Unix user (README, \"Teaching a class\")"
[[ "$HUB_ROOT" == /* ]] || die "HUB_ROOT must be an absolute path (got '$HUB_ROOT')"
command -v useradd >/dev/null || die "useradd not found (Debian/Ubuntu: apt-get install passwd)"
command -v npm >/dev/null || die "npm not found: the hub's proxy comes from the npm registry \
(Debian/Ubuntu: apt-get install nodejs npm)"
command -v rustc >/dev/null || die "rustc not found: install Rust (rustup) first"

umask 022
mkdir -p "$HUB_ROOT"
chmod 755 "$HUB_ROOT"

# Copy a folder as hard links when it is on the same file system (instant, no disk), else as a
# copy. Students only read these files; root owns them.
link_tree() {
    local src="$1" dst="$2"
    if [[ -d "$dst" && -f "$dst/.source" && "$(cat "$dst/.source")" == "$src" ]]; then
        say "$(basename "$dst") in place ($dst)"
        return
    fi
    rm -rf "$dst.new"
    cp -al "$src" "$dst.new" 2>/dev/null || { rm -rf "$dst.new"; cp -a "$src" "$dst.new"; }
    echo "$src" > "$dst.new/.source"
    rm -rf "$dst"
    mv "$dst.new" "$dst"
    chmod -R a+rX "$dst"
    say "$(basename "$dst") from $src"
}

# 1. Toolchain and Python where every user can read them.
link_tree "$(rustc --print sysroot)" "$HUB_ROOT/toolchain"
PY_PREFIX="$(python3 -c 'import sys; print(sys.base_prefix)')"
link_tree "$PY_PREFIX" "$HUB_ROOT/python"
PY_VERSION="$(python3 -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"

mkdir -p "$HUB_ROOT/cargo/bin"
"$REPO/tools/setup.sh" evcxr   # installs evcxr_jupyter (~8 min) unless this version is there
EVCXR_SRC="${CARGO_HOME:-$HOME/.cargo}/bin/evcxr_jupyter"
[[ -x "$EVCXR_SRC" ]] || die "evcxr_jupyter not found at $EVCXR_SRC after tools/setup.sh evcxr"
cmp -s "$EVCXR_SRC" "$HUB_ROOT/cargo/bin/evcxr_jupyter" \
    || install -m 755 "$EVCXR_SRC" "$HUB_ROOT/cargo/bin/evcxr_jupyter"
# The registry cache, so vendoring the kernel's crates needs no download when this machine has them.
USER_CARGO="${CARGO_HOME:-$HOME/.cargo}"
if [[ -d "$USER_CARGO/registry" && ! -d "$HUB_ROOT/cargo/registry" ]]; then
    cp -al "$USER_CARGO/registry" "$HUB_ROOT/cargo/registry" 2>/dev/null \
        || cp -a "$USER_CARGO/registry" "$HUB_ROOT/cargo/registry"
fi

# From here on, only what is under HUB_ROOT: the same paths the students' kernels will see, so
# the cache warmed below is keyed exactly as their compilations are.
export PATH="$HUB_ROOT/toolchain/bin:$HUB_ROOT/cargo/bin:$HUB_ROOT/python/bin:/usr/local/bin:/usr/bin:/bin"
# std's folder, as tools/hub/course_hub/accounts.py (toolchain_env) says why
LD_LIBRARY_PATH="$(dirname "$(ls "$HUB_ROOT"/toolchain/lib/rustlib/*/lib/libstd-*.so | head -n1)")"
if compgen -G "$HUB_ROOT/python/lib/libpython3*.so*" >/dev/null; then
    LD_LIBRARY_PATH="$LD_LIBRARY_PATH:$HUB_ROOT/python/lib"
fi
export LD_LIBRARY_PATH
export CARGO_HOME="$HUB_ROOT/cargo" COURSE_CRATES_DIR="$HUB_ROOT/crates" XDG_CACHE_HOME="$HUB_ROOT/cache"
unset RUSTUP_TOOLCHAIN RUSTUP_HOME PYTHONPATH VIRTUAL_ENV
export PIP_DISABLE_PIP_VERSION_CHECK=1

# 2. The course snapshot: the files git tracks (or would), not build products or caches.
say "course snapshot -> $HUB_ROOT/course"
mkdir -p "$HUB_ROOT/course"
(cd "$REPO" && { git ls-files -co --exclude-standard 2>/dev/null || find . -type f -not -path './.git/*' \
    -not -path './target/*' -not -path './build/*' -not -path './.venv/*'; }) \
    | grep -v '^tools/hub/node_modules/' > "$HUB_ROOT/course.files.new"
(cd "$REPO" && while IFS= read -r f; do [[ -f "$f" ]] && printf '%s\0' "$f"; done < "$HUB_ROOT/course.files.new") \
    | (cd "$REPO" && xargs -0 cp --parents -p -t "$HUB_ROOT/course")
# files removed from the repository since the last snapshot go too
if [[ -f "$HUB_ROOT/course.files" ]]; then
    comm -23 <(sort "$HUB_ROOT/course.files") <(sort "$HUB_ROOT/course.files.new") \
        | while IFS= read -r f; do rm -f "$HUB_ROOT/course/$f"; done
fi
mv "$HUB_ROOT/course.files.new" "$HUB_ROOT/course.files"

# 3. Its venv (with JupyterHub), kernel and warm cache, by the course's own setup script.
"$HUB_ROOT/course/tools/setup.sh" venv
HUB_REQ="$HUB_ROOT/course/tools/hub/requirements.txt"
HUB_STAMP="$HUB_ROOT/course/.venv/.hub-requirements.stamp"
want="$(sha256sum "$HUB_REQ" | cut -d' ' -f1)"
if [[ ! -f "$HUB_STAMP" || "$(cat "$HUB_STAMP")" != "$want" ]]; then
    say "installing tools/hub/requirements.txt (JupyterHub) into the hub's venv"
    "$HUB_ROOT/course/.venv/bin/python" -m pip install --quiet -r "$HUB_REQ"
    echo "$want" > "$HUB_STAMP"
fi
"$HUB_ROOT/course/tools/setup.sh" kernel warm

# The submit page and endpoint in every student's server (tools/hub/course_hub), and the
# `submit` command for a terminal. Only this venv loads them; a developer's .venv does not.
mkdir -p "$HUB_ROOT/course/.venv/etc/jupyter/jupyter_server_config.d" "$HUB_ROOT/bin"
printf '{"ServerApp": {"jpserver_extensions": {"course_hub": true}}}\n' \
    > "$HUB_ROOT/course/.venv/etc/jupyter/jupyter_server_config.d/course_hub.json"
printf '#!/bin/sh\n# submit NOTEBOOK: hand a notebook in (README, "Teaching a class")\nexec %s -m course_hub.submit "$@"\n' \
    "$HUB_ROOT/course/.venv/bin/python" > "$HUB_ROOT/bin/submit"
chmod 755 "$HUB_ROOT/bin/submit"

# 4. The proxy, exactly package-lock.json's versions.
mkdir -p "$HUB_ROOT/proxy"
if ! cmp -s "$REPO/tools/hub/package-lock.json" "$HUB_ROOT/proxy/package-lock.json" \
    || [[ ! -x "$HUB_ROOT/proxy/node_modules/.bin/configurable-http-proxy" ]]; then
    cp "$REPO/tools/hub/package.json" "$REPO/tools/hub/package-lock.json" "$HUB_ROOT/proxy/"
    say "configurable-http-proxy from npm"
    (cd "$HUB_ROOT/proxy" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi

# 5. The student copies every new user receives.
say "student copies -> $HUB_ROOT/release"
rm -rf "$HUB_ROOT/release.new"
(cd "$HUB_ROOT/course" && .venv/bin/python tools/homework.py student --out "$HUB_ROOT/release.new" >/dev/null)
cp "$HUB_ROOT/course/notebooks/evcxr.toml" "$HUB_ROOT/course/notebooks/rise.css" "$HUB_ROOT/release.new/"
rm -rf "$HUB_ROOT/release"
mv "$HUB_ROOT/release.new" "$HUB_ROOT/release"

# 6. The folders the hub fills. Students reach only their own (tools/hub/course_hub/accounts.py).
mkdir -p "$HUB_ROOT/home" "$HUB_ROOT/exchange/inbound" "$HUB_ROOT/exchange/feedback" \
    "$HUB_ROOT/grades" "$HUB_ROOT/state"
chmod 755 "$HUB_ROOT/home" "$HUB_ROOT/exchange" "$HUB_ROOT/exchange/inbound" "$HUB_ROOT/exchange/feedback"
chmod 700 "$HUB_ROOT/grades" "$HUB_ROOT/state"
chmod -R a+rX "$HUB_ROOT/course" "$HUB_ROOT/crates" "$HUB_ROOT/cache" "$HUB_ROOT/proxy" \
    "$HUB_ROOT/release" "$HUB_ROOT/cargo/bin"
echo "python$PY_VERSION" > "$HUB_ROOT/state/python-version"
say "ready: $HUB_ROOT"
