#!/bin/sh
# Bad input gets one line on stderr naming the bad value and exit code 2, never a crash.
pfnsim="$1"
fail=0
expect2() {
    out=$("$pfnsim" "$@" 2>&1 >/dev/null)
    code=$?
    lines=$(printf '%s\n' "$out" | wc -l)
    if [ "$code" -ne 2 ] || [ "$lines" -ne 1 ]; then
        echo "FAIL: pfnsim $* -> exit $code, $lines line(s): $out"
        fail=1
    else
        echo "ok: pfnsim $* -> $out"
    fi
}
expect2 run scenarios/seed-split-refault.toml --policy nope
expect2 run scenarios/seed-split-refault.toml --policy bounded:x
expect2 explore scenarios/seed-split-refault.toml --strategy dfs
expect2 explore scenarios/seed-split-refault.toml --depth 2
expect2 explore scenarios/seed-split-refault.toml --strategy pct --depth 0
expect2 replay scenarios/seed-split-refault.toml --schedule '1.a3q'
expect2 replay scenarios/seed-split-refault.toml --schedule '1.b3aba3b8a6ba4b3aba2ba2ba5-0000'
expect2 replay scenarios/seed-split-refault.toml --schedule '7.ab'
expect2 replay scenarios/seed-split-refault.toml --schedule '1.ab'
expect2 replay scenarios/seed-split-refault.toml
expect2 run no/such/file.toml
expect2
expect2 run tests/data/bad-unknown-key.toml
expect2 run tests/data/bad-syntax.toml
expect2 run tests/data/bad-entry-outside-vma.toml
expect2 run scenarios/seed-split-refault.toml --seed notanumber
expect2 frobnicate
expect2 stats scenarios/seed-split-refault.toml --policy sometimes
expect2 run tests/data/bad-unknown-key.toml --policy gup-style
expect2 sweep scenarios/seed-split-refault.toml
expect2 sweep scenarios/seed-split-refault.toml --preemptions some
expect2 sweep scenarios/seed-split-refault.toml --preemptions 1 --faults many
expect2 sweep scenarios/seed-split-refault.toml --preemptions 1 --shard 4/4
expect2 sweep scenarios/seed-split-refault.toml --preemptions 1 --shard 1
expect2 sweep scenarios/seed-split-refault.toml --preemptions 1 --jobs 0
expect2 sweep scenarios/seed-split-refault.toml --preemptions 1 --policy nope
expect2 sweep scenarios/seed-split-refault.toml --preemptions 1 --checkpoint tests/data/bad-syntax.toml
expect2 merge no/such/shard.json
expect2 sweep scenarios/seed-split-refault.toml --preemptions 1 --audit-states
expect2 sweep scenarios/seed-split-refault.toml --preemptions all --stateless --stateful
expect2 merge tests/data/recorded.toml
expect2 replay scenarios/seed-split-refault.toml --faults x --seed 1
# Numbers: negative, beyond 64 bits, zero where meaningless, out of range (the same rules as
# the scenario keys: include/pfnsim/model/limits.hpp).
s=scenarios/seed-split-refault.toml
expect2 explore $s --iterations -1
expect2 explore $s --iterations 0
expect2 explore $s --seed -1
expect2 explore $s --seed 18446744073709551616
expect2 explore $s --step-bound 0
expect2 run $s --step-bound 99999999999
expect2 matrix $s --iterations 1000000001
expect2 stats $s --seed 1x
expect2 sweep $s --preemptions 1 --max-executions 0
expect2 sweep $s --preemptions 1 --max-states -5
expect2 sweep $s --preemptions 1 --time-limit -3
expect2 sweep $s --preemptions 1 --time-limit nan
expect2 sweep $s --preemptions -1
expect2 sweep $s --preemptions 1001
expect2 sweep $s --preemptions 1 --faults 1001
expect2 sweep $s --preemptions 1 --jobs 1025
"$pfnsim" explore $s --iterations -1 2>&1 | grep -q "^pfnsim: --iterations: bad value '-1' (valid: 1..1000000000 executions)" || {
    echo "FAIL: --iterations -1 does not name the valid range"; fail=1; }
"$pfnsim" explore $s --iterations 0x10 --quiet --json | python3 -c '
import json, sys
assert json.load(sys.stdin)["executions"] == 16' || { echo "FAIL: --iterations 0x10"; fail=1; }
# A keyed schedule replays only on what it was recorded for (another scenario, another policy).
sched=$("$pfnsim" run scenarios/seed-split-refault.toml --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["schedule"])')
expect2 replay scenarios/pin-zap-race.toml --schedule "$sched"
expect2 replay scenarios/seed-split-refault.toml --policy eagain --schedule "$sched"
"$pfnsim" replay scenarios/seed-split-refault.toml --schedule "$sched" >/dev/null || fail=1
"$pfnsim" replay scenarios/seed-split-refault.toml --policy eagain --schedule "$sched" 2>&1 |
    grep -q "recorded for scenarios/seed-split-refault.toml under --policy original" || {
    echo "FAIL: a schedule of another policy does not name it"; fail=1; }
