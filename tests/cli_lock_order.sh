#!/bin/sh
# --lock-order and --lock-order-dot on run, explore and sweep: the graph as text and DOT, the
# same graph from every command, and every replay command of the graph replays.
set -eu
PFNSIM=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sc=scenarios/pin-zap-race.toml
"$PFNSIM" explore $sc --iterations 5 --quiet --lock-order --lock-order-dot "$tmp/e.dot" \
    > "$tmp/explore.txt" || test $? -eq 1
grep -q '^lock order  4 edges between 4 classes, the union of 5 executions; no cycle' \
    "$tmp/explore.txt"
grep -q 'mm_struct.mmap_lock(read) -> vfio_pci_core_device.memory_lock(read)' "$tmp/explore.txt"
tail -1 "$tmp/explore.txt" | grep -q '^pfnsim .*, scenario hash [0-9a-f]*$'  # still the last line
head -1 "$tmp/e.dot" | grep -q '^digraph "pin-zap-race (original): lock order" {'
grep -q '"mm_struct.mmap_lock" -> "vfio_pci_core_device.memory_lock"' "$tmp/e.dot"
"$PFNSIM" sweep $sc --preemptions 1 --quiet --lock-order --lock-order-dot "$tmp/s.dot" \
    > "$tmp/sweep.txt" || test $? -eq 1
grep -q '^lock order  [0-9]* edges between [0-9]* classes, the union of 30 executions' \
    "$tmp/sweep.txt"
"$PFNSIM" run $sc --lock-order > "$tmp/run.txt" || test $? -eq 1
grep -q '^lock order  [0-9]* edges between [0-9]* classes, the union of 1 execution; no cycle' \
    "$tmp/run.txt"
# JSON carries the graph (not the text) and names the version and scenario hash.
"$PFNSIM" explore $sc --iterations 5 --quiet --json --lock-order > "$tmp/e.json" ||
    test $? -eq 1
python3 - "$tmp/e.json" "$PFNSIM" <<'PY'
import json, shlex, subprocess, sys
j = json.load(open(sys.argv[1]))
assert j["version"] and j["scenario_hash"], j.keys()
lo = j["lock_order"]
assert lo["classes"] == 4 and len(lo["edges"]) == 4 and lo["reports"] == [], lo
# Every replay command of the graph replays.
for e in lo["edges"]:
    words = shlex.split(e["replay"])
    assert words[:2] == ["pfnsim", "replay"], e
    rc = subprocess.run([sys.argv[2]] + words[1:], stdout=subprocess.DEVNULL).returncode
    assert rc in (0, 1), (e["replay"], rc)
PY
# A file that cannot be written is bad input, before any work.
if "$PFNSIM" explore $sc --iterations 1 --lock-order-dot /nonexistent/dir/x.dot \
    > /dev/null 2> "$tmp/err"; then
    exit 1
else
    test $? -eq 2
fi
test "$(wc -l < "$tmp/err")" -eq 1
echo ok
