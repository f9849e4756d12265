#!/usr/bin/env python3
"""Faults a sweep must survive without a wrong certificate:
- kill -9 of a checkpointed sweep at several moments, then a resume: the uninterrupted result;
- every single-byte change of a small checkpoint and of a shard (one or two new values at every
  byte, or at a stride over a larger file): exit 2 with one line, or exactly the uninterrupted
  result;
- the hand edits of issue 12, resealed (a correct checksum), so that the field checks behind the
  checksum are what refuses them.
Usage: fault_tests.py PFNSIM (from the source directory)."""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

from sealed import reseal

PFNSIM = sys.argv[1]
SCEN = "scenarios/seed-split-refault.toml"
# The release build changes every byte; the sanitizer build (ten times slower) a stride of them
# that still spans the whole file.
BYTES = 250 if "asan" in PFNSIM else 1200
failures = []


def run(*args):
    p = subprocess.run([PFNSIM, *args], capture_output=True, timeout=900)  # a bound on a hang, not a speed test
    return p.returncode, p.stdout, p.stderr.decode("utf-8", "replace")


def fail(msg):
    failures.append(msg)
    print("FAIL:", msg)


def result(stdout):
    doc = json.loads(stdout)
    return doc


tmp = tempfile.mkdtemp()

# The checksum this test recomputes is the one pfnsim writes (else the resealed edits below
# would be refused for their checksum alone and prove nothing).
rc, out, err = run("sweep", SCEN, "--preemptions", "1", "--shard", "0/2", "--quiet")
shard0 = json.loads(out)
if reseal(shard0) != shard0:
    fail("the test's checksum differs from pfnsim's")

