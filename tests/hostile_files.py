#!/usr/bin/env python3
"""A hostile or unlucky environment (issue 28):
- files written safely: a symbolic link or FIFO planted where a temporary file could go is
  never followed or opened; a checkpoint, --junit, --trace-out or --dot that cannot be written
  is refused before any work begins; a write that fails (/dev/full, /proc/self/status, a full
  stdout) is exit 2 naming the file and the error; a bad --checkpoint under --jobs 2 is reported
  like any other error (once an abort);
- numbers that must agree: resealed stateful checkpoints and shards whose totals do not add up
  or overflow are exit 2 naming the file and the field; a merge is audited only when every shard
  is;
- exit codes and empty values: --max-states on a stateless sweep, and empty --junit, --schedule,
  --checkpoint, --trace-out, --dot, --policy are refused with the valid choices.
Usage: hostile_files.py PFNSIM (from the source directory)."""
import json
import os
import subprocess
import sys
import tempfile
import time

from sealed import reseal

PFNSIM = sys.argv[1]
SCEN = "scenarios/seed-split-refault.toml"
failures = []


def run(*args, timeout=120, stdout=subprocess.PIPE):
    p = subprocess.run([PFNSIM, *args], stdout=stdout, stderr=subprocess.PIPE,
                       timeout=timeout)  # a bound on a hang
    return p.returncode, p.stdout or b"", p.stderr.decode("utf-8", "replace")


def fail(msg):
    failures.append(msg)
    print("FAIL:", msg)


def refused(what, args, needles, **kw):
    """Exit 2, one line on stderr naming every needle."""
    try:
        rc, out, err = run(*args, **kw)
    except subprocess.TimeoutExpired:
        fail(f"{what}: a hang")
        return
    lines = err.strip().split("\n")
    if rc != 2 or len(lines) != 1 or not all(n in lines[0] for n in needles):
        fail(f"{what}: exit {rc}, expected 2 naming {needles}: {err.strip()[:300]}")
    else:
        print(f"ok: {what} -> {lines[0]}")


tmp = tempfile.mkdtemp()
U64 = 2**64 - 1

# --- temporary files: a planted link or FIFO is never followed or opened ---------------------
victim = os.path.join(tmp, "victim")
open(victim, "w").write("precious\n")
for kind in ("symlink", "fifo"):
    d = os.path.join(tmp, kind)
    os.mkdir(d)
    ck = os.path.join(d, "cp.json")
    for planted in (ck + ".tmp", ck + ".tmp-XXXXXX"):
        if kind == "symlink":
            os.symlink(victim, planted)
        else:
            os.mkfifo(planted)
    try:
        rc, out, err = run("sweep", SCEN, "--preemptions", "1", "--quiet", "--checkpoint", ck,
                           timeout=60)
    except subprocess.TimeoutExpired:
        fail(f"a {kind} planted beside the checkpoint: a hang")
        continue
    left = sorted(os.listdir(d))
    if rc not in (0, 1) or open(victim).read() != "precious\n" or not os.path.isfile(ck) or \
            left != sorted(["cp.json", "cp.json.tmp", "cp.json.tmp-XXXXXX"]):
        fail(f"a {kind} planted beside the checkpoint: exit {rc}, files {left} {err[:200]}")
    else:
        print(f"ok: a {kind} planted beside the checkpoint: not followed, no temporary file left")

# --- outputs checked before any work begins ---------------------------------------------------
missing = os.path.join(tmp, "no-such-dir", "x")
refused("--checkpoint in a missing directory", ["sweep", SCEN, "--preemptions", "2",
                                                "--checkpoint", missing], [missing, "No such file"])
# The abort: exit 134 "terminate called after throwing ... InputError".
refused("--jobs 2 with --checkpoint in a missing directory",
        ["sweep", SCEN, "--preemptions", "2", "--jobs", "2", "--checkpoint", missing],
        [missing, "No such file"])
refused("--checkpoint a directory", ["sweep", SCEN, "--preemptions", "1", "--checkpoint", tmp],
        [tmp])
a_file = os.path.join(tmp, "plain")
open(a_file, "w").write("x")
refused("--checkpoint under a file", ["sweep", SCEN, "--preemptions", "1", "--checkpoint",
                                      os.path.join(a_file, "cp.json")], ["Not a directory"])
