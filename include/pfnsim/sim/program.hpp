// What the simulation core explores: a set of actors over some shared state. The kernel model
// implements it; the core never sees kernel types.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "pfnsim/sim/objects.hpp"
#include "pfnsim/sim/state_fields.hpp"
#include "pfnsim/sim/types.hpp"
#include "pfnsim/sim/violation.hpp"

namespace pfnsim::sim {

struct ActorDecl {
    std::string name;
    bool forever = false;  // runs until every other actor has finished (a `cat numa_maps` loop)
    // Bit per actor that must have finished before this one starts: until then it is blocked
    // (not enabled), and the last of them to finish wakes it.
    std::uint32_t after = 0;
};

class Program {
  public:
    virtual ~Program() = default;
    virtual const std::vector<ActorDecl>& actors() const = 0;
    virtual ObjectTable& objects() = 0;
    // Restore the initial state; called before every execution.
    virtual void reset() = 0;
    // The body of actor `id`; runs on its own fiber and reaches the core through sim::point().
    virtual void run_actor(ActorId id) = 0;
    // The result an actor returned, as text ("0", "-EINVAL", "SIGBUS"); "" when it did not
    // finish.
    virtual std::string result(ActorId id) const = 0;
    // Checks made once the execution ended normally (e.g. each result against its oracle).
    virtual void check_results(std::vector<Violation>& out) const = 0;
    // A canonical hash of the shared state now (called at the end of an execution), to compare
    // the final states of different executions: built from values and names, never from object
    // ids or addresses. 0 when the program does not say.
    virtual std::uint64_t state_hash() const { return 0; }
    // A canonical hash of everything the future of the execution depends on (shared state, lock
    // owners and waiters, the per-task values the code branches on), for cycle detection within
    // one execution. nullopt (the default) turns cycle detection off for the program.
    virtual std::optional<std::uint64_t> loop_state_hash() const { return std::nullopt; }
    // A canonical hash of everything the future of the execution and its verdicts depend on:
    // what loop_state_hash() covers plus the facts the result oracles read at the end. The
    // stateful sweep caches states by it; nullopt (the default) means the program cannot be
    // swept statefully.
    virtual std::optional<std::uint64_t> state_signature() const { return loop_state_hash(); }
    // The fields state_signature() covers, each named, from the same registry: what the audit
    // of a stateful sweep shows when two states it took for one differ. Nothing by default.
    virtual void describe_state(StateFields& /*out*/) const {}
    // Whether `step` of `actor` checks for a pending fatal signal (a loop that does is killable).
    virtual bool is_kill_check(ActorId /*actor*/, const Step& /*step*/) const { return false; }
    // Whether a stopped actor's frames may be dropped rather than unwound (sim/unwind.cpp).
    // True only when no frame under run_actor() owns anything across a scheduling point: no
    // heap memory (a std::vector or std::string local, or a temporary alive across the call),
    // no guard whose destructor undoes something. Memory a frame needs across a point comes
    // from sim::execution_memory(). Then no destructor of a stopped actor's frames runs, and
    // stopping it costs a longjmp instead of an unwinding of every frame. False by default:
    // every destructor runs.
    virtual bool stop_drops_frames() const { return false; }
};

}  // namespace pfnsim::sim
