#!/usr/bin/env python3
"""Progress, --minimize-budget and SIGINT in `pfnsim explore`:
- stderr not a terminal (a pipe): no progress at all;
- on a pseudo-terminal 30 columns wide: every progress line is cut to 29 columns, rewritten in
  place with \\r, and the last thing written clears it; --quiet writes nothing;
- a small --minimize-budget stops minimisation, the text and JSON say so, and the witness it
  returns replays (same violation, same trace hash); the default budget does not stop it;
- SIGINT during a long explore (sent once progress shows the executions that find the
  violation) ends it with exit 3 and a report of the violation found so far; during a sweep,
  exit 3 and an incomplete certificate.
No durations are asserted: waits are for output, with a generous guard against hanging."""
import fcntl
import json
import os
import re
import shlex
import signal
import struct
import subprocess
import sys
import termios
import threading

PFNSIM = sys.argv[1]
SCEN = "scenarios/seed-split-refault.toml"
GUARD = 600  # seconds before giving up on output that should come: a hang, not a timing
failures = []


def check(cond, what):
    print(("ok: " if cond else "FAIL: ") + what)
    if not cond:
        failures.append(what)


def run(args, **kw):
    return subprocess.run([PFNSIM] + args, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, **kw)


class OnPty:
    """pfnsim with stderr on a pseudo-terminal of `cols` columns, stdout on a pipe."""

    def __init__(self, args, cols):
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, cols, 0, 0))
        self.proc = subprocess.Popen([PFNSIM] + args, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=slave)
        os.close(slave)
        self.master = master
        self.data = b""
        self.cond = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        while True:
            try:
                chunk = os.read(self.master, 4096)
            except OSError:
                chunk = b""
            with self.cond:
                if not chunk:
                    self.done = True
                    self.cond.notify_all()
                    return
                self.data += chunk
                self.cond.notify_all()

    def wait_for(self, pred):
        with self.cond:
            return self.cond.wait_for(lambda: pred(self.data) or getattr(self, "done", False),
                                      GUARD) and pred(self.data)

    def finish(self):
        out, _ = self.proc.communicate(timeout=GUARD)
        self.reader.join(GUARD)
        os.close(self.master)
        return self.proc.returncode, out.decode(), self.data.decode(errors="replace")


def json_or_empty(text):
    try:
        return json.loads(text)
    except ValueError:
        return {}


def segments(tty):
    """The progress lines written: the text between carriage returns, without erase codes."""
    return [s.replace("\x1b[K", "") for s in tty.split("\r")]


# Not a terminal: nothing on stderr.
r = run(["explore", SCEN, "--iterations", "2000"])
check(r.returncode == 0 and r.stderr == "", f"explore, stderr a pipe: no progress ({r.stderr!r})")
r = run(["sweep", SCEN, "--preemptions", "1"])
check(r.stderr == "", f"sweep, stderr a pipe: no progress ({r.stderr!r})")

# A terminal of 30 columns: lines cut to 29, rewritten in place, cleared at the end.
p = OnPty(["explore", SCEN, "--iterations", "3000"], 30)
code, out, tty = p.finish()
lines = [s for s in segments(tty) if s]
check(code == 0 and "verdict" in out, f"explore on a terminal: exit {code}, its report on stdout")
check(lines and all(s.startswith("seed-split-refault") for s in lines),
      f"progress lines name the scenario ({lines[:3]})")
check(all(len(s) <= 29 for s in lines), "every progress line cut to 29 columns")
check(tty.endswith("\r\x1b[K"), "the progress line is cleared at the end")
p = OnPty(["explore", SCEN, "--iterations", "3000", "--quiet"], 30)
code, out, tty = p.finish()
check(code == 0 and tty == "", f"--quiet on a terminal: no progress ({tty[:40]!r})")

# The minimiser's budget.
help_text = " ".join(run(["help", "explore"]).stdout.split())  # wrapped to 80 columns: joined
m = re.search(r"--minimize-budget.*?default: (\d+) executions", help_text, re.S)
check(m is not None, "help explore states the default minimisation budget")
default = int(m.group(1)) if m else 0
j = json.loads(run(["explore", SCEN, "--json"]).stdout)
mins = [v["minimized"] for v in j["violations"] if "minimized" in v]
check(mins and all(x["stopped"] is None and x["executions"] < default for x in mins),
      f"the default budget ({default}) does not stop minimising {SCEN}")
