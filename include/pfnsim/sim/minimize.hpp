// Minimisation of a violating execution: fewest preemptions first, then delta debugging over the
// choices that deviate from a non-preemptive scheduler, then the steps that do not affect the
// violation are moved after it. The result is checked by replaying it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "pfnsim/sim/execution.hpp"
#include "pfnsim/sim/program.hpp"

namespace pfnsim::sim {

struct MinimizeConfig {
    unsigned max_preemptions = 3;  // preemption bounds tried: 0, 1, ... this
    std::uint64_t budget = 20000;  // executions spent on the bounded searches
    bool cut = true;               // move the steps that do not affect the violation after it
};

struct Minimized {
    Outcome outcome;       // the minimised execution, trace recorded
    std::string schedule;  // replays it exactly (replay --schedule)
    // Lengths count the steps up to and including the one that decides the violation (for a
    // wrong return, the actor's return); a livelock's is its lasso.
    std::uint64_t original_steps = 0;
    unsigned original_preemptions = 0;
    std::uint64_t steps = 0;
    std::uint64_t total_steps = 0;  // the whole minimised execution, steps after it included
    unsigned preemptions = 0;
    std::uint64_t executions = 0;  // spent minimising
};

unsigned count_preemptions(const Outcome& o);
bool same_violation(const Violation& a, const Violation& b);

// Returns nullopt when no execution (the original included) reproduces `target` on replay.
std::optional<Minimized> minimize(Program& program, const Outcome& original,
                                  const Violation& target, const ExecutionConfig& config,
                                  const MinimizeConfig& mc = {});

}  // namespace pfnsim::sim
