#include "pfnsim/sim/sweep_checkpoint.hpp"

#include <fmt/format.h>

#include <charconv>
#include <limits>

#include "pfnsim/sim/schedule.hpp"

namespace pfnsim::sim {

using nlohmann::json;

namespace {

std::string hex(std::uint64_t v) {
    return fmt::format("{:016x}", v);
}

std::uint64_t unhex(const json& j) {
    const std::string s = j.get<std::string>();
    std::uint64_t v = 0;
    const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 16);
    if (s.empty() || ec != std::errc() || ptr != s.data() + s.size()) {
        throw SweepError(fmt::format("'{}' is not a hex hash", s));
    }
    return v;
}

template <typename T>
std::vector<T> nums(const json& j) {
    if (!j.is_array()) {
        throw SweepError(fmt::format("{} is not an array of numbers", j.dump()));
    }
    std::vector<T> v;
    v.reserve(j.size());
    for (const auto& x : j) {
        v.push_back(json_number<T>(x));
    }
    return v;
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
    Witness w;
    const auto kind = parse_kind(j.at("kind").get<std::string>());
    if (!kind) {
        throw SweepError(fmt::format("unknown violation kind '{}' (valid: {})",
                                     j.at("kind").get<std::string>(), kValidKinds));
    }
    w.violation = {*kind, j.at("actor").get<std::string>(), j.at("detail").get<std::string>()};
    try {
        w.schedule = decode_schedule(j.at("schedule").get<std::string>());
    } catch (const ScheduleError& e) {
        throw SweepError(e.what());
    }
    w.count = json_number<std::uint64_t>(j.at("count"));
    w.steps = json_number<std::uint64_t>(j.at("steps"));
    w.preemptions = json_number<unsigned>(j.at("preemptions"));
    w.faults = json_number<unsigned>(j.at("faults"));
    w.trace_hash = unhex(j.at("trace_hash"));
    return w;
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
    return j;
}

SweepTotals totals_from_json(const json& j, const std::vector<std::string>& actors) {
    SweepTotals t;
    t.executions = json_number<std::uint64_t>(j.at("executions"));
    t.steps = json_number<std::uint64_t>(j.at("steps"));
    t.pruned = json_number<std::uint64_t>(j.at("pruned"));
    t.redundant = json_number<std::uint64_t>(j.at("redundant"));
    for (auto [field, into] : {std::pair{"states", &t.states}, std::pair{"transitions", &t.transitions},
                               std::pair{"state_hits", &t.state_hits},
                               std::pair{"audited", &t.audited}}) {
        *into = j.contains(field) ? json_number<std::uint64_t>(j.at(field)) : 0;
    }
    t.results.resize(actors.size());
    for (std::size_t a = 0; a < actors.size(); ++a) {
        for (const auto& [k, n] : j.at("results").at(actors[a]).items()) {
            t.results[a][k] = json_number<std::uint64_t>(n);
        }
    }
    for (const auto& h : j.at("final_state_hashes")) {
        t.final_states.insert(unhex(h));
    }
    for (const auto& v : j.at("violations")) {
        t.add_witness(witness_from_json(v));
    }
    return t;
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
        act.push_back({{"task", a.task},
                       {"pruned", a.pruned},
                       {"frontier", frontier},
                       {"totals", totals_json(a.totals, actors, true)}});
    }
    j["active"] = act;
    return j;
}

SweepState state_from_json(const json& j, const std::vector<std::string>& actors) {
    SweepState s;
    if (j.at("pfnsim_checkpoint").get<int>() != 2) {
        throw SweepError("unsupported checkpoint version (valid: 2)");
    }
    s.key = j.at("key").get<std::string>();
    s.tasks = [&] {
        std::vector<std::vector<std::uint32_t>> t;
        for (const auto& x : j.at("tasks")) {
            t.push_back(nums<std::uint32_t>(x));
        }
        return t;
    }();
    s.done.assign(s.tasks.size(), false);
    for (const auto& k : j.at("done")) {
        const auto i = json_number<std::size_t>(k);
        if (i >= s.tasks.size()) {
            throw SweepError("a done task is out of range");
        }
        s.done[i] = true;
    }
    s.finished = totals_from_json(j.at("finished"), actors);
    for (const auto& a : j.at("active")) {
        SweepState::Active act;
        act.task = json_number<std::size_t>(a.at("task"));
        if (act.task >= s.tasks.size()) {
            throw SweepError("an active task is out of range");
        }
        act.pruned = json_number<std::uint64_t>(a.at("pruned"));
        for (const auto& n : a.at("frontier")) {
            DfsStrategy::Node node;
            node.options = nums<std::uint32_t>(n.at("o"));
            node.explorable = json_number<std::uint64_t>(n.at("e"));
            node.sleep = json_number<std::uint64_t>(n.at("s"));
            node.chosen = json_number<std::uint32_t>(n.at("c"));
            node.current = json_number<ActorId>(n.at("a"));
            node.preemptions_before = json_number<unsigned>(n.at("p"));
            node.data = n.at("d").get<bool>();
            if (node.chosen >= node.options.size()) {
                throw SweepError("a saved choice is out of range");
            }
            act.frontier.push_back(std::move(node));
        }
        act.totals = totals_from_json(a.at("totals"), actors);
        s.active.push_back(std::move(act));
    }
    s.partitioned = true;
    return s;
}

}  // namespace pfnsim::sim
