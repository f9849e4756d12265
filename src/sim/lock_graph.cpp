#include "pfnsim/sim/lock_graph.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <deque>
#include <mutex>
#include <set>
#include <tuple>

#include "pfnsim/sim/execution.hpp"
#include "pfnsim/sim/outcome.hpp"
#include "pfnsim/sim/replay_strategy.hpp"
#include "pfnsim/sim/text.hpp"
#include "pfnsim/sim/witness.hpp"

namespace pfnsim::sim {

std::string LockNode::name() const {
    return subclass == 0 ? cls : fmt::format("{}/{}", cls, subclass);
}

std::string LockEdgeKey::text() const {
    return fmt::format("{}({}) -> {}({})", from.name(), from_mode, to.name(), to_mode);
}

std::string_view intern_lock_name(std::string_view name) {
    // Nodes of a std::set do not move: a view of one stays valid. Never shrinks; it holds the
    // lock classes and nesting subclasses of the models run, a few dozen names.
    static std::mutex lock;
    static std::set<std::string, std::less<>> names;
    const std::lock_guard<std::mutex> hold(lock);
    auto it = names.find(name);
    if (it == names.end()) {
        it = names.emplace(name).first;
    }
    return *it;
}

LockEdgeKey LockEdgeSeen::key() const {
    return {{std::string(from_cls), from_subclass},
            std::string(from_mode),
            {std::string(to_cls), to_subclass},
            std::string(to_mode)};
}

namespace {

// The members in LockEdgeKey's order (LockNode: class, then subclass), as views.
auto members(const LockEdgeKey& k) {
    return std::make_tuple(std::string_view(k.from.cls), k.from.subclass,
                           std::string_view(k.from_mode), std::string_view(k.to.cls), k.to.subclass,
                           std::string_view(k.to_mode));
}

auto members(const LockEdgeSeen& s) {
    return std::make_tuple(s.from_cls, s.from_subclass, s.from_mode, s.to_cls, s.to_subclass,
                           s.to_mode);
}

}  // namespace

bool LockEdgeSeen::is(const LockEdgeKey& k) const {
    return members(k) == members(*this);
}

bool LockEdgeLess::operator()(const LockEdgeKey& a, const LockEdgeSeen& b) const {
    return members(a) < members(b);
}

bool LockEdgeLess::operator()(const LockEdgeSeen& a, const LockEdgeKey& b) const {
    return members(a) < members(b);
}

namespace {

// better_witness's order (witness.cpp), of an edge's witness.
auto rank(const unsigned& preemptions, const std::uint64_t& steps, const Schedule& s) {
    return std::tie(preemptions, steps, s.choices);
}

std::vector<std::string> intersect(const std::vector<std::string>& a,
                                   const std::vector<std::string>& b) {
    std::vector<std::string> out;
    std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
    return out;
}

std::vector<std::string> names_of(const std::vector<std::string_view>& v) {
    return {v.begin(), v.end()};
}

// Adds one witness of an edge seen `count` times to `into`; true when `into` changed.
bool add_edge(LockEdgeInfo& into, bool fresh, const LockEdgeInfo& e) {
    if (fresh) {
        into = e;
        return true;
    }
    bool changed = false;
    into.count += e.count;
    if (rank(e.preemptions, e.steps, e.schedule) <
        rank(into.preemptions, into.steps, into.schedule)) {
        const std::uint64_t count = into.count;
        std::vector<std::string> gates = std::move(into.gates);
        into = e;
        into.count = count;
        into.gates = std::move(gates);
        changed = true;
    }
    if (into.gates != e.gates) {
        std::vector<std::string> g = intersect(into.gates, e.gates);
        changed = changed || g != into.gates;
        into.gates = std::move(g);
    }
    return changed;
}

}  // namespace

bool LockGraph::add(const Outcome& o, bool keep_seed) {
    bool changed = false;
    std::optional<unsigned> preemptions;
    for (const LockEdgeSeen& s : o.lock_edges) {
        auto it = edges.find(s);
        const bool fresh = it == edges.end();
        if (fresh) {
            it = edges.try_emplace(s.key()).first;
        }
        if (!preemptions) {
            preemptions = count_preemptions(o);
        }
        if (!fresh) {
            // Most executions repeat edges already held: compare before copying.
            ++it->second.count;
            const bool better = rank(*preemptions, o.steps, o.schedule) <
                                rank(it->second.preemptions, it->second.steps, it->second.schedule);
            if (!better) {
                if (!std::equal(it->second.gates.begin(), it->second.gates.end(), s.gates.begin(),
                                s.gates.end())) {
                    std::vector<std::string> g = intersect(it->second.gates, names_of(s.gates));
                    changed = changed || g != it->second.gates;
                    it->second.gates = std::move(g);
                }
                continue;
            }
            --it->second.count;
        }
        LockEdgeInfo e;
        e.schedule = o.schedule;
        if (keep_seed) {
            e.seed = o.seed;
        }
        e.count = 1;
        e.steps = o.steps;
        e.preemptions = *preemptions;
        e.faults = o.faults;
        e.trace_hash = o.trace_hash;
        e.gates = names_of(s.gates);
        changed = add_edge(it->second, fresh, e) || changed;
    }
    return changed;
}

bool LockGraph::merge(const LockGraph& other) {
    bool changed = false;
    for (const auto& [k, e] : other.edges) {
        auto [it, fresh] = edges.try_emplace(k);
        changed = add_edge(it->second, fresh, e) || changed;
    }
    return changed;
}

Witness LockGraph::witness_of(const LockEdgeKey& key, const LockEdgeInfo& e) {
    Witness w;
    w.violation = {ViolationKind::LockOrder, "", key.text()};
    w.seed = e.seed;
    w.schedule = e.schedule;
    w.count = e.count;
    w.steps = e.steps;
    w.preemptions = e.preemptions;
    w.faults = e.faults;
    w.trace_hash = e.trace_hash;
    return w;
}

LockEdgeInfo LockGraph::info_of(const Witness& w) {
    LockEdgeInfo e;
    e.schedule = w.schedule;
    e.seed = w.seed;
    e.count = w.count;
    e.steps = w.steps;
    e.preemptions = w.preemptions;
    e.faults = w.faults;
    e.trace_hash = w.trace_hash;
    return e;
}

bool LockGraph::operator==(const LockGraph& o) const {
    auto same = [](const auto& a, const auto& b) {
        const LockEdgeInfo& x = a.second;
        const LockEdgeInfo& y = b.second;
        return a.first == b.first && x.schedule == y.schedule && x.seed == y.seed &&
               x.count == y.count && x.steps == y.steps && x.preemptions == y.preemptions &&
               x.faults == y.faults && x.trace_hash == y.trace_hash && x.gates == y.gates;
    };
    return std::equal(edges.begin(), edges.end(), o.edges.begin(), o.edges.end(), same);
}

Violation LockReport::violation() const {
    if (recursive) {
        const LockEdgeKey& e = edges.front();
        return {ViolationKind::LockOrder, "",
                fmt::format("possible recursive locking: {}({}) taken while holding {}({})",
                            e.to.name(), e.to_mode, e.from.name(), e.from_mode)};
    }
    std::string chain;
    for (std::size_t i = 0; i < edges.size(); ++i) {
        const LockEdgeKey& in = edges[(i + edges.size() - 1) % edges.size()];
        const LockEdgeKey& out = edges[i];
        const std::string mode =
            in.to_mode == out.from_mode ? out.from_mode : in.to_mode + "/" + out.from_mode;
        chain += fmt::format("{}({}) -> ", out.from.name(), mode);
    }
    chain += edges.front().from.name();
    return {ViolationKind::LockOrder, "", "possible circular locking dependency: " + chain};
}

namespace {

using Adjacency = std::map<LockNode, std::map<LockNode, const LockEdgeKey*>>;

std::set<LockNode> reachable(const Adjacency& adj, const LockNode& from) {
    std::set<LockNode> seen;
    std::vector<const LockNode*> stack{&from};
    while (!stack.empty()) {
        const LockNode* n = stack.back();
        stack.pop_back();
        const auto it = adj.find(*n);
        if (it == adj.end()) {
            continue;
        }
        for (const auto& [to, _] : it->second) {
            if (seen.insert(to).second) {
                stack.push_back(&to);
            }
        }
    }
    return seen;
}

// The shortest cycle through `s` within `scc`, breadth first in node order.
std::vector<LockEdgeKey> shortest_cycle(const Adjacency& adj, const std::set<LockNode>& scc,
                                        const LockNode& s) {
    std::map<LockNode, const LockEdgeKey*> parent;  // the edge that reached each node
    std::deque<LockNode> queue{s};
    while (!queue.empty()) {
        const LockNode n = queue.front();
        queue.pop_front();
        const auto it = adj.find(n);
        if (it == adj.end()) {
            continue;
        }
        for (const auto& [to, edge] : it->second) {
            if (scc.count(to) == 0 || parent.count(to) != 0) {
                continue;
            }
            parent.emplace(to, edge);
            if (to == s) {
                std::vector<LockEdgeKey> cycle;
                for (const LockEdgeKey* e = edge;; e = parent.at(e->from)) {
                    cycle.push_back(*e);
                    if (e->from == s) {
                        break;
                    }
                }
                std::reverse(cycle.begin(), cycle.end());
                return cycle;
            }
            queue.push_back(to);
        }
    }
    return {};
}

void add_needs(const LockGraph& g, LockReport& r) {
    const std::size_t n = r.edges.size();
    for (std::size_t i = 0; i < n; ++i) {
        const LockEdgeKey& in = r.edges[(i + n - 1) % n];
        const LockEdgeKey& out = r.edges[i];
        if (in.to_mode == "read" && out.from_mode == "read") {
            r.needs.push_back(fmt::format(
                "a writer queued on {} (read at both ends) between the two", out.from.name()));
        }
    }
    if (r.recursive) {
        return;
    }
    std::vector<std::string> gates = g.edges.at(r.edges.front()).gates;
    for (const LockEdgeKey& e : r.edges) {
        gates = intersect(gates, g.edges.at(e).gates);
    }
    for (const std::string& gate : gates) {
        r.needs.push_back(fmt::format(
            "distinct instances of {} (held at every edge, one instance serialises them)", gate));
    }
}

}  // namespace

std::vector<LockReport> lock_reports(const LockGraph& g) {
    std::vector<LockReport> out;
    Adjacency adj;
    for (const auto& [k, e] : g.edges) {
        if (k.from == k.to) {
            LockReport r;
            r.recursive = true;
            r.edges.push_back(k);
            add_needs(g, r);
            out.push_back(std::move(r));
            continue;
        }
        adj[k.from].try_emplace(k.to, &k);  // the smallest key between two classes
    }
    std::set<LockNode> nodes;
    for (const auto& [from, tos] : adj) {
        nodes.insert(from);
        for (const auto& [to, _] : tos) {
            nodes.insert(to);
        }
    }
    std::map<LockNode, std::set<LockNode>> reach;
    for (const LockNode& n : nodes) {
        reach.emplace(n, reachable(adj, n));
    }
    std::set<LockNode> placed;
    for (const LockNode& s : nodes) {  // ascending: s is the smallest node of its component
        if (placed.count(s) != 0 || reach.at(s).count(s) == 0) {
            continue;
        }
        std::set<LockNode> scc;
        for (const LockNode& t : reach.at(s)) {
            if (reach.at(t).count(s) != 0) {
                scc.insert(t);
            }
        }
        placed.insert(scc.begin(), scc.end());
        LockReport r;
        r.edges = shortest_cycle(adj, scc, s);
        if (r.edges.empty()) {
            continue;
        }
        add_needs(g, r);
        out.push_back(std::move(r));
    }
    return out;
}

LockEdgeChains lock_edge_chains(Program& program, const ExecutionConfig& exec,
                                const LockEdgeKey& key, const Schedule& schedule) {
    ReplayStrategy replay(schedule);
    ExecutionConfig c = replay_config(exec, schedule);
    c.record_trace = true;
    const Outcome o = run_execution(program, replay, 0, c);
    LockEdgeChains out;
    const auto render = [&](const char* func, std::uint32_t chain) {
        std::vector<std::string> c{func};
        if (chain < o.chains.size()) {
            const auto& frames = o.chains[chain];
            for (std::size_t k = frames.size(); k-- > 0;) {  // innermost first
                if (c.back() != frames[k].func.text) {
                    c.emplace_back(frames[k].func.text);
                }
            }
        }
        std::string t;
        for (const auto& f : c) {
            t += t.empty() ? f : " <- " + f;
        }
        return t;
    };
    for (const LockEdgeSeen& s : o.lock_edges) {
        if (s.is(key)) {
            out.acquire = render(s.func, s.chain);
            out.held = render(s.holder_func, s.holder_chain);
            out.found = true;
            break;
        }
    }
    return out;
}

namespace {
std::string dot_id(const std::string& s) {
    std::string q = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') {
            q += '\\';
        }
        q += c;
    }
    return q + "\"";
}
}  // namespace

std::string lock_graph_dot(const LockGraph& g, const std::vector<LockReport>& reports,
                           const std::string& title) {
    std::set<LockEdgeKey> in_cycle;
    for (const LockReport& r : reports) {
        in_cycle.insert(r.edges.begin(), r.edges.end());
    }
    std::set<std::string> nodes;
    for (const auto& [k, _] : g.edges) {
        nodes.insert(k.from.name());
        nodes.insert(k.to.name());
    }
    std::string s = fmt::format("digraph {} {{\n  node [shape=box];\n", dot_id(title));
    for (const std::string& n : nodes) {
        s += fmt::format("  {};\n", dot_id(n));
    }
    for (const auto& [k, e] : g.edges) {
        s += fmt::format("  {} -> {} [label={}{}];\n", dot_id(k.from.name()), dot_id(k.to.name()),
                         dot_id(fmt::format("{} -> {} ({}x)", k.from_mode, k.to_mode, e.count)),
                         in_cycle.count(k) != 0 ? ", color=red" : "");
    }
    return s + "}\n";
}

}  // namespace pfnsim::sim