# A stateful sweep saves only at its end: a bad path must stop it at once, not after the work.
start = time.monotonic()
refused("a stateful sweep's --checkpoint in a missing directory",
        ["sweep", "scenarios/seed-split-bystander.toml", "--preemptions", "all", "--checkpoint",
         missing], [missing])
if time.monotonic() - start > 1.5:
    fail(f"the bad checkpoint was noticed after {time.monotonic() - start:.1f} s")
for opt, cmd in (("--junit", ["check", SCEN]),
                 ("--trace-out", ["run", SCEN]), ("--dot", ["run", SCEN]),
                 ("--trace-out", ["replay", SCEN, "--seed", "1"]),
                 ("--dot", ["explore", SCEN, "--iterations", "5"])):
    refused(f"{cmd[0]} {opt} in a missing directory", [*cmd, opt, missing], [missing])
    refused(f"{cmd[0]} {opt} a directory", [*cmd, opt, tmp], [tmp, "directory"])

# --- every write checked ----------------------------------------------------------------------
refused("check --junit /dev/full", ["check", SCEN, "--quiet", "--junit", "/dev/full"],
        ["/dev/full", "No space left on device"])
refused("check --junit /proc/self/status", ["check", SCEN, "--quiet", "--junit",
                                            "/proc/self/status"], ["/proc/self/status"])
refused("run --dot /dev/full", ["run", SCEN, "--dot", "/dev/full"],
        ["/dev/full", "No space left on device"])
refused("run --trace-out /dev/full", ["run", SCEN, "--trace-out", "/dev/full"], ["/dev/full"])
with open("/dev/full", "wb") as full:
    refused("run with stdout on /dev/full", ["run", SCEN], ["stdout", "No space left on device"],
            stdout=full)
# Devices and pipes are written in place; a file through a link is the file it names.
rc, out, err = run("run", SCEN, "--dot", "/dev/null")
if rc not in (0, 1) or err:
    fail(f"run --dot /dev/null: exit {rc} {err[:200]}")
link = os.path.join(tmp, "link.dot")
target = os.path.join(tmp, "target.dot")
open(target, "w").write("old")
os.symlink(target, link)
rc, out, err = run("run", SCEN, "--dot", link)
if rc not in (0, 1) or not os.path.islink(link) or "digraph" not in open(target).read():
    fail(f"run --dot through a link: exit {rc} {err[:200]}")
else:
    print("ok: --dot /dev/null, and --dot through a link writes the file it names")

# --- numbers that must agree ------------------------------------------------------------------
# A complete stateful checkpoint, then forgeries of its totals, resealed.
ck = os.path.join(tmp, "stateful.json")
rc, out, err = run("sweep", SCEN, "--preemptions", "all", "--quiet", "--no-minimize",
                   "--checkpoint", ck)
if rc not in (0, 1):
    fail(f"a stateful sweep with a checkpoint: exit {rc} {err[:200]}")
doc = json.load(open(ck))
fin = doc["finished"]
work = os.path.join(tmp, "forged.json")


def forged_checkpoint(what, edit, needles):
    d = json.loads(json.dumps(doc))
    edit(d["finished"])
    open(work, "w").write(json.dumps(reseal(d)))
    refused(what, ["sweep", SCEN, "--preemptions", "all", "--quiet", "--checkpoint", work],
            [work, *needles])


def one_execution(f):
    f.update(executions=1, states=0, transitions=0, steps=min(f["steps"], 10), revisited=0,
             state_hits=0)
    for a in f["results"]:
        f["results"][a] = {next(iter(f["results"][a])): 1}
    f["final_state_hashes"] = f["final_state_hashes"][:1]
    f["final_states"] = 1
    for v in f["violations"]:
        v["count"] = 1


if not (fin["states"] > 0 and fin["transitions"] > 0 and doc["done"] == [0]):
    fail(f"the stateful checkpoint is not a complete search: {fin}")
forged_checkpoint("a stateful checkpoint of 0 states and 0 transitions with 1 execution",
                  one_execution, ["finished.states"])
forged_checkpoint("a stateful checkpoint of 0 steps", lambda f: f.update(steps=0),
                  ["finished", "transitions"])
forged_checkpoint("a stateful checkpoint of 2^64-1 transitions",
                  lambda f: f.update(transitions=U64), ["finished", "transitions"])
