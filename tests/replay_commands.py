#!/usr/bin/env python3
"""Every replay command the commands print must replay: run explore, sweep (bounded and
stateful), matrix (the flagship set and the patchset), check, merge and stats over the shipped
scenarios, run each printed `pfnsim replay ...` through a shell as printed (so that a lasso's
parentheses must be quoted), and check that it reproduces the reported violation and trace
hash, and that the replay's own verdict has no nondeterminism in it.

Under a sanitizer build (PFNSIM_TEST_SCOPE=smoke, set by tests/CMakeLists.txt) the stateful
sweeps run one scenario and the patchset matrix and `check` are left to the release build."""
import glob
import json
import os
import shlex
import subprocess
import sys
import tempfile

pfnsim = sys.argv[1]
smoke = os.environ.get("PFNSIM_TEST_SCOPE") == "smoke"
failures = []
checked = 0


def run(args):
    p = subprocess.run([pfnsim] + args + ([] if "--json" in args else ["--json"]),
                       capture_output=True, text=True)
    if p.returncode not in (0, 1):
        raise RuntimeError(f"pfnsim {' '.join(args)} -> exit {p.returncode}: {p.stderr.strip()}")
    return json.loads(p.stdout)


def replay(cmd, kind, detail, trace_hash, where):
    """Runs a printed command; it must show (kind, detail) with the same trace hash."""
    global checked
    checked += 1
    argv = shlex.split(cmd)
    if argv[:2] != ["pfnsim", "replay"]:
        failures.append(f"{where}: not a replay command: {cmd}")
        return
    # As a user pastes it: through the shell, with pfnsim standing for the binary under test.
    line = shlex.quote(pfnsim) + cmd[len("pfnsim"):] + " --json"
    p = subprocess.run(["sh", "-c", line], capture_output=True, text=True)
    if p.returncode not in (0, 1):
        failures.append(f"{where}: `{cmd}` -> exit {p.returncode}: {p.stderr.strip()}")
        return
    d = json.loads(p.stdout)
    got = [(v["kind"], v["detail"]) for v in d["violations"]]
    if any(k == "nondeterminism" for k, _ in got):
        failures.append(f"{where}: `{cmd}` does not replay: {got}")
    if kind is not None and (kind, detail) not in got:
        failures.append(f"{where}: `{cmd}` shows {got}, not {(kind, detail)}")
    if trace_hash is not None and d["trace_hash"] != trace_hash:
        failures.append(f"{where}: `{cmd}` gave trace hash {d['trace_hash']}, not {trace_hash}")


def violations(doc, where):
    for v in doc["violations"]:
        if v["kind"] == "nondeterminism":
            failures.append(f"{where}: {v['detail']}")
            continue
        replay(v["replay"], v["kind"], v["detail"], v["trace_hash"], where)
        m = v.get("minimized")
        if m:
            replay(m["replay"], v["kind"], v["detail"], m["trace_hash"], where + " (minimised)")


scenarios = sorted(glob.glob("scenarios/*.toml"))
for s in scenarios:
    violations(run(["explore", s, "--iterations", "150", "--quiet"]), f"explore {s}")
    violations(run(["sweep", s, "--preemptions", "1", "--quiet", "--json", "--no-minimize"]),
               f"sweep {s}")
# Options that shape an execution must be in the command: a step bound, a fault bound, PCT.
violations(run(["explore", "scenarios/lockstep-split.toml", "--policy", "eagain",
                "--step-bound", "60", "--quiet", "--iterations", "300"]), "explore --step-bound")
violations(run(["explore", "scenarios/seed-split-refault.toml", "--strategy", "pct",
                "--depth", "2", "--iterations", "100", "--quiet"]), "explore --strategy pct")
violations(run(["sweep", "scenarios/pin-munmap-retry.toml", "--preemptions", "1", "--faults",
                "1", "--quiet", "--json"]), "sweep --faults")
m = run(["matrix", "scenarios/seed-split-refault.toml", "scenarios/pin-zap-race.toml",
         "--iterations", "300", "--quiet", "--json"])
