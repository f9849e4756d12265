// The simulation core on small programs of its own: choices, blocking, deadlock, determinism.
#include <fmt/format.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <functional>
#include <memory>
#include <memory_resource>
#include <optional>
#include <set>
#include <vector>

#include "pfnsim/sim/dfs_strategy.hpp"
#include "pfnsim/sim/explore.hpp"
#include "pfnsim/sim/prng.hpp"
#include "pfnsim/sim/random_strategy.hpp"
#include "pfnsim/sim/replay_strategy.hpp"
#include "pfnsim/sim/self_check.hpp"
#include "pfnsim/sim/strategy_kind.hpp"
#include "pfnsim/sim/sync.hpp"
#include "pfnsim/sim/text.hpp"
#include "sim_support.hpp"

using namespace pfnsim;
using pfnsim::test::LambdaProgram;

namespace {

// Two actors incrementing a shared counter non-atomically (read, then write). Checked, the
// actor whose write loses an update reports it as an invariant violation.
struct Counter : LambdaProgram {
    int value = 0;
    sim::ObjectId obj = 0;
    explicit Counter(bool checked = false) {
        obj = table.intern("counter");
        on_reset = [this] { value = 0; };
        for (int a = 0; a < 2; ++a) {
            add("inc" + std::to_string(a), [this, checked] {
                sim::point(sim::Op::Read, obj, "inc", "read");
                const int v = value;
                if (checked) {
                    sim::point(sim::Op::Yield, obj, "inc", "think");
                }
                sim::point(sim::Op::Write, obj, "inc", "write");
                if (checked && value != v) {
                    sim::fail_invariant("inc", "lost update");
                }
                value = v + 1;
            });
        }
    }
};

// "left" takes mutex A then B, "right" B then A: some schedules deadlock.
struct OppositeLocks : LambdaProgram {
    sim::Mutex a;
    sim::Mutex b;
    OppositeLocks() {
        const auto ida = table.intern("A");
        const auto idb = table.intern("B");
        on_reset = [this, ida, idb] {
            a.init(ida);
            b.init(idb);
        };
        add("left", [this] {
            a.lock("left");
            b.lock("left");
            b.unlock("left");
            a.unlock("left");
        });
        add("right", [this] {
            b.lock("right");
            a.lock("right");
            a.unlock("right");
            b.unlock("right");
        });
    }
};

}  // namespace

TEST_CASE("random exploration finds both outcomes of a lost update", "[sim]") {
    Counter p;
    sim::RandomStrategy r;
    std::set<int> seen;
    for (std::uint64_t seed = 1; seed <= 200; ++seed) {
        sim::run_execution(p, r, seed, {});
        seen.insert(p.value);
    }
    CHECK(seen == std::set<int>{1, 2});
}

TEST_CASE("the same seed gives the same trace, then a schedule replays it", "[sim][determinism]") {
    Counter p;
    sim::RandomStrategy r;
    for (std::uint64_t seed = 1; seed <= 50; ++seed) {
        const auto a = sim::run_execution(p, r, seed, {});
        const auto b = sim::run_execution(p, r, seed, {});
        REQUIRE(a.trace_hash == b.trace_hash);
        REQUIRE(a.schedule == b.schedule);
        sim::ReplayStrategy replay(sim::decode_schedule(sim::encode_schedule(a.schedule)));
        const auto c = sim::run_execution(p, replay, 0, {});
        REQUIRE(c.trace_hash == a.trace_hash);
        REQUIRE(c.trace.size() == a.trace.size());
        for (std::size_t i = 0; i < a.trace.size(); ++i) {
            REQUIRE(c.trace[i].actor == a.trace[i].actor);
        }
    }
}

TEST_CASE("a replayed schedule that does not fit is reported", "[sim]") {
    Counter p;
    sim::Schedule s;
    s.choices = {7};  // there is no actor 7
    sim::ReplayStrategy replay(s);
    const auto out = sim::run_execution(p, replay, 0, {});
    CHECK_THAT(out.strategy_error, Catch::Contains("actor 7 is not enabled"));
    sim::ReplayStrategy short_replay(sim::Schedule{{0}, std::nullopt, std::nullopt});
    sim::run_execution(p, short_replay, 0, {});
    CHECK_THAT(short_replay.error(), Catch::Contains("schedule ended"));
}

