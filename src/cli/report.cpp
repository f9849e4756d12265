#include "cli/report.hpp"

#include <fmt/format.h>

namespace pfnsim::cli {

namespace {
int severity(const std::string& kind) {
    if (kind == "nondeterminism") {
        return 6;
    }
    if (kind == "invariant") {
        return 5;
    }
    if (kind == "deadlock") {
        return 4;
    }
    if (kind == "wrong-return") {
        return 3;
    }
    if (kind == "livelock") {
        return 2;
    }
    return 1;  // step-bound
}
}  // namespace

std::string verdict_of(const std::vector<sim::Witness>& v) {
    std::string best = "clean";
    int s = 0;
    for (const auto& w : v) {
        if (severity(w.violation.kind) > s) {
            s = severity(w.violation.kind);
            best = w.violation.kind;
        }
    }
    return best;
}

void add_lasso_json(nlohmann::json& v, const sim::Lasso& l, const std::vector<std::string>& names) {
    nlohmann::json stuck = nlohmann::json::array();
    for (auto a : l.stuck) {
        stuck.push_back(names.at(a));
    }
    v["proof"] = "cycle";
    v["cycle_length"] = l.cycle_steps;
    v["prefix_length"] = l.prefix_steps;
    v["stuck"] = stuck;
    v["killable"] = l.killable;
    v["yielding"] = l.yielding;
    v["locks_held"] = l.locks_held;
}

std::string full_verdict(const CellReport& c) {
    if (c.verdict == "livelock") {
        for (const auto& w : c.explore.violations) {
            if (w.lasso) {
                return fmt::format("livelock ({}, {})",
                                   w.lasso->killable ? "killable" : "unkillable",
                                   w.lasso->yielding ? "yielding" : "spinning");
            }
        }
    }
    return c.verdict;
}

std::string replay_command(const CellReport& c, const sim::Witness& w) {
    // `replay --seed` replays under the random strategy; other strategies' seeds do not carry.
    if (c.strategy != "random") {
        return fmt::format("pfnsim replay {} --policy {} --schedule {}", c.scenario_path, c.policy,
                           w.schedule);
    }
    return fmt::format("pfnsim replay {} --policy {} --seed {}", c.scenario_path, c.policy, w.seed);
}

std::string results_seen(const CellReport& c, std::size_t actor) {
    std::string s;
    if (actor >= c.explore.results.size()) {
        return s;
    }
    for (const auto& [r, n] : c.explore.results[actor]) {
        s += s.empty() ? "" : ", ";
        s += r;
    }
    return s;
}

nlohmann::json to_json(const CellReport& c) {
    nlohmann::json j;
    j["scenario"] = c.scenario_name;
    j["file"] = c.scenario_path;
    j["policy"] = c.policy;
    j["strategy"] = c.strategy;
    if (c.strategy == "pct") {
        j["depth"] = c.pct_depth;
        j["pct_steps"] = c.pct_steps;
    }
    j["seed"] = c.seed;
    j["executions"] = c.explore.executions;
    j["steps"] = c.explore.steps;
    j["verdict"] = c.verdict;
    j["verdict_class"] = full_verdict(c);
    if (!c.expected.empty()) {
        j["expected"] = c.expected;
    }
    nlohmann::json results = nlohmann::json::object();
    for (std::size_t a = 0; a < c.actor_names.size() && a < c.explore.results.size(); ++a) {
        nlohmann::json r = nlohmann::json::object();
        for (const auto& [k, n] : c.explore.results[a]) {
            r[k] = n;
        }
        results[c.actor_names[a]] = r;
    }
    j["results"] = results;
    nlohmann::json vs = nlohmann::json::array();
    for (std::size_t i = 0; i < c.explore.violations.size(); ++i) {
        const auto& w = c.explore.violations[i];
        nlohmann::json v = {{"kind", w.violation.kind},
                            {"actor", w.violation.actor},
                            {"detail", w.violation.detail},
                            {"seed", w.seed},
                            {"schedule", w.schedule},
                            {"count", w.count},
                            {"steps", w.length},
                            {"replay", replay_command(c, w)}};
        if (w.lasso) {
            add_lasso_json(v, *w.lasso, c.actor_names);
        } else if (w.violation.kind == "step-bound") {
            v["proof"] = "none";
        }
        if (i < c.minimized.size() && c.minimized[i]) {
            const auto& m = *c.minimized[i];
            v["minimized"] = {{"schedule", m.schedule},
                              {"steps", m.steps},
                              {"total_steps", m.total_steps},
                              {"preemptions", m.preemptions},
                              {"original_steps", m.original_steps},
                              {"original_preemptions", m.original_preemptions},
                              {"replay", fmt::format("pfnsim replay {} --policy {} --schedule {}",
                                                     c.scenario_path, c.policy, m.schedule)},
                              {"diagram", c.diagrams[i]}};
        }
        vs.push_back(v);
    }
    j["violations"] = vs;
    return j;
}

std::string to_text(const CellReport& c) {
    std::string s;
    s += fmt::format("scenario    {} ({})\n", c.scenario_name, c.scenario_path);
    s += fmt::format("policy      {}\n", c.policy);
    const std::string params =
        c.strategy == "pct" ? fmt::format(", depth {}, k {},", c.pct_depth, c.pct_steps) : "";
    s += fmt::format("explored    {} executions ({} strategy{} from seed {}), {} steps\n",
                     c.explore.executions, c.strategy, params, c.seed, c.explore.steps);
    for (std::size_t a = 0; a < c.actor_names.size() && a < c.explore.results.size(); ++a) {
        std::string r;
        for (const auto& [k, n] : c.explore.results[a]) {
            r += fmt::format("{}{} x{}", r.empty() ? "" : ", ", k, n);
        }
        s += fmt::format("{:<11} {}\n", a == 0 ? "results" : "", c.actor_names[a] + ": " + r);
    }
    s += fmt::format("verdict     {}{}\n", c.verdict,
                     c.expected.empty()        ? std::string()
                     : c.expected == c.verdict ? " (as expected)"
                                               : fmt::format(" (expected {})", c.expected));
    for (std::size_t i = 0; i < c.explore.violations.size(); ++i) {
        const auto& w = c.explore.violations[i];
        s += fmt::format("\n{}: {} ({} of {} executions)\n", w.violation.kind, w.violation.detail,
                         w.count, c.explore.executions);
        if (i < c.minimized.size() && c.minimized[i]) {
            const auto& m = *c.minimized[i];
            auto pre = [](unsigned n) {
                return fmt::format("{} preemption{}", n, n == 1 ? "" : "s");
            };
            if (w.lasso) {
                s += fmt::format(
                    "  proven by a lasso: {} steps, then a fair cycle of {} steps "
                    "for ever (found with seed {})\n\n",
                    w.lasso->prefix_steps, w.lasso->cycle_steps, w.seed);
            } else {
                s += fmt::format(
                    "  minimised from {} steps and {} to {} steps and {} (steps up to the "
                    "violation; found with seed {})\n\n",
                    m.original_steps, pre(m.original_preemptions), m.steps, pre(m.preemptions),
                    w.seed);
            }
            s += c.diagrams[i];
        } else {
            s += fmt::format("  replay:   {}\n", replay_command(c, w));
            s += fmt::format("  schedule: {}\n", w.schedule);
        }
    }
    return s;
}

}  // namespace pfnsim::cli
