#!/usr/bin/env python3
"""`pfnsim check --format ktap --junit FILE` on a passing and a failing scenario file: the
KTAP follows its grammar, the JUnit XML parses and counts the failure, both name the version
and each scenario's hash, and the exit code is 1 (0 for the passing file alone)."""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

PFNSIM = sys.argv[1]
PASSING = "scenarios/pin-zap-race.toml"
failures = []


def check(cond, what):
    print(("ok: " if cond else "FAIL: ") + what)
    if not cond:
        failures.append(what)


def ktap(text, files):
    """Checks the KTAP grammar; returns {name: (ok, diagnostics before its result line)}."""
    lines = text.splitlines()
    check(lines and lines[0] == "KTAP version 1", "KTAP version line first")
    plan = [i for i, l in enumerate(lines) if re.fullmatch(r"1\.\.\d+", l)]
    check(len(plan) == 1 and int(lines[plan[0]][3:]) == len(files), f"one plan line 1..{len(files)}")
    check(any(re.fullmatch(r"# pfnsim \d+\.\d+\.\d+ .*", l) for l in lines[:plan[0]]),
          "'# pfnsim VERSION' before the plan")
    results, diag, n = {}, [], 0
    for l in lines[plan[0] + 1:]:
        m = re.fullmatch(r"(not )?ok (\d+) (\S.*)", l)
        if m:
            n += 1
            check(int(m.group(2)) == n, f"result {n} numbered {n}: {l}")
            check(" # " not in l, f"no directive (nothing is skipped): {l}")
            results[m.group(3)] = (m.group(1) is None, diag)
            diag = []
        else:
            check(l.startswith("#"), f"a diagnostic line starts with '#': {l}")
            diag.append(l)
    check(n == len(files) and set(results) == set(files), f"{len(files)} results, one per file")
    for name, (_, d) in results.items():
        check(any(re.fullmatch(r"# scenario hash [0-9a-f]{16}", l) for l in d),
              f"{name}: its scenario hash")
    return results


def junit(path, files, failed):
    root = ET.parse(path).getroot()
    check(root.tag == "testsuites", "JUnit root is testsuites")
    suites = root.findall("testsuite")
    check(len(suites) == 1, "one testsuite")
    s = suites[0]
    check(s.get("tests") == str(len(files)) and root.get("tests") == str(len(files)),
          f"tests=\"{len(files)}\"")
    check(s.get("failures") == str(len(failed)) and s.get("errors") == "0",
          f"failures=\"{len(failed)}\" errors=\"0\"")
    check(s.get("time") == "0", "no wall-clock time")
    props = {p.get("name"): p.get("value") for p in s.findall("properties/property")}
    check(re.fullmatch(r"pfnsim \d+\.\d+\.\d+ .*", props.get("pfnsim.version", "")) is not None,
          "the tool version is a property")
    cases = {c.get("name"): c for c in s.findall("testcase")}
    check(set(cases) == set(files), "a testcase per file")
    for name, c in cases.items():
        h = c.find("properties/property[@name='scenario_hash']")
        check(h is not None and re.fullmatch(r"[0-9a-f]{16}", h.get("value")) is not None,
              f"{name}: scenario_hash property")
        f = c.findall("failure")
        check(len(f) == (1 if name in failed else 0), f"{name}: failure elements")
        if name in failed and f:
            check("expected clean" in f[0].get("message", ""), "failure message: the expectation")
            check("replay: pfnsim replay" in (f[0].text or ""), "failure text: a replay command")


def run(args):
    return subprocess.run([PFNSIM, "check", "--quiet"] + args, capture_output=True, text=True)


tmp = tempfile.mkdtemp()
try:
    # The zap race under the original code returns -EINVAL: this file claims it is clean.
    failing = os.path.join(tmp, "claims-clean.toml")
    with open(PASSING) as f:
        text = f.read()
    text = text.replace('verdict = "wrong-return"', 'verdict = "clean"')
    text = text.replace('original = "wrong-return"', 'original = "clean"')
    with open(failing, "w") as f:
        f.write(text)
    xml = os.path.join(tmp, "results.xml")

    p = run(["--format", "ktap", "--junit", xml, PASSING])
    check(p.returncode == 0, f"passing file: exit 0 (got {p.returncode}) {p.stderr}")
    r = ktap(p.stdout, [PASSING])
    check(r.get(PASSING, (False,))[0], "passing file: ok")
    junit(xml, [PASSING], set())

    p = run(["--format", "ktap", "--junit", xml, PASSING, failing])
    check(p.returncode == 1, f"failing file: exit 1 (got {p.returncode}) {p.stderr}")
    r = ktap(p.stdout, sorted([PASSING, failing]))
    check(r.get(PASSING, (False,))[0], "the passing file beside it: ok")
    ok, diag = r.get(failing, (True, []))
    check(not ok, "failing file: not ok")
    check(any("policy original: got wrong-return, expected clean" in l for l in diag),
          "failing file: the failed expectation as a diagnostic")
    check(any(l.startswith("#   replay: pfnsim replay ") for l in diag),
          "failing file: its replay command as a diagnostic")
    junit(xml, sorted([PASSING, failing]), {failing})

    # The same run twice gives the same bytes; text stays the default, --json a synonym.
    again = run(["--format", "ktap", PASSING, failing]).stdout
    check(again == p.stdout, "KTAP is deterministic")
    check(run([PASSING]).stdout.startswith("ok "), "text is the default")
    check(run(["--json", PASSING]).stdout == run(["--format", "json", PASSING]).stdout,
          "--json is --format json")
    p = run(["--json", "--format", "ktap", PASSING])
    check(p.returncode == 2 and len(p.stderr.splitlines()) == 1,
          "--json with --format ktap: exit 2, one line")
finally:
    shutil.rmtree(tmp)

sys.exit(1 if failures else 0)
