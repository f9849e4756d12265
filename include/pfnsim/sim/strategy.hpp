// The one interface through which every choice that shapes an execution is made.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "pfnsim/sim/dependence.hpp"
#include "pfnsim/sim/types.hpp"

namespace pfnsim::sim {

// Returned by choose_actor or choose_value to abandon the execution: the strategy knows it is
// redundant (the execution ends with status Pruned and stands for no behaviour of the program).
inline constexpr std::uint32_t kPrune = ~std::uint32_t{0};

// Like Shuttle's Scheduler trait: a strategy sees each scheduling point and returns a choice.
// Choice points with a single option are never shown to the strategy.
class Strategy {
  public:
    virtual ~Strategy() = default;
    // Called before each execution; `seed` identifies the execution (random strategies reseed).
    virtual void new_execution(std::uint64_t seed) = 0;
    // `enabled` is sorted by actor id and has at least two entries; `current` is the actor that
    // reached the scheduling point (kNoActor when none, e.g. at the start or after a finish);
    // `next[i]` is what enabled[i] does when it runs (empty unless uses_next_steps()).
    virtual ActorId choose_actor(std::span<const ActorId> enabled, ActorId current,
                                 std::span<const NextStep> next) = 0;
    // A data choice in [0, n), n >= 2; `what` names it (e.g. "handle_mm_fault returns
    // VM_FAULT_RETRY").
    virtual std::uint32_t choose_value(std::uint32_t n, std::string_view what) = 0;
    virtual std::string name() const = 0;
    // Whether choose_actor reads `next`; when false it gets an empty span (and the core saves
    // collecting it at every choice).
    virtual bool uses_next_steps() const { return true; }
    // Whether every enabled actor eventually runs (a random choice is fair with probability 1).
    // An unfair strategy can starve an actor in a cycle that no fair scheduler would repeat, so
    // its runs are cut at a repeated state instead of being reported as livelocks.
    virtual bool fair() const { return false; }
    // Whether new_execution(seed) alone determines the execution, so that a witness's seed
    // replays it under this strategy (`replay --seed`); otherwise only its schedule does.
    virtual bool seed_replays() const { return false; }
};

}  // namespace pfnsim::sim
