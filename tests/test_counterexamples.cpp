// Counterexamples people can read: minimisation and race diagrams (the exports are the cli's:
// test_export.cpp).
#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "pfnsim/model/world.hpp"
#include "pfnsim/sim/dfs_strategy.hpp"
#include "pfnsim/sim/diagram.hpp"
#include "pfnsim/sim/explore.hpp"
#include "pfnsim/sim/minimize.hpp"
#include "pfnsim/sim/random_strategy.hpp"
#include "pfnsim/sim/replay_strategy.hpp"
#include "pfnsim/sim/sync.hpp"
#include "found.hpp"
#include "support.hpp"

using namespace pfnsim;
using pfnsim::test::first_minimised;
using pfnsim::test::Found;
using pfnsim::test::source_path;
using pfnsim::test::world;

namespace {

std::string read(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// Compares with tests/golden/NAME; PFNSIM_UPDATE_GOLDEN=1 rewrites it (review the diff).
// Model line numbers ("(src/model/pgtable.cpp:98)") are compared as "(src/model/pgtable.cpp:N)",
// so that an edit elsewhere in a model file does not change the golden diagrams.
void golden(const std::string& name, const std::string& text) {
    const std::string path = source_path("tests/golden/" + name);
    const std::regex line_no(R"((\(src/[A-Za-z0-9_/]+\.cpp):[0-9]+\))");
    const std::string plain = std::regex_replace(text, line_no, "$1:N)");
    if (std::getenv("PFNSIM_UPDATE_GOLDEN") != nullptr) {
        std::ofstream(path) << plain;
    }
    CHECK(read(path) == plain);
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

namespace {

// Whether any of the first `n` steps of `o` belongs to `actor`.
bool acts_before(const sim::Outcome& o, std::uint64_t n, sim::ActorId actor) {
    for (std::uint64_t i = 0; i < n && i < o.trace.size(); ++i) {
        if (o.trace[i].actor == actor) {
            return true;
        }
    }
    return false;
}

}  // namespace

TEST_CASE("minimisation moves the steps that cannot affect the violation after it",
          "[minimize][cut]") {
    // A bystander takes the lock the racing actors take too, but touches only its own data;
    // the writer's critical section must stay before the reader's (the lock hand-off).
    pfnsim::test::LambdaProgram p;
    sim::Mutex m;
    int x = 0;
    const auto lock = p.table.intern("m");
    const auto xid = p.table.intern("x");
    const auto yid = p.table.intern("y");
    p.on_reset = [&] {
        m.init(lock);
        x = 0;
    };
    p.add("bystander", [&] {
        m.lock("bystander");
        sim::point(sim::Op::Write, yid, "bystander", "y = 1");
        m.unlock("bystander");
    });
    p.add("writer", [&] {
        m.lock("writer");
        sim::point(sim::Op::Write, xid, "writer", "x = 1");
        x = 1;
        m.unlock("writer");
    });
    p.add("reader", [&] {
        m.lock("reader");
        sim::point(sim::Op::Read, xid, "reader", "read x");
        const int seen = x;
        m.unlock("reader");
        if (seen == 1) {
            sim::fail_invariant("reader", "saw x = 1");
        }
    });
    sim::RandomStrategy r;
    sim::ExploreConfig cfg;
    cfg.iterations = 200;
    const auto rep = sim::explore(p, r, cfg);
    REQUIRE_FALSE(rep.violations.empty());
    const auto& wit = rep.violations.front();
    const auto original = sim::run_execution(p, r, wit.seed.value(), cfg.exec);

    sim::MinimizeConfig keep;
    keep.cut = false;
    const auto uncut = sim::minimize(p, original, wit.violation, cfg.exec, keep);
    const auto cut = sim::minimize(p, original, wit.violation, cfg.exec);
    REQUIRE(uncut.has_value());
    REQUIRE(cut.has_value());
    // Without preemptions the lowest actor runs first: the bystander, then the race.
    CHECK(acts_before(uncut->outcome, uncut->steps, 0));
    CHECK_FALSE(acts_before(cut->outcome, cut->steps, 0));
    CHECK(acts_before(cut->outcome, cut->steps, 1));  // the writer stays: the reader reads x
    CHECK(cut->steps + 3 == uncut->steps);            // lock, write y, unlock
    CHECK(cut->preemptions <= uncut->preemptions);
    // Checked by replay, like every minimised schedule.
    sim::ReplayStrategy replay(sim::decode_schedule(cut->schedule));
    const auto again = sim::run_execution(p, replay, 0, cfg.exec);
    REQUIRE(again.violations.size() == 1);
    CHECK(sim::same_violation(again.violations[0], wit.violation));
    CHECK(again.trace_hash == cut->outcome.trace_hash);
}

TEST_CASE("a bystander thread leaves the seed race's counterexample", "[minimize][cut]") {
    auto w = world("seed-split-bystander.toml", "original");
    const Found f = first_minimised(w);
    CHECK(f.violation.detail == "pin returned -EINVAL");
    CHECK(f.min.preemptions <= 2);
    const auto& names = w.actors();
    REQUIRE(names[0].name == "thread2");
    CHECK_FALSE(acts_before(f.min.outcome, f.min.steps, 0));
    CHECK(f.min.total_steps > f.min.steps);  // it runs after the violation
    sim::MinimizeConfig keep;
    keep.cut = false;
    const auto uncut = sim::minimize(w, f.original, f.violation, {}, keep);
    REQUIRE(uncut.has_value());
    CHECK(acts_before(uncut->outcome, uncut->steps, 0));
    CHECK(f.min.steps < uncut->steps);
    const std::string d = sim::render_diagram(f.min.outcome, w, f.violation, "");
    CHECK_THAT(d, Catch::Contains("CPU0 (pin)"));
    CHECK_THAT(d, Catch::Contains("CPU1 (numa_maps)"));
    CHECK_THAT(d, !Catch::Contains("thread2"));
    CHECK_THAT(d, Catch::Contains("steps after it not shown"));
}

TEST_CASE("race diagrams: at most 12 steps, 80 columns, the racing pair marked with callers",
          "[diagram]") {
    auto w = world("seed-split-refault.toml", "original");
    const Found f = first_minimised(w);
    const std::string replay =
        "pfnsim replay scenarios/seed-split-refault.toml --policy original "
        "--schedule " +
        f.min.schedule;
    const std::string d = sim::render_diagram(f.min.outcome, w, f.violation, replay);
    const auto ls = lines(d);
    std::size_t rows = 0;  // steps: a row's folded lines and call chain have no step number
    for (std::size_t i = 2; i < ls.size() && !ls[i].empty(); ++i) {
        rows += ls[i].find_first_not_of(' ') < 5 ? 1 : 0;
    }
    CHECK(rows >= 4);
    CHECK(rows <= 12);
    for (const auto& l : ls) {
        CHECK(l.size() <= 80);  // the replay command too: it is continued with a backslash
    }
    // The racing rows name their callers, as KCSAN does.
    CHECK_THAT(d, Catch::Contains("<- follow_fault_pfn"));
    CHECK_THAT(d, Catch::Contains("<- split_huge_pud"));
    CHECK(std::count(d.begin(), d.end(), '*') >= 3);  // two marked rows and the legend
    CHECK_THAT(d, Catch::Contains("=> wrong-return: pin returned -EINVAL"));
    std::string joined;  // the lines as a shell reads them: a backslash continues the line
    bool continued = false;
    for (const auto& l : ls) {
        std::string part = continued ? l.substr(l.find_first_not_of(' ')) : l;
        continued = !part.empty() && part.back() == '\\';
        if (continued) {
            part.pop_back();
        }
        joined += part;
        if (!continued) {
            joined += '\n';
        }
    }
    CHECK_THAT(joined, Catch::Contains("  replay: " + replay + "\n"));
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
