// pfnsim explore, matrix, stats and check: many random (or PCT) executions.
#include <fmt/format.h>

#include <charconv>
#include <csignal>
#include <filesystem>
#include <iostream>
#include <memory>

#include "cli/export.hpp"
#include "cli/options.hpp"
#include "cli/progress.hpp"
#include "cli/render.hpp"
#include "pfnsim/app/error.hpp"
#include "pfnsim/model/limits.hpp"

#ifndef PFNSIM_SOURCE_DIR
#define PFNSIM_SOURCE_DIR "."
#endif
#ifndef PFNSIM_SCENARIOS_FROM_BIN
#define PFNSIM_SCENARIOS_FROM_BIN "../share/pfnsim/scenarios"
#endif

namespace pfnsim::cli {

namespace {

sim::Progress progress_printer(bool quiet, const std::string& label) {
    if (!progress_wanted(quiet)) {
        return {};
    }
    auto line = std::make_shared<ProgressLine>(true);
    return [label, line](std::uint64_t done, std::uint64_t total) {
        if (done == total) {
            line->clear();
        } else {
            line->show(fmt::format("{}: {}/{} executions", label, done, total), done == 1);
        }
    };
}

// SIGINTs during explore: the first stops exploring at the next execution, one more stops
// minimising (each witness keeps what it has, replay-checked); after two, the default action.
std::atomic<unsigned> g_sigints{0};
static_assert(std::atomic<unsigned>::is_always_lock_free);

extern "C" void on_explore_sigint(int /*sig*/) {
    if (g_sigints.fetch_add(1) + 1 >= 2) {
        std::signal(SIGINT, SIG_DFL);
    }
}

app::CellProgress cell_progress(bool quiet) {
    return [quiet](const std::string& label) { return progress_printer(quiet, label); };
}

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

app::MinimizeBudget minimize_budget(const Options& o) {
    app::MinimizeBudget b;
    const std::string& s = o.minimize_budget;
    if (s.empty()) {
        return b;
    }
    const auto bad = [&s] {
        return app::InputError{fmt::format("--minimize-budget '{}': valid are {}, or 1s..1e7s", s,
                                           model::valid_range(model::limits::kMinimizeBudget))};
    };
    const char unit = s.back();
    if (unit == 's' || unit == 'm' || unit == 'h') {
        double v = 0;
        const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size() - 1, v);
        const double secs = v * (unit == 's' ? 1 : unit == 'm' ? 60 : 3600);
        if (s.size() < 2 || ec != std::errc() || ptr != s.data() + s.size() - 1 || !(secs >= 1) ||
            secs > 1e7) {
            throw bad();
        }
        b.seconds = secs;
        return b;
    }
    // A count follows the rules of every other number (decimal or 0x, K/M/G, no sign).
    const std::optional<std::uint64_t> n = model::parse_number(model::limits::kMinimizeBudget, s);
    if (!n) {
        throw bad();
    }
    b.executions = *n;
    return b;
}

std::function<void(std::size_t, std::size_t, std::uint64_t)> minimize_printer(
    bool quiet, const std::string& label, const app::MinimizeBudget& budget) {
    if (!progress_wanted(quiet)) {
        return {};
    }
    auto line = std::make_shared<ProgressLine>(true);
    const std::string of = budget.seconds > 0 ? fmt::format(" (budget {})", budget.text())
                                              : fmt::format("/{}", budget.executions);
    return [label, line, of](std::size_t witness, std::size_t n, std::uint64_t spent) {
        line->show(fmt::format("{}: minimising witness {}/{}: {}{} executions", label, witness, n,
                               spent, of),
                   spent == 1);
    };
}

int cmd_explore(const Options& o) {
    const app::Plan plan = load_plan(o);
    app::ExploreHooks hooks;
    hooks.minimize_budget = minimize_budget(o);
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
    std::cout << (o.json ? explore_json(r).dump(2) + "\n" : explore_text(r));
    // 3: interrupted, the findings so far; 1: also an expected verdict not found
    return exit_code(r, true);
}

int cmd_matrix(const Options& o) {
    app::CellMode mode;
    mode.random = o.random_cells;
    if (o.max_states != 0) {
        mode.max_states = o.max_states;
    }
    const app::Matrix m =
        app::run_matrix(o.paths.empty() ? default_matrix_scenarios() : app::scenario_files(o.paths),
                        overrides(o), cell_progress(o.quiet), mode);
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

int cmd_check(const Options& o) {
    if (o.json && !o.format.empty() && o.format != "json") {
        throw app::InputError{
            fmt::format("--json is --format json: give one of --json and --format {}", o.format)};
    }
    const std::string format = o.json ? "json" : o.format;
    const auto files =
        app::scenario_files(o.paths.empty() ? std::vector<std::string>{"scenarios"} : o.paths);
    const auto checked = app::check_files(files, cell_progress(o.quiet));
    for (const auto& f : checked) {
        if (!f.cells.empty()) {
            print_notes(f.cells.front().plan);  // the file's notes, once
        }
    }
    if (!o.junit.empty()) {
        write_file(o.junit, check_junit(checked));
    }
    std::cout << (format == "json"   ? check_json(checked).dump(2) + "\n"
                  : format == "ktap" ? check_ktap(checked)
                                     : check_text(checked));
    bool failed = false;
    for (const auto& f : checked) {
        if (!f.error.empty()) {
            std::cerr << "pfnsim: " << f.error << "\n";
            return 2;
        }
        failed = failed || !f.ok();
    }
    return failed ? 1 : 0;
}

}  // namespace pfnsim::cli
