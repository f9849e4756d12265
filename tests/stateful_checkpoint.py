#!/usr/bin/env python3
"""Checkpoints of stateful sweeps (--preemptions all) and their progress:
- kill -9 of a checkpointed stateful sweep part way, and SIGINT (exit 3), then a resume: the
  counts of the uninterrupted certificate (executions, steps, states, transitions, final
  states, results, violations, complete);
- every single-byte change (at a stride) of a saved stateful checkpoint: exit 2 with one line,
  or exactly the uninterrupted certificate;
- changes of the saved search behind a correct checksum (resealed, as a hand edit): exit 2 with
  one line naming active[0].search or a count, or a run that ends (never a crash);
- --progress writes states, transitions and states/s to stderr when it is a pipe; without it,
  nothing.
Usage: stateful_checkpoint.py PFNSIM (from the source directory)."""
import base64
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

from sealed import reseal

PFNSIM = sys.argv[1]
BIG = "tests/data/nonclose.toml"  # three actors, some 10^5 executions: several saves
SMALL = "scenarios/seed-split-refault.toml"
BYTES = 60 if "asan" in PFNSIM else 300
failures = []


def run(*args):
    p = subprocess.run([PFNSIM, *args], capture_output=True, timeout=900)  # a bound on a hang
    return p.returncode, p.stdout, p.stderr.decode("utf-8", "replace")


def fail(msg):
    failures.append(msg)
    print("FAIL:", msg)


def counts(stdout):
    d = json.loads(stdout)
    return {k: d.get(k) for k in ("complete", "executions", "steps", "states", "transitions",
                                  "final_states", "results", "verdict")} | {
        "violations": sorted((v["kind"], v["actor"], v["detail"], v["count"])
                             for v in d["violations"])}


tmp = tempfile.mkdtemp()

# --- kill -9 part way, then resume --------------------------------------------------------------
big = ["sweep", BIG, "--preemptions", "all", "--json", "--quiet", "--no-minimize"]
rc, out, err = run(*big)
whole = counts(out)
assert whole["complete"] and whole["executions"] > 40000, whole
ck = os.path.join(tmp, "ck.json")
start = time.monotonic()
rc, out, err = run(*big, "--checkpoint", ck)
span = time.monotonic() - start
if counts(out) != whole:
    fail("a checkpointed run differs from the plain one")


def sleep_after_first_save(p, delay):
    """Waits for the checkpoint's first save (or the run's end), then for what is left of delay."""
    waited = 0.0
    while not os.path.exists(ck) and p.poll() is None and waited < 3 * span + 10:
        time.sleep(0.01)
        waited += 0.01
    time.sleep(max(0.0, delay - waited))