TEST_CASE("a strategy's name and traits come from the one table, without running it",
          "[sim][strategy]") {
    CHECK(sim::exploration_strategies() == "random, pct");
    CHECK(sim::parse_exploration_strategy("pct") == sim::StrategyKind::Pct);
    CHECK_FALSE(sim::parse_exploration_strategy("dfs"));  // a sweep's, not --strategy's
    CHECK(sim::strategy_name(sim::StrategyKind::Dfs) == "dfs");
    CHECK(sim::traits(sim::StrategyKind::Stateful).observes_states);
    CHECK_FALSE(sim::traits(sim::StrategyKind::Pct).seed_replays);
    sim::RandomStrategy r;
    CHECK(r.kind() == sim::StrategyKind::Random);
    CHECK(r.traits().fair);
    CHECK(r.traits().seed_replays);
    const sim::DfsStrategy d(std::nullopt);
    CHECK(d.traits().uses_next_steps);
    CHECK_FALSE(d.traits().fair);
}

TEST_CASE("the self-check replays a schedule, and a seed, to the trace they were found with",
          "[sim][determinism]") {
    Counter p;
    sim::RandomStrategy r;
    const auto a = sim::run_execution(p, r, 7, {});
    const sim::SelfCheck ok = sim::self_check(p, {}, a.schedule, a.trace_hash, &r, 7);
    CHECK(ok.diff.empty());
    CHECK(ok.again.trace_hash == a.trace_hash);
    const sim::SelfCheck off = sim::self_check(p, {}, a.schedule, a.trace_hash ^ 1U);
    CHECK_THAT(off.diff, Catch::Contains("replaying the schedule gave trace hash"));
    const sim::SelfCheck cut = sim::self_check(p, {}, sim::Schedule{}, 0);
    CHECK_THAT(cut.diff, Catch::Contains("its schedule does not replay"));
}

TEST_CASE("opposite lock order deadlocks, and the report names holders and waiters",
          "[sim][deadlock]") {
    OppositeLocks p;
    sim::RandomStrategy r;
    sim::ExploreConfig cfg;
    cfg.iterations = 300;
    const auto rep = sim::explore(p, r, cfg);
    // The deadlock, and beside it the two orders that make it possible (lock_graph.hpp).
    REQUIRE(rep.violations.size() == 2);
    CHECK(rep.violations.front().violation.kind == sim::ViolationKind::LockOrder);
    CHECK(rep.violations.front().violation.detail ==
          "possible circular locking dependency: A(mutex) -> B(mutex) -> A");
    const auto& v = rep.violations.back().violation;
    CHECK(v.kind == sim::ViolationKind::Deadlock);
    CHECK_THAT(v.detail, Catch::Contains("left waits for B (mutex) held by right (mutex)"));
    CHECK_THAT(v.detail, Catch::Contains("right waits for A (mutex) held by left (mutex)"));
    // Some executions complete: the deadlock is a schedule, not a certainty.
    CHECK(rep.violations.back().count < rep.executions);
}

TEST_CASE("a waiting writer blocks new readers of an rw_semaphore", "[sim][rwsem]") {
    LambdaProgram p;
    sim::RwSemaphore sem;
    std::vector<std::string> order;
    const auto id = p.table.intern("sem");
    p.on_reset = [&] {
        sem.init(id);
        order.clear();
    };
    // r1 reads; w queues for write; r2 must then queue behind w.
    p.add("r1", [&] {
        sem.down_read("r1");
        sim::point(sim::Op::Yield, sim::kNoObject, "r1");
        order.push_back("r1-release");
        sem.up_read("r1");
    });
    p.add("w", [&] {
        sem.down_write("w");
        order.push_back("w");
        sem.up_write("w");
    });
    p.add("r2", [&] {
        sem.down_read("r2");
        order.push_back("r2");
        sem.up_read("r2");
    });
    // r1 takes the lock; w queues for write; r2 arrives while w waits (choices: the initial
    // pick and each actor's first scheduling point, then one per step).
    sim::ReplayStrategy strat(sim::decode_schedule("1.abc"));
    const auto out = sim::run_execution(p, strat, 0, {});
    REQUIRE(out.status == sim::Status::Completed);
    REQUIRE(out.strategy_error.empty());
    REQUIRE(strat.error().empty());
    REQUIRE(order.size() == 3);
    CHECK(order[0] == "r1-release");
    CHECK(order[1] == "w");
    CHECK(order[2] == "r2");
}