"$pfnsim" --version | grep -Eq '^pfnsim [0-9]+\.[0-9]+\.[0-9]+ \(.+\) model [0-9]+$' || {
    echo "FAIL: --version"; fail=1; }
# Help: every command's states its defaults, an example and its exit codes; help CMD is --help.
for c in run explore replay sweep merge matrix stats check help; do
    h=$("$pfnsim" help "$c") || { echo "FAIL: help $c exit $?"; fail=1; }
    for want in "Usage: pfnsim $c" "Example:" "Exit codes:" "  2    bad input"; do
        case "$h" in *"$want"*) ;; *) echo "FAIL: help $c lacks '$want'"; fail=1 ;; esac
    done
    [ "$h" = "$("$pfnsim" "$c" --help)" ] || { echo "FAIL: help $c is not $c --help"; fail=1; }
done
# (help text is wrapped to 80 columns: joined into one line first)
"$pfnsim" help check | tr '\n' ' ' | tr -s ' ' |
    grep -q -- "--junit TEXT also write the results as JUnit XML to FILE (default: none)" || {
    echo "FAIL: help check states no --junit default"; fail=1; }
"$pfnsim" help | grep -q "^Subcommands:" || { echo "FAIL: help prints no overview"; fail=1; }
expect2 help nosuch
# A mistyped command or option: one line, exit 2, the nearest real name.
expect_line() {
    want="$1"
    shift
    out=$("$pfnsim" "$@" 2>&1 >/dev/null)
    code=$?
    if [ "$code" -ne 2 ] || [ "$out" != "$want" ]; then
        echo "FAIL: pfnsim $* -> exit $code: $out (want: $want)"
        fail=1
    else
        echo "ok: pfnsim $* -> $out"
    fi
}
expect_line "pfnsim: unknown command 'nosuch' (valid: run, explore, replay, sweep, merge, matrix, stats, check, help)" help nosuch
expect_line "pfnsim: unknown command 'swep' (did you mean 'sweep'?)" swep scenarios/seed-split-refault.toml
expect_line "pfnsim: unknown command 'chekc' (did you mean 'check'?)" help chekc
expect_line "pfnsim: unknown run option '--polcy' (did you mean '--policy'?)" run scenarios/seed-split-refault.toml --polcy eagain
expect_line "pfnsim: unknown check option '--formta' (did you mean '--format'?)" check --formta=ktap
expect_line "pfnsim: unknown option '--verison' (did you mean '--version'?)" --verison
# Hand-edited shards, devices and directories are refused before they are read (exit 2). The
# edits below fail the shard's checksum; tests/fault_tests.py reseals them, so that the field
# checks behind the checksum are what refuses them.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$pfnsim" sweep scenarios/seed-split-refault.toml --preemptions 1 --shard 0/2 --quiet >"$tmp/s0.json"
python3 - "$tmp" <<'PY'
import json, sys
t = sys.argv[1]
d = json.load(open(t + "/s0.json"))
edits = {"count0": ("shard", "count", 0), "index": ("shard", "index", 70000),
         "count-big": ("shard", "count", 4294967295), "negative": (None, "executions", -5),
         "above-u64": (None, "executions", 2**64)}
for name, (outer, key, value) in edits.items():
    e = json.loads(json.dumps(d))
    (e[outer] if outer else e)[key] = value
    json.dump(e, open(f"{t}/{name}.json", "w"))
PY
for f in count0 index count-big negative above-u64; do expect2 merge "$tmp/$f.json"; done
# A stopped shard edited to say it is complete is not a certificate.
"$pfnsim" sweep scenarios/seed-split-refault.toml --preemptions 2 --shard 0/2 --quiet \
    --max-executions 5 | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert not d["complete"] and d["shard"]["tasks_done"] < d["shard"]["tasks"], d["shard"]
