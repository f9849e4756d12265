#!/usr/bin/env python3
"""matrix --json names the preemption model each cell ran under, and a livelock's class names
the models it spins and yields under: the lockstep cycle spins under PREEMPT_NONE and yields
under voluntary and full, whichever model the cell ran (a might_sleep() site every round)."""
import json
import subprocess
import sys

pfnsim = sys.argv[1]
out = subprocess.run([pfnsim, "matrix", "scenarios/lockstep-split.toml",
                      "scenarios/lockstep-split-voluntary.toml", "--policy", "eagain",
                      "--json"], capture_output=True, text=True, check=False)
assert out.returncode == 0, out.stderr
cells = {c["label"]: c for c in json.loads(out.stdout)["cells"]}
assert cells["lockstep"]["preempt"] == "none", cells["lockstep"]["preempt"]
assert cells["lockstep PV"]["preempt"] == "voluntary", cells["lockstep PV"]["preempt"]
for label, c in cells.items():
    want = "livelock (killable, spins under none; yields under voluntary, full)"
    assert c["verdict_class"] == want, (label, c["verdict_class"])
    loops = [v for v in c["violations"] if v["kind"] == "livelock"]
    assert loops, label
    for v in loops:
        assert v["spins_under"] == ["none"], (label, v)
        assert v["yields_under"] == ["voluntary", "full"], (label, v)
print("ok")