namespace {

// The index in `trace` of the first step of `actor` that is an acquire whose effect starts with
// `effect` (or any acquire when empty); trace.size() if none.
std::size_t find_acquire(const std::vector<sim::Step>& trace, sim::ActorId actor,
                         std::string_view effect = {}) {
    for (std::size_t i = 0; i < trace.size(); ++i) {
        const auto& s = trace[i];
        if (s.actor == actor && s.op == sim::Op::Acquire &&
            std::string_view(s.effect.text).substr(0, effect.size()) == effect) {
            return i;
        }
    }
    return trace.size();
}

std::size_t find_effect(const std::vector<sim::Step>& trace, std::string_view part) {
    for (std::size_t i = 0; i < trace.size(); ++i) {
        if (std::string_view(trace[i].effect.text).find(part) != std::string_view::npos) {
            return i;
        }
    }
    return trace.size();
}

std::ptrdiff_t position(const std::vector<std::string>& order, const std::string& who) {
    const auto it = std::find(order.begin(), order.end(), who);
    return it == order.end() ? -1 : it - order.begin();
}

}  // namespace

TEST_CASE("a reader steals a free rw_semaphore ahead of a woken writer under linux only",
          "[sim][rwsem]") {
    for (const auto flavour : {sim::RwFlavour::Fifo, sim::RwFlavour::Linux}) {
        const bool linux_rw = flavour == sim::RwFlavour::Linux;
        INFO((linux_rw ? "linux" : "fifo"));
        LambdaProgram p;
        sim::RwSemaphore sem;
        std::vector<std::string> order;
        const auto id = p.table.intern("sem");
        p.on_reset = [&] {
            sem.init(id, flavour);
            order.clear();
        };
        p.add("w1", [&] {  // actor 0
            sem.down_write("w1");
            sim::point(sim::Op::Yield, sim::kNoObject, "w1");
            sem.up_write("w1");
        });
        p.add("w2", [&] {  // actor 1
            sem.down_write("w2");
            order.push_back("w2");
            sem.up_write("w2");
        });
        p.add("r", [&] {  // actor 2
            sem.down_read("r");
            order.push_back("r");
            sem.up_read("r");
        });
        sim::RandomStrategy strat;
        int overtaken = 0;
        std::optional<sim::Schedule> witness;
        for (std::uint64_t seed = 1; seed <= 400; ++seed) {
            const auto out = sim::run_execution(p, strat, seed, {});
            REQUIRE(out.status == sim::Status::Completed);
            const std::size_t w2_sleeps = find_acquire(out.trace, 1, "down_write: held, sleeps");
            const std::size_t r_arrives = find_acquire(out.trace, 2);
            const bool steal = find_effect(out.trace, "steals it ahead") < out.trace.size();
            CHECK(steal == (linux_rw && steal));
            // w2 queued before r came: FIFO lets r in only after w2.
            if (w2_sleeps < r_arrives && position(order, "r") < position(order, "w2")) {
                ++overtaken;
                if (!witness) {
                    witness = out.schedule;
                }
            }
        }
        if (linux_rw) {
            CHECK(overtaken > 0);
            REQUIRE(witness.has_value());
            // The witness replays to a run where r still overtakes the queued w2.
            sim::ReplayStrategy replay(*witness);
            const auto again = sim::run_execution(p, replay, 0, {});
            REQUIRE(again.strategy_error.empty());
            REQUIRE(replay.error().empty());
            CHECK(find_effect(again.trace, "steals it ahead") < again.trace.size());
            CHECK(position(order, "r") < position(order, "w2"));
        } else {
            CHECK(overtaken == 0);
        }
    }
}

