// The state of the execution running on this thread, shared by the engine (execution.cpp),
// the unwinding of an actor's stack (unwind.cpp) and the observation of its states
// (observe.cpp). Internal to the core.
#pragma once

#include <unwind.h>

#include <compare>
#include <csetjmp>
#include <cstdint>
#include <string_view>
#include <vector>

#include "pfnsim/sim/execution.hpp"
#include "sim/algorithm.hpp"
#include "sim/cycle_check.hpp"

namespace pfnsim::sim::detail {

struct ActorState {
    // The choice that resumed this actor (its start, or a wake-up from block_on) already chose
    // its next step: its next scheduling point records the step without choosing again, so
    // that no execution is reachable by two choice sequences.
    bool fresh = true;
    bool finished = false;
    bool blocked = false;
    // The step declared at the point it waits in (reduction needs it at every choice).
    NextStep next;
    // That step in full (operation, object by name, function, effect, argument), hashed; 0
    // when none is declared (not started, woken, or running). Part of its location: model code
    // between two points may read shared state without a step of its own (an iterator over a
    // table, a flag), so where an actor stopped depends on when it got there, not only on what
    // it observed.
    std::uint64_t pending = 0;
    ObjectId waiting_on = kNoObject;
    const char* wait_how = "";
    // Bit per actor that must still finish before this one starts (ActorDecl::after); while
    // non-zero the actor is blocked and has not started.
    std::uint32_t waiting_for = 0;
    // Location for cycle detection: one frame per loop the actor is in (the first is the
    // actor's body), each with its id, the values declared at its head and a hash of the
    // steps taken since.
    struct Frame {
        std::uint64_t id;
        std::uint64_t locals;
        std::uint64_t steps;
    };
    std::vector<Frame> frames;
    // The model functions it is in (sim::Call), and the index of that chain in
    // Outcome::chains once a step recorded it (kNoChain: changed since).
    std::vector<CallFrame> calls;
    std::uint32_t chain = kNoChain;
    // The lock acquisition under way (note_acquiring): its subclass and function, which the
    // lock's note_acquired gives the hold, also when the lock is handed over later.
    unsigned lock_subclass = 0;
    const char* lock_func = "";
    // Where throw_abort's unwinding of this actor's stack ends (run_until_unwound), and
    // whether it is under way (a destructor's scheduling point then does nothing).
    std::jmp_buf* landing = nullptr;
    std::uintptr_t landing_mark = 0;
    bool unwinding = false;
    // Scheduling facts for livelock classes (cycle_check): spin locks held (a non-preemptible
    // section), and whether the program marked the next step a voluntary scheduling point.
    std::uint8_t spin_held = 0;
    bool voluntary_mark = false;
    // The unwinder's record of that unwinding: one per actor, so that an unwinding suspended
    // by a fiber switch (a destructor that blocks) is not overwritten by another actor's.
    _Unwind_Exception abort_exception{};
};

// A lock held besides an edge's `from` at its acquisition (note_acquiring), by class number.
struct LockGate {
    std::uint32_t cls;
    unsigned subclass;
    // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 misreads a defaulted <=>
    auto operator<=>(const LockGate&) const = default;
};

// A lock-order edge as note_acquiring records it during the execution: classes by number (no
// names compared or copied per acquisition), its gates a range of ExecState::gates. Made into
// an Outcome::lock_edges entry at the end of the execution.
struct RawLockEdge {
    std::uint32_t from_cls;
    unsigned from_subclass;
    const char* from_mode;
    std::uint32_t to_cls;
    unsigned to_subclass;
    const char* to_mode;
    std::uint32_t gates_begin;  // the gates at every acquisition, sorted: intersected in place
    std::uint32_t gates_count;
    std::uint32_t chain;
    std::uint32_t holder_chain;
    const char* func;
    const char* holder_func;
};

// The state of the execution running on this thread.
struct ExecState {
    Program* program = nullptr;
    Strategy* strategy = nullptr;
    const ExecutionConfig* config = nullptr;
    Outcome* out = nullptr;
    const std::vector<ActorDecl>* decls = nullptr;
    std::vector<ActorState> actors;
    std::vector<ActorId> enabled;
    std::vector<NextStep> next_steps;  // parallel to enabled
    std::vector<LockHold> held;
    std::vector<RawLockEdge> lock_edges;  // in the order first shown
    std::vector<LockGate> gates;          // the edges' gates
    std::vector<LockGate> gates_now;      // note_acquiring's scratch
    ActorId current = kNoActor;
    bool aborting = false;
    bool strategy_uses_next = true;
    std::uint64_t hash = 0xa0761d6478bd642fULL;
    ControlledAlgorithm* algo = nullptr;
    CycleDetector cycles;            // when detecting cycles
    std::uint32_t enabled_bits = 0;  // bit per actor neither finished nor blocked
    const ObjectTable* objects = nullptr;
    // Actor locations (loop frames) are kept when detecting cycles or computing signatures.
    bool track_frames = false;
    // Scheduling points are observed: for a strategy that reads state signatures, or to check
    // a lasso (config->cycle_check), whose first state is kept here.
    bool observe = false;
    bool strategy_observes = false;
    // execution_memory(): released when the execution ends.
    std::pmr::memory_resource* memory = nullptr;
    // Program::stop_drops_frames(): a stopped actor's frames are dropped, not unwound.
    bool drop_frames = false;
};

// The execution running on this thread (nullptr outside one). constinit: no dynamic
// initialisation, so other files read it without a TLS wrapper call.
extern thread_local constinit ExecState* tl_exec;

inline ExecState& exec() {
    return *tl_exec;
}

// Ends the execution with `status`; the first status set wins.
inline void begin_abort(ExecState& x, Status status) {
    if (!x.aborting) {
        x.aborting = true;
        x.out->status = status;
    }
}

// unwind.cpp: stops the current actor by dropping or unwinding its frames down to
// run_until_unwound, which runs the actor's program and returns false when it was stopped so.
[[noreturn]] void throw_abort();
bool run_until_unwound(ExecState& x, ActorId id);

// observe.cpp: a scheduling point with `options` options seen by a strategy that observes
// states, or by the check of a lasso; false when the execution is ending.
bool observe_point(ExecState& x, bool data, std::string_view what, std::uint32_t options,
                   bool eventual = false);

}  // namespace pfnsim::sim::detail
