#include "pfnsim/sim/state_graph.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <deque>
#include <functional>
#include <queue>

namespace pfnsim::sim {

namespace {

std::size_t slot_of(std::uint64_t key, std::size_t mask) {
    return static_cast<std::size_t>(key ^ (key >> 29U)) & mask;
}

std::uint64_t edge_key(std::uint32_t from, std::uint32_t value) {
    return (static_cast<std::uint64_t>(from) << 32U) | value;
}

}  // namespace

void StateGraph::grow() {
    std::vector<std::uint32_t> old;
    old.swap(slots_);
    slots_.assign(std::max<std::size_t>(1024, old.size() * 2), 0);
    const std::size_t mask = slots_.size() - 1;
    for (std::uint32_t v : old) {
        if (v != 0) {
            std::size_t i = slot_of(keys_[v - 1], mask);
            while (slots_[i] != 0) {
                i = (i + 1) & mask;
            }
            slots_[i] = v;
        }
    }
}

std::optional<std::uint32_t> StateGraph::find(std::uint64_t key) const {
    if (slots_.empty()) {
        return std::nullopt;
    }
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = slot_of(key, mask);; i = (i + 1) & mask) {
        const std::uint32_t v = slots_[i];
        if (v == 0) {
            return std::nullopt;
        }
        if (keys_[v - 1] == key) {
            return v - 1;
        }
    }
}

std::pair<std::uint32_t, bool> StateGraph::visit(std::uint64_t key, const StatePoint& p,
                                                 std::uint32_t parent, std::uint32_t via) {
    // Load at most 3/4: four-byte slots keep the table near 21 bytes per state with the keys.
    if ((keys_.size() + 1) * 4 > slots_.size() * 3) {
        grow();
    }
    const std::size_t mask = slots_.size() - 1;
    std::size_t i = slot_of(key, mask);
    for (; slots_[i] != 0; i = (i + 1) & mask) {
        if (keys_[slots_[i] - 1] == key) {
            return {slots_[i] - 1, false};
        }
    }
    const auto index = static_cast<std::uint32_t>(keys_.size());
    keys_.push_back(key);
    info_.push_back({p.enabled, p.unfinished, parent, via});
    slots_[i] = index + 1;
    return {index, true};
}

std::string StateGraph::restore(std::vector<std::uint64_t> keys, std::vector<Info> infos,
                                std::vector<Edge> edges) {
    keys_.clear();
    info_.clear();
    slots_.clear();
    edges_.clear();
    first_out_.clear();
    next_out_.clear();
    successors_.clear();
    if (keys.size() != infos.size()) {
        return "not one entry per state";
    }
    if (keys.size() >= kNone) {
        return "too many states";
    }
    const auto n = static_cast<std::uint32_t>(keys.size());
    for (std::uint32_t i = 0; i < n; ++i) {
        const std::uint32_t parent = infos[i].parent;
        if (i == 0 ? parent != kNone : parent >= i) {
            return fmt::format("state {}: parent {} is not an earlier state", i,
                               parent == kNone ? std::string("(none)") : std::to_string(parent));
        }
        if (i == 0 && infos[i].via != kNone) {
            return "state 0: reached by a choice";
        }
    }
    keys_.reserve(keys.size());
    info_.reserve(infos.size());
    for (std::uint32_t i = 0; i < n; ++i) {
        if ((keys_.size() + 1) * 4 > slots_.size() * 3) {
            grow();
        }
        const std::size_t mask = slots_.size() - 1;
        std::size_t s = slot_of(keys[i], mask);
        for (; slots_[s] != 0; s = (s + 1) & mask) {
            if (keys_[slots_[s] - 1] == keys[i]) {
                const std::uint32_t first = slots_[s] - 1;
                keys_.clear();
                info_.clear();
                slots_.clear();
                return fmt::format("state {}: the signature of state {} again", i, first);
            }
        }
        keys_.push_back(keys[i]);
        info_.push_back(infos[i]);
        slots_[s] = i + 1;
    }
    for (std::size_t k = 0; k < edges.size(); ++k) {
        if (edges[k].from >= n || edges[k].to >= n) {
            keys_.clear();
            info_.clear();
            slots_.clear();
            return fmt::format("transition {}: from state {} to state {} of {}", k, edges[k].from,
                               edges[k].to, n);
        }
    }
    edges_ = std::move(edges);
    for (std::size_t k = 0; k < edges_.size(); ++k) {
        link(static_cast<std::uint32_t>(k));
    }
    if (indexed_) {
        for (const Edge& e : edges_) {
            successors_.emplace(edge_key(e.from, e.value), e.to);
        }
    }
    return {};
}

