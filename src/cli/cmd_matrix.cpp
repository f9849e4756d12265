// pfnsim matrix: every retry policy against the scenarios, a certificate per cell.
#include <filesystem>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/progress.hpp"
#include "cli/render.hpp"
#include "cli/validate.hpp"
#include "pfnsim/app/matrix.hpp"

#ifndef PFNSIM_SOURCE_DIR
#define PFNSIM_SOURCE_DIR "."
#endif
#ifndef PFNSIM_SCENARIOS_FROM_BIN
#define PFNSIM_SCENARIOS_FROM_BIN "../share/pfnsim/scenarios"
#endif

namespace pfnsim::cli {

namespace {

// The flagship set, from the working directory's scenarios/, the installed ones beside the
// binary (share/pfnsim/scenarios), or the source tree's.
std::vector<std::string> default_matrix_scenarios() {
    std::vector<std::string> dirs = {"scenarios"};
    std::error_code ec;
    const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        dirs.push_back((exe.parent_path() / PFNSIM_SCENARIOS_FROM_BIN).lexically_normal().string());
    }
    dirs.push_back(std::string(PFNSIM_SOURCE_DIR) + "/scenarios");
    for (const auto& dir : dirs) {
        if (std::filesystem::exists(dir + "/seed-split-refault.toml")) {
            return app::flagship_scenarios(dir);
        }
    }
    return app::flagship_scenarios(dirs.back());
}

}  // namespace

void add_matrix(CLI::App& cmd, Options& o) {
    cmd.add_option("scenarios", o.paths,
                   "scenario files or directories (default: the flagship set)");
    cmd.add_option("--iterations", o.numbers.iterations,
                   "executions per randomly decided cell (default: each scenario's)")
        ->transform(number(Number::iterations));
    cmd.add_option("--seed", o.numbers.seed, "first seed of every cell (default: each scenario's)")
        ->transform(number(Number::seed));
    add_step_bound(cmd, o);
    cmd.add_option("--policy", o.policies,
                   std::string("the rows, a comma list in its order (default: every policy): ") +
                       valid_policies());
    cmd.add_option("--caller", o.callers,
                   "the patchset view's columns, a comma list of [matrix] callers in its order "
                   "(default: every caller; files without [matrix] are left out)");
    add_kernel(cmd, o);
    cmd.add_flag("--json", o.json, "print one JSON document");
    cmd.add_flag("--markdown", o.markdown, "print markdown for a mail or a review");
    cmd.add_flag("--wide", o.wide, "one table however wide (default: fit 80 columns)");
    cmd.add_flag("--quiet", o.quiet, "no progress on stderr");
    cmd.add_flag("--random", o.random_cells,
                 "decide every cell by random executions (no sweep, no certificates)");
    cmd.add_option("--max-states", o.max_states,
                   "state budget of each cell's sweep (default 5000000); random beyond it")
        ->transform(number(Number::max_states));
    cmd.footer(footer("pfnsim matrix scenarios/patchset --policy original,eagain --caller VFIO,KVM",
                      Codes::judged));
}

int cmd_matrix(const Options& o) {
    app::CellMode mode;
    mode.random = o.random_cells;
    if (o.max_states != 0) {
        mode.max_states = o.max_states;
    }
    app::MatrixSelection only;
    only.policies = parse_list(o.policies);
    only.callers = parse_list(o.callers);
    const app::Matrix m =
        app::run_matrix(o.paths.empty() ? default_matrix_scenarios() : app::scenario_files(o.paths),
                        overrides(o), cell_progress(o.quiet), mode, only);
    for (const auto& n : m.notes) {
        std::cerr << n << "\n";
    }
    for (const auto& column : m.columns) {
        print_notes(column);
    }
    if (o.json) {
        std::cout << matrix_json(m).dump(2) << "\n";
    } else {
        const std::size_t width = o.wide ? std::size_t{100000} : std::size_t{80};
        std::cout << (o.markdown ? matrix_markdown(m, width) : matrix_text(m, width));
    }
    return m.unexpected ? 1 : 0;
}

}  // namespace pfnsim::cli
