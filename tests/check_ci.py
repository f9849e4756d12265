#!/usr/bin/env python3
"""`pfnsim check --format ktap --junit FILE` on a passing and a failing scenario file: the
KTAP follows its grammar, the JUnit XML parses and counts the failure, both name the version,
each scenario's hash and how each file was decided (certified by a complete stateful sweep
here, sampled when the state budget is too small), and the exit code is 1 (0 for the passing
file alone)."""
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
        m = re.fullmatch(r"(not )?ok (\d+) (\S[^#]*?)(?: # (.*))?", l)
        if m:
            n += 1
            check(int(m.group(2)) == n, f"result {n} numbered {n}: {l}")
            d = m.group(4) or ""
            check(not re.match(r"(?i)(skip|todo)\b", d), f"no directive (nothing is skipped): {l}")
            check(re.fullmatch(r"(certified|bounded|sampled|incomplete|error)( .*)?", d)
                  is not None, f"how it was decided on the test line: {l}")
            results[m.group(3)] = (m.group(1) is None, diag, d)
            diag = []
        else:
            check(l.startswith("#"), f"a diagnostic line starts with '#': {l}")
            diag.append(l)
    check(n == len(files) and set(results) == set(files), f"{len(files)} results, one per file")
    for name, (_, d, _) in results.items():
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
        dp = c.find("properties/property[@name='decided']")
        check(dp is not None and dp.get("value") == "certified", f"{name}: decided property")
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
    check(r.get(PASSING, (0, 0, ""))[2] == "certified", "passing file: certified")
    junit(xml, [PASSING], set())
    # A state budget too small to certify: the file's own [explore] decides it (sampled).
    p = run(["--format", "ktap", "--max-states", "10", PASSING])
    r = ktap(p.stdout, [PASSING])
    check(r.get(PASSING, (0, 0, ""))[2] == "sampled", f"--max-states 10: sampled: {p.stdout}")
    js = __import__("json").loads(run(["--json", "--max-states", "10", PASSING]).stdout)
    check({c["decided"] for c in js["files"][0]["cells"]} == {"sampled"} and
          all("budget of 10 states" in c["fallback"] for c in js["files"][0]["cells"]),
          "JSON: each cell decided, and why it fell back")

    p = run(["--format", "ktap", "--junit", xml, PASSING, failing])
    check(p.returncode == 1, f"failing file: exit 1 (got {p.returncode}) {p.stderr}")
    r = ktap(p.stdout, sorted([PASSING, failing]))
    check(r.get(PASSING, (False,))[0], "the passing file beside it: ok")
    ok, diag, _ = r.get(failing, (True, [], ""))
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