for c in m["cells"]:
    violations(c, f"matrix {c['file']} {c['policy']}")
with tempfile.TemporaryDirectory() as tmp:
    for i in range(3):
        p = subprocess.run([pfnsim, "sweep", "scenarios/seed-split-refault.toml",
                            "--preemptions", "2", "--shard", f"{i}/3", "--quiet"],
                           capture_output=True, text=True)
        with open(os.path.join(tmp, f"s{i}.json"), "w") as f:
            f.write(p.stdout)
    violations(run(["merge", "--json"] + sorted(glob.glob(os.path.join(tmp, "s*.json")))),
               "merge")
# --kernel settings shape the execution: every printed command carries them, and replays.
def with_kernel(doc, where):
    if not doc["violations"]:
        failures.append(f"{where}: no violation to replay")
    for v in doc["violations"]:
        if "--kernel preempt=voluntary" not in v["replay"]:
            failures.append(f"{where}: no --kernel in `{v['replay']}`")
    violations(doc, where)


with_kernel(run(["explore", "scenarios/lockstep-split.toml", "--policy", "eagain",
                 "--kernel", "preempt=voluntary", "--iterations", "200", "--quiet"]),
            "explore --kernel")
with_kernel(run(["sweep", "scenarios/seed-split-refault.toml", "--preemptions", "2",
                 "--kernel", "preempt=voluntary", "--kernel", "rwsem=fifo", "--quiet"]),
            "sweep --kernel")
m = run(["matrix", "scenarios/seed-split-refault.toml", "--policy", "original,eagain",
         "--kernel", "preempt=voluntary", "--iterations", "200", "--quiet", "--json"])
for c in m["cells"]:
    with_kernel(c, f"matrix --kernel {c['policy']}")
with tempfile.TemporaryDirectory() as tmp:
    for i in range(2):
        p = subprocess.run([pfnsim, "sweep", "scenarios/seed-split-refault.toml",
                            "--preemptions", "2", "--shard", f"{i}/2", "--quiet",
                            "--kernel", "preempt=voluntary"], capture_output=True, text=True)
        with open(os.path.join(tmp, f"s{i}.json"), "w") as f:
            f.write(p.stdout)
    with_kernel(run(["merge", "--json"] + sorted(glob.glob(os.path.join(tmp, "s*.json")))),
                "merge --kernel")
# A scenario path a shell would split is quoted in the command.
with tempfile.TemporaryDirectory() as tmp:
    spaced = os.path.join(tmp, "my scenario's copy.toml")
    with open("scenarios/seed-split-refault.toml") as src, open(spaced, "w") as dst:
        dst.write(src.read())
    violations(run(["explore", spaced, "--iterations", "100", "--quiet"]), "explore (spaced path)")
# Stateful sweeps (lassos with a cycle), the matrices of the README and `check`.
stateful = ["scenarios/seed-split-refault.toml", "scenarios/kvm-split-refault.toml",
            "scenarios/lockstep-split.toml"]
for s in stateful[:1] if smoke else stateful:
    for pol in ["original", "eagain", "enoent"]:
        violations(run(["sweep", s, "--preemptions", "all", "--policy", pol, "--quiet"]),
                   f"sweep --preemptions all {s} {pol}")
for args in (["matrix"], ["matrix", "scenarios/patchset"])[:1 if smoke else 2]:
    for c in run(args + ["--quiet"])["cells"]:
        violations(c, f"{' '.join(args)}: {c['file']} {c['policy']}")
checked_files = [] if smoke else run(["check", "scenarios", "--format", "json", "--quiet"])
for f in checked_files["files"] if checked_files else []:
    for c in f["cells"]:
        violations(c, f"check {f['file']} {c['policy']}")
st = run(["stats", "scenarios/seed-split-refault.toml", "--iterations", "200", "--json"])
for p in st["policies"]:
    replay(p["replay"], None, None, None, f"stats {p['policy']}")

for f in failures:
    print("FAIL:", f)
print(f"replay commands: {checked - len(failures)} passed, {len(failures)} failed")
sys.exit(1 if failures else 0)
