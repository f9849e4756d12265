#!/usr/bin/env bash
# Builds the fuzz preset and runs every libFuzzer target for SECONDS (default 60) on a copy of
# its seed corpus (tests/fuzz/corpus/TARGET); fails on any finding. Targets: all, or those named.
#   tests/fuzz/run.sh [SECONDS] [TARGET...]
# Needs clang++-14 and libFuzzer (Debian: clang-14, libclang-rt-14-dev); skips without them.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(scenario schedule checkpoint stateful merge)

if ! command -v clang++-14 >/dev/null ||
   ! ls /usr/lib/llvm-14/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1; then
    echo "fuzz: skipped (needs clang++-14 and libFuzzer: apt-get install clang-14 libclang-rt-14-dev)"
    exit 0
fi
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j"${FUZZ_BUILD_JOBS:-1}" >/dev/null

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The fibers' stacks are not announced to ASan yet: no stack checks (as the asan preset).
export ASAN_OPTIONS=detect_stack_use_after_return=0:detect_leaks=1
export UBSAN_OPTIONS=print_stacktrace=1
fail=0
for t in "${targets[@]}"; do
    mkdir -p "$work/$t/corpus" "$work/$t/artifacts"
    cp tests/fuzz/corpus/"$t"/* "$work/$t/corpus/"
    log="$work/$t/log"
    if build/fuzz/tests/fuzz/fuzz_"$t" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 \
        -max_len=8192 -print_final_stats=1 -artifact_prefix="$work/$t/artifacts/" \
        "$work/$t/corpus" >"$log" 2>&1; then
        status=ok
    else
        status=FINDING
        fail=1
    fi
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    cov=$(grep -Eo 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' "$log" | tail -1)
    echo "fuzz_$t: $status, ${seconds}s, ${runs:-?} executions, ${cov:-no coverage line}"
    if [ "$status" != ok ]; then
        grep -E 'ERROR|SUMMARY|runtime error|Test unit written|deadly signal' "$log" | head -20
        mkdir -p build/fuzz/findings
        cp "$work/$t/artifacts/"* build/fuzz/findings/ 2>/dev/null || true
        echo "  inputs kept in build/fuzz/findings/"
    fi
done
exit $fail