d["complete"] = True
d.pop("stopped", None)
json.dump(d, sys.stdout)' >"$tmp/forged.json" || fail=1
expect2 merge "$tmp/forged.json"
expect2 sweep scenarios/seed-split-refault.toml --preemptions 1 --checkpoint /dev/null
printf '{"executions": 1E999}' >"$tmp/overflow.json"
expect2 merge "$tmp/overflow.json"
# toml++ 3.3 reaches TOML_UNREACHABLE classifying U+0172 (bytes c5 b2) after a space.
printf 'name = "x"\n \305\262\n' >"$tmp/unreachable.toml"
expect2 run "$tmp/unreachable.toml"
printf 'name = "\377"\n' >"$tmp/not-utf8.toml"
expect2 run "$tmp/not-utf8.toml"
expect2 run /dev/zero
expect2 merge /dev/zero
expect2 check /dev/zero
mkdir "$tmp/dir"
expect2 sweep scenarios/seed-split-refault.toml --preemptions 1 --checkpoint "$tmp/dir"
# A good run exits 0 or 1, prints a trace, and --json is one JSON document.
"$pfnsim" run scenarios/pin-mem-disabled.toml --json | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["results"]["pin"] == "-EFAULT", d' || fail=1
# A livelock in --json carries its proof; stats gives a retry histogram per policy.
"$pfnsim" explore scenarios/lockstep-split.toml --policy eagain --iterations 300 --json --no-minimize | python3 -c '
import json, sys
d = json.load(sys.stdin)
v = [v for v in d["violations"] if v["kind"] == "livelock"][0]
assert v["proof"] == "cycle" and v["stuck"] == ["pin"] and v["killable"] is True, v
assert v["spins_under"] == ["none"] and v["yields_under"] == ["voluntary", "full"], v
assert "mm.mmap_lock (read)" in v["locks_held"] and v["cycle_length"] > 0, v
' || fail=1
"$pfnsim" stats scenarios/lockstep-split.toml --policy bounded:0 --iterations 300 --json | python3 -c '
import json, sys
d = json.load(sys.stdin)["policies"][0]
assert d["policy"] == "bounded:0" and d["executions"] == 300 and d["retries_max"] == 1, d
assert sum(d["results"].values()) == 300 and "-EBUSY" in d["results"], d
' || fail=1
# An injected page-table allocation failure (a sweep fault site) surfaces as -ENOMEM, and the
# oracle accepts it only because the failure was injected.
"$pfnsim" sweep scenarios/pin-lazy-fault.toml --preemptions 0 --faults 1 --quiet --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["complete"] and not d["violations"], d["violations"]
assert "-ENOMEM" in d["results"]["pin_pmd"] and "-ENOMEM" in d["results"]["cpu"], d["results"]
' || fail=1
# An old policy name is accepted with a note on stderr, from the command line and from a file.
note=$("$pfnsim" explore scenarios/seed-split-refault.toml --policy gup-style --iterations 5 \
    --quiet 2>&1 >/dev/null)
case "$note" in
"--policy: note: policy 'gup-style' is now called 'return-to-user'"*) echo "ok: --policy note" ;;
*) echo "FAIL: no note for --policy gup-style: $note"; fail=1 ;;
esac
tmp=$(mktemp -d)
printf '%s\n' 'name = "old"' 'policy = "gup-style"' '[[actor]]' 'name = "z"' 'kind = "split"' \
    '[expect.policies]' 'gup-style = "clean"' > "$tmp/old.toml"
for cmd in "explore $tmp/old.toml --iterations 5 --quiet" "check $tmp/old.toml --quiet"; do
    # shellcheck disable=SC2086
    note=$("$pfnsim" $cmd 2>&1 >/dev/null)
    code=$?
    case "$note" in
    "$tmp/old.toml:2:10: note: policy 'gup-style' is now called"*)
        echo "ok: file note from $cmd (exit $code)" ;;
    *) echo "FAIL: no note for policy = gup-style from $cmd: $note"; fail=1 ;;
    esac
    [ "$code" -eq 0 ] || { echo "FAIL: $cmd exit $code"; fail=1; }