void StateGraph::link(std::uint32_t edge) {
    const std::uint32_t from = edges_[edge].from;
    if (first_out_.size() <= from) {
        first_out_.resize(std::max<std::size_t>(from + 1, keys_.size()), kNone);
    }
    next_out_.push_back(first_out_[from]);
    first_out_[from] = edge;
}

void StateGraph::add_edge(const Edge& e) {
    edges_.push_back(e);
    link(static_cast<std::uint32_t>(edges_.size() - 1));
    if (indexed_) {
        successors_.emplace(edge_key(e.from, e.value), e.to);
    }
}

std::optional<std::uint32_t> StateGraph::successor(std::uint32_t from, std::uint32_t value) const {
    const auto it = successors_.find(edge_key(from, value));
    if (it == successors_.end()) {
        return std::nullopt;
    }
    return it->second;
}

std::size_t StateGraph::table_bytes() const {
    return keys_.capacity() * sizeof(std::uint64_t) + slots_.capacity() * sizeof(std::uint32_t);
}

std::size_t StateGraph::bytes() const {
    return table_bytes() + info_.capacity() * sizeof(Info) + edges_.capacity() * sizeof(Edge) +
           (first_out_.capacity() + next_out_.capacity()) * sizeof(std::uint32_t) +
           successors_.size() * 32;
}

std::vector<std::uint32_t> StateGraph::path_to(std::uint32_t i) const {
    std::vector<std::uint32_t> out;
    for (std::uint32_t s = i; s != kNone && info_[s].parent != kNone; s = info_[s].parent) {
        if (info_[s].via != kNone) {
            out.push_back(info_[s].via);
        }
    }
    std::reverse(out.begin(), out.end());
    return out;
}

std::vector<std::uint32_t> StateGraph::states_to(std::uint32_t i) const {
    std::vector<std::uint32_t> out;
    for (std::uint32_t s = i; s != kNone; s = info_[s].parent) {
        out.push_back(s);
    }
    std::reverse(out.begin(), out.end());
    return out;
}

