#!/usr/bin/env python3
"""Finite state spaces: a stateful sweep of a scenario has the same states and transitions at two
step bounds. A signature component that grows with the length of an execution (a retry loop
without a sim::Loop head, a counter that only grows) makes the count grow with the bound.

Usage: step_bound_closure.py PFNSIM [--all] [--bounds A,B] [--max-states N]
(from the source root). Without --all it checks a representative set (below) under every
policy; --all checks every shipped scenario (scenarios/ and scenarios/patchset/) under every
policy. A sweep whose table reaches --max-states at either bound is reported and skipped (its
count says nothing about closure); one that ends at the step bound fails.
"""
import argparse
import glob
import json
import os
import subprocess
import sys
import time

POLICIES = ["original", "eagain", "bounded:3", "enoent", "enoent-killable", "return-to-user",
            "gup-loop"]
# Retry loops (eagain, gup-loop), rwsem writers (zaps, memory disable), forever splitters,
# KVM, munmap and the TTM path.
REPRESENTATIVE = [
    "scenarios/seed-split-refault.toml",
    "scenarios/pin-zap-race.toml",
    "scenarios/pin-zap-enable.toml",
    "scenarios/pin-munmap-retry.toml",
    "scenarios/lockstep-split.toml",
    "scenarios/kvm-split-refault.toml",
    "scenarios/patchset/kvm-zap-einval.toml",
    "scenarios/patchset/phys-move.toml",
    "scenarios/patchset/s390w-zap-enoent.toml",
    "tests/data/nonclose.toml",
    "tests/data/two-faults-zap.toml",
]


def sweep(pfnsim, path, policy, bound, max_states):
    cmd = [pfnsim, "sweep", path, "--policy", policy, "--preemptions", "all", "--json",
           "--quiet", "--no-minimize", "--step-bound", str(bound), "--max-states",
           str(max_states)]
    p = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if p.returncode not in (0, 1, 3):
        return None, f"exit {p.returncode}: {p.stderr.strip()}"
    return json.loads(p.stdout), None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("pfnsim")
    ap.add_argument("--all", action="store_true")
    ap.add_argument("--bounds", default="400,800")
    ap.add_argument("--max-states", type=int, default=300000)
    args = ap.parse_args()
    lo, hi = (int(b) for b in args.bounds.split(","))
    files = (sorted(glob.glob("scenarios/*.toml") + glob.glob("scenarios/patchset/*.toml"))
             if args.all else REPRESENTATIVE)
    policies = POLICIES
    if os.environ.get("PFNSIM_TEST_SCOPE") == "smoke" and not args.all:
        # A sanitizer build: the two reported scenarios and the one that never closed before,
        # under the kernel's own policy and the retry that made the space grow.
        files = [f for f in files if f.startswith("tests/data/")]
        policies = POLICIES[:2]
    fail = 0
    start = time.monotonic()
    for f in files:
        for pol in policies:
            a, err = sweep(args.pfnsim, f, pol, lo, args.max_states)
            b, err2 = sweep(args.pfnsim, f, pol, hi, args.max_states) if a else (None, None)
            err = err or err2
            if err:
                print(f"FAIL {f} {pol}: {err}")
                fail = 1
                continue
            if a.get("stopped") == "max-states" or b.get("stopped") == "max-states":
                print(f"skip {f} {pol}: more than {args.max_states} states")
                continue
            got = [(x["states"], x["transitions"]) for x in (a, b)]
            if got[0] != got[1] or not a["complete"] or not b["complete"]:
                print(f"FAIL {f} {pol}: states/transitions {got[0]} at step bound {lo}, "
                      f"{got[1]} at {hi} (complete: {a['complete']}, {b['complete']})")
                fail = 1
            else:
                print(f"ok   {f} {pol}: {got[0][0]} states, {got[0][1]} transitions")
    print(f"{time.monotonic() - start:.1f} s")
    return fail


if __name__ == "__main__":
    sys.exit(main())
