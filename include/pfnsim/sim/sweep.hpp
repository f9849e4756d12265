// Exhaustive sweeps: every schedule within a preemption bound and a fault bound, depth first,
// reduced by sleep sets. The tree is split into tasks by schedule prefix, so that threads and
// shards explore disjoint parts and a checkpoint can say which parts are done.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "pfnsim/sim/dfs_strategy.hpp"
#include "pfnsim/sim/execution.hpp"
#include "pfnsim/sim/program.hpp"
#include "pfnsim/sim/state_graph.hpp"
#include "pfnsim/sim/witness.hpp"

namespace pfnsim::sim {

struct SweepConfig {
    std::optional<unsigned> max_preemptions;       // nullopt = any number
    ExecutionConfig exec;                          // step bound; max_faults (nullopt = the budgets)
    bool reduce = true;                            // sleep sets
    std::uint64_t max_executions = 0;              // stop after this many; 0 = no limit
    double time_limit = 0;                         // seconds; 0 = none (the only use of a clock)
    bool stop_on_first = false;                    // stop after the first violating execution
    unsigned jobs = 1;                             // threads, each with its own Program
    unsigned shard = 0;                            // this process explores the tasks k with
    unsigned shards = 1;                           //   k % shards == shard
    std::uint64_t checkpoint_every = 20000;        // executions per thread between saves
    const std::atomic<bool>* interrupt = nullptr;  // set (e.g. on SIGINT): stop and save
    // Stateful search (StatefulStrategy): a visited table per task, livelocks from the fair
    // SCCs of its state graph. Sleep sets are off with it; a task's checkpoint holds its whole
    // search (graph, queued options, target), so that a resumed task goes on where it stopped.
    bool stateful = false;
    std::uint64_t max_states = 0;  // per task; reaching it stops the sweep ("max-states")
    unsigned audit_points = 0;     // --audit-states: points checked after each state hit
    // Stateful: a state hit whose options are still queued takes one at once (in the first
    // quarter of the step bound, off the execution's own path) instead of ending the
    // execution; the graph explored is the same, with fewer executions. Off: stop at every hit.
    bool take_at_hits = true;
};

// Totals that add up across tasks, threads, shards and resumed runs: a Tally of the executions
// (results and witnesses without seeds) and what the search itself counts.
struct SweepTotals : Tally {
    std::uint64_t pruned = 0;     // options not explored: asleep, an equivalent was explored
    std::uint64_t redundant = 0;  // runs abandoned when every option was asleep
    // Stateful sweeps, summed over tasks (a state reached by two tasks counts in each):
    std::uint64_t states = 0;              // distinct states recorded
    std::uint64_t transitions = 0;         // transitions between them
    std::uint64_t state_hits = 0;          // points at a state recorded before (ended or not)
    std::uint64_t revisited = 0;           // executions cut at a known state: they have no results
    std::uint64_t audited = 0;             // successors checked by the audit
    std::uint64_t table_bytes = 0;         // the largest visited table (not saved; for benchmarks)
    std::set<std::uint64_t> final_states;  // Outcome::final_state

    // Counts one execution; returns the violations it showed that were not seen before.
    std::vector<Violation> add(const Outcome& o);
    void merge(const SweepTotals& other);
    bool operator==(const SweepTotals&) const;
};

// What a sweep saves to be resumed, and what it resumes from.
struct SweepState {
    std::string key;  // identifies the sweep (scenario, policy, bounds, shard); set by the caller
    bool partitioned = false;
    std::vector<std::vector<std::uint32_t>> tasks;  // schedule prefixes, all shards
    std::vector<bool> done;                         // per task
    SweepTotals finished;  // the partition (shard 0) and this shard's finished tasks
    struct Active {
        std::size_t task = 0;
        std::vector<DfsStrategy::Node> frontier;  // the path to run next
        std::uint64_t pruned = 0;                 // the task's count so far
        SweepTotals totals;                       // the task's executions so far
        // Stateful tasks: StatefulStrategy::save() (the frontier is empty), and the totals
        // count the saved graph's states, transitions, state hits and audited successors.
        std::string search;
    };
    std::vector<Active> active;  // started, unfinished tasks
};

struct SweepReport {
    SweepTotals totals;
    bool complete = false;  // every schedule of this shard within the bounds was explored
    std::string stopped;    // why not: "max-executions", "time-limit", "stop-on-first",
                            // "interrupted"
    std::size_t tasks = 0;  // of this shard
    std::size_t tasks_done = 0;
};

// The witnesses of the fair cycles of a state graph: each lasso is replayed as a cyclic
// schedule (replay_config) and reported only if the replay closes it; one that does not is a
// StateMismatch (the signature missed something its continuation depends on). With `best`
// (asked for once, when there is a cycle; it may give none), a lasso's prefix is the path with
// the fewest preemptions to its cycle's state when that replays into the same livelock as a
// better witness (better_witness), and the discovering path otherwise.
std::vector<Witness> graph_livelocks(
    Program& program, const StateGraph& graph, const ExecutionConfig& exec, std::size_t max,
    const std::function<const StateGraph::FewestPreemptions*()>& best = {});

struct SweepProgress {
    std::uint64_t executions = 0;  // this run and the ones it resumed
    double estimate = 0;           // runs of this shard's tree in all, estimated from its shape
    // Stateful sweeps (no estimate: a state graph's size is not known before it is explored):
    // the task's graph so far and its options still queued.
    bool stateful = false;
    std::uint64_t states = 0;
    std::uint64_t transitions = 0;
    std::uint64_t queued = 0;
};

struct SweepHooks {
    std::function<void(const SweepState&)> save;  // called with the state to checkpoint
    std::function<void(const SweepProgress&)> progress;
};

// A program that does not replay its own prefixes (it is not deterministic), or a state that
// belongs to another sweep.
class SweepError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// The search's own replay did not reach the state it recorded: the program is not
// deterministic, or its state signature misses part of its state. Not the input's fault.
class SweepInconsistency : public SweepError {
  public:
    using SweepError::SweepError;
};

using ProgramFactory = std::function<std::unique_ptr<Program>()>;

// Runs the sweep of this shard, resuming from `state` (empty for a new sweep) and leaving in it
// what a checkpoint needs. Results do not depend on cfg.jobs.
SweepReport sweep(const ProgramFactory& make, const SweepConfig& cfg, SweepState& state,
                  const SweepHooks& hooks = {});

// The tasks a sweep splits into when it runs with `shards` shards and `jobs` threads.
// Stateful sweeps take one task per shard (their tables are per task).
std::size_t sweep_task_target(unsigned shards, unsigned jobs, bool stateful = false);

}  // namespace pfnsim::sim
