// What the command line says, before the application layer turns it into a plan.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "pfnsim/app/plan.hpp"
#include "pfnsim/app/result.hpp"
#include "pfnsim/app/sweep.hpp"

namespace pfnsim::cli {

struct Options {
    std::string scenario;
    std::vector<std::string> paths;  // matrix, check, merge
    app::Overrides over;
    std::string faults;  // "" or "scenario" = the scenario's budgets, else a number
    std::string schedule;
    bool json = false;
    std::string format;  // check: text (""), json or ktap; --json is json
    std::string junit;   // check: JUnit XML to this file
    bool markdown = false;
    bool wide = false;  // matrix --wide: one table, no width limit
    bool quiet = false;
    bool no_minimize = false;
    std::string minimize_budget;  // --minimize-budget: executions or a time ("" = the default)
    std::string trace;            // "full" or "diagram"; default per command
    std::string trace_out;        // Chrome trace-event JSON
    std::string dot_out;          // Graphviz
    // sweep
    std::string preemptions;
    std::string shard;
    std::string checkpoint;
    std::uint64_t max_executions = 0;
    double time_limit = 0;
    unsigned jobs = 1;
    bool stop_on_first = false;
    bool no_reduction = false;
    bool stateless = false;
    bool stateful = false;
    std::uint64_t max_states = 0;
    bool audit_states = false;
    bool random_cells = false;  // matrix --random
};

// Progress goes to stderr only when it is a terminal, and not with --quiet.
bool progress_wanted(bool quiet);
// The overrides with --faults parsed; throws app::InputError.
app::Overrides overrides(const Options& o);
// The plan of o.scenario with the overrides; its notes (an old policy name) go to stderr.
app::Plan load_plan(const Options& o);
void print_notes(const app::Plan& plan);  // on stderr, a line each
void write_file(const std::string& path, const std::string& text);
// The exit code of a result, the same for every command: 1 for a violation beyond the
// expectation; then, when `judged` (not one run or replay), 3 for a result cut short (an
// incomplete sweep, an interrupted exploration: the findings so far) and 1 for an expected
// verdict not found; else 0.
int exit_code(const app::Result& r, bool judged);

// --minimize-budget parsed (the default when not given); throws app::InputError.
app::MinimizeBudget minimize_budget(const Options& o);
// The minimiser's progress line, or none (not a terminal, --quiet).
std::function<void(std::size_t, std::size_t, std::uint64_t)> minimize_printer(
    bool quiet, const std::string& label, const app::MinimizeBudget& budget);

int cmd_run(const Options& o, bool replay);
int cmd_explore(const Options& o);
int cmd_sweep(const Options& o);
int cmd_merge(const Options& o);
int cmd_matrix(const Options& o);
int cmd_stats(const Options& o);
int cmd_check(const Options& o);

}  // namespace pfnsim::cli
