// The one interface through which every choice that shapes an execution is made.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "pfnsim/sim/dependence.hpp"
#include "pfnsim/sim/state_fields.hpp"
#include "pfnsim/sim/strategy_kind.hpp"
#include "pfnsim/sim/types.hpp"

namespace pfnsim::sim {

// Returned by choose_actor or choose_value to abandon the execution: the strategy knows it is
// redundant (the execution ends with status Pruned and stands for no behaviour of the program).
inline constexpr std::uint32_t kPrune = ~std::uint32_t{0};

// A scheduling point as a stateful strategy sees it (Strategy::at_state).
struct StatePoint {
    // The state signature: the program's state, every actor's continuation (its loop frames
    // with their declared values and a hash of what it observed since its innermost loop head),
    // the kind of point, and the faults injected when a fault bound is set. Canonical: two
    // points with the same signature have the same futures.
    std::uint64_t signature = 0;
    std::uint32_t enabled = 0;     // bit per actor that can run (the current one at a data choice)
    std::uint32_t unfinished = 0;  // bit per actor that has not finished
    ActorId arrived = kNoActor;    // the actor that ran since the previous point (none at start)
    bool data = false;             // a data choice (choose/inject) of the current actor
    std::uint32_t options = 0;     // options at this point (1 = the core decides alone)
    // A weakly fair event's choice (sim::eventually): taking value 0 puts it off, and a cycle
    // through such a transition is not fair.
    bool eventual = false;
    // The signature's fields, named (Program::describe_state and each actor's location), only
    // when the strategy asks for them (Strategy::needs_fields).
    StateFields fields;
};

// Like Shuttle's Scheduler trait: a strategy sees each scheduling point and returns a choice.
// Choice points with a single option are never shown to the strategy. A strategy is one kind
// of the table in strategy_kind.hpp, which holds its name and traits.
class Strategy {
  public:
    explicit Strategy(StrategyKind kind) : kind_(kind) {}
    virtual ~Strategy() = default;

    StrategyKind kind() const { return kind_; }
    const StrategyTraits& traits() const { return sim::traits(kind_); }

    // Called before each execution; `seed` identifies the execution (random strategies reseed).
    virtual void new_execution(std::uint64_t seed) = 0;
    // `enabled` is sorted by actor id and has at least two entries; `current` is the actor that
    // reached the scheduling point (kNoActor when none, e.g. at the start or after a finish);
    // `next[i]` is what enabled[i] does when it runs (empty unless traits().uses_next_steps).
    virtual ActorId choose_actor(std::span<const ActorId> enabled, ActorId current,
                                 std::span<const NextStep> next) = 0;
    // A data choice in [0, n), n >= 2; `what` names it (e.g. "handle_mm_fault returns
    // VM_FAULT_RETRY").
    virtual std::uint32_t choose_value(std::uint32_t n, std::string_view what) = 0;
    // Called before each scheduling point when traits().observes_states; false abandons the
    // execution with status Revisited (its future from here was explored already).
    virtual bool at_state(const StatePoint& /*point*/) { return true; }
    // Asked before each at_state(): false when the strategy knows this point's state without
    // its signature (a stateful strategy replaying a recorded path); the core then skips
    // computing it and passes signature 0.
    virtual bool needs_signature() const { return true; }
    // Asked with needs_signature(): whether this point's signature fields are wanted, named
    // (StatePoint::fields). Costly; an audit asks at the few points it compares.
    virtual bool needs_fields() const { return false; }

  private:
    StrategyKind kind_;
};

}  // namespace pfnsim::sim
