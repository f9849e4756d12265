// pfnsim benchmarks: the cost of one scheduling step, one execution and one sweep (issue 3).
// Names are fixed so that figures can be compared over time (docs/performance.md).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <boost/fiber/fiber.hpp>
#include <boost/fiber/operations.hpp>
#include <boost/fiber/pooled_fixedsize_stack.hpp>
#include <cstdint>
#include <string>

#include "pfnsim/app/matrix.hpp"
#include "pfnsim/model/world.hpp"
#include "pfnsim/sim/dfs_strategy.hpp"
#include "pfnsim/sim/execution.hpp"
#include "pfnsim/sim/prng.hpp"
#include "pfnsim/sim/random_strategy.hpp"
#include "pfnsim/sim/sweep.hpp"
#include "pfnsim/sim/witness.hpp"
#include "sim/algorithm.hpp"

using namespace pfnsim;

namespace {

model::World seed_race() {
    model::World w(model::load_scenario(std::string(PFNSIM_SOURCE_DIR) +
                                        "/scenarios/seed-split-refault.toml"));
    w.set_policy(*model::parse_policy("original"));
    return w;
}

sim::ExecutionConfig seed_race_config(const model::World& w) {
    sim::ExecutionConfig c;
    c.step_bound = w.sc.step_bound;
    c.record_trace = false;
    return c;
}

// Time per item, shown next to items/s.
benchmark::Counter per_item(double items) {
    return {items, benchmark::Counter::kIsRate | benchmark::Counter::kInvert};
}

// The floor: two fibers under ControlledAlgorithm, no model and no core. Each step makes the
// decision sim::point makes: a seeded choice of the next actor, and a designate + yield only
// when it is the other one (Boost never offers the yielding fiber, see algorithm.hpp).
void BM_BareFiberYield(benchmark::State& state) {
    auto& algo = sim::detail::install_algorithm();
    algo.reset(2);
    thread_local boost::fibers::pooled_fixedsize_stack stacks(256UL * 1024, 4);
    sim::Xoshiro256 rng(1);
    std::uint64_t steps = 0;
    std::uint64_t switches = 0;
    bool done = false;
    auto step = [&](sim::ActorId me) {
        ++steps;
        const sim::ActorId next = rng.below(2);
        if (next != me) {
            ++switches;
            algo.designate(next);
            boost::this_fiber::yield();
        }
    };
    // Actor 0 drives the benchmark loop; actor 1 steps until it ends.
    algo.expect_new_actor(0);
    boost::fibers::fiber a(std::allocator_arg, stacks, [&] {
        for (auto _ : state) {
            step(0);
        }
        done = true;
        algo.designate(1);
    });
    algo.expect_new_actor(1);
    boost::fibers::fiber b(std::allocator_arg, stacks, [&] {
        while (!done) {
            step(1);
        }
    });
    algo.designate(0);
    a.join();
    b.join();
    state.SetItemsProcessed(static_cast<std::int64_t>(steps));
    state.counters["per_step"] = per_item(static_cast<double>(steps));
    state.counters["per_switch"] = per_item(static_cast<double>(switches));
}
BENCHMARK(BM_BareFiberYield);

// Random executions of the seed race, as `explore` runs them (no trace).
struct RandomRun {
    std::uint64_t executions = 0;
    std::uint64_t steps = 0;
};

RandomRun run_random(benchmark::State& state) {
    model::World w = seed_race();
    const sim::ExecutionConfig cfg = seed_race_config(w);
    sim::RandomStrategy random;
    RandomRun r;
    for (auto _ : state) {
        const sim::Outcome out =
            sim::run_execution(w, random, sim::derive_seed(1, r.executions), cfg);
        ++r.executions;
        r.steps += out.steps;
    }
    return r;
}

void BM_SeedRaceRandomStep(benchmark::State& state) {
    const RandomRun r = run_random(state);
    state.SetItemsProcessed(static_cast<std::int64_t>(r.steps));
    state.counters["per_step"] = per_item(static_cast<double>(r.steps));
    state.counters["steps_per_exec"] =
        static_cast<double>(r.steps) / static_cast<double>(r.executions);
}
BENCHMARK(BM_SeedRaceRandomStep);

void BM_SeedRaceExecution(benchmark::State& state) {
    const RandomRun r = run_random(state);
    state.SetItemsProcessed(static_cast<std::int64_t>(r.executions));
}
BENCHMARK(BM_SeedRaceExecution);

// The same random executions, each also added to a Tally as explore adds it: the lock-order
// edges every execution records (one loop over the locks held per acquisition) and their union
// into the graph. Compare per_step with BM_SeedRaceRandomStep's.
void BM_SeedRaceLockGraphStep(benchmark::State& state) {
    model::World w = seed_race();
    const sim::ExecutionConfig cfg = seed_race_config(w);
    sim::RandomStrategy random;
    sim::Tally tally;
    std::uint64_t edges_seen = 0;
    for (auto _ : state) {
        const sim::Outcome out =
            sim::run_execution(w, random, sim::derive_seed(1, tally.executions), cfg);
        edges_seen += out.lock_edges.size();
        tally.add(out, true);
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(tally.steps));
    state.counters["per_step"] = per_item(static_cast<double>(tally.steps));
    state.counters["edges_per_exec"] =
        static_cast<double>(edges_seen) /
        static_cast<double>(std::max<std::uint64_t>(tally.executions, 1));
    state.counters["graph_edges"] = static_cast<double>(tally.lock_graph.edges.size());
}
BENCHMARK(BM_SeedRaceLockGraphStep);

// The whole depth-first sweep at preemption bound 2.
void BM_SeedRaceSweepP2(benchmark::State& state) {
    model::World w = seed_race();
    const sim::ExecutionConfig cfg = seed_race_config(w);
    std::uint64_t executions = 0;
    std::uint64_t per_sweep = 0;
    for (auto _ : state) {
        sim::DfsStrategy dfs(2);
        std::uint64_t n = 0;
        do {
            benchmark::DoNotOptimize(sim::run_execution(w, dfs, n, cfg));
            ++n;
        } while (dfs.advance());
        executions += n;
        per_sweep = n;
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(executions));
    state.counters["executions"] = static_cast<double>(per_sweep);
}
BENCHMARK(BM_SeedRaceSweepP2)->Unit(benchmark::kMillisecond);

// Setup and teardown of one execution: two actors (as in the seed race) that do nothing.
class EmptyProgram final : public sim::Program {
  public:
    EmptyProgram() : decls_{{"a", false}, {"b", false}} {}
    const std::vector<sim::ActorDecl>& actors() const override { return decls_; }
    sim::ObjectTable& objects() override { return objects_; }
    void reset() override {}
    void run_actor(sim::ActorId /*id*/) override {}
    std::string result(sim::ActorId /*id*/) const override { return "0"; }
    void check_results(std::vector<sim::Violation>& /*out*/) const override {}

