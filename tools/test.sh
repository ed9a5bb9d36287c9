#!/usr/bin/env bash
# `make test`: every test, in order, stopping at the first failure with the step's name.
# A step whose name starts with "?" may skip: exit 77 means it printed why and did not run, and
# it is reported as skipped, never as passed. Any other step exiting 77, or any step with
# CI=true, has failed.
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
    "?slides fit|.venv/bin/python tools/slide_fit.py"
    "?browser|.venv/bin/python tools/browser_test.py"
    "?hub|.venv/bin/python tools/hub_test.py"
    "fresh machine|tools/fresh_machine.sh"
)

passed=0
skipped=0
start=$SECONDS
report=()
for entry in "${STEPS[@]}"; do
    name="${entry%%|*}" cmd="${entry#*|}" may_skip=""
    if [[ "$name" == \?* ]]; then name="${name#\?}" may_skip=1; fi
    printf '\n======== %s: %s\n' "$name" "$cmd"
    t0=$SECONDS
    rc=0
    bash -c "$cmd" </dev/null || rc=$?
    if [[ $rc -eq 77 && -n "$may_skip" && "${CI:-}" != true ]]; then
        skipped=$((skipped + 1))
        report+=("$(printf '  %-20s %5d s  SKIPPED' "$name" $((SECONDS - t0)))")
        continue
    fi
    if [[ $rc -ne 0 ]]; then
        printf '\nFAILED at step "%s" (%s) after %d s.\n' "$name" "$cmd" $((SECONDS - t0)) >&2
        printf 'steps: %d passed, 1 failed, %d skipped\n' "$passed" "$skipped"
        exit 1
    fi
    passed=$((passed + 1))
    report+=("$(printf '  %-20s %5d s' "$name" $((SECONDS - t0)))")
done
if [[ $skipped -gt 0 ]]; then
    printf '\n======== make test: %d steps passed, %d SKIPPED (see above), in %d s\n' \
        "$passed" "$skipped" $((SECONDS - start))
else
    printf '\n======== make test: all %d steps passed in %d s\n' "$passed" $((SECONDS - start))
fi
printf '%s\n' "${report[@]}"
printf 'steps: %d passed, 0 failed, %d skipped\n' "$passed" "$skipped"
