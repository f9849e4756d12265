#include "pfnsim/app/plan.hpp"

#include <fmt/format.h>
#include <toml++/toml.h>

#include "pfnsim/app/error.hpp"
#include "pfnsim/app/files.hpp"
#include "pfnsim/app/provenance.hpp"
#include "pfnsim/model/world.hpp"
#include "pfnsim/sim/pct_strategy.hpp"
#include "pfnsim/sim/random_strategy.hpp"
#include "pfnsim/sim/schedule.hpp"

namespace pfnsim::app {

namespace {

// The settings that change the file's [kernel] values, in the table's order: compared with the
// file's own text (a file valid only under a setting has no Scenario of its own).
model::KernelSettings changed_kernel(const std::string& text, const std::string& path,
                                     const model::Scenario& sc) {
    const toml::table t = toml::parse(text, path);
    const model::Scenario defaults;
    model::KernelSettings out;
    for (const auto key : model::kernel_keys()) {
        const std::string_view now = model::kernel_value(sc, key);
        const std::string file =
            t["kernel"][key].value_or(std::string(model::kernel_value(defaults, key)));
        if (now != file) {
            out.push_back({std::string(key), std::string(now)});
        }
    }
    return out;
}

std::string key_text(const std::string& shape, const model::Policy& policy,
                     std::optional<unsigned> faults, const model::KernelSettings& kernel) {
    std::string what = fmt::format("{}\npolicy={}\nfaults={}", shape, policy.name(),
                                   faults ? std::to_string(*faults) : std::string("scenario"));
    if (!kernel.empty()) {
        what += "\nkernel=";
        for (const auto& [k, v] : kernel) {
            what += fmt::format("{}={};", k, v);
        }
    }
    return what;
}

std::uint32_t fold(std::uint64_t h) {
    return static_cast<std::uint32_t>(h ^ (h >> 32U));
}

}  // namespace

model::KernelSettings kernel_option(const std::vector<std::string>& given) {
    model::KernelSettings out;
    for (const auto& g : given) {
        const auto eq = g.find('=');
        if (eq == std::string::npos) {
            std::string keys;
            for (const auto k : model::kernel_keys()) {
                keys += fmt::format("{}{}", keys.empty() ? "" : ", ", k);
            }
            throw InputError{fmt::format("--kernel '{}': expected KEY=VALUE (keys: {})", g, keys)};
        }
        model::KernelSetting s{g.substr(0, eq), g.substr(eq + 1)};
        model::Scenario scratch;
        if (const std::string err = model::set_kernel(scratch, s.key, s.value); !err.empty()) {
            throw InputError{fmt::format("--kernel {}: {}", g, err)};
        }
        out.push_back(std::move(s));
    }
    return out;
}

std::vector<std::string> kernel_words(const model::KernelSettings& k) {
    std::vector<std::string> out;
    out.reserve(k.size());
    for (const auto& [key, value] : k) {
        out.push_back(fmt::format("{}={}", key, value));
    }
    return out;
}

std::string kernel_options_text(const model::KernelSettings& k) {
    std::string s;
    for (const auto& w : kernel_words(k)) {
        s += " --kernel " + w;
    }
    return s;
}

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
    const model::KernelSettings kernel = kernel_option(o.kernel);
    try {
        p.scenario = model::parse_scenario(text, path, kernel);
        if (!kernel.empty()) {
            p.kernel = changed_kernel(text, path, p.scenario);
        }
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
    return fold(sim::fnv1a(key_text(scenario.shape, policy, exec.max_faults, kernel)));
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
    // Name what it was recorded for, when it is this file under another policy, fault bound or
    // --kernel settings of at most two keys (each unset or set to one of its values; a setting
    // equal to the file's value is never in a key, so trying it matches nothing). More keys at
    // once would be a product of every key's values: millions of candidates.
    std::vector<model::KernelSettings> kernels = {{}};
    const auto keys = model::kernel_keys();
    for (std::size_t a = 0; a < keys.size(); ++a) {
        for (const auto va : model::kernel_values(keys[a])) {
            const model::KernelSetting one{std::string(keys[a]), std::string(va)};
            kernels.push_back({one});
            for (std::size_t b = a + 1; b < keys.size(); ++b) {
                for (const auto vb : model::kernel_values(keys[b])) {
                    kernels.push_back({one, {std::string(keys[b]), std::string(vb)}});
                }
            }
        }
    }
    std::size_t n = 0;
    const model::Policy* all = model::all_policies(n);
    for (std::size_t i = 0; i < n; ++i) {
        for (const std::optional<unsigned> f :
             {std::optional<unsigned>{}, std::optional<unsigned>{1}, std::optional<unsigned>{2},
              std::optional<unsigned>{3}}) {
            for (const auto& k : kernels) {
                if (fold(sim::fnv1a(key_text(plan.scenario.shape, all[i], f, k))) != *s.key) {
                    continue;
                }
                const auto options = [](const model::Policy& p, std::optional<unsigned> faults,
                                        const model::KernelSettings& ks) {
                    return fmt::format("--policy {}{}{}", p.name(),
                                       faults ? fmt::format(" --faults {}", *faults) : "",
                                       kernel_options_text(ks));
                };
                throw InputError{fmt::format(
                    "the schedule was recorded for {} under {}, not {} (add those options to "
                    "replay it)",
                    plan.file(), options(all[i], f, k),
                    options(plan.policy, plan.exec.max_faults, plan.kernel))};
            }
        }
    }
    throw InputError{fmt::format(
        "the schedule was recorded for another scenario (key {:08x}; {} under --policy {} is "
        "{:08x}): replay it on the file, policy, --faults and --kernel it was reported with",
        *s.key, plan.file(), plan.policy.name(), plan.schedule_key())};
}

}  // namespace pfnsim::app