done
rm -rf "$tmp"
# --kernel KEY=VALUE: the scenario file's [kernel] keys and values, with the file's messages, on
# every command that takes a policy; matrix --policy and --caller are comma lists.
kvalid="(valid: pagewalk, follow_pfnmap, follow_pfnmap_errno, preempt, rwsem, arch, vaddr_get_pfn, hva_to_pfn_remapped, s390_pci_mmio, generic_access_phys, acrn_vm_ram_map, vfio_pci_mmap_huge_fault, vfio_pci_mmap, vfio_pci_memory_enabled, lock_vma_under_rcu, vm_flags_set, vfio_pci_rdwr, vfio_pci_hot_reset, vfio_pci_hot_reset_info)"
expect_line "pfnsim: --kernel preemt=full: unknown key 'preemt' in [kernel] $kvalid" run $s --kernel preemt=full
expect_line "pfnsim: --kernel preempt=lazy: unknown preempt model 'lazy' (valid: none, voluntary, full)" explore $s --kernel preempt=lazy
expect_line "pfnsim: --kernel rwsem=fair: unknown rwsem variant 'fair' (valid: linux, fifo)" sweep $s --preemptions 1 --kernel rwsem=fair
expect_line "pfnsim: --kernel pagewalk=old: unknown pagewalk variant 'old' (valid: current, pre-3b89863c3fa4)" replay $s --seed 1 --kernel pagewalk=old
expect_line "pfnsim: --kernel follow_pfnmap_errno=eperm: unknown follow_pfnmap_errno 'eperm' (valid: einval, enoent)" matrix $s --kernel follow_pfnmap_errno=eperm
expect_line "pfnsim: --kernel follow_pfnmap=old: unknown follow_pfnmap variant 'old' (valid: current, pre-ffef67b93aa3)" check $s --kernel follow_pfnmap=old
# An empty [kernel] value in a file is refused (leaving the key out is how to leave it unset).
tmp=$(mktemp -d)
printf 'name = "a"\n[kernel]\nfollow_pfnmap_errno = ""\n[[actor]]\nname = "z"\nkind = "zap"\n' >"$tmp/e.toml"
expect_line "pfnsim: $tmp/e.toml:3:23: empty follow_pfnmap_errno (valid: einval, enoent; leave the key out for unset)" run "$tmp/e.toml"
printf 'name = "a"\n[kernel]\narch = ""\n[[actor]]\nname = "z"\nkind = "zap"\n' >"$tmp/e.toml"
expect_line "pfnsim: $tmp/e.toml:3:8: empty architecture (valid: x86_64, arm64, s390)" run "$tmp/e.toml"
rm -rf "$tmp"
expect2 stats $s --kernel preempt
expect2 matrix $s --policy original,nope
expect2 matrix $s --policy original,original
expect2 matrix scenarios/patchset --caller VFIO,XEN
expect_line "pfnsim: --caller: unknown caller 'VFIO' (valid: none: no file has a [matrix] caller)" matrix $s --caller VFIO
# The same bad value in a file names it at its line and column.
tmp=$(mktemp -d)
printf '%s\n' 'name = "k"' '[kernel]' 'preempt = "lazy"' '[[actor]]' 'name = "z"' 'kind = "split"' > "$tmp/k.toml"
expect_line "pfnsim: $tmp/k.toml:3:11: unknown preempt model 'lazy' (valid: none, voluntary, full)" run "$tmp/k.toml"
# A schedule recorded under a --kernel variant is refused without it, naming the option.
ksched=$("$pfnsim" run $s --kernel preempt=voluntary --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["schedule"])')
"$pfnsim" replay $s --kernel preempt=voluntary --schedule "$ksched" >/dev/null || fail=1
expect2 replay $s --schedule "$ksched"
"$pfnsim" replay $s --schedule "$ksched" 2>&1 |
    grep -q "under --policy original --kernel preempt=voluntary, not --policy original " || {
    echo "FAIL: a schedule of another --kernel variant does not name it"; fail=1; }
# Bug files (scenarios/bugs): a variant's kernel value, verdict or expectation that is wrong.
b24=scenarios/bugs/B24-follow-pfnmap-stale-pud.toml
sed 's/follow_pfnmap = "pre-ffef67b93aa3"/follow_pfnmap = "old"/' $b24 >"$tmp/b-kernel.toml"
expect_line "pfnsim: $tmp/b-kernel.toml:15:28: unknown follow_pfnmap variant 'old' (valid: current, pre-ffef67b93aa3)" check "$tmp/b-kernel.toml"
sed 's/expect = "clean"/expect = "clean: x"/' $b24 >"$tmp/b-clean.toml"
expect_line "pfnsim: $tmp/b-clean.toml:19:10: 'clean: x': only a violation names something after ': '" check "$tmp/b-clean.toml"
sed 's/expect = "invariant: I-PFN"/expect = "oops: I-PFN"/' $b24 >"$tmp/b-expect.toml"
out=$("$pfnsim" check "$tmp/b-expect.toml" 2>&1 >/dev/null); code=$?
case "$out" in
"pfnsim: $tmp/b-expect.toml:16:10: unknown verdict 'oops: I-PFN' (valid: clean, "*) [ $code -eq 2 ] || { echo "FAIL: b-expect exit $code"; fail=1; } ;;
*) echo "FAIL: b-expect: $out"; fail=1 ;;
esac
# A buggy variant whose violation does not name what the file says is not as expected (exit 1).
sed 's/expect = "invariant: I-PFN"/expect = "invariant: I-XYZ"/' $b24 >"$tmp/b-detail.toml"
out=$("$pfnsim" check "$tmp/b-detail.toml" --format ktap 2>&1); code=$?
if [ $code -ne 1 ] || ! printf '%s' "$out" | grep -q "not ok 1 .*b-detail.toml \[buggy\] # certified" ||
   ! printf '%s' "$out" | grep -q "got invariant, expected invariant: I-XYZ"; then
    echo "FAIL: a detail the violation does not name passed (exit $code)"; fail=1
fi
rm -rf "$tmp"
exit $fail
