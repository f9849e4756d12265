// What one execution produced (Outcome), and the small questions asked of it by witnesses,
// the minimiser and diagrams: preemptions, the violation it shows, the actor a violation
// concerns and the step that decides it, the last write to an object.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "pfnsim/sim/lasso.hpp"
#include "pfnsim/sim/lock_graph.hpp"
#include "pfnsim/sim/program.hpp"
#include "pfnsim/sim/schedule.hpp"
#include "pfnsim/sim/types.hpp"
#include "pfnsim/sim/violation.hpp"

namespace pfnsim::sim {

enum class Status : std::uint8_t {
    Completed,  // every actor not marked forever finished
    Deadlock,   // some actor unfinished and none enabled
    StepBound,  // the step bound was reached
    Invariant,  // the model reported an invariant violation
    Livelock,   // a fair cycle was found: the execution can repeat it for ever
    Pruned,     // the strategy abandoned it as redundant (kPrune): no behaviour to report
    Revisited,  // the state repeated on the path without a fair cycle (prune_revisits), or
                // the strategy had explored its future already (Strategy::at_state)
};

// What was decided at one choice point (only points with two or more options are recorded).
struct ChoiceRecord {
    std::uint32_t value = 0;     // the actor id or data value chosen
    std::uint32_t fallback = 0;  // what a non-preemptive scheduler would have taken
    ActorId current = kNoActor;  // the actor at the point (kNoActor at a start or finish)
    bool data = false;           // a data choice (sim::choose or sim::inject)
    bool fault = false;          // a fault site (sim::inject); value 1 = injected
    bool preemption = false;     // switched away from a current actor that could continue
};

struct Outcome {
    std::uint64_t seed = 0;
    Status status = Status::Completed;
    Schedule schedule;
    std::vector<ChoiceRecord> choices;  // one per schedule entry
    std::vector<Step> trace;            // empty unless record_trace
    // The call chains the steps refer to (Step::chain); one per change of an actor's stack.
    std::vector<std::vector<CallFrame>> chains;
    std::uint64_t steps = 0;
    std::uint64_t trace_hash = 0;      // covers steps, choices and results
    std::uint64_t final_state = 0;     // the results and Program::state_hash at the end
    unsigned faults = 0;               // faults injected (sim::inject returned true)
    std::vector<std::string> results;  // per actor, as Program::result
    std::vector<Violation> violations;
    std::string strategy_error;  // a replay that did not fit the program
    std::optional<Lasso> lasso;  // set with status Livelock
    // The lock-order edges it showed, each once, in the order first shown (lock_graph.hpp).
    std::vector<LockEdgeSeen> lock_edges;
};

// Switches away from a current actor that could have continued.
unsigned count_preemptions(const Outcome& o);
// The same violation: kind, actor and detail.
bool same_violation(const Violation& a, const Violation& b);
// Whether the execution shows `v`.
bool shows(const Outcome& o, const Violation& v);
// The actor `v` concerns (by name), else the one that took the last step (0 without a trace).
ActorId victim_of(const Outcome& o, const Program& program, const Violation& v);
// The index of actor `a`'s last step, else of the last step; -1 when the trace is empty.
long last_step_of(const Outcome& o, ActorId a);
// The index of the last write to `obj` before step `before`; -1 if none.
long last_write_before(const Outcome& o, ObjectId obj, std::size_t before);
// The step at which `v` is decided: the last step of the actor it concerns (its return), else
// the last step of the execution; -1 when the trace is empty.
long violation_step(const Outcome& o, const Program& program, const Violation& v);

}  // namespace pfnsim::sim
