// pfnsim check: scenario files against their own expectations, for CI.
#include <fmt/format.h>

#include <iostream>

#include "cli/commands.hpp"
#include "cli/progress.hpp"
#include "cli/render.hpp"
#include "cli/validate.hpp"
#include "pfnsim/app/error.hpp"
#include "pfnsim/app/matrix.hpp"
#include "pfnsim/app/plan.hpp"

namespace pfnsim::cli {

void add_check(CLI::App& cmd, Options& o) {
    cmd.add_option("paths", o.paths, "files or directories (default: scenarios)");
    cmd.add_option("--format", o.format, "output on stdout: text (the default), json or ktap")
        ->check(CLI::IsMember({"text", "json", "ktap"}));
    cmd.add_flag("--json", o.json, "print one JSON document (--format json)");
    cmd.add_option("--junit", o.junit,
                   "also write the results as JUnit XML to FILE (default: none)")
        ->check(not_empty("a file to write"));
    cmd.add_option("--max-states", o.max_states,
                   "state budget of each file's stateful sweep (default 5000000); beyond it "
                   "the file's [explore] decides")
        ->transform(number(Number::max_states));
    cmd.add_flag("--quiet", o.quiet, "no progress on stderr");
    add_kernel(cmd, o);
    cmd.footer(footer("pfnsim check scenarios --format ktap --junit results.xml", Codes::judged));
}

int cmd_check(const Options& o) {
    if (o.json && !o.format.empty() && o.format != "json") {
        throw app::InputError{
            fmt::format("--json is --format json: give one of --json and --format {}", o.format)};
    }
    const std::string format = o.json ? "json" : o.format;
    app::kernel_option(o.over.kernel);  // a bad --kernel is one error, not one per file
    check_outputs(o);
    const auto files =
        app::scenario_files(o.paths.empty() ? std::vector<std::string>{"scenarios"} : o.paths);
    const auto checked =
        app::check_files(files, cell_progress(o.quiet),
                         o.max_states != 0 ? o.max_states : app::kCellStates, {}, o.over.kernel);
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
    // Every file was reported; the exit code is the worst: bad input (2), then a search that
    // failed (4, pfnsim's own inconsistency), then an unexpected verdict (1).
    bool bad = false;
    bool internal = false;
    bool failed = false;
    for (const auto& f : checked) {
        if (!f.error.empty()) {
            std::cerr << "pfnsim: " << app::one_line(f.error) << "\n";
            (f.internal ? internal : bad) = true;
        }
        failed = failed || !f.ok();
    }
    return bad ? 2 : internal ? 4 : failed ? 1 : 0;
}

}  // namespace pfnsim::cli
