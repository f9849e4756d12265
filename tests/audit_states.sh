#!/bin/sh
# The state audit over the shipped scenarios: at every state hit of a stateful sweep the next
# points are checked against the transitions recorded; a difference (state-mismatch) means a
# continuation the signature does not capture. Usage: audit_states.sh PFNSIM (from the source
# root). The known gaps are listed in docs/sweeps.md and skipped here.
set -eu
pfnsim=$1
known_gap() {
    case $1 in
        scenarios/patchset/ttm-move-munmap.toml) return 0 ;;
    esac
    return 1
}
fail=0
for f in scenarios/*.toml scenarios/patchset/*.toml; do
    if known_gap "$f"; then
        continue
    fi
    out=$("$pfnsim" sweep "$f" --preemptions all --audit-states --max-states 20000 --quiet \
        --no-minimize --json) || true
    if printf '%s' "$out" | grep -q '"kind": *"state-mismatch"'; then
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
