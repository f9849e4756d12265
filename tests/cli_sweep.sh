#!/bin/sh
# pfnsim sweep and merge end to end: the certificate's JSON, four shards merged against the
# unsharded sweep, a checkpointed sweep interrupted and resumed, and a witness replayed.
set -u
pfnsim="$1"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() {  # check NAME PYTHON-EXPRESSION FILES...: the expression over the JSON documents a, b, ...
    name=$1 expr=$2
    shift 2
    if python3 - "$expr" "$@" <<'PY'
import json, sys
docs = [json.load(open(f)) for f in sys.argv[2:]]
env = dict(zip("abcdefgh", docs))
sys.exit(0 if eval(sys.argv[1], env) else 1)
PY
    then echo "ok: $name"; else echo "FAIL: $name"; fail=1; fi
}
scen=scenarios/seed-split-refault.toml

"$pfnsim" sweep $scen --preemptions 2 --json --quiet >"$tmp/whole.json"
test $? -eq 0 || { echo "FAIL: sweep exit code"; fail=1; }
"$pfnsim" run $scen --json >"$tmp/run.json"
check "certificate JSON" 'a["complete"] and a["bound"] == {"preemptions": 2, "faults": "scenario"} and a["executions"] > 0 and a["pruned"] >= 0 and [(v["kind"], v["actor"], v["detail"]) for v in a["violations"]] == [("wrong-return", "pin", "pin returned -EINVAL")] and "seed" not in a["violations"][0] and a["violations"][0]["schedule"].startswith("2.") and a["scenario_hash"] == b["scenario_hash"] and a["version"].startswith("pfnsim ") and a["certificate"].startswith("all schedules of seed-split-refault (policy original) with ≤2 preemptions")' "$tmp/whole.json" "$tmp/run.json"

# Four shards, run as a job engine would, merged.
for i in 0 1 2 3; do
    "$pfnsim" sweep $scen --preemptions 2 --shard $i/4 --quiet >"$tmp/shard-$i.json" || true
done
"$pfnsim" merge "$tmp"/shard-*.json --json >"$tmp/merged.json"
check "4 shards merged = unsharded" 'a["complete"] and all(a[k] == b[k] for k in ("executions", "pruned", "redundant", "steps", "final_states", "results", "violations"))' "$tmp/merged.json" "$tmp/whole.json"
"$pfnsim" merge "$tmp"/shard-0.json "$tmp"/shard-1.json --json >"$tmp/partial.json"
check "missing shards: not complete" 'not a["complete"] and a["missing_shards"] == [2, 3]' "$tmp/partial.json"
"$pfnsim" sweep scenarios/pin-zap-race.toml --preemptions 2 --shard 0/4 --quiet >"$tmp/other.json"
if "$pfnsim" merge "$tmp/shard-1.json" "$tmp/other.json" >/dev/null 2>&1; then
    echo "FAIL: merging shards of two sweeps"; fail=1
else echo "ok: merging shards of two sweeps is refused"; fi

# Interrupted by --max-executions, then resumed from the checkpoint: the same certificate.
"$pfnsim" sweep $scen --preemptions 2 --json --quiet --checkpoint "$tmp/ck.json" --max-executions 300 >"$tmp/part1.json"
check "stopped early: not complete" 'not a["complete"] and a["stopped"] == "max-executions" and a["executions"] == 300 and a["certificate"].startswith("INCOMPLETE")' "$tmp/part1.json"
"$pfnsim" sweep $scen --preemptions 2 --json --quiet --checkpoint "$tmp/ck.json" >"$tmp/part2.json"
check "resumed = uninterrupted" 'a == b' "$tmp/part2.json" "$tmp/whole.json"

# A witness found with a fault bound replays with the same bound.
"$pfnsim" sweep scenarios/pin-munmap-retry.toml --preemptions 1 --faults 1 --json --quiet >"$tmp/faults.json"
replay=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["violations"][0]["replay"])' "$tmp/faults.json")
case "$replay" in *"--faults 1"*) ;; *) echo "FAIL: replay command lacks --faults: $replay"; fail=1 ;; esac
# shellcheck disable=SC2086
$(echo "$replay" | sed "s|^pfnsim|$pfnsim|") --json >"$tmp/replayed.json"
check "witness replays" 'a["violations"][0]["detail"] == b["violations"][0]["detail"]' "$tmp/replayed.json" "$tmp/faults.json"

# Witnesses are minimised before they are reported; the minimised schedule replays (with the
# same --faults) to the same violation, and --no-minimize reports them as found.
check "witness minimised" '(lambda m: m["steps"] <= m["total_steps"] and m["preemptions"] <= 1 and "--faults 1" in m["replay"] and "=> wrong-return" in m["diagram"])(a["violations"][0]["minimized"])' "$tmp/faults.json"
replay=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["violations"][0]["minimized"]["replay"])' "$tmp/faults.json")
# shellcheck disable=SC2086
$(echo "$replay" | sed "s|^pfnsim|$pfnsim|") --json >"$tmp/replayed-min.json"
check "minimised witness replays" 'a["violations"][0]["detail"] == b["violations"][0]["detail"]' "$tmp/replayed-min.json" "$tmp/faults.json"
"$pfnsim" sweep scenarios/pin-munmap-retry.toml --preemptions 1 --faults 1 --json --quiet --no-minimize >"$tmp/as-found.json"
check "--no-minimize" '"minimized" not in a["violations"][0] and a["violations"] == [{k: v for k, v in w.items() if k != "minimized"} for w in b["violations"]]' "$tmp/as-found.json" "$tmp/faults.json"
# Exit codes: 3 for a sweep stopped early (not a certificate), 0 once it is complete.
"$pfnsim" sweep scenarios/lockstep-split.toml --preemptions all --max-states 100 --quiet >/dev/null
code=$?
[ "$code" -eq 3 ] || { echo "FAIL: a sweep stopped by --max-states exits $code, not 3"; fail=1; }
"$pfnsim" sweep scenarios/lockstep-split.toml --preemptions all --quiet >/dev/null
code=$?
[ "$code" -eq 0 ] || { echo "FAIL: the complete stateful sweep exits $code, not 0"; fail=1; }
# An expected verdict not found is exit 1 once the search is complete: the seed race's -EINVAL
# needs a preemption, so a sweep without any finds the race clean (3 while incomplete), and so
# does a single random execution of the zap race.
"$pfnsim" sweep $scen --preemptions 0 --quiet >/dev/null
code=$?
[ "$code" -eq 1 ] || { echo "FAIL: a complete sweep missing the expected wrong-return exits $code, not 1"; fail=1; }
"$pfnsim" sweep $scen --preemptions 0 --max-executions 1 --quiet >/dev/null
code=$?
[ "$code" -eq 3 ] || { echo "FAIL: an incomplete sweep that has not found it yet exits $code, not 3"; fail=1; }
"$pfnsim" explore scenarios/pin-zap-race.toml --iterations 1 --quiet >"$tmp/missed.txt"
code=$?
[ "$code" -eq 1 ] && grep -q "verdict *clean (expected wrong-return)" "$tmp/missed.txt" || {
    echo "FAIL: explore missing the expected wrong-return exits $code, not 1, or does not say so"; fail=1; }
exit $fail
