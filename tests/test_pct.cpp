// PCT: seeded and reproducible, no priority change at depth 1, and it finds the seed race.
#include <catch2/catch.hpp>
#include <set>

#include "pfnsim/model/world.hpp"
#include "pfnsim/sim/explore.hpp"
#include "pfnsim/sim/pct_strategy.hpp"
#include "support.hpp"

using namespace pfnsim;
using pfnsim::test::LambdaProgram;

namespace {

// Three actors taking `steps` scheduling points each, with no blocking.
struct Steppers : LambdaProgram {
    explicit Steppers(int steps) {
        const auto obj = table.intern("x");
        for (const char* name : {"s0", "s1", "s2"}) {
            add(name, [obj, steps] {
                for (int i = 0; i < steps; ++i) {
                    sim::point(sim::Op::Write, obj, "step");
                }
            });
        }
    }
};

// The actors in the order they first ran, and how often the running actor changed.
struct Runs {
    std::vector<sim::ActorId> order;
    int switches = 0;
};

Runs runs_of(const sim::Outcome& out) {
    Runs r;
    for (const auto& st : out.trace) {
        if (r.order.empty() || r.order.back() != st.actor) {
            if (!r.order.empty()) {
                ++r.switches;
            }
            r.order.push_back(st.actor);
        }
    }
    return r;
}

}  // namespace

TEST_CASE("pct: the same seed gives the same schedule", "[pct][determinism]") {
    Steppers p(10);
    sim::PctStrategy a(3, 30);
    sim::PctStrategy b(3, 30);
    std::set<std::string> schedules;
    for (std::uint64_t seed = 1; seed <= 50; ++seed) {
        const auto x = sim::run_execution(p, a, seed, {});
        const auto y = sim::run_execution(p, b, seed, {});
        const auto z = sim::run_execution(p, a, seed, {});  // after other executions of `a`
        REQUIRE(x.schedule == y.schedule);
        REQUIRE(x.schedule == z.schedule);
        REQUIRE(x.trace_hash == z.trace_hash);
        schedules.insert(sim::encode_schedule(x.schedule));
    }
    // ...and different seeds give different schedules.
    CHECK(schedules.size() > 10);
}

TEST_CASE("pct at depth 1 runs the highest-priority actor until it finishes", "[pct]") {
    Steppers p(10);
    sim::PctStrategy pct(1, 30);
    std::set<std::vector<sim::ActorId>> orders;
    for (std::uint64_t seed = 1; seed <= 60; ++seed) {
        const auto r = runs_of(sim::run_execution(p, pct, seed, {}));
        // No change point: each actor runs all its steps in one go.
        REQUIRE(r.switches == 2);
        REQUIRE(r.order.size() == 3);
        for (const auto& c : sim::run_execution(p, pct, seed, {}).choices) {
            REQUIRE_FALSE(c.preemption);
        }
        orders.insert(r.order);
    }
    // The initial priorities are a random permutation: every order shows up.
    CHECK(orders.size() == 6);
}

TEST_CASE("pct at depth 1 runs an actor until it blocks, and a woken higher one at once", "[pct]") {
    LambdaProgram p;
    bool produced = false;
    sim::ActorId waiter = sim::kNoActor;
    const auto flag = p.table.intern("flag");
    p.on_reset = [&] {
        produced = false;
        waiter = sim::kNoActor;
    };
    p.add("consumer", [&] {
        sim::point(sim::Op::Read, flag, "consume");
        if (!produced) {
            waiter = sim::current_actor();
            sim::block_on(flag, "flag");
        }
        sim::point(sim::Op::Read, flag, "consume");
    });
    p.add("producer", [&] {
        sim::point(sim::Op::Write, flag, "produce");
        sim::point(sim::Op::Write, flag, "produce");
        produced = true;
        if (waiter != sim::kNoActor) {
            sim::wake(waiter);
        }
        sim::point(sim::Op::Yield, sim::kNoObject, "produce");
        sim::point(sim::Op::Yield, sim::kNoObject, "produce");
    });
    sim::PctStrategy pct(1, 30);
    std::set<std::string> seen;
    for (std::uint64_t seed = 1; seed <= 40; ++seed) {
        const auto out = sim::run_execution(p, pct, seed, {});
        REQUIRE(out.status == sim::Status::Completed);
        std::string order;
        for (const auto& st : out.trace) {
            order += st.actor == 0 ? 'c' : 'p';
        }
        // Consumer first: it runs until it blocks, the producer until it wakes it, and the
        // consumer (still the higher) takes over at once. Producer first: it runs to the end.
        const bool ok = order == "cppcpp" || order == "ppppcc";
        CAPTURE(seed, order);
        REQUIRE(ok);
        seen.insert(order);
    }
    CHECK(seen.size() == 2);
}

TEST_CASE("pct with more depth preempts at its change points", "[pct]") {
    Steppers p(10);
    sim::PctStrategy pct(3, 30);
    int preempted = 0;
    for (std::uint64_t seed = 1; seed <= 100; ++seed) {
        const auto out = sim::run_execution(p, pct, seed, {});
        int n = 0;
        for (const auto& c : out.choices) {
            n += c.preemption ? 1 : 0;
        }
        REQUIRE(n <= 2);  // at most d-1 = 2 priority changes
        preempted += n > 0 ? 1 : 0;
    }
    CHECK(preempted > 50);
}

TEST_CASE("pct finds the seed race under the original policy", "[pct][seed-race]") {
    model::World w(model::load_scenario(test::source_path("scenarios/seed-split-refault.toml")));
    w.set_policy(*model::parse_policy("original"));
    sim::ExploreConfig cfg;
    cfg.iterations = 3000;
    cfg.seed = 7;
    cfg.exec.step_bound = w.sc.step_bound;
    cfg.stop_on_first = true;
    const std::uint64_t k = sim::PctStrategy::estimate_steps(w, cfg.exec, cfg.seed);
    CHECK(k > 10);
    CHECK(k < cfg.exec.step_bound);
    sim::PctStrategy pct(3, k);
    const auto rep = sim::explore(w, pct, cfg);
    REQUIRE(rep.violations.size() == 1);  // the witness and no nondeterminism from self_check
    CHECK(rep.violations[0].violation.kind == sim::ViolationKind::WrongReturn);
    CHECK(rep.violations[0].violation.detail == "pin returned -EINVAL");
    CHECK(rep.executions < cfg.iterations);
}
