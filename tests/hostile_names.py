#!/usr/bin/env python3
"""Names in every output (issue 28): a file name that is not UTF-8 and holds control characters,
a '#', a quote and a backslash; scenario, label, actor and device names with newlines, escape
sequences, C1 controls, line separators, bidirectional overrides and a NUL; a label of 150
columns. Through run, explore, sweep, merge, check (text, JSON, KTAP, JUnit) and matrix (text,
JSON, markdown):
- no run ends in an internal error, and the exit is what the verdict says;
- every output is valid UTF-8 without a control character but the newline, and no name adds a
  line (a KTAP stream has one test line per file, every line a KTAP line);
- every text line fits 80 columns;
- JSON parses and gives the names back exactly (unescaped, the escape is lossless), JUnit is
  well-formed XML naming the file;
- a printed replay command, pasted into bash, replays.
Usage: hostile_names.py PFNSIM (from the source directory)."""
import json
import os
import re
import subprocess
import sys
import tempfile
import xml.dom.minidom

PFNSIM = os.path.abspath(sys.argv[1])
failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL:", msg)


def unescape(e):
    """The inverse of sim::escape_name (include/pfnsim/sim/text.hpp), on bytes."""
    out = bytearray()
    i = 0
    b = e.encode("utf-8")
    while i < len(b):
        c = b[i:i + 1]
        if c != b"\\":
            out += c
            i += 1
            continue
        k = b[i + 1:i + 2]
        if k in (b"\\", b"n", b"r", b"t"):
            out += {b"\\": b"\\", b"n": b"\n", b"r": b"\r", b"t": b"\t"}[k]
            i += 2
        elif k == b"x":
            out.append(int(b[i + 2:i + 4], 16))
            i += 4
        elif k == b"u":
            j = b.index(b"}", i)
            out += chr(int(b[i + 3:j], 16)).encode("utf-8")
            i = j + 1
        else:
            raise ValueError(f"bad escape in {e!r}")
    return bytes(out)


NAME = "evil\n# ok 99 fake\x07\x1b[31mred\u0085x\u2028y\u202eevil\\end"
LABEL = "L" * 150 + "\r\nnot ok 1"
ACTOR = "p\n\x00\u2029"
DEVICE = "g\tpu\x1b"


def toml_str(s):
    """s as a TOML basic string: every control character as a \\u escape."""
    out = '"'
    for ch in s:
        if ch in '"\\':
            out += "\\" + ch
        elif ord(ch) < 0x20 or ord(ch) == 0x7f or 0x80 <= ord(ch) <= 0x9f:
            out += f"\\u{ord(ch):04X}"
        else:
            out += ch
    return out + '"'


src = open("scenarios/pin-zap-race.toml").read()
src = src.replace('name = "pin-zap-race"', "name = " + toml_str(NAME), 1)
src = src.replace('label = "zap mid-pin"', "label = " + toml_str(LABEL), 1)
src = src.replace('name = "pin"\n', "name = " + toml_str(ACTOR) + "\n", 1)
src = src.replace('name = "gpu"', "name = " + toml_str(DEVICE), 1)
src = src.replace('device = "gpu"', "device = " + toml_str(DEVICE), 1)
src = src.replace("iterations = 3000", "iterations = 40", 1)
tmp = tempfile.mkdtemp()
d = os.path.join(tmp.encode(), b"d\n\xff\x1b#'\\")
os.mkdir(d)
path = os.path.join(d, b"f.toml")
open(path, "w").write(src)
WIDE = "W" * 60 + "\u4e2d" * 10  # 80 columns of which 20 are ten wide characters


def run(*args, cwd=None):
    p = subprocess.run([PFNSIM, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=300, cwd=cwd)
    return p.returncode, p.stdout, p.stderr


def clean_text(what, out, width=True):
    """Valid UTF-8, no control character but \\n, every line at most 80 columns (a shell
    command's words are never cut: only lines of a printed command may be longer)."""
    try:
        text = out.decode("utf-8")
    except UnicodeDecodeError as e:
        fail(f"{what}: not UTF-8 ({e})")
        return ""
    bad = [c for c in text if (ord(c) < 0x20 and c != "\n") or 0x7f <= ord(c) <= 0x9f or
           c in "\u2028\u2029\u202e"]
    if bad:
        fail(f"{what}: control characters {bad[:5]!r}")
    if width:
        for line in text.split("\n"):
            cols = sum(2 if "\u4e00" <= c <= "\u9fff" else 1 for c in line)
            if cols > 80 and "pfnsim replay" not in line and not line.rstrip().endswith("\\"):
                fail(f"{what}: a line of {cols} columns: {line[:100]!r}")
                break
    return text


def names_back(what, doc):
    """Every escaped name in a JSON document unescapes to what the scenario says."""
    found = set()

    def walk(v):
        if isinstance(v, dict):
            for k, x in v.items():
                if k == "file" and isinstance(x, str) and x.endswith("f.toml"):
                    if unescape(x) != path:
                        fail(f"{what}: file {x!r} does not give the path back")
                    found.add("file")
                if k == "scenario" and isinstance(x, str) and x.startswith("evil"):
                    if unescape(x) != NAME.encode():
                        fail(f"{what}: scenario {x!r} does not give the name back")
                    found.add("scenario")
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)
    walk(doc)
    return found


