// The lock-order graph, as lockdep keeps it: at every acquisition an edge from each lock the
// acquiring actor holds to the lock it acquires, per lock class (ObjectTable::class_name, and a
// subclass for deliberate nesting) and mode. The union over every execution of a run, an
// exploration or a sweep; its cycles are possible deadlocks ("possible circular locking
// dependency"), whether or not an explored schedule deadlocked. Observational: it shapes no
// execution and is no part of a state signature.
#pragma once

#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pfnsim/sim/schedule.hpp"
#include "pfnsim/sim/types.hpp"
#include "pfnsim/sim/violation.hpp"

namespace pfnsim::sim {

struct Outcome;
struct Witness;
class Program;
struct ExecutionConfig;

// A lock class with its subclass (lockdep's `_nested` subclass; 0 = none).
struct LockNode {
    std::string cls;
    unsigned subclass = 0;
    std::string name() const;  // "mm_struct.mmap_lock", "ptlock/1"
    // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 misreads a defaulted <=>
    auto operator<=>(const LockNode&) const = default;
    bool operator==(const LockNode&) const = default;
};

// An edge: `from` was held in `from_mode` while `to` was acquired in `to_mode`. Modes are the
// sync primitives' ("read", "write", "spin", "mutex").
struct LockEdgeKey {
    LockNode from;
    std::string from_mode;
    LockNode to;
    std::string to_mode;
    std::string text() const;  // "a.lock(mutex) -> b.lock(spin)"
    // NOLINTNEXTLINE(modernize-use-nullptr): as LockNode's
    auto operator<=>(const LockEdgeKey&) const = default;
    bool operator==(const LockEdgeKey&) const = default;
};

// A lock class or node name, interned for the life of the process: equal names give views of
// one string, so an execution's edges are made without copying a name (execution.cpp).
std::string_view intern_lock_name(std::string_view name);

// An edge as one execution showed it (Outcome::lock_edges): the first acquisition that made
// it, with the call chains of the acquisition and of the held lock's (indices into
// Outcome::chains; kNoChain without a trace), and the classes the actor held besides `from`
// (intersected over the edge's acquisitions in the execution). Names are interned views
// (intern_lock_name), modes the sync primitives' static strings; key() makes the key.
struct LockEdgeSeen {
    std::string_view from_cls;
    unsigned from_subclass = 0;
    std::string_view from_mode;
    std::string_view to_cls;
    unsigned to_subclass = 0;
    std::string_view to_mode;
    std::vector<std::string_view> gates;  // sorted node names
    std::uint32_t chain = kNoChain;
    std::uint32_t holder_chain = kNoChain;
    const char* func = "";         // the acquisition's function (a static Name text)
    const char* holder_func = "";  // the held lock's

    LockEdgeKey key() const;
    bool is(const LockEdgeKey& k) const;
};

// Orders LockEdgeKeys as their operator<=> does, and LockEdgeSeen's edges among them, so that
// the graph finds an execution's edge without making its key.
struct LockEdgeLess {
    using is_transparent = void;
    bool operator()(const LockEdgeKey& a, const LockEdgeKey& b) const { return a < b; }
    bool operator()(const LockEdgeKey& a, const LockEdgeSeen& b) const;
    bool operator()(const LockEdgeSeen& a, const LockEdgeKey& b) const;
};

struct LockEdgeInfo {
    // The execution that shows it (better_witness's order: the fewest preemptions, then steps,
    // then the smallest schedule), and in `count` the executions that showed it; witness_of
    // makes it a Witness, whose violation is {LockOrder, "", key.text()}.
    Schedule schedule;
    std::optional<std::uint64_t> seed;
    std::uint64_t count = 0;
    std::uint64_t steps = 0;
    unsigned preemptions = 0;
    unsigned faults = 0;
    std::uint64_t trace_hash = 0;
    // The classes held at every acquisition that showed the edge, besides `from` (sorted): a
    // lock held at every edge of a cycle serialises it.
    std::vector<std::string> gates;
};

struct LockGraph {
    std::map<LockEdgeKey, LockEdgeInfo, LockEdgeLess> edges;

    // Adds the edges of one execution; true when the graph changed (an edge, a better witness
    // or fewer gates), which changes the reports derived from it.
    bool add(const Outcome& o, bool keep_seed);
    // Adds another graph's edges, as if its executions had been added.
    bool merge(const LockGraph& other);
    // The witness of an edge (its violation names the edge).
    static Witness witness_of(const LockEdgeKey& key, const LockEdgeInfo& e);
    // Its inverse: the edge's witness fields back from a Witness (no gates).
    static LockEdgeInfo info_of(const Witness& w);
    bool operator==(const LockGraph&) const;
};

// One report derived from the graph: a cycle of two or more classes (the shortest one through
// the smallest class of each strongly connected component, starting there), or a class taken
// while held (one edge from a node to itself).
struct LockReport {
    bool recursive = false;
    std::vector<LockEdgeKey> edges;  // in cycle order; one for a recursive report
    // What a concrete deadlock still needs beyond the orders seen: "a writer queued on X" where
    // both ends at X are reads; distinct instances of a class held at every edge.
    std::vector<std::string> needs;
    // The violation: {LockOrder, "", the chain in one line}.
    Violation violation() const;
};

// The reports of the graph, canonical: they do not depend on the order edges were added.
// Recursive reports first (by edge), then cycles by their first class.
std::vector<LockReport> lock_reports(const LockGraph& g);

// The call chains of an edge in the execution its witness schedule replays (with a trace):
// the acquisition's and the held lock's, innermost first, as "f <- g <- h"; empty when the
// replay does not show the edge.
struct LockEdgeChains {
    std::string acquire;
    std::string held;
    bool found = false;
};
LockEdgeChains lock_edge_chains(Program& program, const ExecutionConfig& exec,
                                const LockEdgeKey& key, const Schedule& schedule);

// The graph in DOT (one node per class, one edge per (class, mode) pair; cycle edges red).
std::string lock_graph_dot(const LockGraph& g, const std::vector<LockReport>& reports,
                           const std::string& title);

}  // namespace pfnsim::sim
