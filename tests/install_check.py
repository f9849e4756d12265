#!/usr/bin/env python3
"""`cmake --install` into a temporary DESTDIR: the binary, pfnsim(1), the docs and the scenarios
are there; the man page has NAME, SYNOPSIS and every command with every option its help lists
(read without groff; `man -l` too where man is installed); the installed binary runs --version
and finds the installed scenarios. Where cpack and dpkg-deb are available, `cpack -G DEB`: the
.deb holds the same files, and its Depends names exactly the packages of the shared libraries
the binary links.
usage: install_check.py CMAKE CPACK BUILD_DIR SOURCE_DIR"""
import filecmp
import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

CMAKE, CPACK, BUILD, SOURCE = sys.argv[1:5]
failures = []


def check(cond, what):
    print(("ok: " if cond else "FAIL: ") + what)
    if not cond:
        failures.append(what)


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def source_files(sub):
    """The files under SOURCE/sub, relative to SOURCE/sub."""
    top = os.path.join(SOURCE, sub)
    return sorted(os.path.relpath(os.path.join(d, f), top)
                  for d, _, fs in os.walk(top) for f in fs)


def commands_of(help_text):
    """The command names in the Subcommands section of `pfnsim help`."""
    names, inside = [], False
    for line in help_text.splitlines():
        if re.fullmatch(r"[A-Z][A-Za-z ]*:", line):
            inside = line == "Subcommands:"
        elif inside and line.startswith("  ") and line[2:3] != " ":
            names.append(line.split()[0])
    return names


def long_options(help_text):
    """The long options an `Options:` section lists, e.g. --seed."""
    opts, inside = [], False
    for line in help_text.splitlines():
        if re.fullmatch(r"[A-Z][A-Za-z ]*:", line):
            inside = line == "Options:"
        elif inside:
            m = re.match(r"  (?:-\w,)?(--[a-z][a-z-]*)", line)
            if m:
                opts.append(m.group(1))
    return opts


def tagged(roff, option):
    """Whether an option is the tag of a .TP paragraph in the roff text, in bold."""
    tags = re.findall(r"^\.TP\n(.*)$", roff, re.M)
    esc = option.replace("-", "\\-")
    return any(re.match(r"\\fB(\\-\w,)?" + re.escape(esc) + r"\\fR", t) for t in tags)


def check_manpage(page, pfnsim):
    lines = page.splitlines()
    sections = [l[4:].strip('"') for l in lines if l.startswith(".SH ")]
    check(any(l.startswith(".TH PFNSIM 1 ") for l in lines), "man: .TH PFNSIM 1")
    check(sections[:2] == ["NAME", "SYNOPSIS"], f"man: NAME then SYNOPSIS first ({sections})")
    name = lines[lines.index(".SH NAME") + 1] if ".SH NAME" in lines else ""
    check(name.startswith("pfnsim \\- ") and len(name) > 20, f"man: NAME line '{name}'")
    synopsis = page.split(".SH SYNOPSIS", 1)[-1].split("\n.SH ", 1)[0]
    top = run([pfnsim, "help"]).stdout
    cmds = commands_of(top)
    check(len(cmds) >= 9, f"pfnsim help lists the commands ({' '.join(cmds)})")
    subsections = {}
    for part in page.split("\n.SS ")[1:]:
        title, _, body = part.partition("\n")
        subsections[title] = body.split("\n.SH ", 1)[0]
    check(sorted(subsections) == sorted(cmds), "man: one .SS per command, and no other")
    for cmd in cmds:
        check(f".B pfnsim\n{cmd} " in synopsis, f"man: SYNOPSIS names pfnsim {cmd}")
        body = subsections.get(cmd, "")
        opts = long_options(run([pfnsim, "help", cmd]).stdout)
        check(opts, f"pfnsim help {cmd} lists options")
        missing = [o for o in opts if not tagged(body, o)]
        check(not missing, f"man: {cmd} has every option of its help (missing: {missing})")
        check(".B Exit codes:" in body, f"man: {cmd} has its exit codes")
    for o in long_options(top):
        check(tagged(page.split(".SH OPTIONS", 1)[-1].split("\n.SH ", 1)[0], o),
              f"man: OPTIONS has {o}")
    check("\n-" not in page and not re.search(r"[^\\]\\[^efI&B R\"\-(]", page.replace("\\fR", "")),
          "man: no unescaped leading '-' nor stray escapes")


