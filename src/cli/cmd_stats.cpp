// pfnsim stats: retries per pin and results, per retry policy.
#include <fmt/format.h>

#include <iostream>

#include "cli/commands.hpp"
#include "cli/progress.hpp"
#include "cli/render.hpp"
#include "cli/validate.hpp"
#include "pfnsim/app/explore.hpp"

namespace pfnsim::cli {

void add_stats(CLI::App& cmd, Options& o) {
    add_scenario(cmd, o);
    cmd.add_option("--policy", o.over.policy,
                   std::string("one retry policy (default: all): ") + valid_policies());
    add_kernel(cmd, o);
    cmd.add_option("--iterations", o.numbers.iterations, "executions (default: the scenario's)")
        ->transform(number(Number::iterations));
    cmd.add_option("--seed", o.numbers.seed, "first seed (default: the scenario's)")
        ->transform(number(Number::seed));
    add_step_bound(cmd, o);
    cmd.add_flag("--json", o.json, "print one JSON document");
    cmd.add_flag("--quiet", o.quiet, "no progress on stderr");
    cmd.footer(
        footer("pfnsim stats scenarios/lockstep-split.toml --policy bounded:3", Codes::none));
}

int cmd_stats(const Options& o) {
    const app::Plan plan = load_plan(o);
    std::vector<model::Policy> pols;
    if (!o.over.policy.empty()) {
        pols.push_back(plan.policy);
    } else {
        std::size_t np = 0;
        const model::Policy* all = model::all_policies(np);
        pols.assign(all, all + np);
    }
    std::vector<app::PolicyStats> st;
    st.reserve(pols.size());
    for (const auto& p : pols) {
        st.push_back(app::collect_stats(
            plan.with_policy(p),
            progress_printer(o.quiet, fmt::format("{} {}", plan.scenario.name, p.name()))));
    }
    std::cout << (o.json ? stats_json(plan, st).dump(2) + "\n" : stats_text(plan, st));
    return 0;
}

}  // namespace pfnsim::cli
