// Counterexamples people can read: minimisation, race diagrams, timeline and graph exports.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "cli/export.hpp"
#include "pfnsim/model/world.hpp"
#include "pfnsim/sim/dfs_strategy.hpp"
#include "pfnsim/sim/diagram.hpp"
#include "pfnsim/sim/explore.hpp"
#include "pfnsim/sim/minimize.hpp"
#include "pfnsim/sim/random_strategy.hpp"
#include "pfnsim/sim/replay_strategy.hpp"
#include "support.hpp"

using namespace pfnsim;
using pfnsim::test::source_path;

namespace {

struct Found {
    sim::Outcome original;
    sim::Violation violation;
    sim::Minimized min;
};

// What `pfnsim explore FILE --policy P` reports first, minimised.
Found first_minimised(model::World& w) {
    sim::RandomStrategy r;
    sim::ExploreConfig cfg;
    cfg.iterations = w.sc.iterations;
    cfg.seed = w.sc.seed;
    cfg.exec.step_bound = w.sc.step_bound;
    const auto rep = sim::explore(w, r, cfg);
    REQUIRE_FALSE(rep.violations.empty());
    const auto& wit = rep.violations.front();
    Found f;
    f.violation = wit.violation;
    f.original = sim::run_execution(w, r, wit.seed, cfg.exec);
    auto m = sim::minimize(w, f.original, wit.violation, cfg.exec);
    REQUIRE(m.has_value());
    f.min = std::move(*m);
    return f;
}

model::World world(const std::string& scenario, const std::string& policy) {
    model::World w(model::load_scenario(source_path("scenarios/" + scenario)));
    w.set_policy(*model::parse_policy(policy));
    return w;
}

std::string read(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// Compares with tests/golden/NAME; PFNSIM_UPDATE_GOLDEN=1 rewrites it (review the diff).
void golden(const std::string& name, const std::string& text) {
    const std::string path = source_path("tests/golden/" + name);
    if (std::getenv("PFNSIM_UPDATE_GOLDEN") != nullptr) {
        std::ofstream(path) << text;
    }
    CHECK(read(path) == text);
}

std::vector<std::string> lines(const std::string& s) {
    std::vector<std::string> out;
    std::stringstream ss(s);
    for (std::string l; std::getline(ss, l);) {
        out.push_back(l);
    }
    return out;
}

}  // namespace

TEST_CASE("the seed race minimises to at most two preemptions and replays", "[minimize]") {
    auto w = world("seed-split-refault.toml", "original");
    const Found f = first_minimised(w);
    CHECK(f.violation.detail == "pin returned -EINVAL");
    CHECK(f.min.original_preemptions > f.min.preemptions);
    CHECK(f.min.preemptions <= 2);
    CHECK(f.min.preemptions == sim::count_preemptions(f.min.outcome));
    // The minimised schedule replays to the same violation (also checked inside minimize()).
    sim::ReplayStrategy replay(sim::decode_schedule(f.min.schedule));
    sim::ExecutionConfig ec;
    ec.step_bound = w.sc.step_bound;
    const auto again = sim::run_execution(w, replay, 0, ec);
    CHECK(again.trace_hash == f.min.outcome.trace_hash);
    REQUIRE(again.violations.size() == 1);
    CHECK(sim::same_violation(again.violations[0], f.violation));
}

TEST_CASE("race diagrams: at most 12 rows, 100 columns, the racing pair marked", "[diagram]") {
    auto w = world("seed-split-refault.toml", "original");
    const Found f = first_minimised(w);
    const std::string replay =
        "pfnsim replay scenarios/seed-split-refault.toml --policy original "
        "--schedule " +
        f.min.schedule;
    const std::string d = sim::render_diagram(f.min.outcome, w, f.violation, replay);
    const auto ls = lines(d);
    std::size_t rows = 0;
    for (std::size_t i = 2; i < ls.size() && !ls[i].empty(); ++i) {
        ++rows;
    }
    CHECK(rows >= 4);
    CHECK(rows <= 12);
    for (const auto& l : ls) {
        if (l.find("replay: ") == std::string::npos) {
            CHECK(l.size() <= 100);
        }
    }
    CHECK(std::count(d.begin(), d.end(), '*') >= 3);  // two marked rows and the legend
    CHECK_THAT(d, Catch::Contains("=> wrong-return: pin returned -EINVAL"));
    CHECK_THAT(d, Catch::Contains(replay));
    CHECK_THAT(d, Catch::Contains("pud_clear()"));
}

TEST_CASE("golden race diagrams of the seed race and the zap race", "[diagram][golden]") {
    for (const auto& [file, name] :
         {std::pair<std::string, std::string>{"seed-split-refault.toml", "seed-split-refault"},
          {"pin-zap-race.toml", "pin-zap-race"}}) {
        auto w = world(file, "original");
        const Found f = first_minimised(w);
        golden(name + ".diagram",
               sim::render_diagram(f.min.outcome, w, f.violation,
                                   "pfnsim replay scenarios/" + file +
                                       " --policy original --schedule " + f.min.schedule));
    }
}

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
    CHECK(phases == std::set<std::string>{"M", "X", "b", "e", "i"});
    CHECK(tracks == std::set<std::uint64_t>{0, 1, 2});
    // The checker itself rejects broken traces.
    auto broken = trace;
    broken["traceEvents"].push_back({{"name", "x"},
                                     {"ph", "b"},
                                     {"cat", "lock"},
                                     {"id", 999},
                                     {"ts", 0},
                                     {"pid", 1},
                                     {"tid", 1}});
    CHECK_THAT(cli::check_chrome_trace(broken), Catch::Contains("never closed"));
    auto backwards = trace;
    backwards["traceEvents"].push_back(
        {{"name", "x"}, {"ph", "X"}, {"dur", 1}, {"ts", 0}, {"pid", 1}, {"tid", 1}});
    CHECK_THAT(cli::check_chrome_trace(backwards), Catch::Contains("time goes back"));
    auto missing = trace;
    missing["traceEvents"].push_back({{"ph", "X"}});
    CHECK_THAT(cli::check_chrome_trace(missing), Catch::Contains("has no 'name'"));
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

TEST_CASE("depth-first enumeration covers every interleaving, fewer under a bound", "[dfs]") {
    // Two actors, two steps each: 4!/(2!2!) = 6 interleavings of the steps.
    pfnsim::test::LambdaProgram p;
    std::string order;
    p.on_reset = [&] { order.clear(); };
    for (const char* n : {"x", "y"}) {
        p.add(n, [&order, n] {
            for (int i = 0; i < 2; ++i) {
                sim::point(sim::Op::Yield, sim::kNoObject, "step");
                order += n;
            }
        });
    }
    auto count = [&](std::optional<unsigned> bound) {
        sim::DfsStrategy dfs(bound);
        std::set<std::string> seen;
        std::size_t runs = 0;
        do {
            sim::run_execution(p, dfs, 0, {});
            seen.insert(order);
            ++runs;
        } while (dfs.advance());
        CHECK(seen.size() == runs);  // no interleaving twice
        return seen;
    };
    CHECK(count(std::nullopt).size() == 6);
    // Without preemptions only the order of the actors differs.
    CHECK(count(0U) == std::set<std::string>{"xxyy", "yyxx"});
    CHECK(count(1U).size() == 4);
}
