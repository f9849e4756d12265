// What the command line says, before the application layer turns it into a plan, and what the
// commands share: the options several of them register, the plan they load, their exit codes.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "pfnsim/app/plan.hpp"
#include "pfnsim/app/result.hpp"

namespace pfnsim::cli {

// Values CLI11 fills; an option given on the command line becomes an override.
struct Numbers {
    std::uint64_t seed = 0;
    std::uint64_t iterations = 0;
    std::uint64_t step_bound = 0;
    unsigned depth = 3;
};

struct Options {
    std::string scenario;
    std::vector<std::string> paths;  // matrix, check, merge
    app::Overrides over;
    Numbers numbers;
    std::string faults;  // "" or "scenario" = the scenario's budgets, else a number
    std::string schedule;
    bool json = false;
    std::string format;  // check: text (""), json or ktap; --json is json
    std::string junit;   // check: JUnit XML to this file
    bool markdown = false;
    bool wide = false;  // matrix --wide: one table, no width limit
    bool quiet = false;
    bool progress = false;  // sweep --progress: on stderr even when it is not a terminal
    bool no_minimize = false;
    std::string minimize_budget;  // --minimize-budget: executions or a time ("" = the default)
    std::string trace;            // replay: "full" or "diagram" ("" = diagram)
    std::string trace_out;        // Chrome trace-event JSON
    std::string dot_out;          // Graphviz
    bool lock_order = false;      // print the whole lock-order graph
    std::string lock_order_dot;   // the lock-order graph in Graphviz
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
    bool random_cells = false;       // matrix --random
    std::string policies;            // matrix --policy P,...: the rows ("" = every policy)
    std::string callers;             // matrix --caller NAME,...: the patchset view's columns
    std::string topic;               // help: the command asked about
    const CLI::App* root = nullptr;  // help: the whole command line
};

// --- Options that several commands register (options.cpp). -------------------------------
void add_scenario(CLI::App& c, Options& o);
void add_policy(CLI::App& c, Options& o);
void add_kernel(CLI::App& c, Options& o);
void add_step_bound(CLI::App& c, Options& o);
void add_faults(CLI::App& c, Options& o);
void add_exports(CLI::App& c, Options& o);
void add_minimize_budget(CLI::App& c, Options& o);
void add_lock_order(CLI::App& c, Options& o);
// --lock-order-dot's file, if asked for (--lock-order's text is the renderers', with
// LockOrderView::listed).
void write_lock_order_dot(const Options& o, const app::Result& r);

// The end of a command's help: one example and what its exit code says. `found`: 1 is a
// violation beyond the scenario's expectations (run, replay: one execution need not show the
// expected one); `judged`: also an expected one not found (explore, matrix, check);
// `incomplete`: as `judged`, and 3 is a sweep that is not a certificate.
enum class Codes { found, judged, incomplete, none };
// A command's example and exit codes; `code3` is what exit 3 also means for it (after the
// incomplete line, or the whole line of a command whose results are never incomplete).
std::string footer(const std::string& example, Codes codes, const std::string& code3 = "");

// --- What the commands share. ---------------------------------------------------------------
// The overrides with --faults parsed; throws app::InputError.
app::Overrides overrides(const Options& o);
// The plan of o.scenario with the overrides; its notes (an old policy name) go to stderr.
app::Plan load_plan(const Options& o);
void print_notes(const app::Plan& plan);  // on stderr, a line each
// app::write_output: atomic, every write checked; throws app::InputError "PATH: ...".
void write_file(const std::string& path, const std::string& text);
// Before any work: the files of --junit, --trace-out and --dot, if given, can be written
// (app::check_output; the sweep checks its --checkpoint itself). Throws app::InputError.
void check_outputs(const Options& o);
// The exit code of a result, the same for every command: 1 for a violation beyond the
// expectation; then, when `judged` (not one run or replay), 3 for a result cut short (an
// incomplete sweep, an interrupted exploration: the findings so far) and 1 for an expected
// verdict not found; else 0.
int exit_code(const app::Result& r, bool judged);

}  // namespace pfnsim::cli
