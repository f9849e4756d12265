// Minimisation of a violating execution: fewest preemptions first, then delta debugging over the
// choices that deviate from a non-preemptive scheduler, then the steps that do not affect the
// violation are moved after it. The result is checked by replaying it.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "pfnsim/sim/execution.hpp"
#include "pfnsim/sim/outcome.hpp"
#include "pfnsim/sim/program.hpp"

namespace pfnsim::sim {

// The default budget: executions per witness, all stages together; the first stage (the
// bounded searches) may spend a fifth of it. A witness of long executions stops here, and
// says so.
inline constexpr std::uint64_t kDefaultMinimizeBudget = 100000;

// Why minimisation ended before it was done; the witness is valid (replay-checked) either way.
enum class MinimizeStop { none, budget, hook };

struct MinimizeConfig {
    unsigned max_preemptions = 3;  // preemption bounds tried: 0, 1, ... this
    // Executions spent searching, in all; the final traced run and the replay check come on top.
    std::uint64_t budget = kDefaultMinimizeBudget;
    std::uint64_t dfs_budget = kDefaultMinimizeBudget / 5;  // of it, the bounded searches' share
    bool cut = true;  // move the steps that do not affect the violation after it
    // Polled at every execution boundary: true stops the search (a time budget, an interrupt).
    std::function<bool()> stop;
    std::function<void(std::uint64_t spent)> progress;  // after each execution
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
    std::uint64_t executions = 0;               // spent minimising
    MinimizeStop stopped = MinimizeStop::none;  // the budget or the hook ended the search
};

// Returns nullopt when no execution (the original included) reproduces `target` on replay.
std::optional<Minimized> minimize(Program& program, const Outcome& original,
                                  const Violation& target, const ExecutionConfig& config,
                                  const MinimizeConfig& mc = {});

}  // namespace pfnsim::sim
