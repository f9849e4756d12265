// Many executions under one strategy, with verdicts, witnesses and a determinism self-check.
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

namespace pfnsim::sim {

struct ExploreConfig {
    std::uint64_t iterations = 1000;
    std::uint64_t seed = 1;  // execution i runs with derive_seed(seed, i)
    ExecutionConfig exec;
    bool stop_on_first = false;
};

struct Witness {
    Violation violation;
    std::uint64_t seed = 0;      // replays with `replay --seed`
    std::string schedule;        // replays with `replay --schedule`
    std::uint64_t count = 0;     // executions that showed this violation
    std::uint64_t length = 0;    // steps of the witness execution
    std::optional<Lasso> lasso;  // for a livelock: the cycle that proves it
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

// Runs the witness again from its seed (with `strategy`) and from its schedule; returns an
// empty string when both reproduce the trace hash, else what differed.
std::string self_check(Program& program, Strategy& strategy, const Outcome& original,
                       const ExecutionConfig& config);

}  // namespace pfnsim::sim
