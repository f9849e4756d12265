#!/usr/bin/env bash
# Builds the fuzz preset and runs every libFuzzer target for SECONDS (default 60) on a copy of
# its seed corpus (tests/fuzz/corpus/TARGET, the shipped scenarios for the scenario target, and
# the checkpoints and shards the target itself writes: tests/fuzz/seeds.hpp); fails on any
# finding, or when a seed the target wrote is refused. Targets: all, or those named.
#   tests/fuzz/run.sh [SECONDS] [TARGET...]
# Needs clang++-14 and libFuzzer (Debian: clang-14, libclang-rt-14-dev); skips without them.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(scenario schedule checkpoint stateful merge names)

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
    mkdir -p "$work/$t/corpus" "$work/$t/artifacts" "$work/$t/seeds"
    # The committed corpus holds hand-made and regression inputs; the seeds that must get past
    # the reader's envelope and key are made here by this build (tests/fuzz/seeds.hpp), and each
    # must be accepted, or the fuzzer would never reach the code behind the reader.
    cp tests/fuzz/corpus/"$t"/* "$work/$t/corpus/" 2>/dev/null || true
    case $t in
        scenario) cp scenarios/*.toml scenarios/patchset/*.toml "$work/$t/corpus/" ;;
        checkpoint | stateful | merge)
            if ! PFNSIM_FUZZ_SEEDS="$work/$t/seeds" build/fuzz/tests/fuzz/fuzz_"$t" \
                >"$work/$t/seeds.log" 2>&1 ||
                ! PFNSIM_FUZZ_STRICT=1 build/fuzz/tests/fuzz/fuzz_"$t" "$work/$t/seeds"/* \
                    >>"$work/$t/seeds.log" 2>&1; then
                echo "fuzz_$t: FAILED: its own seeds are not accepted by its reader"
                grep -E 'fuzz|ERROR|error' "$work/$t/seeds.log" | head -5
                fail=1
                continue
            fi
            cp "$work/$t/seeds"/* "$work/$t/corpus/"
            ;;
    esac
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
    # How much of the final corpus gets past the reader (docs/reliability.md).
    if [ "$status" = ok ] && [ "$t" != scenario ] && [ "$t" != schedule ] && [ "$t" != names ]; then
        PFNSIM_FUZZ_REPORT=1 build/fuzz/tests/fuzz/fuzz_"$t" -runs=0 "$work/$t/corpus" 2>&1 |
            sed -n 's/^fuzz report: /  /p' | tail -1
    fi
    if [ "$status" != ok ]; then
        grep -E 'ERROR|SUMMARY|runtime error|Test unit written|deadly signal' "$log" | head -20
        mkdir -p build/fuzz/findings
        cp "$work/$t/artifacts/"* build/fuzz/findings/ 2>/dev/null || true
        echo "  inputs kept in build/fuzz/findings/"
    fi
done
exit $fail