# --- kill -9 at several moments, then resume --------------------------------------------------
big = ["sweep", SCEN, "--preemptions", "7", "--json", "--quiet"]
start = time.monotonic()
rc, out, err = run(*big)
span = time.monotonic() - start  # the kills fall at fractions of it, whatever the build
whole = result(out)
assert whole["complete"], whole["certificate"]
ck = os.path.join(tmp, "ck.json")
midway = 0
for fractions in ([0.03], [0.2], [0.45], [0.75], [0.25, 0.3]):
    delays = [round(f * span, 2) for f in fractions]
    if os.path.exists(ck):
        os.remove(ck)
    for d in delays:
        p = subprocess.Popen([PFNSIM, *big, "--checkpoint", ck], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        time.sleep(d)
        p.send_signal(signal.SIGKILL)
        p.wait()
        if os.path.exists(ck):
            saved = json.load(open(ck))
            n = saved["finished"]["executions"] + sum(a["totals"]["executions"]
                                                      for a in saved["active"])
            midway += 0 < n < whole["executions"]
    rc, out, err = run(*big, "--checkpoint", ck)
    if rc not in (0, 1) or result(out) != whole:
        fail(f"killed after {delays} s and resumed: exit {rc} {err.strip()} "
             f"{result(out)['certificate'] if out else ''}")
    else:
        print(f"ok: killed after {delays} s, resumed to the uninterrupted certificate")
if midway < 2:
    fail(f"only {midway} kills found a checkpoint part way (the test did not test)")


# --- single-byte changes --------------------------------------------------------------------
def new_values(i, b):
    alts = [b ^ 0x01, [0x30, 0x20, 0x22, 0x7D, 0x39, 0x00, 0xFF, 0x61, 0x2C, 0x5D][i % 10]]
    return [v for v in dict.fromkeys(alts) if v != b]


def corruptions(data, budget):
    stride = max(1, -(-len(data) // budget))
    for i in range(0, len(data), stride):
        for v in new_values(i, data[i]):
            yield i, data[:i] + bytes([v]) + data[i + 1:]


def judge(what, i, rc, out, err, good, tally):
    lines = err.strip().split("\n")
    if rc == 2 and len(lines) == 1 and lines[0]:
        tally["rejected"] += 1
    elif rc in (0, 1) and out and result(out) == good:
        tally["same"] += 1
    else:
        fail(f"{what}, byte {i} changed: exit {rc}, {len(lines)} line(s) {err.strip()[:200]}")


small = ["sweep", SCEN, "--preemptions", "1", "--json", "--quiet"]
rc, out, err = run(*small)
uninterrupted = result(out)
base = os.path.join(tmp, "base.json")
rc, out, err = run(*small, "--checkpoint", base, "--max-executions", "10")
data = open(base, "rb").read()
tally = {"rejected": 0, "same": 0}
work = os.path.join(tmp, "work.json")
for i, bad in corruptions(data, BYTES):
    open(work, "wb").write(bad)
    rc, out, err = run(*small, "--checkpoint", work)
    judge("checkpoint", i, rc, out, err, uninterrupted, tally)
print(f"ok: {len(data)}-byte checkpoint, {sum(tally.values())} one-byte changes: "
      f"{tally['rejected']} rejected, {tally['same']} resumed to the same certificate")

s0, s1 = os.path.join(tmp, "s0.json"), os.path.join(tmp, "s1.json")
open(s0, "wb").write(run("sweep", SCEN, "--preemptions", "1", "--shard", "0/2", "--quiet")[1])
open(s1, "wb").write(run("sweep", SCEN, "--preemptions", "1", "--shard", "1/2", "--quiet")[1])
rc, out, err = run("merge", s0, s1, "--json")
merged = result(out)
if not merged["complete"] or merged["executions"] != uninterrupted["executions"]:
    fail(f"merging the intact shards: {merged['certificate']}")
data = open(s1, "rb").read()
tally = {"rejected": 0, "same": 0}
for i, bad in corruptions(data, BYTES):
    open(work, "wb").write(bad)
    rc, out, err = run("merge", s0, work, "--json")
    judge("shard", i, rc, out, err, merged, tally)
print(f"ok: {len(data)}-byte shard, {sum(tally.values())} one-byte changes: "
      f"{tally['rejected']} rejected, {tally['same']} merged to the same certificate")


# --- hand edits with a correct checksum ---------------------------------------------------------
def expect_refused(what, args, needle):
    rc, out, err = run(*args)
    lines = err.strip().split("\n")
    if rc != 2 or len(lines) != 1 or needle not in lines[0]:
        fail(f"{what}: exit {rc}, {err.strip()[:300]}")
    else:
        print(f"ok: {what} -> {lines[0]}")


def edited_checkpoint(edit):
    doc = json.load(open(base))
    edit(doc)
    path = os.path.join(tmp, "edited.json")
    json.dump(reseal(doc), open(path, "w"))
    return path


def frontier(doc):
    return doc["active"][0]["frontier"]


def set_node(field, value, depth=-1):
    def edit(doc):
        frontier(doc)[depth][field] = value
    return edit


saved = json.load(open(base))
actor_nodes = [k for k, n in enumerate(frontier(saved)) if not n["d"]]
assert actor_nodes, "the checkpoint has no actor choice to edit"
k = actor_nodes[-1]
cases = [
    ("a sleep set naming an actor that is not enabled", set_node("s", 1 << 5, k), "sleep set"),
    ("a saved current actor of 100", set_node("a", 100, k), "current actor 100"),
    ("a chosen option beyond the options", set_node("c", 7, k), "chosen option"),
    ("an explorable set that the bound does not give", set_node("e", 0xFF, k), "explorable"),
    ("done [0] and nothing active",
     lambda d: (d.__setitem__("done", [0]), d.__setitem__("active", [])), "cannot finish"),
    ("a task done twice", lambda d: d.__setitem__("done", [0, 0]), "twice"),
    ("a negative count", lambda d: d["finished"].__setitem__("executions", -5), "not a number"),
    ("a count beyond 2^64", lambda d: d["finished"].__setitem__("executions", 2**64),
     "not a number"),
    ("results that do not add up",
     lambda d: d["active"][0]["totals"].__setitem__("executions", 9), "add up"),
]
for what, edit, needle in cases:
    expect_refused("checkpoint with " + what, [*small, "--checkpoint", edited_checkpoint(edit)],
                   needle)
# The same file is refused by its checksum when it is not resealed.
doc = json.load(open(base))
doc["done"] = [0]
doc["active"] = []
json.dump(doc, open(work, "w"))
expect_refused("a hand-edited checkpoint", [*small, "--checkpoint", work], "envelope.checksum")
# A checkpoint of another sweep.
other = os.path.join(tmp, "other.json")
run("sweep", SCEN, "--preemptions", "2", "--quiet", "--checkpoint", other, "--max-executions", "5")
expect_refused("the checkpoint of another bound", [*small, "--checkpoint", other],
               "envelope.bound")


def edited_shard(name, edit):
    doc = json.loads(open(s1, "rb").read())
    edit(doc)
    path = os.path.join(tmp, name)
    json.dump(reseal(doc), open(path, "w"))
    return path


shard_cases = [
    ("count 0", lambda d: d["shard"].__setitem__("count", 0), "shard.count"),
    ("index 70000", lambda d: d["shard"].__setitem__("index", 70000), "shard.index"),
    ("count 4294967295", lambda d: d["shard"].__setitem__("count", 4294967295), "shard.count"),
    ("negative executions", lambda d: d.__setitem__("executions", -5), "not a number"),
    ("executions 2^64", lambda d: d.__setitem__("executions", 2**64), "not a number"),
    ("executions that results do not add up to", lambda d: d.__setitem__("executions", 3),
     "add up"),
    ("fewer tasks than its share", lambda d: d["shard"].update(tasks=1, tasks_done=1),
     "shard.tasks"),
    ("a final state too many",
     lambda d: d["final_state_hashes"].append("0123456789abcdef"), "final states"),
    ("another policy in its envelope", lambda d: d["envelope"].__setitem__("policy", "eagain"),
     "envelope.policy"),
    ("another tool in its envelope",
     lambda d: d["envelope"].__setitem__("tool", "pfnsim 0.1.0 model 1"), "envelope.tool"),
]
for what, edit, needle in shard_cases:
    expect_refused("shard with " + what, ["merge", s0, edited_shard("e.json", edit)], needle)


def stopped_complete(d):
    d["complete"] = True
    d.pop("stopped", None)


p = os.path.join(tmp, "stopped.json")
open(p, "wb").write(run("sweep", SCEN, "--preemptions", "2", "--shard", "1/2", "--quiet",
                        "--max-executions", "5")[1])
doc = json.load(open(p))
stopped_complete(doc)
json.dump(reseal(doc), open(p, "w"))
expect_refused("a stopped shard edited to say complete", ["merge", s0, p], "complete")
# A shard of another scenario file with the same name.
twin = os.path.join(tmp, "seed-split-refault.toml")
open(twin, "w").write(open(SCEN).read().replace("[[actor]]", "# a twin\n[[actor]]", 1))
p = os.path.join(tmp, "twin.json")
open(p, "wb").write(run("sweep", twin, "--preemptions", "1", "--shard", "1/2", "--quiet")[1])
expect_refused("a shard of another file with the same name", ["merge", s0, p], "another sweep")

if failures:
    print(f"{len(failures)} failure(s)")
    sys.exit(1)
print("all fault tests passed")
