// The one interface through which every choice that shapes an execution is made.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "pfnsim/sim/types.hpp"

namespace pfnsim::sim {

// Like Shuttle's Scheduler trait: a strategy sees each scheduling point and returns a choice.
// Choice points with a single option are never shown to the strategy.
class Strategy {
  public:
    virtual ~Strategy() = default;
    // Called before each execution; `seed` identifies the execution (random strategies reseed).
    virtual void new_execution(std::uint64_t seed) = 0;
    // `enabled` is sorted by actor id and has at least two entries; `current` is the actor that
    // reached the scheduling point (kNoActor when none, e.g. at the start or after a finish).
    virtual ActorId choose_actor(std::span<const ActorId> enabled, ActorId current) = 0;
    // A data choice in [0, n), n >= 2; `what` names it (e.g. "handle_mm_fault returns
    // VM_FAULT_RETRY").
    virtual std::uint32_t choose_value(std::uint32_t n, std::string_view what) = 0;
    virtual std::string name() const = 0;
};

}  // namespace pfnsim::sim
