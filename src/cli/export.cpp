#include "cli/export.hpp"

#include <fmt/format.h>

#include <map>

#include "pfnsim/sim/trace.hpp"

namespace pfnsim::cli {

namespace {
constexpr std::uint64_t kTick = 10;  // microseconds per step
bool writes(sim::Op op) {
    return op == sim::Op::Write || op == sim::Op::Acquire || op == sim::Op::Release;
}
std::string dot_escape(const std::string& s) {
    std::string r;
    for (char c : s) {
        if (c == '"' || c == '\\') {
            r += '\\';
        }
        r += c;
    }
    return r;
}
}  // namespace

nlohmann::json chrome_trace(const sim::Outcome& o, sim::Program& program,
                            const std::string& title) {
    using nlohmann::json;
    const auto& decls = program.actors();
    json events = json::array();
    events.push_back({{"name", "process_name"},
                      {"ph", "M"},
                      {"pid", 1},
                      {"tid", 0},
                      {"ts", 0},
                      {"args", {{"name", title}}}});
    for (std::size_t a = 0; a < decls.size(); ++a) {
        events.push_back({{"name", "thread_name"},
                          {"ph", "M"},
                          {"pid", 1},
                          {"tid", a + 1},
                          {"ts", 0},
                          {"args", {{"name", fmt::format("CPU{} ({})", a, decls[a].name)}}}});
    }
    std::map<std::pair<sim::ActorId, sim::ObjectId>, std::uint64_t> open;  // lock spans
    std::uint64_t next_id = 1;
    for (std::size_t i = 0; i < o.trace.size(); ++i) {
        const sim::Step& st = o.trace[i];
        const std::uint64_t ts = i * kTick;
        const std::uint64_t tid = st.actor + 1;
        const std::string obj = program.objects().name(st.object);
        const std::string effect = sim::render_effect(st);
        events.push_back({{"name", st.func.text},
                          {"cat", sim::op_name(st.op)},
                          {"ph", "X"},
                          {"ts", ts},
                          {"dur", kTick - 2},
                          {"pid", 1},
                          {"tid", tid},
                          {"args", {{"step", i + 1}, {"object", obj}, {"effect", effect}}}});
        if (st.op == sim::Op::Acquire && open.count({st.actor, st.object}) == 0) {
            open[{st.actor, st.object}] = next_id;
            events.push_back({{"name", obj},
                              {"cat", "lock"},
                              {"ph", "b"},
                              {"id", next_id},
                              {"ts", ts},
                              {"pid", 1},
                              {"tid", tid}});
            ++next_id;
        } else if (st.op == sim::Op::Release) {
            auto it = open.find({st.actor, st.object});
            if (it != open.end()) {
                events.push_back({{"name", obj},
                                  {"cat", "lock"},
                                  {"ph", "e"},
                                  {"id", it->second},
                                  {"ts", ts + kTick - 2},
                                  {"pid", 1},
                                  {"tid", tid}});
                open.erase(it);
            }
        } else if (st.op == sim::Op::Write || st.op == sim::Op::Finish) {
            events.push_back({{"name", effect},
                              {"cat", st.op == sim::Op::Write ? "entry" : "result"},
                              {"ph", "i"},
                              {"s", "t"},
                              {"ts", ts + 1},
                              {"pid", 1},
                              {"tid", tid},
                              {"args", {{"object", obj}}}});
        }
    }
    const std::uint64_t end = o.trace.size() * kTick;
    for (const auto& [key, id] : open) {
        events.push_back({{"name", program.objects().name(key.second)},
                          {"cat", "lock"},
                          {"ph", "e"},
                          {"id", id},
                          {"ts", end},
                          {"pid", 1},
                          {"tid", key.first + 1}});
    }
    return json{{"traceEvents", events}, {"displayTimeUnit", "ms"}};
}

std::string check_chrome_trace(const nlohmann::json& trace) {
    if (!trace.is_object() || !trace.contains("traceEvents") || !trace["traceEvents"].is_array()) {
        return "no traceEvents array";
    }
    std::map<std::uint64_t, std::uint64_t> last_ts;  // per track
    std::map<std::string, int> spans;                // cat/id -> open count
    std::size_t i = 0;
    for (const auto& e : trace["traceEvents"]) {
        for (const char* f : {"name", "ph", "ts", "pid", "tid"}) {
            if (!e.contains(f)) {
                return fmt::format("event {} has no '{}'", i, f);
            }
        }
        const std::string ph = e["ph"];
        if (ph == "M") {
            ++i;
            continue;
        }
        const std::uint64_t tid = e["tid"];
        const std::uint64_t ts = e["ts"];
        if (ph == "X" || ph == "i") {
            if (last_ts.count(tid) != 0 && ts < last_ts[tid]) {
                return fmt::format("event {}: time goes back on track {}", i, tid);
            }
            last_ts[tid] = ts;
        }
        if (ph == "X" && !e.contains("dur")) {
            return fmt::format("event {}: complete event without 'dur'", i);
        }
        if (ph == "b" || ph == "e") {
            if (!e.contains("id") || !e.contains("cat")) {
                return fmt::format("event {}: async event without 'id' or 'cat'", i);
            }
            const std::string k =
                fmt::format("{}/{}", e["cat"].get<std::string>(), e["id"].get<std::uint64_t>());
            spans[k] += ph == "b" ? 1 : -1;
            if (spans[k] < 0 || spans[k] > 1) {
                return fmt::format("event {}: unbalanced span {}", i, k);
            }
        }
        ++i;
    }
    for (const auto& [k, n] : spans) {
        if (n != 0) {
            return fmt::format("span {} is never closed", k);
        }
    }
    return {};
}

std::string happens_before_dot(const sim::Outcome& o, sim::Program& program,
                               const std::string& title) {
    const auto& decls = program.actors();
    std::string s = fmt::format(
        "digraph pfnsim {{\n  label=\"{}\";\n  labelloc=t;\n"
        "  node [shape=box, fontname=\"monospace\", fontsize=10];\n",
        dot_escape(title));
    for (std::size_t a = 0; a < decls.size(); ++a) {
        s += fmt::format("  subgraph cluster_{} {{\n    label=\"CPU{} ({})\";\n", a, a,
                         dot_escape(decls[a].name));
        long prev = -1;
        for (std::size_t i = 0; i < o.trace.size(); ++i) {
            const sim::Step& st = o.trace[i];
            if (st.actor != a) {
                continue;
            }
            s += fmt::format(
                "    s{} [label=\"{}: {}\\n{} {}\"];\n", i + 1, i + 1, dot_escape(st.func.text),
                sim::op_name(st.op),
                dot_escape(program.objects().name(st.object) + " " + sim::render_effect(st)));
            if (prev >= 0) {
                s += fmt::format("    s{} -> s{};\n", prev + 1, i + 1);
            }
            prev = static_cast<long>(i);
        }
        s += "  }\n";
    }
    // Conflict edges: each access to the previous conflicting access of another actor.
    for (std::size_t i = 0; i < o.trace.size(); ++i) {
        const sim::Step& st = o.trace[i];
        if (st.object == sim::kNoObject) {
            continue;
        }
        for (std::size_t j = i; j-- > 0;) {
            const sim::Step& p = o.trace[j];
            if (p.object != st.object || !(writes(p.op) || writes(st.op))) {
                continue;
            }
            if (p.actor != st.actor) {
                s += fmt::format("  s{} -> s{} [style=dashed, color=red];\n", j + 1, i + 1);
            }
            break;
        }
    }
    return s + "}\n";
}

}  // namespace pfnsim::cli
