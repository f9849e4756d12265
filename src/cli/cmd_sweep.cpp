// pfnsim sweep: every schedule within a preemption and fault bound, with a certificate.
#include <csignal>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/progress.hpp"
#include "cli/render.hpp"
#include "cli/validate.hpp"
#include "pfnsim/app/error.hpp"
#include "pfnsim/app/sweep.hpp"

namespace pfnsim::cli {

namespace {

// Set by SIGINT during a sweep: it stops between executions and saves its checkpoint.
std::atomic<bool> g_interrupted{false};
static_assert(std::atomic<bool>::is_always_lock_free);

extern "C" void on_sigint(int /*sig*/) {
    g_interrupted = true;
}

app::SweepRequest request(const Options& o) {
    app::SweepRequest rq;
    rq.preemptions = parse_preemptions(o.preemptions);
    rq.reduce = !o.no_reduction;
    if (o.stateless && o.stateful) {
        throw app::InputError{"--stateless and --stateful exclude each other"};
    }
    if (o.stateless || o.stateful) {
        rq.stateful = o.stateful;
    }
    if (o.max_states != 0 && !rq.stateful.value_or(!rq.preemptions.has_value())) {
        throw app::InputError{
            "--max-states applies to stateful sweeps (--preemptions all, or --stateful); this "
            "one is stateless (give --max-executions or --time-limit instead)"};
    }
    rq.max_states = o.max_states;
    rq.audit_states = o.audit_states;
    rq.max_executions = o.max_executions;
    rq.time_limit = o.time_limit;
    rq.stop_on_first = o.stop_on_first;
    rq.jobs = o.jobs;
    if (!o.shard.empty()) {
        rq.shard = parse_shard(o.shard);
    }
    rq.checkpoint = o.checkpoint;
    rq.minimize = !o.no_minimize;
    rq.minimize_budget = parse_minimize_budget(o.minimize_budget);
    return rq;
}

}  // namespace

void add_sweep(CLI::App& cmd, Options& o) {
    add_scenario(cmd, o);
    cmd.add_option("--preemptions", o.preemptions, "preemption bound: a number, or all")
        ->required();
    add_policy(cmd, o);
    add_kernel(cmd, o);
    add_step_bound(cmd, o);
    add_faults(cmd, o);
    add_lock_order(cmd, o);
    cmd.add_flag("--json", o.json, "print one JSON document");
    cmd.add_option("--max-executions", o.max_executions,
                   "stop after this many executions (default: no limit)")
        ->transform(number(Number::max_executions));
    cmd.add_option("--time-limit", o.time_limit, "stop after this many seconds (default: no limit)")
        ->check(seconds());
    cmd.add_flag("--stop-on-first", o.stop_on_first, "stop at the first violation");
    cmd.add_flag("--quiet", o.quiet, "no progress on stderr");
    cmd.add_flag("--progress", o.progress,
                 "progress on stderr even when it is not a terminal (a line a second)");
    cmd.add_option("--jobs", o.jobs, "threads (results do not depend on it)")
        ->capture_default_str()
        ->transform(number(Number::jobs));
    cmd.add_option("--shard", o.shard,
                   "explore shard i of N (i/N) and print its JSON (default: the whole sweep)")
        ->check(not_empty("i/N, such as 0/4"));
    cmd.add_option("--checkpoint", o.checkpoint,
                   "save progress to FILE; rerunning with the same FILE resumes (default: "
                   "none)")
        ->check(not_empty("a file to save progress to"));
    cmd.add_flag("--no-reduction", o.no_reduction, "explore every interleaving (no sleep sets)");
    cmd.add_flag("--stateless", o.stateless,
                 "re-run every schedule, no visited-state table (the default under a bound)");
    cmd.add_flag("--stateful", o.stateful, "cache states (the default for --preemptions all)");
    cmd.add_option("--max-states", o.max_states,
                   "stop (incomplete) when a task's state table holds this many states; "
                   "stateful sweeps only (default: no limit)")
        ->transform(number(Number::max_states));
    cmd.add_flag("--audit-states", o.audit_states,
                 "at each state hit, check the next steps against the ones recorded");
    cmd.add_flag("--no-minimize", o.no_minimize, "report witnesses as found");
    add_minimize_budget(cmd, o);
    cmd.footer(footer("pfnsim sweep scenarios/seed-split-refault.toml --preemptions 2 --jobs 2",
                      Codes::incomplete, "and after SIGINT (the checkpoint, if any, is saved)"));
}

int cmd_sweep(const Options& o) {
    const app::Plan plan = load_plan(o);
    check_outputs(o);
    const app::SweepRequest rq = request(o);
    app::SweepHooks hooks;
    if (o.progress && o.quiet) {
        throw app::InputError{"--progress and --quiet exclude each other"};
    }
    const bool forced = o.progress && !progress_wanted(false);  // stderr is not a terminal
    ProgressLine line(o.progress || progress_wanted(o.quiet), forced);
    if (line.enabled()) {
        hooks.progress = sweep_printer("sweep " + plan.scenario.name, line);
    }
    hooks.minimize_progress =
        minimize_printer(o.quiet, "sweep " + plan.scenario.name, rq.minimize_budget);
    g_interrupted = false;
    hooks.interrupt = &g_interrupted;
    const auto previous = std::signal(SIGINT, on_sigint);
    app::Result r;
    try {
        r = app::run_sweep(plan, rq, hooks);
    } catch (...) {
        std::signal(SIGINT, previous);
        throw;
    }
    std::signal(SIGINT, previous);
    line.clear();
    hooks.minimize_progress = nullptr;  // clears the minimiser's line, if any
    r.lock_order.listed = o.lock_order;
    write_lock_order_dot(o, r);
    std::cout << (o.json || r.certificate->shard ? sweep_json(r).dump(2) + "\n" : sweep_text(r));
    // 3: stopped early (a limit, SIGINT; the checkpoint, if any, is saved): not a certificate
    return exit_code(r, true);
}

}  // namespace pfnsim::cli
