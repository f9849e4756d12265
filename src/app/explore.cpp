#include "pfnsim/app/explore.hpp"

#include <fmt/format.h>

#include "pfnsim/app/error.hpp"
#include "pfnsim/model/world.hpp"
#include "pfnsim/sim/pct_strategy.hpp"
#include "pfnsim/sim/prng.hpp"
#include "pfnsim/sim/random_strategy.hpp"
#include "pfnsim/sim/replay_strategy.hpp"

namespace pfnsim::app {

namespace {
std::vector<std::string> actor_names(const sim::Program& p) {
    std::vector<std::string> n;
    for (const auto& a : p.actors()) {
        n.push_back(a.name);
    }
    return n;
}

}  // namespace

Result explore_plan(const Plan& plan, bool minimize, const sim::Progress& progress,
                    const ExploreHooks& hooks) {
    Result r;
    r.plan = plan;
    auto program = plan.program();
    sim::ExploreConfig cfg;
    cfg.iterations = plan.iterations;
    cfg.seed = plan.seed;
    cfg.exec = plan.exec;
    auto strategy = make_strategy(plan, *program);
    r.strategy = plan.strategy;
    if (const auto* pct = dynamic_cast<const sim::PctStrategy*>(strategy.get())) {
        r.pct_depth = pct->depth();
        r.pct_steps = pct->steps();
    }
    r.actors = actor_names(*program);
    cfg.interrupts = hooks.interrupts;
    r.iterations = plan.iterations;
    r.report = sim::explore(*program, *strategy, cfg, progress);
    FindingOptions opt;
    opt.minimize = minimize;
    opt.budget = hooks.minimize_budget;
    opt.interrupts = hooks.interrupts;
    opt.progress = hooks.minimize_progress;
    r.findings = process_witnesses(plan, r.report.violations, opt);
    r.lock_order = lock_order_view(plan, r.report.lock_graph);
    r.expected = expected_for(plan.scenario, plan.policy);
    judge(r);
    return r;
}

Result run_plan(const Plan& plan, const std::string& schedule) {
    Result r;
    r.plan = plan;
    auto program = plan.program();
    r.actors = actor_names(*program);
    Run& run = r.run.emplace();
    sim::ExecutionConfig exec = plan.exec;
    sim::Schedule given;
    if (!schedule.empty()) {
        run.by_seed = false;
        given = decode_for(plan, schedule);
        sim::ReplayStrategy replay(given);
        run.outcome = sim::run_execution(*program, replay, 0, sim::replay_config(exec, given));
        if (!run.outcome.strategy_error.empty() || !replay.error().empty()) {
            throw InputError{fmt::format(
                "the schedule does not fit {} under policy {}: {}", plan.file(), plan.policy.name(),
                run.outcome.strategy_error.empty() ? replay.error() : run.outcome.strategy_error)};
        }
    } else {
        sim::RandomStrategy random;
        run.outcome = sim::run_execution(*program, random, plan.seed, exec);
    }
    std::vector<sim::Witness> ws;
    for (const auto& v : run.outcome.violations) {
        ws.push_back(sim::Witness::of(v, run.outcome));
        if (!run.by_seed) {
            // What reproduces it is the schedule as given: a lasso's cycle is written once, not
            // as far as this execution unrolled it (the unrolled choices end before it does).
            ws.back().seed.reset();
            ws.back().schedule = given;
        }
    }
    // The execution's lock orders: its own graph, and the reports derived from it.
    sim::Tally orders;
    std::vector<sim::Violation> fresh;
    orders.add_lock_edges(run.outcome, run.by_seed, fresh);
    for (sim::Witness w : orders.violations) {
        if (!run.by_seed) {
            w.seed.reset();
            w.schedule = given;
        }
        ws.push_back(std::move(w));
    }
    if (!run.by_seed) {
        for (auto& [k, e] : orders.lock_graph.edges) {
            e.seed.reset();
            e.schedule = given;
        }
    }
    FindingOptions opt;
    opt.minimize = false;
    r.findings = process_witnesses(plan, ws, opt);
    r.lock_order = lock_order_view(plan, orders.lock_graph);
    r.expected = expected_for(plan.scenario, plan.policy);
    judge(r);
    run.given = schedule;
    run.schedule = schedule_text(plan, run.by_seed ? run.outcome.schedule : given);
    sim::Witness self = sim::Witness::of({}, run.outcome);
    if (!run.by_seed) {
        self.seed.reset();
        self.schedule = given;
    }
    run.replay = replay_command(plan, self, run.by_seed);
    return r;
}

PolicyStats collect_stats(const Plan& plan, const sim::Progress& progress) {
    model::World world(plan.scenario);
    world.set_policy(plan.policy);
    sim::RandomStrategy random;
    sim::ExecutionConfig ec = plan.exec;
    ec.record_trace = false;
    PolicyStats st;
    st.policy = plan.policy.name();
    std::uint64_t most = 0;
    for (std::uint64_t i = 0; i < plan.iterations; ++i) {
        const std::uint64_t seed = sim::derive_seed(plan.seed, i);
        const sim::Outcome out = sim::run_execution(world, random, seed, ec);
        ++st.executions;
        const std::uint64_t retries = world.tasks.at(0).retries;
        st.retries.push_back(retries);
        if (i == 0 || retries > most) {
            most = retries;
            st.max_seed = seed;
        }
        std::string res = out.results.at(0);
        if (res.empty()) {
            res = out.status == sim::Status::Livelock ? "(livelock)" : "(unfinished)";
        }
        ++st.results[res];
        if (progress && (i % 256 == 0 || i + 1 == plan.iterations)) {
            progress(i + 1, plan.iterations);
        }
    }
    sim::Witness w;
    w.seed = st.max_seed;
    st.max_replay = replay_command(plan, w, true);
    return st;
}

}  // namespace pfnsim::app