  private:
    std::vector<sim::ActorDecl> decls_;
    sim::ObjectTable objects_;
};

void BM_EmptyExecution(benchmark::State& state) {
    EmptyProgram p;
    sim::RandomStrategy random;
    sim::ExecutionConfig cfg;
    cfg.record_trace = false;
    std::uint64_t n = 0;
    for (auto _ : state) {
        benchmark::DoNotOptimize(sim::run_execution(p, random, n++, cfg));
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(n));
}
BENCHMARK(BM_EmptyExecution);

// The model's share of setup: World::reset() of the seed race.
void BM_SeedRaceReset(benchmark::State& state) {
    model::World w = seed_race();
    for (auto _ : state) {
        w.reset();
        benchmark::ClobberMemory();
    }
}
BENCHMARK(BM_SeedRaceReset);

}  // namespace

namespace {

// Stateful sweeps (any number of preemptions) of a shipped scenario under a policy.
sim::SweepReport stateful_sweep(const std::string& file, const std::string& policy) {
    const auto sc = std::make_shared<model::Scenario>(
        model::load_scenario(std::string(PFNSIM_SOURCE_DIR) + "/scenarios/" + file));
    const model::Policy p = *model::parse_policy(policy);
    sim::SweepConfig cfg;
    cfg.stateful = true;
    cfg.exec.step_bound = sc->step_bound;
    sim::SweepState state;
    return sim::sweep(
        [&] {
            auto w = std::make_unique<model::World>(*sc);
            w->set_policy(p);
            return w;
        },
        cfg, state);
}

void report_states(benchmark::State& state, const sim::SweepReport& r) {
    state.counters["states"] = static_cast<double>(r.totals.states);
    state.counters["transitions"] = static_cast<double>(r.totals.transitions);
    state.counters["executions"] = static_cast<double>(r.totals.executions);
    state.counters["table_bytes_per_state"] =
        static_cast<double>(r.totals.table_bytes) / static_cast<double>(r.totals.states);
}

// The seed race against a numa_maps loop that runs for ever: every reachable state.
void BM_StatefulSweepSeedRace(benchmark::State& state) {
    sim::SweepReport r;
    for (auto _ : state) {
        r = stateful_sweep("lockstep-split.toml", "original");
    }
    report_states(state, r);
}
BENCHMARK(BM_StatefulSweepSeedRace)->Unit(benchmark::kMillisecond);

// The lockstep livelock found in the state graph and proven by replaying its lasso.
void BM_StatefulLockstepLivelock(benchmark::State& state) {
    sim::SweepReport r;
    for (auto _ : state) {
        r = stateful_sweep("lockstep-split.toml", "eagain");
    }
    report_states(state, r);
    bool proven = false;
    for (const auto& w : r.totals.violations) {
        proven = proven || (w.violation.kind == sim::ViolationKind::Livelock && w.lasso);
    }
    state.counters["proven"] = proven ? 1 : 0;
}
BENCHMARK(BM_StatefulLockstepLivelock)->Unit(benchmark::kMillisecond);

// A stateful sweep of a scenario file under bench/data, stopped at `max_states` (0: none).
sim::SweepReport stateful_bench_sweep(const std::string& file, std::uint64_t max_states) {
    const auto sc = std::make_shared<model::Scenario>(
        model::load_scenario(std::string(PFNSIM_SOURCE_DIR) + "/bench/data/" + file));
    sim::SweepConfig cfg;
    cfg.stateful = true;
    cfg.exec.step_bound = sc->step_bound;
    cfg.max_states = max_states;
    sim::SweepState state;
    return sim::sweep([&] { return std::make_unique<model::World>(*sc); }, cfg, state);
}

void report_rate(benchmark::State& state, const sim::SweepReport& r) {
    report_states(state, r);
    state.counters["complete"] = r.complete ? 1 : 0;
    state.counters["states_per_s"] = benchmark::Counter(
        static_cast<double>(r.totals.states) * static_cast<double>(state.iterations()),
        benchmark::Counter::kIsRate);
}

// Three actors (issue 24's report): a pin under eagain, a numa_maps split for ever and a
// one-shot memory-disable zap on a PUD-mapped BAR. Target: complete within 1 s on one core.
void BM_StatefulThreeActors(benchmark::State& state) {
    sim::SweepReport r;
    for (auto _ : state) {
        r = stateful_bench_sweep("three-actors.toml", 0);
    }
    report_rate(state, r);
}
BENCHMARK(BM_StatefulThreeActors)->Unit(benchmark::kMillisecond)->UseRealTime();

// Five actors on one BAR (pin, zap, kvm, fault, split). Target: complete within 30 s and
// 2 GiB on one core; stopped at 5 million states, where `complete` says whether it closed.
void BM_StatefulFiveActors(benchmark::State& state) {
    sim::SweepReport r;
    for (auto _ : state) {
        r = stateful_bench_sweep("five-actors.toml", 5000000);
    }
    report_rate(state, r);
}
BENCHMARK(BM_StatefulFiveActors)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);

// The whole flagship matrix, every cell a stateful sweep with its certificate.
void BM_MatrixExhaustive(benchmark::State& state) {
    const auto files = app::flagship_scenarios(std::string(PFNSIM_SOURCE_DIR) + "/scenarios");
    std::size_t certified = 0;
    for (auto _ : state) {
        const app::Matrix m = app::run_matrix(files, {});
        certified = 0;
        for (const auto& row : m.cells) {
            for (const auto& c : row) {
                certified += c.certified() ? 1 : 0;
            }
        }
    }
    state.counters["certified_cells"] = static_cast<double>(certified);
}
BENCHMARK(BM_MatrixExhaustive)->Unit(benchmark::kMillisecond)->Iterations(1);

}  // namespace

BENCHMARK_MAIN();