TEST_CASE("a writer that set the rwsem handoff bit gets the lock before a later reader",
          "[sim][rwsem]") {
    LambdaProgram p;
    sim::RwSemaphore sem;
    std::vector<std::string> order;
    const auto id = p.table.intern("sem");
    p.on_reset = [&] {
        sem.init(id, sim::RwFlavour::Linux);
        order.clear();
    };
    p.add("r1", [&] {  // actor 0
        sem.down_read("r1");
        sim::point(sim::Op::Yield, sim::kNoObject, "r1");
        sem.up_read("r1");
    });
    p.add("w", [&] {  // actor 1
        sem.down_write("w");
        order.push_back("w");
        sem.up_write("w");
    });
    for (int r = 2; r <= 3; ++r) {  // actors 2, 3
        const std::string name = r == 2 ? "r2" : "r3";
        p.add(name, [&, name] {
            sim::point(sim::Op::Yield, sim::kNoObject, "late");
            sem.down_read("r");
            sim::point(sim::Op::Yield, sim::kNoObject, "hold");
            order.push_back(name);
            sem.up_read("r");
        });
    }
    sim::RandomStrategy strat;
    int handoffs = 0;
    int later_readers = 0;
    std::optional<sim::Schedule> witness;
    for (std::uint64_t seed = 1; seed <= 1500; ++seed) {
        const auto out = sim::run_execution(p, strat, seed, {});
        REQUIRE(out.status == sim::Status::Completed);
        const std::size_t h = find_effect(out.trace, "sets RWSEM_FLAG_HANDOFF");
        if (h == out.trace.size()) {
            continue;
        }
        ++handoffs;
        // Nothing steals the lock once the bit is set, and a reader arriving after it waits
        // for the writer.
        for (std::size_t i = h; i < out.trace.size(); ++i) {
            CHECK(std::string_view(out.trace[i].effect.text).find("steals") ==
                  std::string_view::npos);
        }
        for (sim::ActorId a = 2; a <= 3; ++a) {
            if (find_acquire(out.trace, a) > h) {
                ++later_readers;
                const std::string name = a == 2 ? "r2" : "r3";
                CHECK(position(order, "w") < position(order, name));
                witness = out.schedule;
            }
        }
    }
    CHECK(handoffs > 0);
    CHECK(later_readers > 0);
    REQUIRE(witness.has_value());
    sim::ReplayStrategy replay(*witness);
    const auto again = sim::run_execution(p, replay, 0, {});
    REQUIRE(again.strategy_error.empty());
    REQUIRE(replay.error().empty());
    CHECK(find_effect(again.trace, "sets RWSEM_FLAG_HANDOFF") < again.trace.size());
}

TEST_CASE("the step bound ends an execution that does not finish", "[sim]") {
    LambdaProgram p;
    p.add("spin", [] {
        for (;;) {
            sim::point(sim::Op::Yield, sim::kNoObject, "spin");
        }
    });
    sim::RandomStrategy r;
    sim::ExecutionConfig cfg;
    cfg.step_bound = 100;
    const auto out = sim::run_execution(p, r, 1, cfg);
    CHECK(out.status == sim::Status::StepBound);
    CHECK(out.steps == 100);
    REQUIRE(out.violations.size() == 1);
    CHECK(out.violations[0].kind == sim::ViolationKind::StepBound);
    CHECK(out.violations[0].actor == "spin");
}

TEST_CASE("actors marked forever are stopped when the others finish", "[sim]") {
    LambdaProgram p;
    int spins = 0;
    p.on_reset = [&] { spins = 0; };
    p.add(
        "loop",
        [&] {
            for (;;) {
                sim::point(sim::Op::Yield, sim::kNoObject, "loop");
                ++spins;
            }
        },
        true);
    p.add("once", [] { sim::point(sim::Op::Yield, sim::kNoObject, "once"); });
    sim::RandomStrategy r;
    for (std::uint64_t seed = 1; seed <= 20; ++seed) {
        const auto out = sim::run_execution(p, r, seed, {});
        CHECK(out.status == sim::Status::Completed);
        CHECK(out.results[1] == "done");
        CHECK(out.results[0].empty());
    }
}

