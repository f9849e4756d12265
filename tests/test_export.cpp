// The cli's exports of a counterexample: the Chrome trace-event timeline and the
// happens-before graph.
#include <catch2/catch.hpp>
#include <set>

#include "cli/export.hpp"
#include "pfnsim/sim/replay_strategy.hpp"
#include "pfnsim/sim/sync.hpp"
#include "found.hpp"
#include "support.hpp"

using namespace pfnsim;
using pfnsim::test::first_minimised;
using pfnsim::test::Found;
using pfnsim::test::world;

TEST_CASE("the Chrome trace export is well formed", "[timeline]") {
    auto w = world("seed-split-refault.toml", "original");
    const Found f = first_minimised(w);
    const auto trace = cli::chrome_trace(f.min.outcome, w, "seed race");
    CHECK(cli::check_chrome_trace(trace).empty());
    std::set<std::string> phases;
    std::set<std::uint64_t> tracks;
    for (const auto& e : trace["traceEvents"]) {
        phases.insert(e["ph"].get<std::string>());
        tracks.insert(e["tid"].get<std::uint64_t>());
    }
    CHECK(phases == std::set<std::string>{"M", "X", "B", "E", "i"});
    CHECK(tracks == std::set<std::uint64_t>{0, 1, 2, 1000, 1016});  // two CPUs, their locks
    // No event at time 0 but the metadata: some viewers take ts 0 for "unset".
    for (const auto& e : trace["traceEvents"]) {
        CHECK((e["ph"] == "M" || e["ts"].get<std::uint64_t>() > 0));
    }
    // The checker itself rejects broken traces.
    auto broken = trace;
    broken["traceEvents"].push_back({{"name", "x"},
                                     {"ph", "b"},
                                     {"cat", "lock"},
                                     {"id", 999},
                                     {"ts", 99999},
                                     {"pid", 1},
                                     {"tid", 1}});
    CHECK_THAT(cli::check_chrome_trace(broken), Catch::Contains("never closed"));
    auto backwards = trace;
    backwards["traceEvents"].push_back(
        {{"name", "x"}, {"ph", "X"}, {"dur", 1}, {"ts", 0}, {"pid", 1}, {"tid", 1}});
    CHECK_THAT(cli::check_chrome_trace(backwards), Catch::Contains("time goes back"));
    auto crossed = trace;
    crossed["traceEvents"].push_back(
        {{"name", "a"}, {"ph", "B"}, {"ts", 9000}, {"pid", 1}, {"tid", 7}});
    crossed["traceEvents"].push_back(
        {{"name", "b"}, {"ph", "B"}, {"ts", 9001}, {"pid", 1}, {"tid", 7}});
    crossed["traceEvents"].push_back(
        {{"name", "a"}, {"ph", "E"}, {"ts", 9002}, {"pid", 1}, {"tid", 7}});
    CHECK_THAT(cli::check_chrome_trace(crossed),
               Catch::Contains("does not close the open begin 'b'"));
    auto missing = trace;
    missing["traceEvents"].push_back({{"ph", "X"}});
    CHECK_THAT(cli::check_chrome_trace(missing), Catch::Contains("has no 'name'"));
}

TEST_CASE("the timeline shows a contended lock as a wait, then a hold", "[timeline]") {
    pfnsim::test::LambdaProgram p;
    sim::Mutex m;
    const auto lock = p.table.intern("m");
    const auto data = p.table.intern("d");
    p.on_reset = [&] { m.init(lock); };
    p.add("first", [&m, data] {
        m.lock("first");
        sim::point(sim::Op::Write, data, "first", "d = 1");
        m.unlock("first");
    });
    p.add("second", [&m, data] {
        m.lock("second");
        sim::point(sim::Op::Write, data, "second", "d = 1");
        m.unlock("second");
    });
    // first takes the lock; second tries and sleeps; first writes and releases.
    sim::ReplayStrategy order(sim::Schedule{{0, 1, 0}, std::nullopt, std::nullopt});
    const auto o = sim::run_execution(p, order, 0, {});
    REQUIRE(o.trace.size() == 6);
    CHECK(o.trace[1].blocked);
    const auto trace = cli::chrome_trace(o, p, "contended");
    CHECK(cli::check_chrome_trace(trace).empty());
    std::vector<std::string> second_locks;  // B/E of the second actor's lock track
    for (const auto& e : trace["traceEvents"]) {
        if (e["tid"] == 1016 && e["ph"] != "M") {
            second_locks.push_back(e["ph"].get<std::string>() + " " + e["name"].get<std::string>());
        }
    }
    CHECK(second_locks == std::vector<std::string>{"B waits for m", "E waits for m", "B m", "E m"});
}

TEST_CASE("the happens-before graph has program order and conflict edges", "[dot]") {
    auto w = world("pin-zap-race.toml", "original");
    const Found f = first_minimised(w);
    const std::string dot = cli::happens_before_dot(f.min.outcome, w, "zap race");
    CHECK(dot.rfind("digraph pfnsim {", 0) == 0);
    CHECK_THAT(dot, Catch::Contains("subgraph cluster_0"));
    CHECK_THAT(dot, Catch::Contains("subgraph cluster_1"));
    CHECK_THAT(dot, Catch::Contains("style=dashed, color=red"));
    CHECK_THAT(dot, Catch::Contains("s1 -> s2;"));
}