need = min(x["executions"] for x in mins) if mins else 0
# Under a budget of B the bounded searches get B/5 and delta debugging the rest; this witness
# then needs a few dozen executions, so 10 stops it.
small = 10
j = json.loads(run(["explore", SCEN, "--json", "--minimize-budget", str(small)]).stdout)
for v in j["violations"]:
    x = v.get("minimized", {})
    check(x.get("stopped") == "budget" and x.get("budget") == f"{small} executions",
          f"--minimize-budget {small} (the default needs {need}): stopped 'budget' in JSON")
    check(small <= x.get("executions", 0) <= small + 3,
          f"it ran its budget and the checks ({x.get('executions')} executions)")
    words = shlex.split(x.get("replay", ""))
    again = run(words[1:] + ["--json"]) if words[:2] == ["pfnsim", "replay"] else None
    ok = again is not None and again.returncode in (0, 1)
    rj = json.loads(again.stdout) if ok else {}
    check(ok and rj.get("trace_hash") == x.get("trace_hash") and
          any(w["detail"] == v["detail"] for w in rj.get("violations", [])),
          f"the budget-stopped witness replays: {v['detail']}, trace hash {x.get('trace_hash')}")
t = run(["explore", SCEN, "--minimize-budget", str(small)]).stdout
check(re.search(r"minimisation stopped by its budget after \d+ executions", t) is not None,
      "the text report says minimisation stopped by its budget after N executions")
for bad in ["0", "x", "30x", "0s", "-5", "1e3"]:
    r = run(["explore", SCEN, "--minimize-budget", bad])
    check(r.returncode == 2 and r.stderr.count("\n") == 1 and "--minimize-budget" in r.stderr,
          f"--minimize-budget {bad}: exit 2, one line ({r.stderr.strip()})")
r = run(["explore", SCEN, "--json", "--minimize-budget", "1m"])
x = json.loads(r.stdout)["violations"][0].get("minimized", {}) if r.returncode == 0 else {}
check(x.get("budget") == "60 s" and x.get("stopped") in (None, "time"),
      f"--minimize-budget 1m is a time budget of 60 s ({x.get('budget')}, {x.get('stopped')})")

# SIGINT: the violation that the first executions find is reported, and exit 3.
first = 200
j = json.loads(run(["explore", SCEN, "--iterations", str(first), "--json", "--no-minimize"]).stdout)
found = [v["detail"] for v in j["violations"]]
check(found, f"the first {first} executions find {found}")
p = OnPty(["explore", SCEN, "--iterations", "1000000000", "--json"], 200)


def explored(data):
    done = re.findall(rb"(\d+)/1000000000 executions", data)
    return bool(done) and int(done[-1]) >= first


check(p.wait_for(explored), f"progress shows {first} executions")
p.proc.send_signal(signal.SIGINT)
code, out, tty = p.finish()
j = json_or_empty(out)
check(code == 3, f"SIGINT: exit 3 (got {code})")
check(j.get("interrupted") is True and first <= j.get("executions", 0) < 1000000000,
      f"the report says interrupted after {j.get('executions')} executions")
got = [v["detail"] for v in j.get("violations", [])]
check(found and all(d in got for d in found), f"the report names what was found ({got})")
check(all("minimized" in v for v in j.get("violations", [])), "and minimises it (its budget)")
check(tty.endswith("\r\x1b[K"), "the progress line is cleared")

# SIGINT in a sweep: incomplete, so exit 3 with "stopped": "interrupted" (not a certificate).
p = OnPty(["sweep", "scenarios/lockstep-split.toml", "--policy", "eagain", "--preemptions", "all",
           "--stateless", "--json"], 80)
check(p.wait_for(lambda d: re.search(rb"sweep lockstep-split: \d+ executions", d) is not None),
      "the sweep's progress line shows")
p.proc.send_signal(signal.SIGINT)
code, out, tty = p.finish()
j = json_or_empty(out)
check(code == 3 and j.get("complete") is False and j.get("stopped") == "interrupted",
      f"sweep after SIGINT: exit 3, incomplete, stopped 'interrupted' (exit {code}, "
      f"stopped {j.get('stopped')})")
check(all(len(x) <= 79 for x in segments(tty)), "the sweep's progress lines fit 80 columns")

if failures:
    print(f"{len(failures)} failed")
    sys.exit(1)
