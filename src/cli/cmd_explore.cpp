// pfnsim explore: many random (or PCT) executions, violations with witnesses.
#include <fmt/format.h>

#include <csignal>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/export.hpp"
#include "cli/progress.hpp"
#include "cli/render.hpp"
#include "cli/validate.hpp"
#include "pfnsim/app/explore.hpp"

namespace pfnsim::cli {

namespace {

// SIGINTs during explore: the first stops exploring at the next execution, one more stops
// minimising (each witness keeps what it has, replay-checked); after two, the default action.
std::atomic<unsigned> g_sigints{0};
static_assert(std::atomic<unsigned>::is_always_lock_free);

extern "C" void on_explore_sigint(int /*sig*/) {
    if (g_sigints.fetch_add(1) + 1 >= 2) {
        std::signal(SIGINT, SIG_DFL);
    }
}

// The first minimised witness, as a Chrome trace and a happens-before graph, if asked for.
void export_witness(const Options& o, const app::Plan& plan, const app::Result& r) {
    for (const auto& f : r.findings) {
        if (f.minimized) {  // the first minimised witness is the one exported
            auto program = plan.program();
            const std::string title = fmt::format("{} ({}): {}", plan.scenario.name,
                                                  plan.policy.name(), f.witness.violation.detail);
            if (!o.trace_out.empty()) {
                write_file(o.trace_out,
                           chrome_trace(f.minimized->outcome, *program, title).dump(1) + "\n");
            }
            if (!o.dot_out.empty()) {
                write_file(o.dot_out, happens_before_dot(f.minimized->outcome, *program, title));
            }
            break;
        }
    }
}

}  // namespace

void add_explore(CLI::App& cmd, Options& o) {
    add_scenario(cmd, o);
    add_policy(cmd, o);
    add_kernel(cmd, o);
    add_step_bound(cmd, o);
    add_faults(cmd, o);
    add_exports(cmd, o);
    add_lock_order(cmd, o);
    cmd.add_option(
           "--strategy", o.over.strategy,
           fmt::format("exploration strategy: {} (default: {})", sim::exploration_strategies(),
                       sim::strategy_name(app::kDefaultStrategy)))
        ->check(not_empty(sim::exploration_strategies()));
    cmd.add_option("--depth", o.numbers.depth,
                   "PCT depth d: d-1 priority change points per execution (default 3)")
        ->transform(number(Number::depth));
    cmd.add_option("--iterations", o.numbers.iterations, "executions (default: the scenario's)")
        ->transform(number(Number::iterations));
    cmd.add_option("--seed", o.numbers.seed, "first seed (default: the scenario's)")
        ->transform(number(Number::seed));
    cmd.add_flag("--json", o.json, "print one JSON document");
    cmd.add_flag("--quiet", o.quiet, "no progress on stderr");
    cmd.add_flag("--no-minimize", o.no_minimize, "report violations as found");
    add_minimize_budget(cmd, o);
    cmd.footer(
        footer("pfnsim explore scenarios/seed-split-refault.toml --strategy pct --iterations 2000",
               Codes::judged,
               "interrupted by SIGINT: the findings so far (a second one stops minimising)"));
}

int cmd_explore(const Options& o) {
    const app::Plan plan = load_plan(o);
    check_outputs(o);
    app::ExploreHooks hooks;
    hooks.minimize_budget = parse_minimize_budget(o.minimize_budget);
    hooks.minimize_progress = minimize_printer(o.quiet, plan.scenario.name, hooks.minimize_budget);
    g_sigints = 0;
    hooks.interrupts = &g_sigints;
    const auto previous = std::signal(SIGINT, on_explore_sigint);
    app::Result r;
    try {
        r = app::explore_plan(plan, !o.no_minimize, progress_printer(o.quiet, plan.scenario.name),
                              hooks);
    } catch (...) {
        std::signal(SIGINT, previous);
        throw;
    }
    std::signal(SIGINT, previous);
    hooks.minimize_progress = nullptr;  // clears the minimiser's line, if any
    export_witness(o, plan, r);
    r.lock_order.listed = o.lock_order;
    write_lock_order_dot(o, r);
    std::cout << (o.json ? explore_json(r).dump(2) + "\n" : explore_text(r));
    // 3: interrupted, the findings so far; 1: also an expected verdict not found
    return exit_code(r, true);
}

}  // namespace pfnsim::cli
