// Many executions under one strategy, with the results seen and one witness per violation.
#pragma once

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
};

struct ExploreReport {
    std::uint64_t executions = 0;
    std::uint64_t steps = 0;
    // Per actor: result text -> executions that ended with it.
    std::vector<std::map<std::string, std::uint64_t>> results;
    std::vector<Witness> violations;  // unique (kind, actor, detail), first witness each
};

using Progress = std::function<void(std::uint64_t done, std::uint64_t total)>;

ExploreReport explore(Program& program, Strategy& strategy, const ExploreConfig& config,
                      const Progress& progress = {});

}  // namespace pfnsim::sim
