#!/bin/sh
# The state audit over the shipped scenarios: at every state hit of a stateful sweep the next
# points are checked against the transitions recorded; a difference (state-mismatch) means a
# continuation the signature does not capture. Usage: audit_states.sh PFNSIM (from the source
# root). Known gaps would be listed in docs/sweeps.md and skipped here; there are none.
set -eu
pfnsim=$1
known_gap() {
    return 1
}
fail=0
# tests/data: the scenarios of issue 24 whose sweeps could not go on (lazily created slots, and
# actors stopped at a point they reached by reading the tables without a step).
for f in scenarios/*.toml scenarios/patchset/*.toml tests/data/two-faults-zap.toml \
    tests/data/pin-zap-kvm.toml; do
    if known_gap "$f"; then
        continue
    fi
    rc=0
    out=$("$pfnsim" sweep "$f" --preemptions all --audit-states --max-states 20000 --quiet \
        --no-minimize --json) || rc=$?
    if [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ] && [ "$rc" -ne 3 ]; then
        echo "FAIL $f: exit $rc"
        fail=1
    elif printf '%s' "$out" | grep -q '"kind": *"state-mismatch"'; then
        echo "FAIL $f: the audit found a state-mismatch"
        fail=1
    elif printf '%s' "$out" | grep -q '"state_hits": *[1-9]' &&
        ! printf '%s' "$out" | grep -q '"audited": *[1-9]'; then
        echo "FAIL $f: state hits, but nothing audited"
        fail=1
    else
        echo "ok   $f"
    fi
done
exit $fail
