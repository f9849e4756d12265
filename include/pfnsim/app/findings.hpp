// The findings pipeline that every command shares: verdicts against expectations, the one
// replay-command builder, the determinism self-check, and minimise-and-draw.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "pfnsim/app/plan.hpp"
#include "pfnsim/sim/lock_graph.hpp"
#include "pfnsim/sim/minimize.hpp"
#include "pfnsim/sim/witness.hpp"

namespace pfnsim::app {

// The most severe violation kind seen (none = clean), with a livelock's class.
struct Verdict {
    std::optional<sim::ViolationKind> kind;
    std::optional<sim::Lasso> lasso;
    // Every other class found beside the verdict's, most severe first, as full() spells it:
    // a wrong return does not hide a livelock found beside it.
    std::vector<std::string> also;
    std::string name() const;  // "clean", "wrong-return", "livelock"
    std::string full() const;  // with a livelock's class: "livelock (killable, spinning)"
    // Every class found, most severe first: "wrong-return, livelock (killable, spinning)".
    std::string all() const;
};
Verdict verdict_of(const std::vector<sim::Witness>& ws);

// The verdict a scenario expects under `p` (clean, a kind, or a livelock with its class), or
// nullopt when it says nothing; expected_for is its spelling, "" when it says nothing.
std::optional<model::Expectation> expectation_for(const model::Scenario& sc,
                                                  const model::Policy& p);
std::string expected_for(const model::Scenario& sc, const model::Policy& p);
// Whether the verdict is exactly what is expected ("" expects clean), compared as values
// (model::Expectation).
bool meets(const Verdict& v, const std::string& expected);
// Whether the witnesses go beyond the expectation: a violation of another kind.
bool unexpected(const std::vector<sim::Witness>& ws, const std::string& expected);

// The one builder of `pfnsim replay` command lines: every option that shapes the execution
// (policy, step bound, fault bound) and the seed or the schedule, keyed to the plan.
std::string replay_command(const Plan& plan, const sim::Witness& w, bool by_seed);
std::string replay_command(const Plan& plan, const sim::Schedule& s);
// The schedule string of `s` as recorded under `plan` (format 2, with the plan's key).
std::string schedule_text(const Plan& plan, sim::Schedule s);

// A witness ready to report.
struct Finding {
    sim::Witness witness;
    std::string schedule;  // schedule_text of the witness
    std::string replay;    // replays the witness as found
    std::optional<sim::Minimized> minimized;
    std::string minimized_schedule;
    std::string minimized_replay;
    std::string diagram;  // the minimised execution's race diagram
    // Why minimisation stopped before it was done: "" (it finished), "budget" (its executions),
    // "time" (its time budget: where it stops varies between runs) or "interrupted" (SIGINT).
    std::string minimize_stopped;
    std::string minimize_budget;  // the budget it was minimised within ("2000 executions")
};

// --minimize-budget: executions per witness, or seconds per witness (then the witness, still
// replay-checked, depends on how fast the machine is).
struct MinimizeBudget {
    std::uint64_t executions = sim::kDefaultMinimizeBudget;
    double seconds = 0;        // > 0: a time budget, instead of executions
    std::string text() const;  // "2000 executions", "30 s"
};

struct FindingOptions {
    bool minimize = true;
    sim::MinimizeConfig minimize_config;
    MinimizeBudget budget;
    std::string not_minimized;  // set when minimisation was asked for and skipped
    // SIGINTs so far: minimisation stops (keeping what it has) when one more arrives.
    const std::atomic<unsigned>* interrupts = nullptr;
    // After each minimising execution: the witness (1-based, of how many), executions spent.
    std::function<void(std::size_t witness, std::size_t of, std::uint64_t spent)> progress;
};

// The lock-order graph ready to report (lock_graph.hpp): each edge with the call chains its
// witness's replay shows and the command that replays it, and the reports derived from it.
struct LockOrderEdge {
    sim::LockEdgeKey key;
    sim::LockEdgeInfo info;
    std::string acquire;   // the acquisition's call chain, innermost first ("" without one)
    std::string held;      // the held lock's
    std::string schedule;  // schedule_text of its witness
    std::string replay;    // replay_command of its witness
};
struct LockOrderReport {
    sim::LockReport report;
    sim::Violation violation;
    std::vector<std::size_t> edges;  // indices into LockOrderView::edges, in cycle order
};
struct LockOrderView {
    std::vector<LockOrderEdge> edges;  // every edge of the graph, in its order
    std::vector<LockOrderReport> reports;
    std::size_t classes = 0;  // nodes of the graph
    sim::LockGraph graph;
    // The whole graph was asked for (--lock-order): every edge's replay command is printed,
    // not only those of the edges of a report.
    bool listed = false;
};
// Replays every edge's witness once for its call chains.
LockOrderView lock_order_view(const Plan& plan, const sim::LockGraph& g);
// The graph in DOT, titled with the scenario and policy.
std::string lock_order_dot(const Plan& plan, const LockOrderView& v);

// Replays each witness from its schedule (and from its seed, when the plan's strategy replays
// seeds) and checks the trace hash: a witness that does not reproduce is reported as a
// nondeterminism finding. Then each is minimised and drawn.
std::vector<Finding> process_witnesses(const Plan& plan, const std::vector<sim::Witness>& ws,
                                       const FindingOptions& opt);

}  // namespace pfnsim::app
