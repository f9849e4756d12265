// Minimisation of a violating execution: fewest preemptions first, then delta debugging over the
// choices that deviate from a non-preemptive scheduler. The result is checked by replaying it.
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
};

struct Minimized {
    Outcome outcome;       // the minimised execution, trace recorded
    std::string schedule;  // replays it exactly (replay --schedule)
    std::uint64_t original_steps = 0;
    unsigned original_preemptions = 0;
    std::uint64_t steps = 0;
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