TEST_CASE("an actor stopped mid-run has each of its frames' destructors run once", "[sim]") {
    // Frames with destructors at several depths, one of which takes a scheduling point (as a
    // model unlock would): stopping the actor unwinds them all, innermost first, and the point
    // in a destructor does not stop it a second time.
    struct Guard {
        std::vector<int>* log;
        int depth;
        std::vector<int> owned;  // heap memory: a skipped destructor leaks it (ASan reports)
        ~Guard() {
            if (depth == 1) {
                sim::point(sim::Op::Release, sim::kNoObject, "unlock in a destructor");
            }
            log->push_back(depth);
        }
    };
    std::vector<int> log;
    std::function<void(int)> nest = [&](int depth) {
        const Guard g{&log, depth, std::vector<int>(64, depth)};
        if (depth < 3) {
            nest(depth + 1);
            return;
        }
        for (;;) {
            sim::point(sim::Op::Yield, sim::kNoObject, "spin");
        }
    };
    LambdaProgram p;
    p.on_reset = [&] { log.clear(); };
    p.add("spin", [&] { nest(1); });
    p.add(
        "forever", [&] { nest(1); }, true);
    p.add("once", [] { sim::point(sim::Op::Yield, sim::kNoObject, "once"); });
    sim::RandomStrategy r;
    sim::ExecutionConfig cfg;
    cfg.detect_cycles = false;
    for (std::uint64_t seed = 1; seed <= 40; ++seed) {
        cfg.step_bound = 4 + seed;  // stops at different points of both spinning actors
        const auto out = sim::run_execution(p, r, seed, cfg);
        REQUIRE(out.status == sim::Status::StepBound);
        // Both spinning actors had started when the bound hit, or only the one that ran.
        REQUIRE((log.size() == 3 || log.size() == 6));
        for (std::size_t i = 0; i < log.size(); ++i) {
            CHECK(log[i] == 3 - static_cast<int>(i % 3));
        }
    }
}
TEST_CASE(
    "a program whose frames own nothing has a stopped actor's frames dropped, with the "
    "same executions as unwinding them",
    "[sim]") {
    // The same program twice: frames unwound, then dropped (Program::stop_drops_frames). A
    // frame keeps a vector from execution_memory() across its points, as the model's do;
    // ASan's leak check fails this test if a dropped frame's memory outlives the execution.
    int destroyed = 0;
    struct Marker {
        int* count;
        explicit Marker(int* c) : count(c) {}
        Marker(const Marker&) = delete;
        Marker& operator=(const Marker&) = delete;
        ~Marker() { ++*count; }
    };
    std::function<void(int)> nest = [&](int depth) {
        const sim::Call frame{"nest"};
        const Marker m(&destroyed);
        std::pmr::vector<int> kept(64, depth, &sim::execution_memory());
        if (depth < 3) {
            nest(depth + 1);
            return;
        }
        sim::Loop loop{"spin"};
        for (;;) {
            loop.head(static_cast<std::uint64_t>(kept.size()));
            sim::point(sim::Op::Yield, sim::kNoObject, "spin");
        }
    };
    auto make = [&](bool drops) {
        auto p = std::make_unique<LambdaProgram>();
        p->drops_frames = drops;
        p->add("spin", [&] { nest(1); });
        p->add("once", [] { sim::point(sim::Op::Yield, sim::kNoObject, "once"); });
        return p;
    };
    const auto unwound = make(false);
    const auto dropped = make(true);
    sim::RandomStrategy r;
    sim::ExecutionConfig cfg;
    cfg.detect_cycles = false;
    cfg.record_trace = true;
    for (std::uint64_t seed = 1; seed <= 40; ++seed) {
        cfg.step_bound = 4 + seed;
        destroyed = 0;
        const auto a = sim::run_execution(*unwound, r, seed, cfg);
        REQUIRE(destroyed == 3);  // each frame's Marker, once
        destroyed = 0;
        const auto b = sim::run_execution(*dropped, r, seed, cfg);
        CHECK(destroyed == 0);  // dropped: no destructor ran
        REQUIRE(a.status == sim::Status::StepBound);
        CHECK(b.status == a.status);
        CHECK(b.trace_hash == a.trace_hash);
        CHECK(b.schedule.choices == a.schedule.choices);
        CHECK(b.results == a.results);
        REQUIRE(b.trace.size() == a.trace.size());
        for (std::size_t i = 0; i < a.trace.size(); ++i) {
            CHECK(b.trace[i].chain == a.trace[i].chain);  // call chains start afresh each time
        }
        REQUIRE(b.chains.size() == a.chains.size());
        for (std::size_t i = 0; i < a.chains.size(); ++i) {
            REQUIRE(b.chains[i].size() == a.chains[i].size());
            for (std::size_t j = 0; j < a.chains[i].size(); ++j) {
                CHECK(b.chains[i][j].func.hash == a.chains[i][j].func.hash);
            }
        }
    }
}

