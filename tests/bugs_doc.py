#!/usr/bin/env python3
"""docs/bugs.md from scenarios/bugs: one row per bug with its commits, what happened, the
buggy variant's verdict and replay command, and the fixed variant's verdict and how it was
decided, all from `pfnsim check scenarios/bugs --json` and the files' [bug] tables.

    bugs_doc.py PFNSIM            compare with docs/bugs.md (exit 1 when it is stale)
    bugs_doc.py PFNSIM --update   rewrite docs/bugs.md
"""
import json
import os
import subprocess
import sys
import tomllib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOC = os.path.join(ROOT, "docs", "bugs.md")

HEAD = """# The bug history of this path

Each file of `scenarios/bugs` reproduces one bug of the catalogue: its `[bug]` table names it,
its `[variants.buggy]` and `[variants.fixed]` give the kernel each runs (`[kernel]` values,
applied as `--kernel` is) and the verdict each must have (`"invariant: I-PFN"`: an invariant
violation whose text names I-PFN; `"clean"`). `pfnsim check scenarios/bugs` checks every
variant as its own test (CI runs it). This page is generated from those files and that
command by `python3 tests/bugs_doc.py build/release/pfnsim --update`; a test fails when it is
stale. Every replay command below replays the buggy variant's witness.

"""

TAIL = """
## Catalogue bugs not reproduced here

- **B03** (`fixup_user_fault()` returning 0 on a second `VM_FAULT_RETRY`, fixed by Peter Xu's
  "mm/gup: Fix fixup_user_fault() on multiple retries", 2020; the hash is unverified) cannot
  show on this path. It needs a fault handler that returns `VM_FAULT_RETRY` on a
  `FAULT_FLAG_TRIED` pass, and none that backs a mapping here does: vfio-pci's fault never
  drops `mmap_lock`, `remap_pfn_range()` mappings have no fault, TTM's `ttm_bo_vm_reserve()`
  and `ttm_bo_vm_fault_idle()` retry only under `fault_flag_allow_retry_first()` (not on a
  TRIED pass), and anonymous memory does not retry. Every caller here that passes `unlocked`
  (`follow_fault_pfn()`, `hva_to_pfn_remapped()`) also returns `-EAGAIN` or looks the vma up
  again once it is set, which the first retry already does. No form of the function was
  added for it.
- **B22** (the x86 PAT untrack calling `follow_pte()` under `i_mmap_rwsem` alone) is not
  modelled: the model has no PAT memtype tracking. The lock contract it broke is checked for
  every caller that is modelled (I-LOCK, `pfnmap_lockdep_assert()`).
"""


def cell_text(cell):
    how = cell["decided"]
    if cell.get("states") is not None and how in ("certified", "bounded"):
        how += f", {cell['states']:,} states"
    return f"{cell['verdict']} ({how})"


def main():
    pfnsim = sys.argv[1]
    update = "--update" in sys.argv[2:]
    out = subprocess.run(
        [pfnsim, "check", "scenarios/bugs", "--json", "--quiet"],
        cwd=ROOT, capture_output=True, text=True)
    if out.returncode not in (0, 1):
        sys.exit(f"pfnsim check failed ({out.returncode}): {out.stderr.strip()}")
    files = json.loads(out.stdout)["files"]
    by_file = {}
    for f in files:
        by_file.setdefault(f["file"], {})[f.get("variant", "")] = f
    text = HEAD
    text += "| bug | commits | what happened | buggy | fixed |\n|---|---|---|---|---|\n"
    replays = []
    for path in sorted(by_file):
        with open(os.path.join(ROOT, path), "rb") as fh:
            bug = tomllib.load(fh)["bug"]
        variants = by_file[path]
        cols = []
        for name in ("buggy", "fixed"):
            v = variants.get(name)
            if v is None or not v.get("cells"):
                cols.append("error" if v is not None else "-")
                continue
            cell = v["cells"][0]
            cols.append(("" if v["ok"] else "UNEXPECTED: ") + cell_text(cell))
            if name == "buggy":
                for w in cell.get("violations", [])[:1]:
                    replays.append((bug["id"], w["replay"]))
        commits = ", ".join(bug.get("commits", []))
        text += (f"| {bug['id']} (`{os.path.basename(path)}`) | {commits} | "
                 f"{bug['summary']} | {cols[0]} | {cols[1]} |\n")
    text += "\n## Replay commands of the buggy variants\n\n"
    for bug_id, cmd in replays:
        text += f"- {bug_id}: `{cmd}`\n"
    text += TAIL
    if update:
        with open(DOC, "w", encoding="utf-8") as fh:
            fh.write(text)
        return 0
    try:
        with open(DOC, encoding="utf-8") as fh:
            current = fh.read()
    except OSError:
        current = ""
    if current != text:
        sys.stderr.write("docs/bugs.md is stale: run python3 tests/bugs_doc.py "
                         "build/release/pfnsim --update\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
