// The record of a proven livelock and the claim a cyclic schedule makes, shared by the cycle
// checking (sim/cycle_check.hpp), which stands below the engine, and the execution's outcome.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "pfnsim/sim/types.hpp"

namespace pfnsim::sim {

// A proven livelock: the execution reached the same state twice, and the steps between can
// repeat for ever (prefix, then the cycle for ever).
struct Lasso {
    std::uint64_t prefix_steps = 0;  // steps before the cycle
    std::uint64_t cycle_steps = 0;   // steps in one round of the cycle
    std::size_t prefix_choices = 0;  // schedule entries before the cycle
    std::size_t cycle_choices = 0;   // schedule entries in one round
    std::vector<ActorId> stuck;      // actors not marked forever that loop (or wait) in it
    bool killable = false;           // the loop checks for a pending fatal signal
    // Where the loop can let other work run, from the stuck actors' steps in the cycle; the
    // program says which configurations yield where (model/expectation.hpp).
    bool yielding = false;     // an unconditional scheduling point (Op::Yield) or a sleep
    bool voluntary = false;    // a point the program marked voluntary (voluntary_point())
    bool preemptible = false;  // a step outside every non-preemptible section (no spin lock)
    std::vector<std::string> locks_held;  // held by the stuck actors across the loop
};

// The check of a lasso (a cyclic schedule, see replay_config): the state at the choice point
// where choice `prefix_choices` is made, and at the one `cycle_choices` choices later, are
// compared (Program::loop_state_hash and every actor's location); when they are the same and
// the steps between are a fair cycle, the execution ends with status Livelock.
struct CycleCheck {
    std::size_t prefix_choices = 0;
    std::size_t cycle_choices = 0;
};

}  // namespace pfnsim::sim