std::vector<StateGraph::Lasso> StateGraph::fair_cycles(std::uint32_t forever,
                                                       std::size_t max) const {
    const auto n = static_cast<std::uint32_t>(keys_.size());
    // Transitions by source (CSR), in the order they were recorded.
    // A transition that puts off a weakly fair event is left out: no fair cycle takes it.
    std::vector<std::uint32_t> start(n + 1, 0);
    for (const Edge& e : edges_) {
        start[e.from + 1] += e.unfair ? 0U : 1U;
    }
    for (std::uint32_t i = 0; i < n; ++i) {
        start[i + 1] += start[i];
    }
    std::vector<std::uint32_t> out(start[n]);
    {
        std::vector<std::uint32_t> fill(start.begin(), start.end() - 1);
        for (std::uint32_t k = 0; k < edges_.size(); ++k) {
            if (!edges_[k].unfair) {
                out[fill[edges_[k].from]++] = k;
            }
        }
    }
    // Tarjan, iteratively: comp[v] is v's component, numbered in the order they close.
    std::vector<std::uint32_t> index(n, kNone);
    std::vector<std::uint32_t> low(n, 0);
    std::vector<std::uint32_t> comp(n, kNone);
    std::vector<std::uint32_t> stack;
    std::vector<bool> on_stack(n, false);
    struct Frame {
        std::uint32_t v;
        std::uint32_t next;  // position in out[]
    };
    std::vector<Frame> call;
    std::uint32_t counter = 0;
    std::uint32_t comps = 0;
    for (std::uint32_t root = 0; root < n; ++root) {
        if (index[root] != kNone) {
            continue;
        }
        call.push_back({root, start[root]});
        index[root] = low[root] = counter++;
        stack.push_back(root);
        on_stack[root] = true;
        while (!call.empty()) {
            Frame& f = call.back();
            if (f.next < start[f.v + 1]) {
                const std::uint32_t w = edges_[out[f.next++]].to;
                if (index[w] == kNone) {
                    index[w] = low[w] = counter++;
                    stack.push_back(w);
                    on_stack[w] = true;
                    call.push_back({w, start[w]});
                } else if (on_stack[w]) {
                    low[f.v] = std::min(low[f.v], index[w]);
                }
                continue;
            }
            const std::uint32_t v = f.v;
            call.pop_back();
            if (!call.empty()) {
                low[call.back().v] = std::min(low[call.back().v], low[v]);
            }
            if (low[v] == index[v]) {
                std::uint32_t w = 0;
                do {
                    w = stack.back();
                    stack.pop_back();
                    on_stack[w] = false;
                    comp[w] = comps;
                } while (w != v);
                ++comps;
            }
        }
    }
    // What each component needs for a fair cycle.
    struct Comp {
        std::uint32_t always = ~0U;
        std::uint32_t stepped = 0;
        std::uint32_t unfinished = 0;
        std::uint32_t entry = kNone;  // its first-discovered state
        bool cyclic = false;          // has an internal transition
    };
    std::vector<Comp> cs(comps);
    for (std::uint32_t v = 0; v < n; ++v) {
        Comp& c = cs[comp[v]];
        c.always &= info_[v].enabled;
        c.unfinished |= info_[v].unfinished;
        c.entry = std::min(c.entry, v);
    }
    for (const Edge& e : edges_) {
        if (!e.unfair && comp[e.from] == comp[e.to]) {
            Comp& c = cs[comp[e.from]];
            c.cyclic = true;
            if (e.actor != kNoActor) {
                c.stepped |= 1U << e.actor;
            }
        }
    }
    // A shortest path inside component `k` from `a` to `b`, as transition indices.
    std::vector<std::uint32_t> seen(n, kNone);
    std::vector<std::uint32_t> via(n, kNone);
    const auto path = [&](std::uint32_t k, std::uint32_t a, std::uint32_t b, std::uint32_t mark,
                          std::vector<std::uint32_t>& into) {
        std::deque<std::uint32_t> q{a};
        seen[a] = mark;
        while (!q.empty() && seen[b] != mark) {
            const std::uint32_t v = q.front();
            q.pop_front();
            for (std::uint32_t j = start[v]; j < start[v + 1]; ++j) {
                const Edge& e = edges_[out[j]];
                if (comp[e.to] == k && seen[e.to] != mark) {
                    seen[e.to] = mark;
                    via[e.to] = out[j];
                    q.push_back(e.to);
                }
            }
        }
        std::vector<std::uint32_t> rev;
        for (std::uint32_t v = b; v != a; v = edges_[via[v]].from) {
            rev.push_back(via[v]);
        }
        into.insert(into.end(), rev.rbegin(), rev.rend());
    };
    // The shortest path inside component `k` from `a` to a transition of actor `actor` in it,
    // that transition included (breadth first, in the order transitions were recorded); false
    // when there is none.
    const auto nearest_step = [&](std::uint32_t k, ActorId actor, std::uint32_t a,
                                  std::uint32_t mark, std::vector<std::uint32_t>& into) {
        std::deque<std::uint32_t> q{a};
        seen[a] = mark;
        std::uint32_t pick = kNone;
        while (!q.empty() && pick == kNone) {
            const std::uint32_t v = q.front();
            q.pop_front();
            for (std::uint32_t j = start[v]; j < start[v + 1] && pick == kNone; ++j) {
                const Edge& e = edges_[out[j]];
                if (comp[e.to] == k && e.actor == actor) {
                    pick = out[j];
                }
            }
            for (std::uint32_t j = start[v]; j < start[v + 1] && pick == kNone; ++j) {
                const Edge& e = edges_[out[j]];
                if (comp[e.to] == k && seen[e.to] != mark) {
                    seen[e.to] = mark;
                    via[e.to] = out[j];
                    q.push_back(e.to);
                }
            }
        }
        if (pick == kNone) {
            return false;
        }
        std::vector<std::uint32_t> rev{pick};
        for (std::uint32_t v = edges_[pick].from; v != a; v = edges_[via[v]].from) {
            rev.push_back(via[v]);
        }
        into.insert(into.end(), rev.rbegin(), rev.rend());
        return true;
    };
    std::vector<Lasso> found;
    std::uint32_t mark = 0;
    // Components close in reverse topological order; report those nearest the start first.
    std::vector<std::uint32_t> order;
    for (std::uint32_t k = 0; k < comps; ++k) {
        const Comp& c = cs[k];
        const std::uint32_t stuck = c.unfinished & ~forever;
        if (c.cyclic && stuck != 0 && (c.always & ~c.stepped) == 0) {
            order.push_back(k);
        }
    }
    std::sort(order.begin(), order.end(),
              [&](std::uint32_t a, std::uint32_t b) { return cs[a].entry < cs[b].entry; });
    for (std::uint32_t k : order) {
        if (found.size() >= max) {
            break;
        }
        const Comp& c = cs[k];
        const std::uint32_t need = c.always | (c.stepped & c.unfinished & ~forever);
        std::vector<std::uint32_t> walk;  // transitions of one round
        std::uint32_t at = c.entry;
        for (std::uint32_t bits = need; bits != 0; bits &= bits - 1) {
            const auto a = static_cast<ActorId>(std::countr_zero(bits));
            if (!nearest_step(k, a, at, ++mark, walk)) {
                continue;  // cannot happen: `need` holds stepping actors only
            }
            at = edges_[walk.back()].to;
        }
        if (walk.empty() || at != c.entry) {
            // Close the round (or, with nothing required, take any cycle through the entry).
            if (walk.empty()) {
                for (std::uint32_t j = start[at]; j < start[at + 1]; ++j) {
                    if (comp[edges_[out[j]].to] == k) {
                        walk.push_back(out[j]);
                        at = edges_[out[j]].to;
                        break;
                    }
                }
            }
            if (at != c.entry) {
                path(k, at, c.entry, ++mark, walk);
            }
        }
        Lasso l;
        l.prefix = path_to(c.entry);
        for (std::uint32_t e : walk) {
            if (edges_[e].value != kNone) {
                l.cycle.push_back(edges_[e].value);
            }
        }
        l.state = keys_[c.entry];
        found.push_back(std::move(l));
    }
    return found;
}

