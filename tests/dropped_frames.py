#!/usr/bin/env python3
"""The model's frames own nothing across a scheduling point (docs/extending.md, "Frames that
own nothing"): a stopped actor's frames are dropped, so a frame that owned heap memory leaks it.

Run under an ASan build (LeakSanitizer on): a capped stateful sweep and a short random
exploration of every shipped scenario and bench scenario stop actors at every kind of point
(visited states, pruned branches, violations, step bounds, the end of forever actors). Each run
must end with one of pfnsim's own exit codes (0, 1, 3) and no sanitizer report.

    dropped_frames.py PFNSIM
"""
import pathlib
import subprocess
import sys

MAX_STATES = "20000"
ITERATIONS = "300"


def main() -> int:
    pfnsim = sys.argv[1]
    files = sorted(pathlib.Path("scenarios").rglob("*.toml")) + sorted(
        pathlib.Path("bench/data").glob("*.toml"))
    if len(files) < 10:
        print(f"dropped_frames: only {len(files)} scenario files found (run from the source tree)")
        return 1
    failures = 0
    for f in files:
        for args in (["sweep", str(f), "--preemptions", "all", "--max-states", MAX_STATES],
                     ["explore", str(f), "--iterations", ITERATIONS]):
            try:
                r = subprocess.run([pfnsim, *args, "--quiet"], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE, text=True, timeout=600, check=False)
            except subprocess.TimeoutExpired:
                failures += 1
                print(f"FAIL: pfnsim {' '.join(args)}: no end within 600 s")
                continue
            if r.returncode not in (0, 1, 3) or "Sanitizer" in r.stderr:
                failures += 1
                print(f"FAIL: pfnsim {' '.join(args)}: exit {r.returncode}")
                print(r.stderr[-4000:])
    print(f"dropped_frames: {2 * len(files)} runs, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
