#include "pfnsim/sim/stateful_strategy.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>

namespace pfnsim::sim {

namespace {

// The saved search: "pfsg2", then LEB128 varints (signatures as 8 bytes, little endian):
//   the task's prefix: length, choices
//   states: count, then per state: signature, enabled, unfinished, index - parent (0 for the
//     first state), via + 1 (0: none)
//   transitions: count, then per transition: from - the previous one's `to` (zigzag),
//     to - from (zigzag), actor + 1 (0: none) times 2 plus `unfair`, value + 1 (0: none)
//   queued options not run yet: count, then per option: its state - the previous one's,
//     value times 2 plus `taken`
//   the target: 0, or 1, state, value
//   started + 2 * full, state hits, audited successors
//   violation ends: count, then per end: its state, choice + 1 (0: none)
constexpr std::string_view kMagic = "pfsg2";
// Ends kept at most (the first ones): a witness is rebuilt from them.
constexpr std::size_t kMostEnds = std::size_t{1} << 20U;
// Choices beyond this are no option of any program (a corrupt file, not a model).
constexpr std::uint64_t kMaxValue = 1U << 24;

struct Bad {
    std::string what;
};

class Writer {
  public:
    void varint(std::uint64_t v) {
        while (v >= 0x80) {
            out.push_back(static_cast<char>((v & 0x7FU) | 0x80U));
            v >>= 7U;
        }
        out.push_back(static_cast<char>(v));
    }
    void zigzag(std::int64_t v) {
        varint((static_cast<std::uint64_t>(v) << 1U) ^ static_cast<std::uint64_t>(v >> 63));
    }
    void u64(std::uint64_t v) {
        for (unsigned i = 0; i < 8; ++i) {
            out.push_back(static_cast<char>((v >> (8 * i)) & 0xFFU));
        }
    }
    std::string out;
};

class Reader {
  public:
    explicit Reader(std::string_view in) : in_(in) {}
    std::size_t left() const { return in_.size() - pos_; }
    bool take(std::string_view s) {
        if (in_.substr(pos_, s.size()) != s) {
            return false;
        }
        pos_ += s.size();
        return true;
    }
    std::uint64_t varint(const std::string& what) {
        std::uint64_t v = 0;
        for (unsigned shift = 0;; shift += 7) {
            if (pos_ >= in_.size()) {
                throw Bad{fmt::format("{}: the data ends early", what)};
            }
            const auto b = static_cast<std::uint8_t>(in_[pos_++]);
            if (shift == 63 && b > 1) {
                throw Bad{fmt::format("{}: a number beyond 64 bits", what)};
            }
            v |= static_cast<std::uint64_t>(b & 0x7FU) << shift;
            if ((b & 0x80U) == 0) {
                return v;
            }
        }
    }
    // A varint no larger than `most`.
    std::uint64_t upto(const std::string& what, std::uint64_t most) {
        const std::uint64_t v = varint(what);
        if (v > most) {
            throw Bad{fmt::format("{}: {} is out of range (0..{})", what, v, most)};
        }
        return v;
    }
    std::int64_t zigzag(const std::string& what) {
        const std::uint64_t v = varint(what);
        return static_cast<std::int64_t>(v >> 1U) ^ -static_cast<std::int64_t>(v & 1U);
    }
    std::uint64_t u64(const std::string& what) {
        if (left() < 8) {
            throw Bad{fmt::format("{}: the data ends early", what)};
        }
        std::uint64_t v = 0;
        for (unsigned i = 0; i < 8; ++i) {
            v |= static_cast<std::uint64_t>(static_cast<std::uint8_t>(in_[pos_++])) << (8 * i);
        }
        return v;
    }

