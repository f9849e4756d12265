#include "cli/export.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <tuple>
#include <vector>

#include "pfnsim/sim/dependence.hpp"
#include "pfnsim/sim/trace.hpp"

namespace pfnsim::cli {

namespace {
constexpr std::uint64_t kTick = 10;  // microseconds per step
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

namespace {

// A lock held (or waited for) by one actor, in trace time.
struct Span {
    std::uint64_t begin;
    std::uint64_t end;
    std::string name;
    const char* cat;  // "lock" (held) or "wait"
};

// Lock holds and waits of one actor, as the spans of the execution: a hold starts when the
// lock is taken (the acquire step, or the actor's next step when the acquire slept) and ends
// with the release step, or with the execution.
std::vector<Span> lock_spans(const sim::Outcome& o, sim::Program& program, sim::ActorId a,
                             std::uint64_t tick, std::uint64_t end) {
    std::vector<Span> spans;
    std::map<sim::ObjectId, std::size_t> open;  // object -> index in spans
    sim::ObjectId waiting = sim::kNoObject;
    for (std::size_t i = 0; i < o.trace.size(); ++i) {
        const sim::Step& st = o.trace[i];
        if (st.actor != a) {
            continue;
        }
        const std::uint64_t ts = (i + 1) * tick;
        if (waiting != sim::kNoObject) {  // woken: the lock it waited for is now held
            spans.back().end = ts;
            open[waiting] = spans.size();
            spans.push_back({ts, end, program.objects().name(waiting), "lock"});
            waiting = sim::kNoObject;
        }
        const std::string obj = program.objects().name(st.object);
        if (st.op == sim::Op::Acquire && open.count(st.object) == 0) {
            if (st.blocked) {
                spans.push_back({ts, end, "waits for " + obj, "wait"});
                waiting = st.object;
            } else {
                open[st.object] = spans.size();
                spans.push_back({ts, end, obj, "lock"});
            }
        } else if (st.op == sim::Op::Release) {
            auto it = open.find(st.object);
            if (it != open.end()) {
                spans[it->second].end = ts + tick - 2;
                open.erase(it);
            }
        }
    }
    return spans;
}

// Places spans on lanes where they nest (begin/end events of one track must), in order.
std::vector<std::vector<Span>> nest_lanes(std::vector<Span> spans) {
    std::sort(spans.begin(), spans.end(), [](const Span& x, const Span& y) {
        return x.begin != y.begin ? x.begin < y.begin : x.end > y.end;
    });
    std::vector<std::vector<Span>> lanes;
    std::vector<std::vector<std::uint64_t>> stacks;  // open ends per lane
    for (auto& sp : spans) {
        std::size_t l = 0;
        for (; l < lanes.size(); ++l) {
            auto& st = stacks[l];
            while (!st.empty() && st.back() <= sp.begin) {
                st.pop_back();
            }
            if (st.empty() || st.back() >= sp.end) {
                break;
            }
        }
        if (l == lanes.size()) {
            lanes.emplace_back();
            stacks.emplace_back();
        }
        stacks[l].push_back(sp.end);
        lanes[l].push_back(std::move(sp));
    }
    return lanes;
}

}  // namespace

nlohmann::json chrome_trace(const sim::Outcome& o, sim::Program& program,
                            const std::string& title) {
    using nlohmann::json;
    const auto& decls = program.actors();
    json events = json::array();
    // Metadata events: the process's and each track's name, and the tracks' order.
    auto meta = [&](const char* name, std::uint64_t tid, json args) {
        events.push_back({{"name", name},
                          {"ph", "M"},
                          {"pid", 1},
                          {"tid", tid},
                          {"ts", 0},
                          {"args", std::move(args)}});
    };
    meta("process_name", 0, {{"name", title}});
    auto thread = [&](std::uint64_t tid, const std::string& name, std::uint64_t order) {
        meta("thread_name", tid, {{"name", name}});
        meta("thread_sort_index", tid, {{"sort_index", order}});
    };
    // Steps start at one tick, not zero: some viewers take ts 0 for "no time".
    const std::uint64_t end = (o.trace.size() + 1) * kTick;
    for (sim::ActorId a = 0; a < decls.size(); ++a) {
        const std::uint64_t tid = a + 1;
        thread(tid, fmt::format("CPU{} ({})", a, decls[a].name), std::uint64_t{a} * 100);
        for (std::size_t i = 0; i < o.trace.size(); ++i) {
            const sim::Step& st = o.trace[i];
            if (st.actor != a) {
                continue;
            }
            const std::uint64_t ts = (i + 1) * kTick;
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
            if (st.op == sim::Op::Write || st.op == sim::Op::Finish) {
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
        // Lock holds on tracks of their own under the actor's, nested as begin/end pairs.
        const auto lanes = nest_lanes(lock_spans(o, program, a, kTick, end));
        for (std::size_t l = 0; l < lanes.size(); ++l) {
            const std::uint64_t lt = 1000 + std::uint64_t{a} * 16 + l;
            thread(lt, fmt::format("CPU{} ({}) locks", a, decls[a].name),
                   std::uint64_t{a} * 100 + 1 + l);
            // In time order; at one instant an end goes before a begin, and ends close the
            // innermost span (the later begun) first.
            std::vector<std::tuple<std::uint64_t, std::int64_t, json>> evs;
            for (std::size_t k = 0; k < lanes[l].size(); ++k) {
                const auto& sp = lanes[l][k];
                const auto order = static_cast<std::int64_t>(k);
                auto edge = [&](const char* ph, std::uint64_t ts) {
                    return json{{"name", sp.name}, {"cat", sp.cat}, {"ph", ph},
                                {"ts", ts},        {"pid", 1},      {"tid", lt}};
                };
                evs.emplace_back(sp.begin * 2 + 1, order, edge("B", sp.begin));
                evs.emplace_back(sp.end * 2, -order, edge("E", sp.end));
            }
            std::sort(evs.begin(), evs.end(), [](const auto& x, const auto& y) {
                return std::get<0>(x) != std::get<0>(y) ? std::get<0>(x) < std::get<0>(y)
                                                        : std::get<1>(x) < std::get<1>(y);
            });
            for (auto& ev : evs) {
                events.push_back(std::move(std::get<2>(ev)));
            }
        }
    }
    return json{{"traceEvents", events}, {"displayTimeUnit", "ms"}};
}

std::string check_chrome_trace(const nlohmann::json& trace) {
    if (!trace.is_object() || !trace.contains("traceEvents") || !trace["traceEvents"].is_array()) {
        return "no traceEvents array";
    }
    std::map<std::uint64_t, std::uint64_t> last_ts;            // per track
    std::map<std::string, int> spans;                          // async: cat/id -> open count
    std::map<std::uint64_t, std::vector<std::string>> stacks;  // B/E per track
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
        if (last_ts.count(tid) != 0 && ts < last_ts[tid]) {
            return fmt::format("event {}: time goes back on track {}", i, tid);
        }
        last_ts[tid] = ts;
        if (ph == "X" && !e.contains("dur")) {
            return fmt::format("event {}: complete event without 'dur'", i);
        }
        if (ph == "B") {
            stacks[tid].push_back(e["name"].get<std::string>());
        } else if (ph == "E") {
            auto& st = stacks[tid];
            if (st.empty() || st.back() != e["name"].get<std::string>()) {
                return fmt::format(
                    "event {}: end of '{}' on track {} does not close the open "
                    "begin{}",
                    i, e["name"].get<std::string>(), tid, st.empty() ? "" : " '" + st.back() + "'");
            }
            st.pop_back();
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
    for (const auto& [tid, st] : stacks) {
        if (!st.empty()) {
            return fmt::format("span '{}' on track {} is never closed", st.back(), tid);
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
            if (!sim::accesses_conflict(p.op, p.object, st.op, st.object)) {
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
