#include "pfnsim/sim/witness.hpp"

#include <algorithm>
#include <optional>
#include <string>
#include <tuple>

#include "pfnsim/sim/outcome.hpp"

namespace pfnsim::sim {

namespace {
auto key_of(const Violation& v) {
    return std::tie(v.kind, v.actor, v.detail);
}

// The order of better_witness, of a witness or of an execution not yet made one.
auto witness_rank(const unsigned& preemptions, const std::uint64_t& steps, const Schedule& s) {
    return std::tie(preemptions, steps, s.choices);
}

}  // namespace

Witness Witness::of(const Violation& v, const Outcome& o) {
    Witness w;
    w.violation = v;
    w.seed = o.seed;
    w.schedule = o.schedule;
    w.steps = o.steps;
    w.preemptions = count_preemptions(o);
    w.faults = o.faults;
    w.trace_hash = o.trace_hash;
    w.lasso = o.lasso;
    return w;
}

bool better_witness(const Witness& a, const Witness& b) {
    return witness_rank(a.preemptions, a.steps, a.schedule) <
           witness_rank(b.preemptions, b.steps, b.schedule);
}

void Tally::add_witness(const Witness& w) {
    auto it = std::lower_bound(violations.begin(), violations.end(), w,
                               [](const Witness& a, const Witness& b) {
                                   return key_of(a.violation) < key_of(b.violation);
                               });
    if (it != violations.end() && key_of(it->violation) == key_of(w.violation)) {
        const std::uint64_t count = it->count + w.count;
        if (better_witness(w, *it)) {
            *it = w;
        }
        it->count = count;
        return;
    }
    violations.insert(it, w);
}

std::vector<Violation> Tally::add(const Outcome& o, bool keep_seed) {
    ++executions;
    steps += o.steps;
    if (results.size() < o.results.size()) {
        results.resize(o.results.size());
    }
    for (std::size_t a = 0; a < o.results.size(); ++a) {
        static const std::string unfinished = "(unfinished)";
        ++results[a][o.results[a].empty() ? unfinished : o.results[a]];
    }
    std::vector<Violation> fresh;
    std::optional<unsigned> preemptions;  // of o, counted once and only when needed
    for (const Violation& v : o.violations) {
        auto it = std::lower_bound(
            violations.begin(), violations.end(), v,
            [](const Witness& a, const Violation& b) { return key_of(a.violation) < key_of(b); });
        const bool seen = it != violations.end() && key_of(it->violation) == key_of(v);
        if (seen) {
            // Most executions repeat a violation already held: compare before copying, so
            // that a sweep pays for a witness only when it is better.
            ++it->count;
            if (!preemptions) {
                preemptions = count_preemptions(o);
            }
            if (!(witness_rank(*preemptions, o.steps, o.schedule) <
                  witness_rank(it->preemptions, it->steps, it->schedule))) {
                continue;
            }
        }
        Witness w = Witness::of(v, o);
        if (!keep_seed) {
            w.seed.reset();
        }
        if (seen) {
            w.count = it->count;
            *it = std::move(w);
        } else {
            violations.insert(it, std::move(w));
            fresh.push_back(v);
        }
    }
    add_lock_edges(o, keep_seed, fresh);
    return fresh;
}

void Tally::add_lock_edges(const Outcome& o, bool keep_seed, std::vector<Violation>& fresh) {
    if (o.lock_edges.empty()) {
        return;
    }
    if (lock_graph.add(o, keep_seed)) {
        refresh_lock_order(&fresh);
    } else {
        sync_lock_order_counts();
    }
}

void Tally::sync_lock_order_counts() {
    for (const auto& [detail, edge] : lock_order_first_) {
        for (Witness& w : violations) {
            if (w.violation.kind == ViolationKind::LockOrder && w.violation.detail == detail) {
                w.count = lock_graph.edges.at(edge).count;
            }
        }
    }
}

void Tally::refresh_lock_order(std::vector<Violation>* fresh) {
    std::vector<Witness> before;
    std::vector<Witness> kept;
    for (auto& w : violations) {
        (w.violation.kind == ViolationKind::LockOrder ? before : kept).push_back(std::move(w));
    }
    violations = std::move(kept);
    lock_order_first_.clear();
    for (const LockReport& r : lock_reports(lock_graph)) {
        const LockEdgeKey& first = r.edges.front();
        Witness w = LockGraph::witness_of(first, lock_graph.edges.at(first));
        w.violation = r.violation();
        lock_order_first_.emplace_back(w.violation.detail, first);
        if (fresh != nullptr && std::none_of(before.begin(), before.end(), [&](const Witness& b) {
                return key_of(b.violation) == key_of(w.violation);
            })) {
            fresh->push_back(w.violation);
        }
        add_witness(w);
    }
}

void Tally::merge(const Tally& other) {
    executions += other.executions;
    steps += other.steps;
    if (results.size() < other.results.size()) {
        results.resize(other.results.size());
    }
    for (std::size_t a = 0; a < other.results.size(); ++a) {
        for (const auto& [r, n] : other.results[a]) {
            results[a][r] += n;
        }
    }
    for (const auto& w : other.violations) {
        if (w.violation.kind != ViolationKind::LockOrder) {  // derived from the graph
            add_witness(w);
        }
    }
    if (lock_graph.merge(other.lock_graph)) {
        refresh_lock_order();
    } else {
        sync_lock_order_counts();
    }
}

}  // namespace pfnsim::sim
