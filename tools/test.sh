#!/usr/bin/env bash
# `make test`: every test, in order, stopping at the first failure with the step's name.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

STEPS=(
    "setup|tools/setup.sh venv evcxr kernel warm"
    "cargo fmt|cargo fmt --all -- --check"
    "cargo clippy|cargo clippy --workspace --all-targets --all-features -- -D warnings"
    "cargo test|cargo test --workspace --all-features"
    "cargo doc|RUSTDOCFLAGS='-D warnings' cargo doc --no-deps -p course_lib"
    "pytest tools/tests|.venv/bin/python -m pytest -q tools/tests"
    "check-notebooks|.venv/bin/python tools/check_notebooks.py"
    "execute notebooks|.venv/bin/python tools/run_notebooks.py"
    "student copies|.venv/bin/python tools/homework.py test-student"
    "book and slides|.venv/bin/python tools/book.py book --no-execute && .venv/bin/python tools/book.py slides --no-execute"
)

passed=0
start=$SECONDS
report=()
for entry in "${STEPS[@]}"; do
    name="${entry%%|*}" cmd="${entry#*|}"
    printf '\n======== %s: %s\n' "$name" "$cmd"
    t0=$SECONDS
    if ! bash -c "$cmd" </dev/null; then
        printf '\nFAILED at step "%s" (%s) after %d s.\n' "$name" "$cmd" $((SECONDS - t0)) >&2
        printf 'steps: %d passed, 1 failed\n' "$passed"
        exit 1
    fi
    passed=$((passed + 1))
    report+=("$(printf '  %-20s %5d s' "$name" $((SECONDS - t0)))")
done
printf '\n======== make test: all %d steps passed in %d s\n' "$passed" $((SECONDS - start))
printf '%s\n' "${report[@]}"
printf 'steps: %d passed, 0 failed\n' "$passed"
