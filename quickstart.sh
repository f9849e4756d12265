#!/usr/bin/env bash
# pfnsim quick start on Debian 12: installs what is missing, builds, then
#   ./quickstart.sh        runs the flagship job (the seed race under every retry policy)
#   ./quickstart.sh test   runs the whole test suite (release, then ASan+UBSan) through ctest,
#                          then a 4-shard sweep of the seed race with GNU parallel, merged,
#                          the benchmark once, briefly, so that it cannot rot, and each fuzz
#                          target for a minute
set -euo pipefail
cd "$(dirname "$0")"

packages=(cmake g++ make python3 libboost-fiber-dev libboost-context-dev libfmt-dev libcli11-dev
          catch2 libtomlplusplus-dev nlohmann-json3-dev libbenchmark-dev parallel
          clang-14 libclang-rt-14-dev dpkg-dev file)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    sudo=()
    [ "$(id -u)" -eq 0 ] || sudo=(sudo)
    echo "installing: ${missing[*]}" >&2
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi

jobs=$(nproc)
build() {
    cmake --preset "$1" >/dev/null
    cmake --build --preset "$1" -j"$jobs"
}

case "${1:-demo}" in
    demo)
        build release >/dev/null
        ./build/release/pfnsim matrix
        ;;
    test)
        build release
        ctest --preset release -j"$jobs"
        # Only that it builds and runs: figures from this are meaningless (docs/performance.md).
        cmake --build --preset release -j"$jobs" --target pfnsim-bench
        ./build/release/bench/pfnsim-bench --benchmark_min_time=0.01
        build asan
        ctest --preset asan -j"$jobs"
        # The sharded sweep as a job engine runs it (docs/scaling.md), here on this machine.
        shards=$(mktemp -d)
        trap 'rm -rf "$shards"' EXIT
        parallel --will-cite --halt now,fail=1 -j"$jobs" \
            ./build/release/pfnsim sweep scenarios/seed-split-refault.toml --preemptions 2 \
            --shard {}/4 --quiet '>' "$shards"/shard-{}.json ::: 0 1 2 3
        ./build/release/pfnsim merge "$shards"/shard-*.json
        # Every fuzz target for a minute on its corpus (docs/reliability.md); fails on a finding.
        FUZZ_BUILD_JOBS="$jobs" tests/fuzz/run.sh 60
        ;;
    *)
        echo "usage: $0 [demo|test]" >&2
        exit 2
        ;;
esac
