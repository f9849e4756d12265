// A violation with the execution that shows it: the one witness type of random exploration,
// PCT and sweeps.
#pragma once

#include <cstdint>
#include <optional>

#include "pfnsim/sim/execution.hpp"
#include "pfnsim/sim/schedule.hpp"
#include "pfnsim/sim/violation.hpp"

namespace pfnsim::sim {

struct Witness {
    Violation violation;
    // The execution seed that replays it under the strategy that found it; nullopt when only
    // its schedule replays it (sweeps).
    std::optional<std::uint64_t> seed;
    Schedule schedule;        // replays it under any strategy
    std::uint64_t count = 1;  // executions that showed this violation
    std::uint64_t steps = 0;  // steps of the witness execution
    unsigned preemptions = 0;
    unsigned faults = 0;  // faults injected in it
    std::uint64_t trace_hash = 0;
    std::optional<Lasso> lasso;  // for a livelock: the cycle that proves it

    // The witness of one violation of an execution.
    static Witness of(const Violation& v, const Outcome& o);
};

}  // namespace pfnsim::sim