def check_installed(root, prefix):
    bindir = os.path.join(root, prefix.lstrip("/"), "bin")
    share = os.path.join(root, prefix.lstrip("/"), "share")
    pfnsim = os.path.join(bindir, "pfnsim")
    check(os.access(pfnsim, os.X_OK), f"{prefix}/bin/pfnsim installed, executable")
    man = os.path.join(share, "man/man1/pfnsim.1.gz")
    check(os.path.isfile(man), f"{prefix}/share/man/man1/pfnsim.1.gz installed")
    doc = os.path.join(share, "doc/pfnsim")
    check(os.path.isfile(os.path.join(doc, "README.md")), "README.md in share/doc/pfnsim")
    for f in source_files("docs"):
        check(filecmp.cmp(os.path.join(SOURCE, "docs", f), os.path.join(doc, "docs", f), False)
              if os.path.isfile(os.path.join(doc, "docs", f)) else False,
              f"share/doc/pfnsim/docs/{f} installed, as in the tree")
    scen = os.path.join(share, "pfnsim/scenarios")
    tree = source_files("scenarios")
    check(len(tree) > 10, f"{len(tree)} scenario files in the tree")
    got = sorted(os.path.relpath(os.path.join(d, f), scen) for d, _, fs in os.walk(scen) for f in fs)
    check(got == tree, "share/pfnsim/scenarios holds exactly the tree's scenario files")
    check(all(filecmp.cmp(os.path.join(SOURCE, "scenarios", f), os.path.join(scen, f), False)
              for f in tree if f in got), "the installed scenario files are the tree's")
    if not os.access(pfnsim, os.X_OK) or not os.path.isfile(man):
        return
    v = run([pfnsim, "--version"])
    check(v.returncode == 0 and re.fullmatch(r"pfnsim \d+\.\d+\.\d+ \(.*\) model \d+\n", v.stdout),
          f"installed pfnsim --version: {v.stdout.strip()!r} (exit {v.returncode})")
    with gzip.open(man, "rt") as f:
        page = f.read()
    check_manpage(page, pfnsim)
    if shutil.which("man"):
        r = run(["man", "--warnings", "-l", man], env=dict(os.environ, MANWIDTH="80"))
        check(r.returncode == 0 and "SYNOPSIS" in r.stdout and not r.stderr.strip(),
              f"man -l formats it without warnings ({r.stderr.strip()[:200]!r})")
    # The installed binary, outside any checkout, finds the installed flagship scenarios.
    with tempfile.TemporaryDirectory() as cwd:
        m = run([pfnsim, "matrix", "--random", "--iterations", "1", "--quiet", "--json"], cwd=cwd)
        try:
            paths = sorted({c.get("file", "") for c in json.loads(m.stdout).get("cells", [])})
        except ValueError:
            paths = []
        check(m.returncode in (0, 1) and paths and
              all(os.path.realpath(p).startswith(os.path.realpath(scen) + "/") for p in paths),
              f"installed pfnsim matrix reads {prefix}/share/pfnsim/scenarios ({paths[:1]})")


def package_of(lib_path):
    r = run(["dpkg", "-S", lib_path])
    if r.returncode != 0:
        r = run(["dpkg", "-S", os.path.realpath(lib_path)])
    return r.stdout.split(":", 1)[0].strip() if r.returncode == 0 else None


def check_deb(tmp):
    out = os.path.join(tmp, "pkg")
    r = run([CPACK, "-G", "DEB", "--config", os.path.join(BUILD, "CPackConfig.cmake"), "-B", out])
    debs = [f for f in os.listdir(out) if f.endswith(".deb")] if os.path.isdir(out) else []
    check(r.returncode == 0 and len(debs) == 1, f"cpack -G DEB builds one .deb ({debs}) "
          f"{r.stderr.strip()[-300:]}")
    if len(debs) != 1:
        return
    deb = os.path.join(out, debs[0])
    listing = run(["dpkg-deb", "-c", deb]).stdout
    names = {l.split()[-1] for l in listing.splitlines() if l.strip()}
    for want in ["./usr/bin/pfnsim", "./usr/share/man/man1/pfnsim.1.gz",
                 "./usr/share/doc/pfnsim/README.md", "./usr/share/pfnsim/scenarios/"
                 "seed-split-refault.toml"]:
        check(want in names, f".deb contains {want}")
    depends = run(["dpkg-deb", "-f", deb, "Depends"]).stdout.strip()
    dep_names = {d.split()[0] for d in re.split(r",\s*", depends) if d}
    binary = os.path.join(BUILD, "pfnsim")
    needed = re.findall(r"NEEDED\s+(\S+)", run(["objdump", "-p", binary]).stdout)
    check(needed, f"objdump -p: the binary links {needed}")
    resolved = dict(re.findall(r"^\s*(\S+) => (\S+)", run(["ldd", binary]).stdout, re.M))
    pkgs = {package_of(resolved.get(n, n)) for n in needed}
    check(None not in pkgs, f"every linked library belongs to a package ({pkgs})")
    pkgs = {p for p in pkgs if p}
    check(dep_names == pkgs, f"Depends '{depends}' names exactly {sorted(pkgs)}")
    check(not any("boost" in n for n in needed) or any("boost" in p for p in dep_names),
          "Boost: linked statically, or depended on")


def main():
    with tempfile.TemporaryDirectory() as tmp:
        root = os.path.join(tmp, "root")
        r = run([CMAKE, "--install", BUILD, "--prefix", "/usr"], env=dict(os.environ, DESTDIR=root))
        check(r.returncode == 0, f"DESTDIR=... cmake --install --prefix /usr {r.stderr.strip()}")
        check_installed(root, "/usr")
        if shutil.which("dpkg-deb") and os.access(CPACK, os.X_OK):
            check_deb(tmp)
        else:
            print("skipped: the .deb (no cpack or dpkg-deb)")
    if failures:
        print(f"{len(failures)} failed")
        sys.exit(1)


main()
