// Many executions under one strategy, with the results seen and one witness per violation.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "pfnsim/sim/execution.hpp"
#include "pfnsim/sim/program.hpp"
#include "pfnsim/sim/strategy.hpp"
#include "pfnsim/sim/witness.hpp"

namespace pfnsim::sim {

struct ExploreConfig {
    std::uint64_t iterations = 1000;
    std::uint64_t seed = 1;  // execution i runs with derive_seed(seed, i)
    ExecutionConfig exec;
    bool stop_on_first = false;
    // Nonzero (a SIGINT): stop at the next execution boundary, with what was found so far.
    const std::atomic<unsigned>* interrupts = nullptr;
};

// The executions run, with witnesses that replay by seed (the best of each violation's, as
// better_witness orders them).
struct ExploreReport : Tally {
    bool interrupted = false;  // stopped by `interrupts` before its iterations
};

using Progress = std::function<void(std::uint64_t done, std::uint64_t total)>;

ExploreReport explore(Program& program, Strategy& strategy, const ExploreConfig& config,
                      const Progress& progress = {});

}  // namespace pfnsim::sim
