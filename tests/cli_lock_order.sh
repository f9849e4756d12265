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
# merge: the union of the shards' graphs is the unsplit sweep's (edges, counts, witnesses,
# reports), its lock-order findings count in the verdict, and --lock-order prints the graph.
b10b=scenarios/bugs/B10b-vfio-pci-rw-recursive-read-lock.toml
kb="--kernel vfio_pci_rdwr=pre-bc93b9ae0151"
"$PFNSIM" sweep $b10b $kb --preemptions 1 --quiet --json > "$tmp/whole.json" || test $? -eq 1
for i in 0 1 2; do
    "$PFNSIM" sweep $b10b $kb --preemptions 1 --quiet --shard $i/3 > "$tmp/s$i.json" ||
        test $? -eq 1
done
"$PFNSIM" merge "$tmp/s0.json" "$tmp/s1.json" "$tmp/s2.json" --json > "$tmp/merged.json" ||
    test $? -eq 1
"$PFNSIM" merge "$tmp/s0.json" "$tmp/s1.json" "$tmp/s2.json" --lock-order \
    --lock-order-dot "$tmp/m.dot" > "$tmp/merged.txt" || test $? -eq 1
"$PFNSIM" sweep $b10b $kb --preemptions 1 --quiet --lock-order --lock-order-dot "$tmp/w.dot" \
    > "$tmp/whole.txt" || test $? -eq 1
cmp "$tmp/w.dot" "$tmp/m.dot"
grep -q 'WARNING: possible circular locking dependency detected' "$tmp/merged.txt"
grep -q '^lock order  10 edges between 5 classes, the union of 40 executions; 2 possible' \
    "$tmp/merged.txt"
# The graph's report, from "lock order" to the certificate line, is the unsplit sweep's.
sed -n '/^lock order  /,/^$/p' "$tmp/whole.txt" > "$tmp/wg.txt"
sed -n '/^lock order  /,/^$/p' "$tmp/merged.txt" > "$tmp/mg.txt"
test -s "$tmp/wg.txt"
cmp "$tmp/wg.txt" "$tmp/mg.txt"
python3 - "$tmp/whole.json" "$tmp/merged.json" <<'PY'
import json, sys
w, m = (json.load(open(f)) for f in sys.argv[1:3])
assert w["lock_order"]["reports"], "B10b buggy has a lock-order cycle"
assert any(r["kind"] == "circular" for r in w["lock_order"]["reports"]), w["lock_order"]
assert m["lock_order"] == w["lock_order"], "merged graph differs from the unsplit sweep's"
assert m["executions"] == w["executions"], (m["executions"], w["executions"])
def lock_orders(j):
    return sorted(f["detail"] for f in j["violations"] if f["kind"] == "lock-order")
assert lock_orders(w) and lock_orders(m) == lock_orders(w), (lock_orders(w), lock_orders(m))
assert m["verdict"] == w["verdict"], (m["verdict"], w["verdict"])
PY
echo ok