TEST_CASE("many executions reuse fiber stacks without growing", "[sim]") {
    Counter p;
    sim::RandomStrategy r;
    sim::ExploreConfig cfg;
    cfg.iterations = 5000;
    const auto rep = sim::explore(p, r, cfg);
    CHECK(rep.executions == 5000);
    CHECK(rep.results[0].at("done") == 5000);
}

TEST_CASE("explore keeps the best witness of each violation, whichever seed found it first",
          "[sim][witness]") {
    Counter p(true);
    sim::RandomStrategy r;
    sim::ExploreConfig cfg;
    cfg.iterations = 300;
    cfg.seed = 7;
    cfg.exec.record_trace = false;
    const sim::ExploreReport rep = sim::explore(p, r, cfg);
    REQUIRE(rep.violations.size() == 1);
    const sim::Witness& w = rep.violations[0];
    // The same executions one by one: the witness is the one better_witness puts first.
    std::optional<sim::Witness> best;
    std::optional<sim::Witness> first;
    std::uint64_t showing = 0;
    for (std::uint64_t i = 0; i < cfg.iterations; ++i) {
        const std::uint64_t seed = sim::derive_seed(cfg.seed, i);
        const sim::Outcome o = sim::run_execution(p, r, seed, cfg.exec);
        if (o.violations.empty()) {
            continue;
        }
        const sim::Witness c = sim::Witness::of(o.violations[0], o);
        ++showing;
        if (!first) {
            first = c;
        }
        if (!best || sim::better_witness(c, *best)) {
            best = c;
        }
    }
    REQUIRE(best);
    // The seed was chosen so that the first witness found is not the best one: keeping the
    // first would fail below.
    REQUIRE(sim::better_witness(*best, *first));
    CHECK(w.count == showing);
    CHECK(w.seed == best->seed);
    CHECK(w.preemptions == best->preemptions);
    CHECK(w.steps == best->steps);
    // Its seed replays it.
    const sim::Outcome again = sim::run_execution(p, r, *w.seed, cfg.exec);
    CHECK(again.trace_hash == w.trace_hash);
    CHECK(rep.executions == cfg.iterations);
    CHECK(rep.results.size() == 2);
}

TEST_CASE("tallies merged in any order agree", "[sim][witness]") {
    Counter p(true);
    sim::RandomStrategy r;
    std::vector<sim::Outcome> runs;
    for (std::uint64_t seed = 1; seed <= 120; ++seed) {
        runs.push_back(sim::run_execution(p, r, seed, {}));
    }
    sim::Tally forward;
    sim::Tally halves[2];
    for (std::size_t i = 0; i < runs.size(); ++i) {
        forward.add(runs[i], true);
        halves[i % 2].add(runs[i], true);
    }
    sim::Tally backward = halves[1];
    backward.merge(halves[0]);
    REQUIRE(forward.violations.size() == backward.violations.size());
    REQUIRE_FALSE(forward.violations.empty());
    for (std::size_t i = 0; i < forward.violations.size(); ++i) {
        CHECK(forward.violations[i].count == backward.violations[i].count);
        CHECK(forward.violations[i].schedule == backward.violations[i].schedule);
    }
    CHECK(forward.results == backward.results);
    CHECK(forward.executions == backward.executions);
    CHECK(forward.steps == backward.steps);
}

