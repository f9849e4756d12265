// A violation with the execution that shows it, and the one aggregator of many executions:
// random exploration, PCT, sweeps, their tasks, threads, shards and resumed runs all add up
// through Tally.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "pfnsim/sim/lock_graph.hpp"
#include "pfnsim/sim/outcome.hpp"
#include "pfnsim/sim/schedule.hpp"
#include "pfnsim/sim/violation.hpp"

namespace pfnsim::sim {

struct Witness {
    Violation violation;
    // The execution seed that replays it under the strategy that found it; nullopt when only
    // its schedule replays it (sweeps).
    std::optional<std::uint64_t> seed;
    Schedule schedule;        // replays it under any strategy
    std::uint64_t count = 1;  // executions that showed this violation
    std::uint64_t steps = 0;  // steps of the witness execution
    unsigned preemptions = 0;
    unsigned faults = 0;  // faults injected in it
    std::uint64_t trace_hash = 0;
    std::optional<Lasso> lasso;  // for a livelock: the cycle that proves it

    // The witness of one violation of an execution.
    static Witness of(const Violation& v, const Outcome& o);
};

// Of two witnesses of one violation (kind, actor, detail), the one to keep: the fewest
// preemptions, then the fewest steps, then the smallest schedule, so that the witness does not
// depend on which thread, shard or seed found it first.
bool better_witness(const Witness& a, const Witness& b);

// Executions summed up. Adding is order-independent except for ties between equally good
// witnesses, where the first one added stays.
struct Tally {
    std::uint64_t executions = 0;
    std::uint64_t steps = 0;
    // Per actor: result text ("(unfinished)" for none) -> executions that ended with it.
    std::vector<std::map<std::string, std::uint64_t>> results;
    std::vector<Witness> violations;  // one per (kind, actor, detail), sorted by it
    // The lock-order graph of the executions; its reports are the LockOrder violations above,
    // derived from it (refresh_lock_order) whenever it changes, never added or merged.
    LockGraph lock_graph;

    // Counts one execution with its results and violations; returns the violations not seen
    // before. `keep_seed`: the witnesses replay by seed (random and PCT exploration), else
    // from their schedules only.
    std::vector<Violation> add(const Outcome& o, bool keep_seed);
    void add_witness(const Witness& w);  // merges by (kind, actor, detail)
    void merge(const Tally& other);
    // Replaces the LockOrder violations with lock_reports(lock_graph)'s, each witnessed by its
    // first edge's witness; appends to `fresh` the ones not there before.
    void refresh_lock_order(std::vector<Violation>* fresh = nullptr);
    // Adds only the execution's lock-order edges (an execution add() does not count).
    void add_lock_edges(const Outcome& o, bool keep_seed, std::vector<Violation>& fresh);

  private:
    // After edges were counted without changing the reports: each LockOrder violation's count
    // is its first edge's.
    void sync_lock_order_counts();
    std::vector<std::pair<std::string, LockEdgeKey>> lock_order_first_;  // detail -> edge
};

}  // namespace pfnsim::sim
