// One execution of a Program under a Strategy: actors are Boost.Fiber fibers and the strategy
// picks the actor that runs after every scheduling point.
#pragma once

#include <cstdint>
#include <memory_resource>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pfnsim/sim/lasso.hpp"
#include "pfnsim/sim/outcome.hpp"
#include "pfnsim/sim/program.hpp"
#include "pfnsim/sim/strategy.hpp"
#include "pfnsim/sim/types.hpp"

namespace pfnsim::sim {

struct ExecutionConfig {
    std::uint64_t step_bound = 10000;
    bool record_trace = true;
    bool detect_cycles = true;  // sample the state at loop heads and report fair cycles
    // Sweeps: a state seen before on the same path (an unfair cycle) ends the execution with
    // status Revisited, since everything after it was reachable from the first visit.
    bool prune_revisits = false;
    // Fault sites (sim::inject): nullopt = each site asks the strategy only while the model's own
    // budget allows (the scenario's fault_retry); N = every site asks while fewer than N faults
    // were injected in this execution, whatever the model's budgets.
    std::optional<unsigned> max_faults;
    // The check of a lasso's claim (a cyclic schedule, see replay_config and lasso.hpp);
    // loop heads are then not sampled.
    std::optional<CycleCheck> cycle_check;
    // --audit-states: the program also checks the values it keeps for its state signature
    // (kept instead of recomputed at each point) against a recomputation, and reports a
    // difference with report_state_mismatch().
    bool audit_kept_state = false;
};

// Runs one execution on the calling thread.
Outcome run_execution(Program& program, Strategy& strategy, std::uint64_t seed,
                      const ExecutionConfig& config);

// An actor that must stop (the execution is being torn down) has its stack unwound by a forced
// unwind, as a cancelled thread's is: every destructor runs; a `catch (...)` would intercept it,
// so model code never catches `...`, and a model function on an actor's stack is not noexcept.
// A program whose frames own nothing across a scheduling point (Program::stop_drops_frames)
// has a stopped actor's frames dropped instead: no destructor of theirs runs.

// Memory for what a model frame keeps across a scheduling point (a std::pmr container): it is
// released when the execution ends, so a dropped frame leaks none of it. Outside an execution,
// the default heap.
std::pmr::memory_resource& execution_memory();

// --- The interface model code uses while running on an actor's fiber. -----------------------

// A scheduling point followed by one visible step on `object`: the strategy may run other
// actors first; when this returns, the caller performs the operation described.
void point(Op op, ObjectId object, Name func, Name effect = Name{},
           SourceLine loc = SourceLine::here());
void point(Op op, ObjectId object, Name func, Name effect, std::uint64_t arg,
           SourceLine loc = SourceLine::here());
// Whether the running execution asks the program to audit its kept state
// (ExecutionConfig::audit_kept_state); false outside an execution.
bool audit_kept_state();
// A value the program keeps for its signature differs from its recomputation: a StateMismatch
// violation (a bug of the program's bookkeeping, not of what it models); the execution ends at
// its next scheduling point with status Invariant. Once per execution; may be called at any
// point of it, also while the core computes a signature.
void report_state_mismatch(std::string detail);
// Replace the effect of the calling actor's last step (when it is known only after the read).
void annotate(Name effect);
void annotate(Name effect, std::uint64_t arg);
// A data choice through the strategy, in [0, n): part of the schedule.
std::uint32_t choose(std::uint32_t n, std::string_view what);
// A weakly fair event offered as a data choice: true = it happens now, false = not yet (value
// 0). The event cannot be put off for ever (a timeout that expires whatever else runs), so a
// cycle that puts it off is not fair: no livelock is proven by one.
bool eventually(std::string_view what);
// A fault site named `site` (e.g. "handle_mm_fault returns VM_FAULT_RETRY"): true = inject the
// fault. A data choice (value 1 = inject) when ExecutionConfig::max_faults allows one more fault,
// or, without max_faults, when the model's own budget allows it (`budgeted`); else false without
// a choice, so that executions under the model's budgets keep their schedules.
bool inject(std::string_view site, bool budgeted);
// The model found a violated invariant: the execution ends with it.
[[noreturn]] void fail_invariant(std::string actor, std::string detail);
// Marks the calling actor's next step a voluntary scheduling point: a place where the program
// yields only under some configurations (the model says which). Livelock classes only: it
// shapes no execution.
void voluntary_point();
// The actor running now.
ActorId current_actor();
// Whether the running actor holds a spin lock: a non-preemptible section (in_atomic()).
bool in_atomic();
// Steps recorded so far in the running execution. At a choice the chosen actor takes the next
// step, so a strategy that follows an order of steps reads its position here.
std::uint64_t steps_taken();

// A model function's frame: while it lives, the calling actor's steps record it in their call
// chain (reports print "follow_pfnmap_start <- follow_fault_pfn <- vaddr_get_pfns"). Costs a
// branch when no trace is recorded.
class Call {
  public:
    explicit Call(Name func, SourceLine loc = SourceLine::here());
    ~Call();
    Call(const Call&) = delete;
    Call& operator=(const Call&) = delete;
    Call(Call&&) = delete;
    Call& operator=(Call&&) = delete;

  private:
    bool active_ = false;
};

// Marks a retry loop for cycle detection. An actor's location is the stack of loops it is in,
// the loop-carried values each declared at its head, and the steps it took since; at every
// head the global state (Program::state_hash plus every actor's location) is sampled, and a
// state seen before on this execution closes a cycle. Every value carried from one iteration
// to the next must be declared in `locals`, or the cycle is not a proof.
class Loop {
  public:
    explicit Loop(Name id);
    ~Loop();
    Loop(const Loop&) = delete;
    Loop& operator=(const Loop&) = delete;
    Loop(Loop&&) = delete;
    Loop& operator=(Loop&&) = delete;
    void head(std::uint64_t locals = 0);

  private:
    bool active_ = false;
};
// Blocks the calling actor until some other actor calls wake() on it. `object` is what it waits
// for (reported on deadlock).
void block_on(ObjectId object, const char* how);
void wake(ActorId actor);
bool in_execution();

// Deadlock reports name who holds what: sync primitives report ownership changes.
void note_acquired(ObjectId object, const char* mode, ActorId holder);
// The lock-order graph (lock_graph.hpp): the calling actor acquires `object` in `mode`, after
// the acquisition's point and before it may wait. Adds an edge from each lock it holds, unless
// `trylock` (a trylock cannot wait, so nothing orders before it). Outside an execution, a
// no-op. `func` must be a static text (a Name's).
void note_acquiring(ObjectId object, const char* mode, unsigned subclass, const char* func,
                    bool trylock);
void note_released(ObjectId object, ActorId holder);
// A write hold of `object` becomes a read hold (downgrade_write): it keeps its place and the
// subclass it was taken with; `func` (a static text) is the downgrade's.
void note_downgraded(ObjectId object, ActorId holder, const char* func);

}  // namespace pfnsim::sim