TEST_CASE("after: an actor starts only once the actors it names have finished, in every schedule",
          "[sim][after]") {
    LambdaProgram p;
    const auto x = p.table.intern("X");
    const auto y = p.table.intern("Y");
    p.add("first", [&] {
        for (int i = 0; i < 3; ++i) {
            sim::point(sim::Op::Write, x, "first");
        }
    });
    p.add("then", [&] {
        sim::point(sim::Op::Read, x, "then");
        sim::point(sim::Op::Write, y, "then");
    });
    p.add("other", [&] {
        for (int i = 0; i < 3; ++i) {
            sim::point(sim::Op::Write, y, "other");
        }
    });
    p.decls[1].after = 1U << 0U;
    for (const bool reduce : {false, true}) {
        INFO("reduce " << reduce);
        sim::DfsStrategy dfs(std::nullopt, reduce);
        std::uint64_t runs = 0;
        bool then_before_other = false;  // `then` still interleaves with the third actor
        bool other_before_then = false;
        do {
            const auto out = sim::run_execution(p, dfs, 0, {});
            if (out.status == sim::Status::Pruned) {
                continue;
            }
            REQUIRE(out.status == sim::Status::Completed);
            ++runs;
            std::size_t last_first = 0;
            std::size_t first_then = out.trace.size();
            std::size_t last_other = 0;
            for (std::size_t i = 0; i < out.trace.size(); ++i) {
                const auto a = out.trace[i].actor;
                last_first = a == 0 ? i : last_first;
                first_then = a == 1 ? std::min(first_then, i) : first_then;
                last_other = a == 2 ? i : last_other;
            }
            REQUIRE(first_then < out.trace.size());
            CHECK(last_first < first_then);
            then_before_other = then_before_other || first_then < last_other;
            other_before_then = other_before_then || last_other < first_then;
            CHECK(out.results == std::vector<std::string>{"done", "done", "done"});
        } while (dfs.advance());
        CHECK(runs > 1);
        CHECK(then_before_other);
        CHECK(other_before_then);
    }
}

TEST_CASE("after: an actor waiting for a deadlocked one is named in the deadlock report",
          "[sim][after][deadlock]") {
    OppositeLocks p;
    bool late_ran = false;
    p.add("late", [&] { late_ran = true; });
    p.decls[2].after = (1U << 0U) | (1U << 1U);
    sim::DfsStrategy dfs(std::nullopt);
    bool deadlocked = false;
    do {
        late_ran = false;
        const auto out = sim::run_execution(p, dfs, 0, {});
        if (out.status == sim::Status::Deadlock) {
            deadlocked = true;
            CHECK_FALSE(late_ran);
            REQUIRE_FALSE(out.violations.empty());
            CHECK_THAT(out.violations[0].detail,
                       Catch::Contains("late waits for left, right to finish (after)"));
            CHECK(out.results[2].empty());
        } else {
            CHECK(late_ran);
        }
    } while (dfs.advance());
    CHECK(deadlocked);
}

// --- names from outside in every output (include/pfnsim/sim/text.hpp) ------------------------

TEST_CASE("escape_name: one line of valid UTF-8, and lossless", "[text]") {
    using pfnsim::sim::escape_name;
    using pfnsim::sim::unescape_name;
    CHECK(escape_name("pin-zap-race") == "pin-zap-race");
    CHECK(escape_name("a\nb") == "a\\nb");
    CHECK(escape_name(std::string("a\0b", 3)) == "a\\x00b");
    CHECK(escape_name("\x1b[31m") == "\\x1b[31m");
    CHECK(escape_name("x\xffy") == "x\\xffy");                // not UTF-8
    CHECK(escape_name("\xc0\xaf") == "\\xc0\\xaf");           // overlong
    CHECK(escape_name("\xed\xa0\x80") == "\\xed\\xa0\\x80");  // a surrogate
    CHECK(escape_name("a\u2028b") == "a\\u{2028}b");          // a line separator
    CHECK(escape_name("\u202e") == "\\u{202e}");              // a bidirectional override
    CHECK(escape_name("\u0085") == "\\u{85}");                // C1 NEL
    CHECK(escape_name("caf\u00e9 \u4e2d") == "caf\u00e9 \u4e2d");
    CHECK(escape_name("a\\nb") == "a\\\\nb");  // a backslash in the name stays distinct
    for (const std::string& s :
         {std::string("a\nb"), std::string("a\\nb"), std::string("\xff\xfe"), std::string("\\x41"),
          std::string("x\u2029\u00e9\x7f\t\r"), std::string("\\u{85}"), std::string()}) {
        const std::string e = escape_name(s);
        CHECK(e.find('\n') == std::string::npos);
        REQUIRE(unescape_name(e).has_value());
        CHECK(*unescape_name(e) == s);
    }
    CHECK_FALSE(unescape_name("a\\q").has_value());
    CHECK_FALSE(unescape_name("a\\").has_value());
    CHECK_FALSE(unescape_name("\\u{41}").has_value());  // 'A' is never escaped
    CHECK_FALSE(unescape_name("a\nb").has_value());     // a raw newline is not an escape's output
}