std::size_t StateGraph::FewestPreemptions::slot(std::uint32_t state, ActorId arrived) const {
    return static_cast<std::size_t>(state) * width_ + (arrived < width_ - 1 ? arrived : width_ - 1);
}

std::uint32_t StateGraph::FewestPreemptions::preemptions(std::uint32_t state,
                                                         ActorId arrived) const {
    const std::size_t u = slot(state, arrived);
    return u < dist_.size() ? dist_[u] : kNone;
}

std::uint32_t StateGraph::FewestPreemptions::transitions(std::uint32_t state,
                                                         ActorId arrived) const {
    const std::size_t u = slot(state, arrived);
    return u < length_.size() ? length_[u] : kNone;
}

std::vector<std::uint32_t> StateGraph::FewestPreemptions::choices(std::uint32_t state,
                                                                  ActorId arrived) const {
    std::vector<std::uint32_t> out;
    std::size_t u = slot(state, arrived);
    if (u >= dist_.size() || dist_[u] == kNone) {
        return out;
    }
    while (from_[u] != kNone) {
        const std::uint32_t v = graph_->edges_[edge_[u]].value;
        if (v != kNone) {
            out.push_back(v);
        }
        u = from_[u];
    }
    std::reverse(out.begin(), out.end());
    return out;
}

