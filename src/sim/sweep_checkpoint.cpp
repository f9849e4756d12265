#include "pfnsim/sim/sweep_checkpoint.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <limits>
#include <set>
#include <string_view>
#include <tuple>

#include "pfnsim/sim/schedule.hpp"
#include "pfnsim/sim/stateful_strategy.hpp"

namespace pfnsim::sim {

using nlohmann::json;

namespace {

std::string hex(std::uint64_t v) {
    return fmt::format("{:016x}", v);
}

constexpr std::string_view kBase64 =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// Standard base64 with padding (RFC 4648).
std::string base64(std::string_view in) {
    std::string out;
    out.reserve((in.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 3 <= in.size(); i += 3) {
        const std::uint32_t v = (std::uint32_t{static_cast<std::uint8_t>(in[i])} << 16U) |
                                (std::uint32_t{static_cast<std::uint8_t>(in[i + 1])} << 8U) |
                                std::uint32_t{static_cast<std::uint8_t>(in[i + 2])};
        for (unsigned k = 0; k < 4; ++k) {
            out.push_back(kBase64[(v >> (18 - 6 * k)) & 0x3FU]);
        }
    }
    if (i < in.size()) {
        std::uint32_t v = std::uint32_t{static_cast<std::uint8_t>(in[i])} << 16U;
        if (i + 1 < in.size()) {
            v |= std::uint32_t{static_cast<std::uint8_t>(in[i + 1])} << 8U;
        }
        out.push_back(kBase64[(v >> 18U) & 0x3FU]);
        out.push_back(kBase64[(v >> 12U) & 0x3FU]);
        out.push_back(i + 1 < in.size() ? kBase64[(v >> 6U) & 0x3FU] : '=');
        out.push_back('=');
    }
    return out;
}

// The bytes of canonical base64 text (what base64() writes), or where it is not.
std::optional<std::string> unbase64(std::string_view in, std::string& why) {
    if (in.size() % 4 != 0) {
        why = fmt::format("not base64 ({} characters, not a multiple of 4)", in.size());
        return std::nullopt;
    }
    std::string out;
    out.reserve(in.size() / 4 * 3);
    for (std::size_t i = 0; i < in.size(); i += 4) {
        std::uint32_t v = 0;
        unsigned pad = 0;
        for (unsigned k = 0; k < 4; ++k) {
            const char c = in[i + k];
            const bool last = i + 4 == in.size();
            std::uint32_t d = 0;
            if (c == '=' && last && (k == 3 || (k == 2 && in[i + 3] == '='))) {
                ++pad;
            } else if (const auto at = kBase64.find(c); at != std::string_view::npos && pad == 0) {
                d = static_cast<std::uint32_t>(at);
            } else {
                why = fmt::format("not base64 (character {})", i + k);
                return std::nullopt;
            }
            v = (v << 6U) | d;
        }
        // Padding leaves bits unused: canonical text has them zero.
        if ((pad == 1 && (v & 0xFFU) != 0) || (pad == 2 && (v & 0xFFFFU) != 0)) {
            why = fmt::format("not base64 (character {})", i + 3 - pad);
            return std::nullopt;
        }
        out.push_back(static_cast<char>((v >> 16U) & 0xFFU));
        if (pad < 2) {
            out.push_back(static_cast<char>((v >> 8U) & 0xFFU));
        }
        if (pad < 1) {
            out.push_back(static_cast<char>(v & 0xFFU));
        }
    }
    return out;
}

// A JSON value and the path that names it in messages ("active[0].frontier[3].s").
class Field {
  public:
    Field(const json& j, std::string path) : j_(j), path_(std::move(path)) {}

    [[noreturn]] void fail(const std::string& what) const {
        throw SweepError(fmt::format("{}: {}", path_.empty() ? "the document" : path_, what));
    }
    const json& value() const { return j_; }
    const std::string& path() const { return path_; }

    Field operator[](const char* key) const {
        if (!j_.is_object()) {
            fail("is not an object");
        }
        const auto it = j_.find(key);
        const std::string p = path_.empty() ? std::string(key) : path_ + "." + key;
        if (it == j_.end()) {
            throw SweepError(fmt::format("{}: is missing", p));
        }
        return {*it, p};
    }
    bool has(const char* key) const { return j_.is_object() && j_.contains(key); }

    std::vector<Field> elements() const {
        if (!j_.is_array()) {
            fail("is not an array");
        }
        std::vector<Field> out;
        out.reserve(j_.size());
        for (std::size_t i = 0; i < j_.size(); ++i) {
            out.emplace_back(j_[i], fmt::format("{}[{}]", path_, i));
        }
        return out;
    }
    std::vector<std::pair<std::string, Field>> members() const {
        if (!j_.is_object()) {
            fail("is not an object");
        }
        std::vector<std::pair<std::string, Field>> out;
        for (const auto& [k, v] : j_.items()) {
            out.emplace_back(k, Field(v, path_ + "." + k));
        }
        return out;
    }

    template <typename T>
    T num() const {
        if (!j_.is_number_unsigned() || j_.get<std::uint64_t>() > std::numeric_limits<T>::max()) {
            fail(fmt::format("{} is not a number 0..{}", shown(), std::numeric_limits<T>::max()));
        }
        return static_cast<T>(j_.get<std::uint64_t>());
    }
    std::string str() const {
        if (!j_.is_string()) {
            fail(fmt::format("{} is not a string", shown()));
        }
        return j_.get<std::string>();
    }
    bool boolean() const {
        if (!j_.is_boolean()) {
            fail(fmt::format("{} is not true or false", shown()));
        }
        return j_.get<bool>();
    }
    std::uint64_t hash() const {
        const std::string s = str();
        std::uint64_t v = 0;
        const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 16);
        if (s.size() != 16 || ec != std::errc() || ptr != s.data() + s.size()) {
            fail(fmt::format("'{}' is not a hash of 16 hex digits", s.substr(0, 40)));
        }
        return v;
    }
    template <typename T>
    std::vector<T> nums() const {
        std::vector<T> v;
        for (const Field& x : elements()) {
            v.push_back(x.num<T>());
        }
        return v;
    }

  private:
    std::string shown() const {
        std::string s = j_.dump();
        return s.size() > 40 ? s.substr(0, 37) + "..." : s;
    }
    const json& j_;
    std::string path_;
};

Witness witness_of(const Field& f) {
    Witness w;
    const std::string k = f["kind"].str();
    const auto kind = parse_kind(k);
    if (!kind) {
        f["kind"].fail(fmt::format("unknown violation kind '{}' (valid: {})", k, kValidKinds));
    }
    w.violation = {*kind, f["actor"].str(), f["detail"].str()};
    try {
        w.schedule = decode_schedule(f["schedule"].str());
    } catch (const ScheduleError& e) {
        f["schedule"].fail(e.what());
    }
    w.count = f["count"].num<std::uint64_t>();
    w.steps = f["steps"].num<std::uint64_t>();
    w.preemptions = f["preemptions"].num<unsigned>();
    w.faults = f["faults"].num<unsigned>();
    w.trace_hash = f["trace_hash"].hash();
    return w;
}

bool lock_mode(const std::string& m) {
    return m == "read" || m == "write" || m == "spin" || m == "mutex";
}

LockNode lock_node_of(const Field& cls, const Field& subclass) {
    LockNode n{cls.str(), subclass.num<unsigned>()};
    if (n.cls.empty()) {
        cls.fail("is empty (a lock class)");
    }
    return n;
}

std::string lock_mode_of(const Field& f) {
    std::string m = f.str();
    if (!lock_mode(m)) {
        f.fail(fmt::format("'{}' is not a lock mode (valid: read, write, spin, mutex)",
                           m.substr(0, 40)));
    }
    return m;
}

LockGraph lock_graph_of(const Field& f) {
    LockGraph g;
    for (const Field& e : f.elements()) {
        LockEdgeKey k{lock_node_of(e["from"], e["from_subclass"]), lock_mode_of(e["from_mode"]),
                      lock_node_of(e["to"], e["to_subclass"]), lock_mode_of(e["to_mode"])};
        const Witness w = witness_of(e["witness"]);
        if (w.violation != Violation{ViolationKind::LockOrder, "", k.text()}) {
            e["witness"].fail(fmt::format("does not witness the edge {}", k.text()));
        }
        LockEdgeInfo info = LockGraph::info_of(w);
        for (const Field& gate : e["gates"].elements()) {
            info.gates.push_back(gate.str());
            if (info.gates.size() > 1 && info.gates[info.gates.size() - 2] >= info.gates.back()) {
                gate.fail("gates are not distinct and in order");
            }
        }
        if (!g.edges.empty() && !(g.edges.rbegin()->first < k)) {
            e.fail("edges are not distinct and in order");
        }
        g.edges.emplace(std::move(k), std::move(info));
    }
    return g;
}

SweepTotals totals_of(const Field& f, const std::vector<std::string>& actors) {
    SweepTotals t;
    t.executions = f["executions"].num<std::uint64_t>();
    t.steps = f["steps"].num<std::uint64_t>();
    t.pruned = f["pruned"].num<std::uint64_t>();
    t.redundant = f["redundant"].num<std::uint64_t>();
    // Stateful sweeps only.
    for (auto [field, into] :
         {std::pair{"states", &t.states}, std::pair{"transitions", &t.transitions},
          std::pair{"state_hits", &t.state_hits}, std::pair{"revisited", &t.revisited},
          std::pair{"audited", &t.audited}}) {
        *into = f.has(field) ? f[field].num<std::uint64_t>() : 0;
    }
    t.results.resize(actors.size());
    const Field results = f["results"];
    for (const auto& [name, _] : results.members()) {
        if (std::find(actors.begin(), actors.end(), name) == actors.end()) {
            results.fail(fmt::format("'{}' is not an actor of the scenario", name));
        }
    }
    for (std::size_t a = 0; a < actors.size(); ++a) {
        for (const auto& [k, n] : results[actors[a].c_str()].members()) {
            t.results[a][k] = n.num<std::uint64_t>();
        }
    }
    const auto hashes = f["final_state_hashes"].elements();
    for (const Field& h : hashes) {
        if (!t.final_states.insert(h.hash()).second) {
            h.fail("a final state given twice");
        }
    }
    if (f.has("final_states") && f["final_states"].num<std::size_t>() != hashes.size()) {
        f["final_states"].fail(fmt::format("{} final states, but {} hashes",
                                           f["final_states"].num<std::size_t>(), hashes.size()));
    }
    for (const Field& v : f["violations"].elements()) {
        const Witness w = witness_of(v);
        if (!t.violations.empty() &&
            std::tie(t.violations.back().violation.kind, t.violations.back().violation.actor,
                     t.violations.back().violation.detail) >=
                std::tie(w.violation.kind, w.violation.actor, w.violation.detail)) {
            v.fail("violations are not distinct and in order");
        }
        t.violations.push_back(w);
    }
    if (f.has("lock_graph")) {
        t.lock_graph = lock_graph_of(f["lock_graph"]);
    }
    // The lock-order reports follow from the graph: derived again, they must be the same.
    std::vector<Witness> saved;
    for (const Witness& w : t.violations) {
        if (w.violation.kind == ViolationKind::LockOrder) {
            saved.push_back(w);
        }
    }
    t.refresh_lock_order();
    std::vector<Witness> derived;
    for (const Witness& w : t.violations) {
        if (w.violation.kind == ViolationKind::LockOrder) {
            derived.push_back(w);
        }
    }
    // A shard's report writes a finding's schedule stamped with its plan's key (Schedule::key),
    // which the graph's witnesses are not: the choices must agree, the stamp is the caller's.
    const auto same = [](const Witness& a, const Witness& b) {
        return a.violation == b.violation && a.schedule.choices == b.schedule.choices &&
               a.schedule.cycle_start == b.schedule.cycle_start && a.count == b.count &&
               a.steps == b.steps && a.preemptions == b.preemptions && a.faults == b.faults &&
               a.trace_hash == b.trace_hash;
    };
    if (!std::equal(saved.begin(), saved.end(), derived.begin(), derived.end(), same)) {
        f["violations"].fail("the lock-order violations do not follow from lock_graph");
    }
    return t;
}

// A stateful task: its saved search (StatefulStrategy::check_saved) and totals that count it.
void check_stateful(const SweepState::Active& a, const std::vector<std::uint32_t>& prefix,
                    const StateLimits& l, const std::string& at) {
    if (a.search.empty()) {
        throw SweepError(
            fmt::format("{}.search: is missing (a stateful task saves its search)", at));
    }
    if (!a.frontier.empty() || a.pruned != 0) {
        throw SweepError(
            fmt::format("{}.frontier: a stateful task has no path and prunes none", at));
    }
    StatefulStrategy::Counts n;
    if (const std::string why = StatefulStrategy::check_saved(a.search, prefix, l.actors, &n);
        !why.empty()) {
        throw SweepError(fmt::format("{}.search: {}", at, why));
    }
    check_totals(a.totals, l, at + ".totals");
    for (auto [field, saved, graph] :
         {std::tuple{"states", a.totals.states, n.states},
          std::tuple{"transitions", a.totals.transitions, n.transitions},
          std::tuple{"state_hits", a.totals.state_hits, n.state_hits},
          std::tuple{"audited", a.totals.audited, n.audited}}) {
        if (saved != graph) {
            throw SweepError(fmt::format("{}.totals.{}: {}, but the saved search has {}", at, field,
                                         saved, graph));
        }
    }
    // A search is saved once it ran.
    if (a.totals.executions == 0) {
        throw SweepError(fmt::format("{}.totals.executions: 0 for a saved search", at));
    }
}

}  // namespace

json witness_json(const Witness& w) {
    return {{"kind", kind_name(w.violation.kind)},
            {"actor", w.violation.actor},
            {"detail", w.violation.detail},
            {"schedule", encode_schedule(w.schedule)},
            {"count", w.count},
            {"steps", w.steps},
            {"preemptions", w.preemptions},
            {"faults", w.faults},
            {"trace_hash", hex(w.trace_hash)}};
}

Witness witness_from_json(const json& j) {
    return witness_of(Field(j, ""));
}

json totals_json(const SweepTotals& t, const std::vector<std::string>& actors, bool hashes) {
    json j;
    j["executions"] = t.executions;
    j["steps"] = t.steps;
    j["pruned"] = t.pruned;
    j["redundant"] = t.redundant;
    j["states"] = t.states;
    j["transitions"] = t.transitions;
    j["state_hits"] = t.state_hits;
    j["revisited"] = t.revisited;
    j["audited"] = t.audited;
    json results = json::object();
    for (std::size_t a = 0; a < actors.size(); ++a) {
        json r = json::object();
        if (a < t.results.size()) {
            for (const auto& [k, n] : t.results[a]) {
                r[k] = n;
            }
        }
        results[actors[a]] = r;
    }
    j["results"] = results;
    j["final_states"] = t.final_states.size();
    if (hashes) {
        json h = json::array();
        for (std::uint64_t v : t.final_states) {
            h.push_back(hex(v));
        }
        j["final_state_hashes"] = h;
    }
    json vs = json::array();
    for (const auto& w : t.violations) {
        vs.push_back(witness_json(w));
    }
    j["violations"] = vs;
    json edges = json::array();
    for (const auto& [k, e] : t.lock_graph.edges) {
        edges.push_back({{"from", k.from.cls},
                         {"from_subclass", k.from.subclass},
                         {"from_mode", k.from_mode},
                         {"to", k.to.cls},
                         {"to_subclass", k.to.subclass},
                         {"to_mode", k.to_mode},
                         {"gates", e.gates},
                         {"witness", witness_json(LockGraph::witness_of(k, e))}});
    }
    j["lock_graph"] = edges;
    return j;
}

SweepTotals totals_from_json(const json& j, const std::vector<std::string>& actors) {
    return totals_of(Field(j, ""), actors);
}

json state_json(const SweepState& s, const std::vector<std::string>& actors) {
    json j;
    j["pfnsim_checkpoint"] = 2;
    j["key"] = s.key;
    j["tasks"] = s.tasks;
    json done = json::array();
    for (std::size_t k = 0; k < s.done.size(); ++k) {
        if (s.done[k]) {
            done.push_back(k);
        }
    }
    j["done"] = done;
    j["finished"] = totals_json(s.finished, actors, true);
    json act = json::array();
    for (const auto& a : s.active) {
        json frontier = json::array();
        for (const auto& n : a.frontier) {
            frontier.push_back({{"o", n.options},
                                {"e", n.explorable},
                                {"s", n.sleep},
                                {"c", n.chosen},
                                {"a", n.current},
                                {"p", n.preemptions_before},
                                {"d", n.data}});
        }
        json entry = {{"task", a.task},
                      {"pruned", a.pruned},
                      {"frontier", frontier},
                      {"totals", totals_json(a.totals, actors, true)}};
        if (!a.search.empty()) {
            entry["search"] = base64(a.search);  // a stateful task's whole search
        }
        act.push_back(std::move(entry));
    }
    j["active"] = act;
    return j;
}

SweepState state_from_json(const json& j, const std::vector<std::string>& actors) {
    const Field root(j, "");
    SweepState s;
    if (root["pfnsim_checkpoint"].num<unsigned>() != 2) {
        root["pfnsim_checkpoint"].fail("unsupported checkpoint version (valid: 2)");
    }
    s.key = root["key"].str();
    for (const Field& t : root["tasks"].elements()) {
        s.tasks.push_back(t.nums<std::uint32_t>());
    }
    s.done.assign(s.tasks.size(), false);
    for (const Field& k : root["done"].elements()) {
        const auto i = k.num<std::size_t>();
        if (i >= s.tasks.size()) {
            k.fail(fmt::format("task {} of {}", i, s.tasks.size()));
        }
        if (s.done[i]) {
            k.fail(fmt::format("task {} is done twice", i));
        }
        s.done[i] = true;
    }
    s.finished = totals_of(root["finished"], actors);
    for (const Field& a : root["active"].elements()) {
        SweepState::Active act;
        act.task = a["task"].num<std::size_t>();
        if (act.task >= s.tasks.size()) {
            a["task"].fail(fmt::format("task {} of {}", act.task, s.tasks.size()));
        }
        act.pruned = a["pruned"].num<std::uint64_t>();
        for (const Field& n : a["frontier"].elements()) {
            DfsStrategy::Node node;
            node.options = n["o"].nums<std::uint32_t>();
            node.explorable = n["e"].num<std::uint64_t>();
            node.sleep = n["s"].num<std::uint64_t>();
            node.chosen = n["c"].num<std::uint32_t>();
            node.current = n["a"].num<ActorId>();
            node.preemptions_before = n["p"].num<unsigned>();
            node.data = n["d"].boolean();
            act.frontier.push_back(std::move(node));
        }
        act.totals = totals_of(a["totals"], actors);
        if (a.has("search")) {
            std::string why;
            std::optional<std::string> bytes = unbase64(a["search"].str(), why);
            if (!bytes || bytes->empty()) {
                a["search"].fail(bytes ? "empty" : why);
            }
            act.search = std::move(*bytes);
        }
        s.active.push_back(std::move(act));
    }
    s.partitioned = true;
    return s;
}

namespace {
// Witnesses (of violations, or of lock-order edges) within the totals' executions and bounds.
void check_witnesses(const std::vector<Witness>& ws, std::uint64_t executions, const StateLimits& l,
                     const std::string& path, bool edges) {
    const auto fail = [&](const std::string& what) {
        throw SweepError(fmt::format("{}{}{}", path, path.empty() ? "" : ": ", what));
    };
    for (const Witness& w : ws) {
        const std::string what = edges
                                     ? fmt::format("lock-order edge '{}'", w.violation.detail)
                                     : fmt::format("violation '{}' of {}",
                                                   kind_name(w.violation.kind), w.violation.actor);
        if (w.count == 0 || w.count > executions) {
            fail(fmt::format("{} seen {} times in {} executions", what, w.count, executions));
        }
        if (l.preemptions && w.preemptions > *l.preemptions) {
            fail(fmt::format("{} has {} preemptions, over the bound {}", what, w.preemptions,
                             *l.preemptions));
        }
        if (l.faults && w.faults > *l.faults) {
            fail(fmt::format("{} has {} faults, over the bound {}", what, w.faults, *l.faults));
        }
        if (l.step_bound > 0 && w.steps > l.step_bound) {
            fail(fmt::format("{} has {} steps, over the step bound {}", what, w.steps,
                             l.step_bound));
        }
    }
}
}  // namespace

void check_totals(const SweepTotals& t, const StateLimits& l, const std::string& path) {
    const auto fail = [&](const std::string& what) {
        throw SweepError(fmt::format("{}{}{}", path, path.empty() ? "" : ": ", what));
    };
    // Every execution not cut at a known state gives every actor a result and reaches a final
    // state.
    if (t.revisited > t.executions) {
        fail(fmt::format("{} executions cut at a known state of {}", t.revisited, t.executions));
    }
    const std::uint64_t ended = t.executions - t.revisited;
    // Only a stateful sweep has states; every transition of its graph was taken by a step; no
    // execution takes more steps than the step bound.
    if (!l.stateful &&
        (t.states != 0 || t.transitions != 0 || t.state_hits != 0 || t.audited != 0)) {
        fail(
            fmt::format("states: {} states, {} transitions, {} state hits and {} audited in a "
                        "stateless sweep (valid: 0)",
                        t.states, t.transitions, t.state_hits, t.audited));
    }
    if (t.transitions > t.steps) {
        fail(fmt::format("transitions: {}, more than the {} steps that took them", t.transitions,
                         t.steps));
    }
    if (l.step_bound > 0 &&
        t.steps / l.step_bound + (t.steps % l.step_bound != 0 ? 1 : 0) > t.executions) {
        fail(fmt::format("steps: {}, more than {} executions of at most {} steps take", t.steps,
                         t.executions, l.step_bound));
    }
    for (std::size_t a = 0; a < t.results.size(); ++a) {
        std::uint64_t sum = 0;
        for (const auto& [r, n] : t.results[a]) {
            if (n == 0 || n > ended - std::min(sum, ended)) {
                fail(
                    fmt::format("results of actor {} add up to more than the {} executions that "
                                "ended",
                                a, ended));
            }
            sum += n;
        }
        if (sum != ended) {
            fail(fmt::format("results of actor {} add up to {}, not the {} executions that ended",
                             a, sum, ended));
        }
    }
    if (t.final_states.size() > ended || (ended > 0 && t.final_states.empty())) {
        fail(fmt::format("{} final states for {} executions", t.final_states.size(), t.executions));
    }
    check_witnesses(t.violations, t.executions, l, path, false);
}

void check_lock_graph(const SweepTotals& t, const StateLimits& l, const std::string& path) {
    std::vector<Witness> edges;
    for (const auto& [k, e] : t.lock_graph.edges) {
        edges.push_back(LockGraph::witness_of(k, e));
    }
    check_witnesses(edges, t.executions, l, path, true);
}

void check_graph_counts(const SweepTotals& t, std::size_t done, std::size_t searched,
                        const std::string& path) {
    const std::string at = path.empty() ? std::string() : path + ".";
    if (t.states < done) {
        throw SweepError(
            fmt::format("{}states: {} for {} finished searches (each has a state at "
                        "least)",
                        at, t.states, done));
    }
    if (t.states - std::min<std::uint64_t>(t.states, searched) > t.transitions) {
        throw SweepError(
            fmt::format("{}states: {}, but {} transitions reach at most {} states "
                        "from {} searches",
                        at, t.states, t.transitions,
                        t.transitions > ~std::uint64_t{0} - searched ? ~std::uint64_t{0}
                                                                     : t.transitions + searched,
                        searched));
    }
}

std::string merge_overflow(const SweepTotals& a, const SweepTotals& b,
                           const std::vector<std::string>& actors) {
    const auto over = [](std::uint64_t x, std::uint64_t y) { return x > ~std::uint64_t{0} - y; };
    for (auto [field, x, y] :
         {std::tuple{"executions", a.executions, b.executions},
          std::tuple{"steps", a.steps, b.steps}, std::tuple{"pruned", a.pruned, b.pruned},
          std::tuple{"redundant", a.redundant, b.redundant},
          std::tuple{"states", a.states, b.states},
          std::tuple{"transitions", a.transitions, b.transitions},
          std::tuple{"state_hits", a.state_hits, b.state_hits},
          std::tuple{"revisited", a.revisited, b.revisited},
          std::tuple{"audited", a.audited, b.audited}}) {
        if (over(x, y)) {
            return field;
        }
    }
    for (std::size_t k = 0; k < b.results.size() && k < a.results.size(); ++k) {
        for (const auto& [r, n] : b.results[k]) {
            const auto it = a.results[k].find(r);
            if (it != a.results[k].end() && over(it->second, n)) {
                return fmt::format("results.{}", k < actors.size() ? actors[k] : std::to_string(k));
            }
        }
    }
    for (std::size_t i = 0; i < b.violations.size(); ++i) {
        for (const Witness& w : a.violations) {
            const Violation& v = b.violations[i].violation;
            if (std::tie(w.violation.kind, w.violation.actor, w.violation.detail) ==
                    std::tie(v.kind, v.actor, v.detail) &&
                over(w.count, b.violations[i].count)) {
                return fmt::format("violations[{}].count", i);
            }
        }
    }
    return "";
}

void check_state(const SweepState& s, const StateLimits& l) {
    if (l.shards == 0 || l.shard >= l.shards) {
        throw SweepError(fmt::format("shard {}/{}", l.shard, l.shards));
    }
    // A partition has at most 64 tasks per task wanted (the last level can overshoot).
    const std::size_t most =
        64 * std::max(sweep_task_target(l.shards, 1024), sweep_task_target(l.shards, 1));
    if (s.tasks.empty() || s.tasks.size() > most) {
        throw SweepError(fmt::format("tasks: {} tasks (valid: 1..{})", s.tasks.size(), most));
    }
    if (s.done.size() != s.tasks.size()) {
        throw SweepError("done: not one entry per task");
    }
    // The tasks are disjoint subtrees: no prefix is a prefix of another (nor equal to it).
    std::vector<std::size_t> order(s.tasks.size());
    for (std::size_t k = 0; k < order.size(); ++k) {
        order[k] = k;
    }
    std::sort(order.begin(), order.end(),
              [&](std::size_t a, std::size_t b) { return s.tasks[a] < s.tasks[b]; });
    for (std::size_t k = 0; k < s.tasks.size(); ++k) {
        const auto& t = s.tasks[order[k]];
        if (std::any_of(t.begin(), t.end(), [](std::uint32_t v) { return v >= 64; })) {
            throw SweepError(fmt::format("tasks[{}]: a choice beyond 63", order[k]));
        }
        if (k + 1 < s.tasks.size()) {
            const auto& u = s.tasks[order[k + 1]];
            if (u.size() >= t.size() && std::equal(t.begin(), t.end(), u.begin())) {
                throw SweepError(
                    fmt::format("tasks[{}]: overlaps tasks[{}]", order[k + 1], order[k]));
            }
        }
    }
    std::size_t done = 0;
    for (std::size_t k = 0; k < s.done.size(); ++k) {
        if (s.done[k] && k % l.shards != l.shard) {
            throw SweepError(
                fmt::format("done: task {} is not one of shard {}/{}", k, l.shard, l.shards));
        }
        done += s.done[k] ? 1 : 0;
    }
    check_totals(s.finished, l, "finished");
    if (l.stateful) {
        check_graph_counts(s.finished, done, done, "finished");
    }
    // Every finished task ran at least once (an execution, or a run cut because every option
    // was asleep).
    if (s.finished.executions + s.finished.redundant < done) {
        throw SweepError(
            fmt::format("finished: {} executions and {} redundant runs cannot finish {} tasks",
                        s.finished.executions, s.finished.redundant, done));
    }
    std::set<std::size_t> seen;
    for (std::size_t i = 0; i < s.active.size(); ++i) {
        const auto& a = s.active[i];
        const std::string at = fmt::format("active[{}]", i);
        if (a.task >= s.tasks.size() || a.task % l.shards != l.shard) {
            throw SweepError(fmt::format("{}.task: task {} is not one of shard {}/{}", at, a.task,
                                         l.shard, l.shards));
        }
        if (s.done[a.task] || !seen.insert(a.task).second) {
            throw SweepError(fmt::format("{}.task: task {} is done or active twice", at, a.task));
        }
        if (l.stateful) {
            check_stateful(a, s.tasks[a.task], l, at);
            continue;
        }
        if (!a.search.empty()) {
            throw SweepError(fmt::format("{}.search: a stateless sweep saves no search", at));
        }
        const std::string why = DfsStrategy::check_saved(a.frontier, s.tasks[a.task], l.actors,
                                                         l.preemptions, l.reduce);
        if (!why.empty()) {
            throw SweepError(fmt::format("{}.frontier: {}", at, why));
        }
        check_totals(a.totals, l, at + ".totals");
        const std::uint64_t runs = DfsStrategy::runs_before(a.frontier, s.tasks[a.task].size());
        if (a.totals.executions + a.totals.redundant < runs) {
            throw SweepError(fmt::format(
                "{}.totals: {} executions and {} redundant runs, but the saved path has "
                "explored {} branches",
                at, a.totals.executions, a.totals.redundant, runs));
        }
    }
    // The lock-order graphs, after the counts they are bounded by were checked.
    check_lock_graph(s.finished, l, "finished");
    for (std::size_t i = 0; i < s.active.size(); ++i) {
        check_lock_graph(s.active[i].totals, l, fmt::format("active[{}].totals", i));
    }
    // The sweep adds them up: no count may overflow.
    SweepTotals sum = s.finished;
    for (std::size_t i = 0; i < s.active.size(); ++i) {
        const std::vector<std::string> none;
        if (const std::string f = merge_overflow(sum, s.active[i].totals, none); !f.empty()) {
            throw SweepError(
                fmt::format("active[{}].totals.{}: the sum with the other tasks' "
                            "overflows",
                            i, f));
        }
        sum.merge(s.active[i].totals);
    }
}

}  // namespace pfnsim::sim
