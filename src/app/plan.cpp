#include "pfnsim/app/plan.hpp"

#include <fmt/format.h>

#include "pfnsim/app/error.hpp"
#include "pfnsim/app/files.hpp"
#include "pfnsim/app/provenance.hpp"
#include "pfnsim/model/world.hpp"
#include "pfnsim/sim/pct_strategy.hpp"
#include "pfnsim/sim/random_strategy.hpp"
#include "pfnsim/sim/schedule.hpp"

namespace pfnsim::app {

PolicyChoice policy_option(const std::string& text, const model::Scenario& sc) {
    if (text.empty()) {
        return {sc.policy, ""};
    }
    if (auto p = model::parse_policy(text)) {
        const std::string note = model::policy_note(text);
        return {*p, note.empty() ? note : fmt::format("--policy: note: {}", note)};
    }
    throw InputError{fmt::format("unknown policy '{}' (valid: {})", text, model::kValidPolicies)};
}

Plan make_plan(const std::string& path, const Overrides& o) {
    Plan p;
    const std::string text = read_input(path, kScenarioCap, "scenario");
    try {
        p.scenario = model::parse_scenario(text, path);
    } catch (const model::ScenarioError& e) {
        throw InputError{e.what()};
    }
    p.scenario_hash = content_hash(text);
    const PolicyChoice chosen = policy_option(o.policy, p.scenario);
    p.policy = chosen.policy;
    p.notes = p.scenario.notes;
    if (!chosen.note.empty()) {
        p.notes.push_back(chosen.note);
    }
    p.exec.step_bound = o.step_bound.value_or(p.scenario.step_bound);
    p.step_bound_given = o.step_bound && *o.step_bound != p.scenario.step_bound;
    p.exec.max_faults = o.faults;
    p.iterations = o.iterations.value_or(p.scenario.iterations);
    p.seed = o.seed.value_or(p.scenario.seed);
    if (o.strategy.empty()) {
        const bool pct =
            o.scenario_strategy && p.scenario.explore_mode == model::Scenario::ExploreMode::Pct;
        p.strategy = pct ? sim::StrategyKind::Pct : kDefaultStrategy;
        if (pct && p.scenario.explore_depth) {
            p.depth = *p.scenario.explore_depth;
        }
    } else if (const auto k = sim::parse_exploration_strategy(o.strategy)) {
        p.strategy = *k;
    } else {
        throw InputError{fmt::format("unknown strategy '{}' (valid: {})", o.strategy,
                                     sim::exploration_strategies())};
    }
    // After its last change point PCT lets a higher-priority actor that runs for ever starve
    // the others: such a run only repeats a state. Cut it there instead of at the step bound.
    p.exec.prune_revisits = !sim::traits(p.strategy).fair;
    if (o.depth) {
        if (p.strategy != sim::StrategyKind::Pct) {
            throw InputError{fmt::format("--depth needs --strategy {}",
                                         sim::strategy_name(sim::StrategyKind::Pct))};
        }
        if (*o.depth == 0) {
            throw InputError{"--depth 0: the depth must be at least 1"};
        }
        p.depth = *o.depth;
    }
    return p;
}

std::uint32_t Plan::schedule_key() const {
    const std::string what =
        fmt::format("{}\npolicy={}\nfaults={}", scenario.shape, policy.name(),
                    exec.max_faults ? std::to_string(*exec.max_faults) : std::string("scenario"));
    const std::uint64_t h = sim::fnv1a(what);
    return static_cast<std::uint32_t>(h ^ (h >> 32U));
}

Plan Plan::with_policy(const model::Policy& p) const {
    Plan q = *this;
    q.policy = p;
    return q;
}

std::unique_ptr<sim::Program> Plan::program() const {
    auto w = std::make_unique<model::World>(scenario);
    w->set_policy(policy);
    return w;
}

std::unique_ptr<sim::Strategy> make_strategy(const Plan& plan, sim::Program& program) {
    if (plan.strategy == sim::StrategyKind::Pct) {
        return std::make_unique<sim::PctStrategy>(
            plan.depth, sim::PctStrategy::estimate_steps(program, plan.exec, plan.seed),
            program.actors().size());
    }
    return std::make_unique<sim::RandomStrategy>();
}

sim::Schedule decode_for(const Plan& plan, const std::string& text) {
    sim::Schedule s;
    try {
        s = sim::decode_schedule(text);
    } catch (const sim::ScheduleError& e) {
        throw InputError{e.what()};
    }
    if (!s.key || *s.key == plan.schedule_key()) {
        return s;
    }
    // Name what it was recorded for, when it is this file under another policy or fault bound.
    std::size_t n = 0;
    const model::Policy* all = model::all_policies(n);
    for (std::size_t i = 0; i < n; ++i) {
        for (const std::optional<unsigned> f :
             {std::optional<unsigned>{}, std::optional<unsigned>{1}, std::optional<unsigned>{2},
              std::optional<unsigned>{3}}) {
            Plan q = plan.with_policy(all[i]);
            q.exec.max_faults = f;
            if (q.schedule_key() == *s.key) {
                throw InputError{fmt::format(
                    "the schedule was recorded for {} under --policy {}{}, not --policy {}{} "
                    "(add those options to replay it)",
                    plan.file(), all[i].name(), f ? fmt::format(" --faults {}", *f) : "",
                    plan.policy.name(),
                    plan.exec.max_faults ? fmt::format(" --faults {}", *plan.exec.max_faults)
                                         : "")};
            }
        }
    }
    throw InputError{fmt::format(
        "the schedule was recorded for another scenario (key {:08x}; {} under --policy {} is "
        "{:08x}): replay it on the file, policy and --faults it was reported with",
        *s.key, plan.file(), plan.policy.name(), plan.schedule_key())};
}

}  // namespace pfnsim::app