TEST_CASE("shell_word: plain, single-quoted, or $'...' for what is not printable", "[text]") {
    using pfnsim::sim::shell_word;
    CHECK(shell_word("scenarios/pin-zap-race.toml") == "scenarios/pin-zap-race.toml");
    CHECK(shell_word("a b") == "'a b'");
    CHECK(shell_word("it's") == "'it'\\''s'");
    CHECK(shell_word("") == "''");
    CHECK(shell_word("d\n\xff'\\") == "$'d\\x0a\\xff\\'\\\\'");
}

TEST_CASE("fit_width and prefix_fitting cut at columns, never inside an escape", "[text]") {
    using pfnsim::sim::display_width;
    using pfnsim::sim::fit_width;
    using pfnsim::sim::prefix_fitting;
    CHECK(display_width("abc") == 3);
    CHECK(display_width("\u4e2d\u6587") == 4);
    CHECK(fit_width("abcdef", 6) == "abcdef");
    CHECK(fit_width("abcdefgh", 6) == "abc...");
    CHECK(display_width(fit_width(std::string(150, 'L'), 40)) == 40);
    CHECK(display_width(fit_width("\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d", 7)) <= 7);
    CHECK(prefix_fitting("ab\\x1bcd", 4) == 2);  // not "ab\x"
    CHECK(prefix_fitting("ab\\x1bcd", 6) == 6);
    CHECK(prefix_fitting("a\\u{2028}b", 5) == 1);
    CHECK(prefix_fitting("\u4e2d\u4e2d", 3) == 3);  // one wide character, whole
    CHECK(prefix_fitting("xyz", 0) == 1);           // at least one character
}

TEST_CASE(
    "a lasso records where its loop can let others run: yield, voluntary point, "
    "outside a spin lock",
    "[sim][livelock][preempt]") {
    // One actor retries for ever: a plain read (preemptible only), a read marked a voluntary
    // scheduling point each round, a read under a spin lock held throughout (never), or an
    // Op::Yield (always). The program, not the core, says which configuration yields where.
    enum Variant { Plain, Voluntary, UnderSpin, Yield };
    for (const Variant v : {Plain, Voluntary, UnderSpin, Yield}) {
        INFO("variant " << static_cast<int>(v));
        LambdaProgram p;
        sim::SpinLock lock;
        const sim::ObjectId x = p.table.intern("x");
        const sim::ObjectId l = p.table.intern("l");
        p.on_reset = [&] { lock.init(l); };
        p.state = [] { return std::uint64_t{1}; };
        p.add("looper", [&] {
            if (v == UnderSpin) {
                lock.lock("f");
            }
            sim::Loop retry("retry");
            for (;;) {
                retry.head(0);
                if (v == Voluntary) {
                    sim::voluntary_point();
                }
                sim::point(v == Yield ? sim::Op::Yield : sim::Op::Read, x, "read");
            }
        });
        sim::RandomStrategy r;
        sim::ExecutionConfig cfg;
        cfg.step_bound = 200;
        const sim::Outcome o = sim::run_execution(p, r, 1, cfg);
        REQUIRE(o.status == sim::Status::Livelock);
        REQUIRE(o.lasso.has_value());
        CHECK(o.lasso->yielding == (v == Yield));
        CHECK(o.lasso->voluntary == (v == Voluntary));
        CHECK(o.lasso->preemptible == (v != UnderSpin));
        REQUIRE(o.violations.size() == 1);
        const char* where[] = {"preemptible", "voluntary", "atomic", "yielding"};
        CHECK(o.violations[0].detail ==
              fmt::format("looper loops for ever (unkillable, {})", where[v]));
    }
}
