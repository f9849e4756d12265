// pfnsim run and pfnsim replay: one execution, with its trace.
#include <fmt/format.h>

#include <iostream>

#include "cli/commands.hpp"
#include "cli/export.hpp"
#include "cli/render.hpp"
#include "cli/validate.hpp"
#include "pfnsim/app/error.hpp"
#include "pfnsim/app/explore.hpp"

namespace pfnsim::cli {

namespace {

int one_execution(const Options& o, bool replay, bool diagram) {
    const app::Plan plan = load_plan(o);
    check_outputs(o);
    app::Result r = app::run_plan(plan, replay ? o.schedule : std::string());
    r.lock_order.listed = o.lock_order;
    if (!o.trace_out.empty() || !o.dot_out.empty()) {
        auto program = plan.program();
        const std::string title = fmt::format("{} ({})", plan.scenario.name, plan.policy.name());
        if (!o.trace_out.empty()) {
            write_file(o.trace_out, chrome_trace(r.run->outcome, *program, title).dump(1) + "\n");
        }
        if (!o.dot_out.empty()) {
            write_file(o.dot_out, happens_before_dot(r.run->outcome, *program, title));
        }
    }
    write_lock_order_dot(o, r);
    std::cout << (o.json ? run_json(r).dump(2) + "\n" : run_text(r, diagram));
    return exit_code(r, false);
}

}  // namespace

void add_run(CLI::App& cmd, Options& o) {
    add_scenario(cmd, o);
    add_policy(cmd, o);
    add_kernel(cmd, o);
    add_step_bound(cmd, o);
    add_faults(cmd, o);
    add_exports(cmd, o);
    add_lock_order(cmd, o);
    cmd.add_option("--seed", o.numbers.seed, "execution seed (default: the scenario's)")
        ->transform(number(Number::seed));
    cmd.add_flag("--json", o.json, "print one JSON document");
    cmd.footer(
        footer("pfnsim run scenarios/pin-zap-race.toml --policy eagain --seed 7", Codes::found));
}

int cmd_run(const Options& o) {
    return one_execution(o, false, false);
}

void add_replay(CLI::App& cmd, Options& o) {
    add_scenario(cmd, o);
    add_policy(cmd, o);
    add_kernel(cmd, o);
    add_step_bound(cmd, o);
    add_faults(cmd, o);
    add_exports(cmd, o);
    add_lock_order(cmd, o);
    auto* rs = cmd.add_option("--seed", o.numbers.seed, "execution seed from a report")
                   ->transform(number(Number::seed));
    auto* rsc = cmd.add_option("--schedule", o.schedule, "schedule string from a report")
                    ->check(not_empty("a schedule string from a report, such as "
                                      "2.45061d81.a15b11-cc03"));
    cmd.add_option("--trace", o.trace, "full (every step) or diagram (the race, the default)")
        ->check(CLI::IsMember({"full", "diagram"}));
    cmd.add_flag("--json", o.json, "print one JSON document");
    rs->excludes(rsc);
    rsc->excludes(rs);
    cmd.footer(
        footer("pfnsim replay scenarios/seed-split-refault.toml --policy original "
               "--seed 13 --trace full",
               Codes::found));
}

int cmd_replay(const Options& o) {
    if (!o.over.seed && o.schedule.empty()) {
        throw app::InputError{"replay needs --seed N or --schedule STR"};
    }
    return one_execution(o, true, o.trace != "full");
}

}  // namespace pfnsim::cli
