#!/usr/bin/env python3
"""The matrix as a reader sees it: every line of the text and markdown reports fits 80 columns;
each cell of the patchset view (API x policy x caller x race) shows the verdict that the JSON
report gives for that file and policy; every [n] in a table has one witness, whose wrapped
replay command, run as printed, shows that cell's violation; --wide prints one table per API."""
import json
import re
import shlex
import subprocess
import sys

pfnsim = sys.argv[1]
files = ["scenarios/patchset/vfio-split-einval.toml", "scenarios/patchset/vfio-zap-einval.toml",
         "scenarios/patchset/vfio-split-enoent.toml", "scenarios/patchset/kvm-split-einval.toml",
         "scenarios/patchset/acrn-zap-enoent.toml", "scenarios/patchset/s390w-zap-einval.toml",
         "scenarios/pin-zap-race.toml"]
failures = []


def run(extra):
    p = subprocess.run([pfnsim, "matrix"] + files + ["--quiet"] + extra, capture_output=True,
                       text=True)
    if p.returncode != 0:
        sys.exit(f"pfnsim matrix {' '.join(extra)} -> exit {p.returncode}: {p.stderr}")
    return p.stdout


text = run([])
doc = json.loads(run(["--json"]))
md = run(["--markdown"])
wide = run(["--wide"])

for name, out in (("text", text), ("markdown", md)):
    for n, line in enumerate(out.splitlines(), 1):
        if len(line) > 80:
            failures.append(f"{name} line {n} has {len(line)} columns: {line}")

# The JSON verdict of each (api, policy, caller, race), as the table words it.
def word(cell):
    v = cell["verdict"]
    return {"clean": "ok", "new-errno": "new errno", "wrong-return": "wrong"}.get(v, v)


want = {}
for c in doc["cells"]:
    if "matrix" in c:
        m = c["matrix"]
        want[(m["api"], c["policy"], m["caller"], m["race"])] = word(c)
if len(want) != 6 * 7:
    failures.append(f"expected 42 patchset cells in the JSON, got {len(want)}")

# Parse the text tables: "follow_pfnmap_errno = API" starts a block; a header row names the
# columns; a row is "POLICY RACE | cell | cell" (POLICY only on a row's first line).
seen = {}
api = None
columns = []
policy = None
witnesses = {}
for line in text.splitlines():
    m = re.match(r"follow_pfnmap_errno = (\w+)", line)
    if m:
        api = m.group(1)
        continue
    if line.startswith("policy ") and "|" in line:
        columns = [c.strip() for c in line.split("|")[1:]]
        continue
    if api and "|" in line and not line.startswith("-"):
        head, *cells = [c.strip() for c in line.split("|")]
        parts = head.split()
        if len(parts) == 2:
            policy, race = parts
        elif len(parts) == 1 and policy:
            race = parts[0]
        else:
            continue
        for col, cell in zip(columns, cells):
            seen[(api, policy, col, race)] = cell

for key, w in want.items():
    cell = seen.get(key)
    if cell is None:
        failures.append(f"cell {key} is not in the text")
    elif not (cell == w or cell.startswith(w + " ")):
        failures.append(f"cell {key}: text shows '{cell}', JSON says {w}")

# Every reference has one witness; the wrapped command, joined, replays its violation.
body = text.split("Witnesses:\n", 1)
if len(body) != 2:
    failures.append("no witnesses section")
else:
    joined = body[1].replace(" \\\n", " ")
    for m in re.finditer(r"^\[(\d+)\] (?:a lasso: .*\n\s+)?(pfnsim replay .*)$", joined, re.M):
        witnesses[m.group(1)] = m.group(2)
refs = set(re.findall(r"\[(\d+)\]", text.split("Witnesses:\n", 1)[0]))
if refs != set(witnesses):
    failures.append(f"references without a witness: {sorted(refs - set(witnesses))}; "
                    f"witnesses without a reference: {sorted(set(witnesses) - refs)}")
kinds = {"wrong": "wrong-return", "new errno": "new-errno", "livelock": "livelock"}
for key, cell in seen.items():
    m = re.search(r"\[(\d+)\]", cell)
    if not m or m.group(1) not in witnesses:
        continue
    argv = shlex.split(witnesses[m.group(1)])
    p = subprocess.run([pfnsim] + argv[1:] + ["--json"], capture_output=True, text=True)
    if p.returncode not in (0, 1):
        failures.append(f"{key}: `{witnesses[m.group(1)]}` -> exit {p.returncode}")
        continue
    got = {v["kind"] for v in json.loads(p.stdout)["violations"]}
    kind = next((k for w, k in kinds.items() if cell.startswith(w)), None)
    if kind and kind not in got:
        failures.append(f"{key}: the witness of '{cell}' replays {sorted(got)}")

# --wide: one header row per API block, and the plain file beside it in one more table.
headers = [l for l in wide.splitlines() if l.startswith("policy ") and "|" in l]
if len(headers) != 3:
    failures.append(f"--wide printed {len(headers)} tables, expected 3 (two APIs, one plain)")
# The markdown has every policy of every API block as a heading.
if md.count("**eagain**") != 3:
    failures.append(f"markdown: expected 3 eagain sections, got {md.count('**eagain**')}")

if failures:
    print("\n".join(failures))
    sys.exit(1)
print(f"ok: {len(want)} cells placed, {len(witnesses)} witnesses replayed")