midway = 0
for fractions in ([0.45], [0.7], [0.9], [0.5, 0.6]):
    delays = [round(f * span, 2) for f in fractions]
    if os.path.exists(ck):
        os.remove(ck)
    for d in delays:
        p = subprocess.Popen([PFNSIM, *big, "--checkpoint", ck], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        # On a loaded machine a fixed delay can end before the first save: wait for a saved
        # file first (or the run's end), then kill part way through what is left.
        sleep_after_first_save(p, d)
        p.send_signal(signal.SIGKILL)
        p.wait()
        if os.path.exists(ck):
            saved = json.load(open(ck))
            n = sum(a["totals"]["executions"] for a in saved["active"])
            searched = all("search" in a for a in saved["active"])
            midway += 0 < n < whole["executions"] and searched
    rc, out, err = run(*big, "--checkpoint", ck)
    got = counts(out) if out else None
    if rc not in (0, 1) or got != whole:
        fail(f"killed after {delays} s and resumed: exit {rc} {err.strip()[:300]} {got}")
    else:
        print(f"ok: killed after {delays} s, resumed to the uninterrupted counts")
if midway < 2:
    fail(f"only {midway} kills found a stateful search part way (the test did not test)")
else:
    print(f"ok: {midway} kills left a saved search part way")

# --- SIGINT: exit 3, the search saved, then a resume -------------------------------------------
# As above, the delay counts from the first save; a run that ended before the signal (a loaded
# machine makes spans uneven) is tried again with a shorter delay.
for fraction in (0.5, 0.25, 0.1):
    if os.path.exists(ck):
        os.remove(ck)
    p = subprocess.Popen([PFNSIM, *big, "--checkpoint", ck], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    sleep_after_first_save(p, round(fraction * span, 2))
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=900)
    if p.returncode not in (0, 1):
        break
saved = json.load(open(ck)) if os.path.exists(ck) else {"active": []}
n = sum(a["totals"]["executions"] for a in saved["active"])
if p.returncode != 3 or not saved["active"] or "search" not in saved["active"][0] or n == 0:
    fail(f"SIGINT: exit {p.returncode}, {n} executions saved {err.decode()[:200]}")
else:
    rc, out, err = run(*big, "--checkpoint", ck)
    if rc not in (0, 1) or counts(out) != whole:
        fail(f"SIGINT after {n} executions and resumed: exit {rc} {err.strip()[:300]}")
    else:
        print(f"ok: SIGINT after {n} executions (exit 3, search saved), resumed to the "
              f"uninterrupted counts")

# --- single-byte changes --------------------------------------------------------------------
small = ["sweep", SMALL, "--preemptions", "all", "--json", "--quiet", "--no-minimize"]
rc, out, err = run(*small)
uninterrupted = counts(out)
base = os.path.join(tmp, "base.json")
rc, out, err = run(*small, "--checkpoint", base, "--max-executions", "40")
if rc != 3:
    fail(f"--max-executions 40: exit {rc}")
data = open(base, "rb").read()
if b'"search":' not in data:
    fail("the stateful checkpoint holds no search")
work = os.path.join(tmp, "work.json")
open(work, "wb").write(data)
rc, out, err = run(*small, "--checkpoint", work)
if rc not in (0, 1) or counts(out) != uninterrupted:
    fail(f"the intact checkpoint resumed: exit {rc} {err.strip()[:300]}")


def judge(what, rc, out, err, tally):
    lines = err.strip().split("\n")
    if rc == 2 and len(lines) == 1 and lines[0]:
        tally["rejected"] += 1
    elif rc in (0, 1) and out and counts(out) == uninterrupted:
        tally["same"] += 1
    else:
        fail(f"{what}: exit {rc}, {len(lines)} line(s) {err.strip()[:200]}")


tally = {"rejected": 0, "same": 0}
stride = max(1, -(-len(data) // BYTES))
for i in range(0, len(data), stride):
    for v in dict.fromkeys([data[i] ^ 0x01, [0x30, 0x41, 0x22, 0x2B, 0x3D][i % 5]]):
        if v == data[i]:
            continue
        open(work, "wb").write(data[:i] + bytes([v]) + data[i + 1:])
        rc, out, err = run(*small, "--checkpoint", work)
        judge(f"byte {i} changed", rc, out, err, tally)
print(f"ok: {len(data)}-byte stateful checkpoint, {sum(tally.values())} one-byte changes: "
      f"{tally['rejected']} rejected, {tally['same']} resumed to the same certificate")

# --- the saved search changed behind a correct checksum -----------------------------------------
doc = json.load(open(base))
search = base64.b64decode(doc["active"][0]["search"])
named = 0
ended = 0
step = max(1, len(search) // 150)
for i in range(0, len(search), step):
    d = json.loads(json.dumps(doc))
    changed = search[:i] + bytes([search[i] ^ 0x41]) + search[i + 1:]
    d["active"][0]["search"] = base64.b64encode(changed).decode()
    open(work, "w").write(json.dumps(reseal(d)))
    rc, out, err = run(*small, "--checkpoint", work)
    lines = err.strip().split("\n")
    if rc == 2 and len(lines) == 1 and "active[0]" in lines[0]:
        named += 1
    elif rc in (0, 1, 3, 4) and (rc != 4 or len(lines) == 1):
        ended += 1  # a search that still fits: it runs, or its replay says what it misses
    else:
        fail(f"search byte {i} changed and resealed: exit {rc} {err.strip()[:200]}")
for what, edit, needle in [
        ("a count that disagrees with the graph",
         lambda d: d["active"][0]["totals"].__setitem__("states", 1), "active[0].totals.states"),
        ("no search", lambda d: d["active"][0].pop("search"), "active[0].search: is missing"),
        ("not base64", lambda d: d["active"][0].__setitem__("search", "****"),
         "active[0].search: not base64"),
        ("bytes left over", lambda d: d["active"][0].__setitem__(
            "search", base64.b64encode(search + b"\0").decode()), "after the end")]:
    d = json.loads(json.dumps(doc))
    edit(d)
    open(work, "w").write(json.dumps(reseal(d)))
    rc, out, err = run(*small, "--checkpoint", work)
    lines = err.strip().split("\n")
    if rc != 2 or len(lines) != 1 or needle not in lines[0]:
        fail(f"{what}: exit {rc}, {err.strip()[:300]}")
    else:
        print(f"ok: {what} -> {lines[0]}")
print(f"ok: resealed changes of the {len(search)}-byte search: {named} refused naming the field, "
      f"{ended} ran")

# --- progress -------------------------------------------------------------------------------
rc, out, err = run("sweep", BIG, "--preemptions", "all", "--no-minimize", "--progress")
lines = [l for l in err.split("\n") if l]
pattern = re.compile(r"^sweep [\w-]+: \d+ states, \d+ transitions, \d+ states/s \(\d+ "
                     r"executions, \d+ options queued\)$")
if not lines or not all(pattern.match(l) for l in lines) or "\r" in err or "\033" in err:
    fail(f"--progress on a pipe: {err[:300]!r}")
else:
    print(f"ok: --progress on a pipe: {len(lines)} plain line(s), e.g. {lines[-1]}")
rc, out, err = run("sweep", BIG, "--preemptions", "all", "--no-minimize")
if err:
    fail(f"progress on a pipe without --progress: {err[:200]!r}")
rc, out, err = run("sweep", SMALL, "--preemptions", "all", "--progress", "--quiet")
if rc != 2 or "--progress and --quiet" not in err:
    fail(f"--progress --quiet: exit {rc} {err.strip()}")

if failures:
    print(f"{len(failures)} failure(s)")
    sys.exit(1)
print("all ok")