std::optional<ActorId> StateGraph::FewestPreemptions::best_arrival(std::uint32_t state) const {
    std::optional<ActorId> best;
    std::pair<std::uint32_t, std::uint32_t> least{kNone, kNone};
    for (std::size_t a = 0; a < width_; ++a) {
        const ActorId arrived = a + 1 == width_ ? kNoActor : static_cast<ActorId>(a);
        const std::pair<std::uint32_t, std::uint32_t> cost{preemptions(state, arrived),
                                                           transitions(state, arrived)};
        if (cost.first != kNone && cost < least) {
            least = cost;
            best = arrived;
        }
    }
    return best;
}

bool StateGraph::FewestPreemptions::simple(std::uint32_t state, ActorId arrived) const {
    std::size_t u = slot(state, arrived);
    if (u >= dist_.size() || dist_[u] == kNone) {
        return false;
    }
    std::vector<std::uint32_t> states{state};
    for (; from_[u] != kNone; u = from_[u]) {
        states.push_back(static_cast<std::uint32_t>(from_[u] / width_));
    }
    std::sort(states.begin(), states.end());
    return std::adjacent_find(states.begin(), states.end()) == states.end();
}

std::optional<StateGraph::FewestPreemptions> StateGraph::fewest_preemptions(
    std::size_t actors, ActorId first_arrived, std::size_t most_slots) const {
    FewestPreemptions f;
    f.graph_ = this;
    f.width_ = actors + 1;
    const std::size_t slots = keys_.size() * f.width_;
    if (keys_.empty() || slots > most_slots || slots >= kNone) {
        return std::nullopt;
    }
    f.dist_.assign(slots, kNone);
    f.from_.assign(slots, kNone);
    f.edge_.assign(slots, kNone);
    f.length_.assign(slots, kNone);
    std::vector<std::uint32_t>& length = f.length_;
    // Dijkstra on (preemptions, transitions): a transition costs one preemption if it is one.
    using Entry = std::pair<std::uint64_t, std::uint32_t>;  // preemptions << 32 | length, slot
    std::priority_queue<Entry, std::vector<Entry>, std::greater<>> queue;
    const auto root = static_cast<std::uint32_t>(f.slot(0, first_arrived));
    f.dist_[root] = 0;
    length[root] = 0;
    queue.push({0, root});
    while (!queue.empty()) {
        const auto [key, u] = queue.top();
        queue.pop();
        if (key != (std::uint64_t{f.dist_[u]} << 32U | length[u])) {
            continue;  // a stale entry
        }
        const auto state = static_cast<std::uint32_t>(u / f.width_);
        const std::size_t a = u % f.width_;
        const bool current_enabled = a < actors && ((info_[state].enabled >> a) & 1U) != 0;
        for (std::uint32_t e = first_out(state); e != kNone; e = next_out(e)) {
            const Edge& t = edges_[e];
            const std::uint32_t pre = f.dist_[u] + (current_enabled && t.actor != a ? 1 : 0);
            const std::uint32_t len = length[u] + 1;
            const auto v = static_cast<std::uint32_t>(f.slot(t.to, t.actor));
            if (pre < f.dist_[v] || (pre == f.dist_[v] && len < length[v])) {
                f.dist_[v] = pre;
                length[v] = len;
                f.from_[v] = u;
                f.edge_[v] = e;
                queue.push({std::uint64_t{pre} << 32U | len, v});
            }
        }
    }
    return f;
}

}  // namespace pfnsim::sim
