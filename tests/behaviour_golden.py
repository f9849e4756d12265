#!/usr/bin/env python3
"""Behaviour golden: the flagship and patchset matrices (text and JSON), `check --format json`
over the shipped scenarios, and the replay of every witness they print, compared byte for byte
with tests/golden/behaviour/. Only the git describe in the version line is masked, so the tool
and model versions are compared too.

A change that is meant to alter behaviour (a model change, which bumps the model version)
regenerates the files with `--update` and commits them beside the change, so the diff shows
every output it changed.

Under a sanitizer build (PFNSIM_TEST_SCOPE=smoke, set by tests/CMakeLists.txt) only the two
matrices are produced and compared: the byte-for-byte comparison of every replay is the release
build's; the sanitizer run is there to execute every model path once.

usage: behaviour_golden.py PFNSIM [--update]"""
import json
import os
import re
import shlex
import subprocess
import sys

pfnsim = sys.argv[1]
update = "--update" in sys.argv[2:]
smoke = os.environ.get("PFNSIM_TEST_SCOPE") == "smoke"
if update and smoke:
    sys.exit("behaviour_golden.py: --update needs the whole scope (unset PFNSIM_TEST_SCOPE)")
here = os.path.dirname(os.path.abspath(__file__))
golden = os.path.join(here, "golden", "behaviour")
VERSION = re.compile(r"pfnsim (\d+\.\d+\.\d+) \([^)\n]*\) model (\d+)")

COMMANDS = {
    "matrix.txt": ["matrix"],
    "matrix.json": ["matrix", "--json"],
    "patchset.txt": ["matrix", "scenarios/patchset"],
    "patchset.json": ["matrix", "scenarios/patchset", "--json"],
    "check.json": ["check", "scenarios", "scenarios/patchset", "--format", "json"],
}


def run(args):
    p = subprocess.run([pfnsim] + args, capture_output=True, text=True,
                       env=dict(os.environ, COLUMNS="80"))
    out = VERSION.sub(r"pfnsim \1 (GIT) model \2", p.stdout)
    err = VERSION.sub(r"pfnsim \1 (GIT) model \2", p.stderr)
    return f"$ pfnsim {shlex.join(args)}\nexit {p.returncode}\n{out}" + (
        f"--- stderr\n{err}" if err else "")


def replays(doc, out):
    """Every printed replay command, in document order, without repeats."""
    if isinstance(doc, dict):
        for k, v in doc.items():
            if k == "replay" and isinstance(v, str) and v not in out:
                out.append(v)
            else:
                replays(v, out)
    elif isinstance(doc, list):
        for v in doc:
            replays(v, out)
    return out


produced = {}
for name, args in COMMANDS.items():
    if not smoke or name in ("matrix.txt", "patchset.txt"):
        produced[name] = run(args)
commands = []
if not smoke:
    for name in ("matrix.json", "patchset.json", "check.json"):
        body = produced[name].split("\n", 2)[2].split("--- stderr\n")[0]
        replays(json.loads(body), commands)
    text = []
    for cmd in commands:
        argv = shlex.split(cmd)
        if argv[:2] != ["pfnsim", "replay"]:
            text.append(f"not a replay command: {cmd}\n")
            continue
        text.append(run(argv[1:]))
    produced["replays.txt"] = "".join(text)

if update:
    os.makedirs(golden, exist_ok=True)
    for name, body in produced.items():
        with open(os.path.join(golden, name), "w") as f:
            f.write(body)
    print(f"wrote {len(produced)} files ({len(commands)} replays) to {golden}")
    sys.exit(0)

failed = 0
for name, body in produced.items():
    path = os.path.join(golden, name)
    try:
        with open(path) as f:
            want = f.read()
    except OSError as e:
        print(f"{name}: cannot read the golden file: {e}")
        failed += 1
        continue
    if body != want:
        failed += 1
        a, b = want.splitlines(), body.splitlines()
        i = next((k for k in range(min(len(a), len(b))) if a[k] != b[k]), min(len(a), len(b)))
        print(f"{name}: differs from the golden file at line {i + 1}")
        print(f"  golden: {a[i] if i < len(a) else '(end of file)'}")
        print(f"  now:    {b[i] if i < len(b) else '(end of output)'}")
print(f"{len(produced) - failed} passed, {failed} failed ({len(commands)} replays)")
sys.exit(1 if failed else 0)
