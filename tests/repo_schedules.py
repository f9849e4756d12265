#!/usr/bin/env python3
"""Every schedule in the repository replays as what it claims.

Finds every `pfnsim replay ...` command written in README.md, docs/*.md and the comments of the
shipped scenario files (joined over `\\` continuations, whatever comment or prompt prefix it
has), every cyclic schedule quoted in the README, and every [[recorded]] schedule of
tests/data/*.toml. Each is replayed (as a user pastes it: through `sh -c`) and must finish with
exit 0 or 1, with no nondeterminism, and show what the text around it claims: a recorded
entry's verdict and detail; for a command in a document, the `=> KIND: DETAIL` line of the
example it belongs to, when it has one (otherwise some violation: documents print replay
commands only for witnesses). A schedule quoted in prose must name its scenario in the same
sentence, or the README's lockstep lasso (kept in tests/data/recorded.toml).

A schedule that no longer replays (the model changed under it) fails here, naming the file and
line, instead of in a reader's terminal.

usage: repo_schedules.py PFNSIM"""
import glob
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import tomllib

pfnsim = sys.argv[1]
failures = []
checked = 0

# docs/ci.md's example replays a file the example writes: the zap race claiming to be clean
# (tests/check_ci.py builds the same file). Built here so that its command can be pasted.
tmp = tempfile.mkdtemp()


def claims_clean():
    path = os.path.join(tmp, "claims-clean.toml")
    with open("scenarios/pin-zap-race.toml") as f:
        text = f.read()
    text = text.replace('verdict = "wrong-return"', 'verdict = "clean"')
    text = text.replace('original = "wrong-return"', 'original = "clean"')
    with open(path, "w") as f:
        f.write(text)
    return path


MADE = {"claims-clean.toml": claims_clean}


def replay(argv, want, where):
    """Replays argv (["replay", scenario, ...]); want is (kind, detail or None) or None."""
    global checked
    checked += 1
    args = list(argv)
    if len(args) > 1 and args[1] in MADE and not os.path.exists(args[1]):
        args[1] = MADE[args[1]]()
    line = " ".join([shlex.quote(pfnsim)] + [shlex.quote(a) for a in args] + ["--json"])
    p = subprocess.run(["sh", "-c", line], capture_output=True, text=True)
    if p.returncode not in (0, 1):
        failures.append(f"{where}: `{shlex.join(argv)}` -> exit {p.returncode}: "
                        f"{p.stderr.strip()}")
        return
    d = json.loads(p.stdout)
    got = [(v["kind"], v["detail"]) for v in d["violations"]]
    if any(k == "nondeterminism" for k, _ in got):
        failures.append(f"{where}: `{shlex.join(argv)}` does not replay: {got}")
    elif want is None:
        if not got:
            failures.append(f"{where}: `{shlex.join(argv)}` shows no violation")
    elif not any(k == want[0] and (want[1] is None or dt == want[1]) for k, dt in got):
        failures.append(f"{where}: `{shlex.join(argv)}` shows {got}, not {want}")


def recorded_files():
    """The tests/data files with [[recorded]] schedules (the others are scenarios, some bad)."""
    out = []
    for path in sorted(glob.glob("tests/data/*.toml")):
        with open(path, "rb") as f:
            if b"[[recorded]]" in f.read():
                out.append(path)
    return out


def recorded(path):
    with open(path, "rb") as f:
        doc = tomllib.load(f)
    for i, r in enumerate(doc.get("recorded", [])):
        argv = ["replay", r["scenario"], "--policy", r["policy"], "--schedule", r["schedule"]]
        replay(argv, (r["verdict"], r.get("detail")), f"{path} [[recorded]] #{i + 1}")


PREFIX = re.compile(r"^\s*(?:#\s*)?(?:\$\s*)?(?:replay:\s*)?")
CLAIM = re.compile(r"^\s*=> ([a-z-]+): (.*)$")


def commands(path):
    """(line number, argv, claim) of each `pfnsim replay` command in a text file."""
    with open(path) as f:
        lines = f.read().split("\n")
    found = []
    i = 0
    while i < len(lines):
        at = lines[i].find("pfnsim replay ")
        if at < 0 or "SCENARIO" in lines[i]:
            i += 1
            continue
        start = i
        text = lines[i][at:]
        while text.rstrip().endswith("\\") and i + 1 < len(lines):
            i += 1
            text = text.rstrip()[:-1] + " " + PREFIX.sub("", lines[i])
        text = text.split("`")[0]
        try:
            argv = shlex.split(text)[1:]
        except ValueError as e:
            failures.append(f"{path}:{start + 1}: cannot split `{text}`: {e}")
            i += 1
            continue
        # The example it belongs to: a `=> KIND: DETAIL` line within the few lines before it.
        claim = None
        for k in range(start - 1, max(-1, start - 6), -1):
            m = CLAIM.match(lines[k])
            if m:
                claim = (m.group(1), m.group(2).strip())
                break
        found.append((start + 1, argv, claim))
        i += 1
    return found


def prose_schedules(path):
    """Cyclic schedules quoted in prose (`1.b8a15b6a(a12b6a)`): each must be a recorded one."""
    with open(path) as f:
        text = f.read()
    quoted = set(re.findall(r"`(\d\.[0-9a-f.]*[a-z0-9]+\([a-z0-9]+\))`", text))
    known = set()
    for t in recorded_files():
        with open(t, "rb") as f:
            known |= {r["schedule"] for r in tomllib.load(f).get("recorded", [])}
    for s in sorted(quoted - known):
        failures.append(f"{path}: the schedule `{s}` is in no tests/data [[recorded]] entry")


for path in recorded_files():
    recorded(path)
texts = (["README.md"] + sorted(glob.glob("docs/*.md")) + sorted(glob.glob("scenarios/*.toml"))
         + sorted(glob.glob("scenarios/*/*.toml")))
for path in texts:
    for line, argv, claim in commands(path):
        replay(argv, claim, f"{path}:{line}")
    prose_schedules(path)

for f in failures:
    print("FAIL:", f)
print(f"repository schedules: {checked} replayed, {len(failures)} failed")
sys.exit(1 if failures else 0)