forged_checkpoint("a stateful checkpoint of 2^64-1 steps", lambda f: f.update(steps=U64),
                  ["finished", "steps"])
forged_checkpoint("a stateful checkpoint of more states than transitions reach",
                  lambda f: f.update(states=f["transitions"] + 5), ["finished.states"])

# Shards: 2^64-1 executions (its results raised to agree), then an overflowing merge.
shards = []
for i in range(2):
    p = os.path.join(tmp, f"shard{i}.json")
    rc, out, err = run("sweep", SCEN, "--preemptions", "1", "--shard", f"{i}/2", "--quiet")
    open(p, "wb").write(out)
    shards.append(p)
s1 = json.load(open(shards[1]))


def forged_shard(what, edit, needles):
    d = json.loads(json.dumps(s1))
    edit(d)
    p = os.path.join(tmp, "forged-shard.json")
    open(p, "w").write(json.dumps(reseal(d)))
    refused(what, ["merge", shards[0], p], [p, *needles])


def huge(d):
    extra = U64 - d["executions"]
    d["executions"] = U64
    for a in d["results"]:
        r = next(iter(d["results"][a]))
        d["results"][a][r] += extra


forged_shard("a shard of 2^64-1 executions", huge, ["executions", "overflow"])


def huge_with_steps(d):
    huge(d)
    d["steps"] = U64


forged_shard("a shard of 2^64-1 executions and steps", huge_with_steps, ["executions", "overflow"])
forged_shard("a stateless shard with states", lambda d: d.update(states=5, transitions=5),
             ["states"])

# A merge is audited only when every shard is.
aud = []
for i, flag in ((0, ["--audit-states"]), (1, [])):
    p = os.path.join(tmp, f"aud{i}.json")
    rc, out, err = run("sweep", SCEN, "--preemptions", "all", "--shard", f"{i}/2", "--quiet",
                       *flag)
    open(p, "wb").write(out)
    aud.append(p)
for order in (aud, aud[::-1]):
    rc, out, err = run("merge", *order, "--json", "--no-minimize")
    got = json.loads(out).get("audit_states") if out else None
    if rc not in (0, 1) or got is not False:
        fail(f"merge of an audited and an unaudited shard ({order}): exit {rc}, "
             f"audit_states {got} {err[:200]}")
print("ok: a merge of an audited and an unaudited shard is not audited, in either order")

# --- exit codes and empty values --------------------------------------------------------------
# A complete shard whose part of the tree lacks the violation the scenario expects: exit 1.
judged = 0
for i in range(8):
    rc, out, err = run("sweep", SCEN, "--preemptions", "1", "--shard", f"{i}/8", "--quiet")
    d = json.loads(out)
    if d["complete"] and d.get("expected") and not d["violations"]:
        judged += 1
        if rc != 1:
            fail(f"shard {i}/8 without the expected violation: exit {rc}")
if judged == 0:
    fail("no shard of 8 lacked the expected violation (the test did not test)")
else:
    print(f"ok: {judged} complete shard(s) without the expected violation exit 1")
refused("--max-states on a stateless sweep",
        ["sweep", SCEN, "--preemptions", "2", "--max-states", "100"],
        ["--max-states", "stateful", "--preemptions all"])
refused("--max-states with --stateless",
        ["sweep", SCEN, "--preemptions", "all", "--stateless", "--max-states", "100"],
        ["--max-states", "stateful"])
refused("--junit ''", ["check", SCEN, "--junit", ""], ["--junit", "empty", "valid"])
refused("--schedule ''", ["replay", SCEN, "--schedule", ""], ["--schedule", "empty", "valid"])
refused("--checkpoint ''", ["sweep", SCEN, "--preemptions", "1", "--checkpoint", ""],
        ["--checkpoint", "empty"])
refused("--trace-out ''", ["run", SCEN, "--trace-out", ""], ["--trace-out", "empty"])
refused("--dot ''", ["explore", SCEN, "--dot", ""], ["--dot", "empty"])
refused("--policy ''", ["run", SCEN, "--policy", ""], ["--policy", "empty", "eagain"])
refused("--shard ''", ["sweep", SCEN, "--preemptions", "1", "--shard", ""], ["--shard", "empty"])

if failures:
    print(f"{len(failures)} failure(s)")
    sys.exit(1)
print("all ok")
