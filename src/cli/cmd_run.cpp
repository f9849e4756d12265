// pfnsim run and pfnsim replay: one execution, with its trace.
#include <fmt/format.h>

#include <iostream>

#include "cli/export.hpp"
#include "cli/options.hpp"
#include "cli/render.hpp"

namespace pfnsim::cli {

int cmd_run(const Options& o, bool replay) {
    const app::Plan plan = load_plan(o);
    const app::Result r = app::run_plan(plan, replay ? o.schedule : std::string());
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
    std::cout << (o.json ? run_json(r).dump(2) + "\n" : run_text(r, o.trace == "diagram"));
    return exit_code(r, false);
}

}  // namespace pfnsim::cli
