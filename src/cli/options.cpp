#include "cli/options.hpp"

#include <fmt/format.h>

#include "cli/validate.hpp"
#include "pfnsim/app/error.hpp"
#include "pfnsim/app/files.hpp"
#include "pfnsim/sim/minimize.hpp"

namespace pfnsim::cli {

void add_scenario(CLI::App& c, Options& o) {
    c.add_option("scenario", o.scenario, "scenario file")->required();
}

void add_policy(CLI::App& c, Options& o) {
    c.add_option("--policy", o.over.policy,
                 std::string("retry policy (default: the scenario's): ") + valid_policies())
        ->check(not_empty(valid_policies()));
}

void add_kernel(CLI::App& c, Options& o) {
    c.add_option("--kernel", o.over.kernel,
                 std::string("KEY=VALUE: a [kernel] variant over the scenario's, repeatable: ") +
                     valid_kernel_settings())
        ->allow_extra_args(false);
}

void add_step_bound(CLI::App& c, Options& o) {
    c.add_option("--step-bound", o.numbers.step_bound,
                 "steps per execution before giving up (default: the scenario's)")
        ->transform(number(Number::step_bound));
}

void add_faults(CLI::App& c, Options& o) {
    c.add_option("--faults", o.faults,
                 "open every fault site, at most N faults per execution; scenario (the "
                 "default) uses the scenario's fault_retry budgets")
        ->check(not_empty("a bound 0..N faults, or scenario"));
}

void add_exports(CLI::App& c, Options& o) {
    c.add_option("--trace-out", o.trace_out,
                 "write the execution as Chrome trace-event JSON (Perfetto) (default: none)")
        ->check(not_empty("a file to write"));
    c.add_option("--dot", o.dot_out,
                 "write the execution as a Graphviz happens-before graph (default: none)")
        ->check(not_empty("a file to write"));
}

void add_minimize_budget(CLI::App& c, Options& o) {
    c.add_option("--minimize-budget", o.minimize_budget,
                 fmt::format("per witness: executions (500) or a time (30s, 2m; where it stops "
                             "then varies between runs) (default: {} executions)",
                             sim::kDefaultMinimizeBudget))
        ->check(not_empty("executions, such as 500, or a time, such as 30s or 2m"));
}

void add_lock_order(CLI::App& c, Options& o) {
    c.add_flag("--lock-order", o.lock_order,
               "also print the whole lock-order graph (lockdep's view) of the executions");
    c.add_option("--lock-order-dot", o.lock_order_dot,
                 "write the lock-order graph as Graphviz DOT (default: none)")
        ->check(not_empty("a file to write"));
}

void write_lock_order_dot(const Options& o, const app::Result& r) {
    if (!o.lock_order_dot.empty()) {
        write_file(o.lock_order_dot, app::lock_order_dot(r.plan, r.lock_order));
    }
}

namespace {
constexpr const char* kInternal =
    "  4    internal inconsistency of pfnsim, not of the input (one line on stderr)\n";
}  // namespace

std::string footer(const std::string& example, Codes codes, const std::string& code3) {
    std::string s = "Example:\n  " + example + "\n\nExit codes:\n";
    if (codes == Codes::none) {
        return s + "  0    done\n  2    bad input (one line on stderr)\n" + kInternal;
    }
    s += "  0    as expected and complete\n";
    s += codes == Codes::found ? "  1    a violation the scenario does not expect\n"
                               : "  1    an unexpected violation, or an expected one not found\n";
    s += "  2    bad input (one line on stderr)\n";
    if (codes == Codes::incomplete) {
        s += "  3    incomplete: stopped by a limit, or shards missing (not a certificate)\n";
        s += code3.empty() ? "" : "       " + code3 + "\n";
    } else if (!code3.empty()) {
        s += "  3    " + code3 + "\n";
    }
    return s + kInternal;
}

void print_notes(const app::Plan& plan) {
    for (const auto& n : plan.notes) {
        fmt::print(stderr, "{}\n", n);
    }
}

app::Plan load_plan(const Options& o) {
    app::Plan plan = app::make_plan(o.scenario, overrides(o));
    print_notes(plan);
    return plan;
}

app::Overrides overrides(const Options& o) {
    app::Overrides v = o.over;
    v.faults = parse_faults(o.faults);
    return v;
}

void write_file(const std::string& path, const std::string& text) {
    app::write_output(path, text);
}

void check_outputs(const Options& o) {
    for (const std::string* path : {&o.junit, &o.trace_out, &o.dot_out, &o.lock_order_dot}) {
        if (!path->empty()) {
            app::check_output(*path);
        }
    }
}

int exit_code(const app::Result& r, bool judged) {
    if (r.unexpected_found) {
        return 1;
    }
    if (!judged) {
        return 0;
    }
    return !r.complete() ? 3 : !r.as_expected ? 1 : 0;
}

}  // namespace pfnsim::cli
