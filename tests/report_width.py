#!/usr/bin/env python3
"""Every human-readable report fits 80 columns: explore (with its diagram), sweep (with its
certificate), run and replay --trace full, stats and check, and the help of every command (an
example command wrapped in it still pastes). The matrix has its own test."""
import shlex
import subprocess
import sys

pfnsim = sys.argv[1]
commands = [
    ["explore", "scenarios/seed-split-refault.toml"],
    ["explore", "scenarios/lockstep-split.toml", "--policy", "eagain"],
    ["explore", "scenarios/pin-munmap-retry.toml"],
    ["sweep", "scenarios/seed-split-refault.toml", "--preemptions", "all"],
    ["sweep", "scenarios/seed-split-refault.toml", "--preemptions", "2"],
    ["run", "scenarios/seed-split-refault.toml"],
    ["run", "scenarios/patchset/s390w-zap-enoent.toml"],
    ["replay", "scenarios/seed-split-refault.toml", "--seed", "1", "--trace", "full"],
    ["stats", "scenarios/seed-split-refault.toml", "--policy", "bounded:3"],
    ["check", "scenarios/seed-split-refault.toml", "scenarios/lockstep-split.toml",
     "scenarios/patchset/s390w-zap-enoent.toml"],
    ["--help"],
]
for cmd in ["run", "explore", "replay", "sweep", "merge", "matrix", "stats", "check", "help"]:
    commands.append([cmd, "--help"])
failures = []
for c in commands:
    p = subprocess.run([pfnsim] + c, capture_output=True, text=True)
    if p.returncode not in (0, 1):
        failures.append(f"pfnsim {' '.join(c)} -> exit {p.returncode}: {p.stderr.strip()}")
        continue
    lines = p.stdout.splitlines()
    if len(lines) < 3:
        failures.append(f"pfnsim {' '.join(c)}: only {len(lines)} lines")
    for n, line in enumerate(lines, 1):
        if len(line) > 80:
            failures.append(f"pfnsim {' '.join(c)}: line {n} has {len(line)} columns: {line}")
# The help's example, wrapped as a shell command, is one command again when joined.
for cmd in ["replay", "explore", "matrix"]:
    text = subprocess.run([pfnsim, cmd, "--help"], capture_output=True, text=True).stdout
    example = text.split("Example:\n", 1)[1].split("\n\n", 1)[0].replace(" \\\n", " ")
    argv = shlex.split(example)
    if argv[:2] != ["pfnsim", cmd]:
        failures.append(f"pfnsim {cmd} --help: the example is not one command: {example!r}")
if failures:
    print("\n".join(failures))
    sys.exit(1)
print(f"ok: {len(commands)} reports within 80 columns")