  private:
    std::string_view in_;
    std::size_t pos_ = 0;
};

// A state index `base + delta` below `n`.
std::uint32_t index_at(std::uint64_t base, std::int64_t delta, std::uint64_t n,
                       const std::string& what) {
    const auto v = static_cast<std::int64_t>(base) + delta;
    if (delta < -static_cast<std::int64_t>(n) || delta > static_cast<std::int64_t>(n) || v < 0 ||
        static_cast<std::uint64_t>(v) >= n) {
        throw Bad{fmt::format("{}: not a state (there are {})", what, n)};
    }
    return static_cast<std::uint32_t>(v);
}

}  // namespace

std::string StatefulStrategy::save() const {
    Writer w;
    w.out.append(kMagic);
    w.varint(prefix_.size());
    for (std::uint32_t v : prefix_) {
        w.varint(v);
    }
    const auto& keys = graph_.keys();
    const auto& infos = graph_.infos();
    w.varint(keys.size());
    for (std::size_t i = 0; i < keys.size(); ++i) {
        w.u64(keys[i]);
        w.varint(infos[i].enabled);
        w.varint(infos[i].unfinished);
        w.varint(infos[i].parent == StateGraph::kNone ? 0 : i - infos[i].parent);
        w.varint(infos[i].via == StateGraph::kNone ? 0 : std::uint64_t{infos[i].via} + 1);
    }
    const auto& edges = graph_.edges();
    w.varint(edges.size());
    std::int64_t prev = 0;
    for (const StateGraph::Edge& e : edges) {
        w.zigzag(static_cast<std::int64_t>(e.from) - prev);
        w.zigzag(static_cast<std::int64_t>(e.to) - static_cast<std::int64_t>(e.from));
        w.varint((e.actor == kNoActor ? 0 : (std::uint64_t{e.actor} + 1) * 2) + (e.unfair ? 1 : 0));
        w.varint(e.value == StateGraph::kNone ? 0 : std::uint64_t{e.value} + 1);
        prev = e.to;
    }
    w.varint(frontier_.size() - head_);
    std::uint64_t at = 0;
    for (std::size_t k = head_; k < frontier_.size(); ++k) {
        w.varint(frontier_[k].state - at);
        w.varint(std::uint64_t{frontier_[k].value} * 2 + (taken_[k] ? 1 : 0));
        at = frontier_[k].state;
    }
    if (target_) {
        w.varint(1);
        w.varint(target_->state);
        w.varint(target_->value);
    } else {
        w.varint(0);
    }
    w.varint((started_ ? 1U : 0U) + (full_ ? 2U : 0U));
    w.varint(hits_);
    w.varint(audited_);
    w.varint(ends_.size());
    for (const End& e : ends_) {
        w.varint(e.state);
        w.varint(e.choice == StateGraph::kNone ? 0 : std::uint64_t{e.choice} + 1);
    }
    return std::move(w.out);
}

std::string StatefulStrategy::restore(std::string_view saved, std::size_t actors) {
    frontier_.clear();
    taken_.clear();
    first_untried_.clear();
    head_ = 0;
    left_ = 0;
    passed_in_.clear();
    execution_ = 0;
    target_.reset();
    path_.clear();
    chain_.clear();
    started_ = false;
    full_ = false;
    hits_ = 0;
    audited_ = 0;
    ends_.clear();
    const std::uint64_t masks = actors >= 32 ? ~std::uint32_t{0} : (std::uint64_t{1} << actors) - 1;
    try {
        Reader r(saved);
        if (!r.take(kMagic)) {
            throw Bad{r.take("pfsg1")
                          ? "a saved search of an older pfnsim (format pfsg1, without the "
                            "violations' ends; this one reads pfsg2): start the sweep again"
                          : "not a saved stateful search (it does not start with 'pfsg2')"};
        }
        const std::uint64_t plen = r.upto("prefix", r.left());
        if (plen != prefix_.size()) {
            throw Bad{fmt::format("prefix: {} choices, the task's has {} (another task's search)",
                                  plen, prefix_.size())};
        }
        for (std::size_t k = 0; k < plen; ++k) {
            if (r.varint(fmt::format("prefix[{}]", k)) != prefix_[k]) {
                throw Bad{fmt::format("prefix[{}]: not the task's (another task's search)", k)};
            }
        }
        // Each state takes at least 12 bytes, a transition 4, a queued option 2: counts beyond
        // what the data can hold are refused before anything is allocated.
        const std::uint64_t n =
            r.upto("states", std::min<std::uint64_t>(r.left() / 12, StateGraph::kNone - 1));
        std::vector<std::uint64_t> keys(n);
        std::vector<StateGraph::Info> infos(n);
        for (std::uint64_t i = 0; i < n; ++i) {
            const std::string at = fmt::format("states[{}]", i);
            keys[i] = r.u64(at + ".signature");
            infos[i].enabled = static_cast<std::uint32_t>(r.upto(at + ".enabled", masks));
            infos[i].unfinished = static_cast<std::uint32_t>(r.upto(at + ".unfinished", masks));
            const std::uint64_t back = r.upto(at + ".parent", i);
            if ((i == 0) != (back == 0)) {
                throw Bad{
                    fmt::format("{}.parent: {}", at,
                                i == 0 ? "the first state has none" : "not an earlier state")};
            }
            infos[i].parent = i == 0 ? StateGraph::kNone : static_cast<std::uint32_t>(i - back);
            const std::uint64_t via = r.upto(at + ".via", kMaxValue);
            infos[i].via = via == 0 ? StateGraph::kNone : static_cast<std::uint32_t>(via - 1);
        }
        const std::uint64_t m = r.upto("transitions", r.left() / 4);
        std::vector<StateGraph::Edge> edges(m);
        std::uint64_t prev = 0;
        for (std::uint64_t k = 0; k < m; ++k) {
            const std::string at = fmt::format("transitions[{}]", k);
            StateGraph::Edge& e = edges[k];
            e.from = index_at(prev, r.zigzag(at + ".from"), n, at + ".from");
            e.to = index_at(e.from, r.zigzag(at + ".to"), n, at + ".to");
            const std::uint64_t a = r.upto(at + ".actor", (actors + 1) * 2 - 1);
            e.unfair = (a & 1U) != 0;
            e.actor = a < 2 ? kNoActor : static_cast<ActorId>(a / 2 - 1);
            const std::uint64_t v = r.upto(at + ".value", kMaxValue);
            e.value = v == 0 ? StateGraph::kNone : static_cast<std::uint32_t>(v - 1);
            prev = e.to;
        }
        if (std::string e = graph_.restore(std::move(keys), std::move(infos), std::move(edges));
            !e.empty()) {
            throw Bad{"states: " + e};
        }
        const std::uint64_t q = r.upto("queued", r.left() / 2);
        frontier_.reserve(q);
        taken_.reserve(q);
        std::uint64_t at = 0;
        for (std::uint64_t k = 0; k < q; ++k) {
            const std::string f = fmt::format("queued[{}]", k);
            // In the order queued: by state, a state's options together.
            at = index_at(at, static_cast<std::int64_t>(r.upto(f + ".state", n)), n, f + ".state");
            const std::uint64_t v = r.upto(f + ".value", kMaxValue * 2 - 1);
            frontier_.push_back(
                {static_cast<std::uint32_t>(at), static_cast<std::uint32_t>(v / 2)});
            taken_.push_back((v & 1U) != 0);
            left_ += (v & 1U) != 0 ? 0 : 1;
        }
        const std::uint64_t has_target = r.upto("target", 1);
        if (has_target == 1) {
            const auto state =
                static_cast<std::uint32_t>(r.upto("target.state", n == 0 ? 0 : n - 1));
            if (n == 0) {
                throw Bad{"target.state: there are no states"};
            }
            target_ =
                Untried{state, static_cast<std::uint32_t>(r.upto("target.value", kMaxValue - 1))};
        }
        const std::uint64_t flags = r.upto("flags", 3);
        started_ = (flags & 1U) != 0;
        full_ = (flags & 2U) != 0;
        if (!full_ && started_ != target_.has_value()) {
            throw Bad{started_ ? "target: a started search has one"
                               : "target: a search not started has none"};
        }
        if (!started_ && !full_) {
            throw Bad{"flags: a search is saved once started"};
        }
        if (n == 0) {
            throw Bad{"states: none (a search is saved after its first execution)"};
        }
        hits_ = r.varint("state_hits");
        audited_ = r.varint("audited");
        const std::uint64_t ne = r.upto("ends", std::min<std::uint64_t>(r.left() / 2, kMostEnds));
        ends_.reserve(ne);
        for (std::uint64_t k = 0; k < ne; ++k) {
            const std::string f = fmt::format("ends[{}]", k);
            const auto state = static_cast<std::uint32_t>(r.upto(f + ".state", n - 1));
            const std::uint64_t c = r.upto(f + ".choice", kMaxValue);
            ends_.push_back(
                {state, c == 0 ? StateGraph::kNone : static_cast<std::uint32_t>(c - 1)});
        }
        if (r.left() != 0) {
            throw Bad{fmt::format("{} bytes after the end", r.left())};
        }
    } catch (const Bad& b) {
        graph_.restore({}, {}, {});
        frontier_.clear();
        taken_.clear();
        left_ = 0;
        target_.reset();
        started_ = false;
        full_ = false;
        hits_ = 0;
        audited_ = 0;
        ends_.clear();
        return b.what;
    }
    first_untried_.assign(graph_.states(), StateGraph::kNone);
    for (std::size_t k = 0; k < frontier_.size(); ++k) {
        if (first_untried_[frontier_[k].state] == StateGraph::kNone) {
            first_untried_[frontier_[k].state] = static_cast<std::uint32_t>(k);
        }
    }
    if (target_) {
        path_ = graph_.path_to(target_->state);
        chain_ = graph_.states_to(target_->state);
    }
    return {};
}

std::string StatefulStrategy::check_saved(std::string_view saved,
                                          const std::vector<std::uint32_t>& prefix,
                                          std::size_t actors, Counts* counts) {
    StateGraph g;
    StatefulStrategy s(g, {});
    s.restrict_to(prefix);
    std::string e = s.restore(saved, actors);
    if (e.empty() && counts != nullptr) {
        *counts = {g.states(), g.transitions(), s.hits_, s.audited_};
    }
    return e;
}

StatefulStrategy::StatefulStrategy(StateGraph& graph, const Options& o)
    : Strategy(StrategyKind::Stateful), graph_(graph), opt_(o) {
    if (o.audit_points > 0) {
        graph_.index_successors();
    }
}

void StatefulStrategy::new_execution(std::uint64_t /*seed*/) {
    ++execution_;
    pos_ = 0;
    points_ = 0;
    last_point_pos_ = 0;
    last_state_ = StateGraph::kNone;
    last_value_ = StateGraph::kNone;
    last_eventual_ = false;
    last_new_ = false;
    at_target_ = false;
    audit_left_ = 0;
    mismatch_.reset();
    divergence_.reset();
    nav_.clear();
    nav_pos_ = 0;
    if (current_route_ != StateGraph::kNone) {
        routes_[current_route_] = std::move(current_choices_);
        current_route_ = StateGraph::kNone;
    }
    current_choices_.clear();
    if (!started_) {
        path_ = prefix_;  // the first execution: the task's prefix, then first options
        target_.reset();
    }
    replaying_ = true;
}

bool StatefulStrategy::advance() {
    started_ = true;
    while (head_ < frontier_.size() && taken_[head_]) {
        ++head_;
    }
    if (head_ >= frontier_.size() || full_) {
        return false;
    }
    target_ = frontier_[head_++];
    --left_;
    path_ = graph_.path_to(target_->state);
    chain_ = graph_.states_to(target_->state);
    return true;
}

// On the way to a target every state but the target's is the recorded one: a deterministic
// program passes the recorded states of its path in order. The target's signature is computed
// and must be the target's: that checks the whole replay (a program that is not deterministic,
// or whose signature misses part of its state, reaches another state or none recorded).
bool StatefulStrategy::needs_signature() const {
    // An audit checks every state of the replay: it names where a path first went astray.
    // Moving along recorded transitions likewise: only the state it moves to is checked.
    if (nav_pos_ + 1 < nav_.size()) {
        return false;
    }
    return opt_.audit_points > 0 || !(replaying_ && target_ && points_ + 1 < chain_.size());
}

void StatefulStrategy::recorded(std::uint32_t state, std::size_t point) {
    if (opt_.audit_points == 0) {
        return;
    }
    if (current_route_ == StateGraph::kNone) {
        current_route_ = static_cast<std::uint32_t>(routes_.size());
        routes_.emplace_back();
    }
    if (first_seen_.size() <= state) {
        first_seen_.resize(static_cast<std::size_t>(state) + 1, {StateGraph::kNone, 0});
    }
    first_seen_[state] = {current_route_, static_cast<std::uint32_t>(point)};
}

std::optional<StatefulStrategy::Route> StatefulStrategy::first_route(std::uint32_t state) const {
    if (state >= first_seen_.size() || first_seen_[state].first == StateGraph::kNone) {
        return std::nullopt;  // not audited, or recorded before a resume
    }
    const auto [route, point] = first_seen_[state];
    return Route{route == current_route_ ? current_choices_ : routes_[route], point};
}

bool StatefulStrategy::at_state(const StatePoint& p) {
    at_target_ = false;
    // The transition into this point put off a weakly fair event: it is in no fair cycle.
    const bool put_off = last_eventual_ && last_value_ == 0;
    last_eventual_ = p.eventual;
    const std::size_t point = points_++;
    last_point_pos_ = pos_;
    if (nav_pos_ < nav_.size()) {
        // Moving from a state hit to an untried option: each state is the recorded one, as on
        // a replayed path; the last is checked and its option taken.
        const std::uint32_t to = nav_[nav_pos_++].to;
        last_state_ = to;
        last_value_ = StateGraph::kNone;
        last_new_ = false;
        passed(to);
        if (nav_pos_ < nav_.size()) {
            return true;
        }
        nav_.clear();
        nav_pos_ = 0;
        if (p.signature != graph_.key(to)) {
            error_ = fmt::format(
                "a recorded transition led to another state after {} choices than the one "
                "recorded (the program is not deterministic, or its signature misses part of its "
                "state)",
                pos_);
            return false;
        }
        const std::optional<std::uint32_t> v = take_untried(to);
        if (!v) {
            return false;  // cannot happen: nothing took it since the move was planned
        }
        target_ = Untried{to, *v};
        at_target_ = true;
        return true;
    }
    if (replaying_ && target_ && point + 1 < chain_.size()) {
        if (opt_.audit_points > 0 && p.signature != graph_.key(chain_[point])) {
            error_ = fmt::format(
                "the replayed path reaches another state after {} choices than the one recorded "
                "there (the program is not deterministic, or its signature misses part of its "
                "state)",
                pos_);
            divergence_ = Divergence{chain_[point], point};
            return false;
        }
        last_state_ = chain_[point];  // unless audited, p.signature is not set
        passed(last_state_);
        last_value_ = StateGraph::kNone;
        last_new_ = false;
        return true;
    }
    if (replaying_ && !target_ && pos_ >= path_.size()) {
        replaying_ = false;  // the first execution leaves the task's prefix: search from here
    }
    if (replaying_) {
        const std::optional<std::uint32_t> i = graph_.find(p.signature);
        if (!i) {
            if (target_) {
                error_ = fmt::format(
                    "the state the replayed path reaches after {} choices was never recorded "
                    "(the program is not deterministic, or its signature misses part of its "
                    "state)",
                    pos_);
                if (opt_.audit_points > 0 && point < chain_.size()) {
                    divergence_ = Divergence{chain_[point], point};
                }
                return false;
            }
            // The first execution records the prefix as it goes; the alternatives of its
            // choices are other tasks'.
            const auto [k, fresh] = graph_.visit(p.signature, p, last_state_, last_value_);
            if (fresh) {
                recorded(k, point);
            }
            if (last_state_ != StateGraph::kNone) {
                graph_.add_edge({last_state_, k, last_value_, p.arrived, put_off});
            }
            last_state_ = k;
            passed(k);
            last_value_ = StateGraph::kNone;
            last_new_ = false;
            return true;
        }
        last_state_ = *i;
        passed(*i);
        last_value_ = StateGraph::kNone;
        last_new_ = false;
        at_target_ = target_ && *i == target_->state && pos_ == path_.size();
        if (at_target_) {
            replaying_ = false;
        }
        return true;
    }
    if (audit_left_ > 0) {
        const std::optional<std::uint32_t> want = graph_.successor(last_state_, last_value_);
        if (!want) {
            return false;
        }
        ++audited_;
        if (graph_.key(*want) != p.signature) {
            mismatch_ = Mismatch{
                graph_.path_to(last_state_),          last_value_, graph_.key(*want), p.signature,
                graph_.states_to(last_state_).size(), point};
            return false;
        }
        last_state_ = *want;
        last_value_ = StateGraph::kNone;
        return --audit_left_ > 0;
    }
    const auto [i, fresh] = graph_.visit(p.signature, p, last_state_, last_value_);
    if (fresh) {
        recorded(i, point);
    }
    if (last_state_ != StateGraph::kNone) {
        graph_.add_edge({last_state_, i, last_value_, p.arrived, put_off});
    }
    last_state_ = i;
    last_value_ = StateGraph::kNone;
    last_new_ = fresh;
    // Whether this execution passed the state before (a cycle on its own path), then mark it.
    const bool again = !fresh && i < passed_in_.size() && passed_in_[i] == execution_;
    passed(i);
    if (fresh) {
        if (opt_.max_states != 0 && graph_.states() >= opt_.max_states) {
            full_ = true;
            return false;
        }
        return true;
    }
    ++hits_;
    if (opt_.audit_points > 0) {
        audit_left_ = opt_.audit_points;
        return true;
    }
    // A hit on a state whose options are still queued: take one now. It is the transition an
    // execution would later replay the path to this state for; the state is the same, so is
    // its future (the audit above checks that assumption), and one execution is saved.
    // Not when the hit closes a cycle on this execution's own path: its paths stay simple, as
    // the stateless sweep's are (its replay cuts a path at a repeated state).
    // Only where a choice follows (a point with one option has none to take).
    if (!again && p.options > 1 && points_ < opt_.continue_points) {
        if (const std::optional<std::uint32_t> v = take_untried(i)) {
            target_ = Untried{i, *v};
            at_target_ = true;
            return true;
        }
    }
    // None here: move along recorded transitions to the nearest state that has one, which is
    // what an execution replaying the path to it would do, without its stop and its replay
    // from the start. Its future is the recorded one for the same reason as above.
    return !again && navigate(i);
}

// A breadth-first search of the recorded transitions from `from` for the nearest state with
// an untried option, through states this execution has not passed (its path stays simple),
// within the points left before continue_points and a bounded number of states.
bool StatefulStrategy::navigate(std::uint32_t from) {
    constexpr std::size_t kMostStates = 64;
    if (left_ == 0 || points_ >= opt_.continue_points) {
        return false;
    }
    const std::size_t most_depth = opt_.continue_points - points_;
    if (bfs_mark_.size() < graph_.states()) {
        bfs_mark_.resize(graph_.states(), 0);
    }
    if (++bfs_gen_ == 0) {
        std::fill(bfs_mark_.begin(), bfs_mark_.end(), 0);
        bfs_gen_ = 1;
    }
    bfs_.clear();
    bfs_.push_back({from, StateGraph::kNone, StateGraph::kNone, 0});
    bfs_mark_[from] = bfs_gen_;
    const auto& edges = graph_.edges();
    for (std::size_t q = 0; q < bfs_.size() && q < kMostStates; ++q) {
        const Visit at = bfs_[q];
        if (at.depth + 1 >= most_depth) {
            continue;
        }
        for (std::uint32_t e = graph_.first_out(at.state); e != StateGraph::kNone;
             e = graph_.next_out(e)) {
            const std::uint32_t to = edges[e].to;
            if (bfs_mark_[to] == bfs_gen_ ||
                (to < passed_in_.size() && passed_in_[to] == execution_)) {
                continue;
            }
            bfs_mark_[to] = bfs_gen_;
            bfs_.push_back({to, static_cast<std::uint32_t>(q), e, at.depth + 1});
            if (!untried(to)) {
                continue;
            }
            nav_.clear();
            for (auto k = static_cast<std::uint32_t>(bfs_.size() - 1);
                 bfs_[k].parent != StateGraph::kNone; k = bfs_[k].parent) {
                nav_.push_back({edges[bfs_[k].edge].value, bfs_[k].state});
            }
            std::reverse(nav_.begin(), nav_.end());
            nav_pos_ = 0;
            moves_ += nav_.size();
            return true;
        }
    }
    return false;
}

void StatefulStrategy::note_end(std::span<const std::uint32_t> choices) {
    // After its last point an execution makes at most that point's choice.
    if (last_state_ == StateGraph::kNone || last_point_pos_ > choices.size() ||
        choices.size() - last_point_pos_ > 1 || ends_.size() >= kMostEnds) {
        return;
    }
    ends_.push_back({last_state_, last_point_pos_ < choices.size() ? choices[last_point_pos_]
                                                                   : StateGraph::kNone});
}

// The index in frontier_ of `state`'s first option neither run nor taken, if any.
std::optional<std::size_t> StatefulStrategy::untried(std::uint32_t state) {
    if (state >= first_untried_.size() || first_untried_[state] == StateGraph::kNone) {
        return std::nullopt;
    }
    for (std::size_t k = first_untried_[state]; k < frontier_.size() && frontier_[k].state == state;
         ++k) {
        if (k >= head_ && !taken_[k]) {
            return k;
        }
    }
    first_untried_[state] = StateGraph::kNone;  // all run or taken
    return std::nullopt;
}

void StatefulStrategy::passed(std::uint32_t state) {
    if (passed_in_.size() <= state) {
        passed_in_.resize(static_cast<std::size_t>(state) + 1, 0);
    }
    passed_in_[state] = execution_;
}

std::optional<std::uint32_t> StatefulStrategy::take_untried(std::uint32_t state) {
    const std::optional<std::size_t> k = untried(state);
    if (!k) {
        return std::nullopt;
    }
    taken_[*k] = true;
    --left_;
    return frontier_[*k].value;
}

std::uint32_t StatefulStrategy::pick(std::span<const std::uint32_t> options) {
    std::uint32_t v = options.front();
    if (replaying_) {
        if (pos_ >= path_.size()) {
            error_ = "the replayed path did not reach its state (the program is not deterministic)";
            return kPrune;
        }
        v = path_[pos_];  // the path to the target, or the task's prefix
        if (std::find(options.begin(), options.end(), v) == options.end()) {
            error_ = fmt::format("choice {} of the path ({}) is not an option here", pos_, v);
            return kPrune;
        }
    } else if (nav_pos_ < nav_.size()) {
        v = nav_[nav_pos_].value;  // a recorded transition towards an untried option
        if (std::find(options.begin(), options.end(), v) == options.end()) {
            error_ = fmt::format(
                "the recorded choice {} is not an option here (the program is not "
                "deterministic)",
                v == StateGraph::kNone ? std::string("(none)") : std::to_string(v));
            return kPrune;
        }
    } else if (at_target_) {
        v = target_->value;  // the untried option
        if (std::find(options.begin(), options.end(), v) == options.end()) {
            error_ = fmt::format(
                "the untried option {} is not an option here (the program is "
                "not deterministic)",
                v);
            return kPrune;
        }
    } else if (last_new_ && audit_left_ == 0) {
        if (first_untried_.size() <= last_state_) {
            first_untried_.resize(graph_.states(), StateGraph::kNone);
        }
        first_untried_[last_state_] = static_cast<std::uint32_t>(frontier_.size());
        for (std::size_t k = 1; k < options.size(); ++k) {
            frontier_.push_back({last_state_, options[k]});
            taken_.push_back(false);
            ++left_;
        }
    }
    ++pos_;
    at_target_ = false;
    last_value_ = v;
    if (opt_.audit_points > 0) {
        current_choices_.push_back(v);
    }
    return v;
}

ActorId StatefulStrategy::choose_actor(std::span<const ActorId> enabled, ActorId current,
                                       std::span<const NextStep> /*next*/) {
    options_.clear();
    // The current actor first: its continuation is the non-preemptive one.
    if (std::find(enabled.begin(), enabled.end(), current) != enabled.end()) {
        options_.push_back(current);
    }
    for (ActorId e : enabled) {
        if (e != current) {
            options_.push_back(e);
        }
    }
    return pick(options_);
}

std::uint32_t StatefulStrategy::choose_value(std::uint32_t n, std::string_view /*what*/) {
    options_.resize(n);
    for (std::uint32_t v = 0; v < n; ++v) {
        options_[v] = v;
    }
    return pick(options_);
}

}  // namespace pfnsim::sim