def check(what, args, codes, json_out=False):
    rc, out, err = run(*args)
    if rc not in codes:
        fail(f"{what}: exit {rc}, expected {codes}: {err.decode('utf-8', 'replace')[:300]}")
    clean_text(what + " (stderr)", err, width=False)
    if json_out:
        try:
            doc = json.loads(out)
        except ValueError as e:
            fail(f"{what}: JSON does not parse ({e})")
            return None
        clean_text(what, out, width=False)
        return doc
    return clean_text(what, out)


P = path.decode("utf-8", "surrogateescape")
for cmd in (["run"], ["explore"], ["sweep", "--preemptions", "all"], ["check"], ["matrix"],
            ["matrix", "--markdown"]):
    text = check(" ".join(cmd), [*cmd, path], (0, 1))
    if cmd[0] in ("run", "explore", "sweep") and "\\n# ok 99" not in (text or ""):
        fail(f"{' '.join(cmd)}: the escaped scenario name is not in the report")
for cmd in (["run"], ["explore"], ["sweep", "--preemptions", "all"], ["check"], ["matrix"]):
    doc = check(" ".join(cmd) + " --json", [*cmd, "--json", path], (0, 1), json_out=True)
    if doc is not None:
        got = names_back(" ".join(cmd) + " --json", doc)
        if "file" not in got:
            fail(f"{' '.join(cmd)} --json: no file field names the file")

# KTAP: one test line per file, every line a KTAP line.
# (the second file is a plain copy: a cheap one, so that the ASan build stays quick)
plain = os.path.join(tmp, "plain.toml")
open(plain, "w").write(open("scenarios/pin-zap-race.toml").read().replace("iterations = 3000",
                                                                         "iterations = 40"))
text = check("check --format ktap", ["check", "--format", "ktap", path, plain], (0, 1))
tests = [l for l in text.split("\n") if re.match(r"(not )?ok \d+ ", l)]
if len(tests) != 2:
    fail(f"check --format ktap: {len(tests)} test lines for 2 files")
for l in text.split("\n"):
    if l and not re.match(r"(KTAP version 1|# |1\.\.\d+$|(not )?ok \d+ [^#]*( # .*)?$)", l):
        fail(f"check --format ktap: not a KTAP line: {l!r}")

# JUnit: well-formed XML naming the file (escaped).
junit = os.path.join(tmp, "j.xml")
check("check --junit", ["check", "--junit", junit, path], (0, 1))
try:
    doc = xml.dom.minidom.parse(junit)
    names = [t.getAttribute("name") for t in doc.getElementsByTagName("testcase")]
    if not any(n.endswith("f.toml") and unescape(n) == path for n in names):
        fail(f"check --junit: no testcase names the file: {names}")
except Exception as e:  # noqa: BLE001 (any parse error is the failure)
    fail(f"check --junit: not well-formed XML ({e})")

# Shards and a merge carry the name escaped, and the merge opens the file.
shards = [os.path.join(tmp, f"s{i}.json") for i in range(2)]
for i, s in enumerate(shards):
    rc, out, err = run("sweep", "--preemptions", "1", "--shard", f"{i}/2", path)
    if rc not in (0, 1):
        fail(f"sweep --shard {i}/2: exit {rc}: {err.decode('utf-8', 'replace')[:300]}")
    clean_text(f"sweep --shard {i}/2", out, width=False)
    open(s, "wb").write(out)
doc = check("merge --json", ["merge", "--json", *shards], (0, 1), json_out=True)
if doc is not None and "file" not in names_back("merge --json", doc):
    fail("merge --json: no file field")

# A printed replay command replays when pasted into bash.
rc, out, _ = run("sweep", "--preemptions", "all", path)
text = out.decode("utf-8", "replace")
m = re.search(r"replay: (pfnsim replay (?:.*\\\n)*.*)", text)
if not m:
    fail("sweep: no replay command printed")
else:
    cmd = m.group(1).replace("pfnsim ", PFNSIM + " ", 1)
    p = subprocess.run(["bash", "-c", cmd], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=120)
    if p.returncode != 0 or b"wrong-return (as expected)" not in p.stdout:
        fail(f"the printed replay command did not replay: exit {p.returncode} "
             f"{p.stderr.decode('utf-8', 'replace')[:200]}")

# A label of wide characters fits 80 columns as well.
wide = os.path.join(tmp, "wide.toml")
open(wide, "w").write(src.replace("label = " + toml_str(LABEL), "label = " + toml_str(WIDE * 2)))
check("matrix (wide label)", ["matrix", wide], (0, 1))

# An actor's name heads a trace column: longer than 16 columns once escaped is bad input.
longname = os.path.join(tmp, "long.toml")
open(longname, "w").write(src.replace("name = " + toml_str(ACTOR), 'name = "' + "a" * 17 + '"'))
rc, out, err = run("run", longname)
lines = err.decode("utf-8", "replace").strip().split("\n")
if rc != 2 or len(lines) != 1 or "long.toml:25:" not in lines[0] or "16 columns" not in lines[0]:
    fail(f"a 17-column actor name: exit {rc}: {lines}")

print(f"{len(failures)} failure(s)")
sys.exit(1 if failures else 0)
