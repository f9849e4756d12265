// The pfnsim command line: the table of commands, parsing, and the dispatch to one command.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>

#include "cli/commands.hpp"
#include "cli/render.hpp"
#include "cli/suggest.hpp"
#include "pfnsim/app/error.hpp"
#include "pfnsim/app/provenance.hpp"

namespace pfnsim::cli {

const std::vector<Command>& commands() {
    static const std::vector<Command> table = {
        {"run", "one execution with its trace", add_run, cmd_run},
        {"explore", "many executions, violations with witnesses", add_explore, cmd_explore},
        {"replay", "replay one execution from a seed or schedule", add_replay, cmd_replay},
        {"sweep", "every schedule within a preemption and fault bound, with a certificate",
         add_sweep, cmd_sweep},
        {"merge", "combine the JSON of sweep shards into one certificate", add_merge, cmd_merge},
        {"matrix", "every retry policy against the scenarios", add_matrix, cmd_matrix},
        {"stats", "retries per pin and results, per retry policy", add_stats, cmd_stats},
        {"check", "run scenario files against their expectations", add_check, cmd_check},
        {"help", "print the help of a command: pfnsim help CMD", add_help, cmd_help},
    };
    return table;
}

namespace {

// The first option on the command line that `cmd` (or the top level) does not have, if any.
std::string unknown_option(const CLI::App& app, const CLI::App& cmd, int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--") {
            break;
        }
        if (arg.size() < 2 || arg[0] != '-' || (arg[1] >= '0' && arg[1] <= '9')) {
            continue;
        }
        std::string name = arg.substr(0, arg.find('='));
        if (cmd.get_option_no_throw(name) == nullptr && app.get_option_no_throw(name) == nullptr) {
            return name;
        }
    }
    return "";
}

std::vector<std::string> option_names(const CLI::App& cmd) {
    std::vector<std::string> names;
    for (const auto* opt : cmd.get_options()) {
        for (const auto& n : opt->get_lnames()) {
            names.push_back("--" + n);
        }
    }
    return names;
}

std::vector<std::string> command_names() {
    std::vector<std::string> names;
    for (const auto& c : commands()) {
        names.emplace_back(c.name);
    }
    return names;
}

// A parse error as one line on stderr: a mistyped command or option with the nearest real one.
int parse_error(const CLI::App& app, const CLI::ParseError& e, int argc, char** argv) {
    const auto parsed = app.get_subcommands();
    const CLI::App& cmd = parsed.empty() ? app : *parsed.front();
    const std::string opt = dynamic_cast<const CLI::ExtrasError*>(&e) != nullptr
                                ? unknown_option(app, cmd, argc, argv)
                                : std::string();
    if (argc > 1 && argv[1][0] != '-' && parsed.empty()) {
        std::cerr << "pfnsim: " << unknown("command", argv[1], command_names()) << "\n";
    } else if (!opt.empty()) {
        std::vector<std::string> valid = option_names(cmd);
        for (const auto& n : option_names(app)) {
            if (std::find(valid.begin(), valid.end(), n) == valid.end()) {
                valid.push_back(n);
            }
        }
        std::cerr << "pfnsim: "
                  << unknown(&cmd == &app ? "option" : cmd.get_name() + " option", opt, valid)
                  << "\n";
    } else {
        std::cerr << "pfnsim: " << e.what() << " (see pfnsim --help)\n";
    }
    return 2;
}

// The numbers given on the command line become overrides; the others stay the scenario's.
void take_numbers(const CLI::App& cmd, Options& o) {
    const auto given = [&cmd](const char* name) {
        return cmd.get_option_no_throw(name) != nullptr && cmd.count(name) > 0;
    };
    if (given("--seed")) {
        o.over.seed = o.numbers.seed;
    }
    if (given("--iterations")) {
        o.over.iterations = o.numbers.iterations;
    }
    if (given("--step-bound")) {
        o.over.step_bound = o.numbers.step_bound;
    }
    if (given("--depth")) {
        o.over.depth = o.numbers.depth;
    }
}

// CLI11's help with every line fitted to 80 columns (fit_help).
class FitFormatter final : public CLI::Formatter {
  public:
    std::string make_help(const CLI::App* app, std::string name,
                          CLI::AppFormatMode mode) const override {
        return fit_help(CLI::Formatter::make_help(app, std::move(name), mode));
    }
};

}  // namespace

int run_cli(int argc, char** argv) {
    CLI::App app{
        "pfnsim: a deterministic concurrency simulator of the Linux mm page-table / "
        "VFIO pin path",
        "pfnsim"};
    app.formatter(std::make_shared<FitFormatter>());  // the subcommands inherit it
    app.require_subcommand(0, 1);
    bool version = false;
    app.add_flag("--version", version, "print the tool, build and model versions");
    Options o;
    o.root = &app;
    std::vector<std::pair<CLI::App*, const Command*>> subs;
    for (const auto& c : commands()) {
        CLI::App* sub = app.add_subcommand(c.name, c.summary);
        c.add(*sub, o);
        subs.emplace_back(sub, &c);
    }
    app.footer(
        "pfnsim help CMD (or pfnsim CMD --help) prints a command's options, defaults, an "
        "example and its exit codes.\n");
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        return parse_error(app, e, argc, argv);
    }
    const auto chosen =
        std::find_if(subs.begin(), subs.end(), [](const auto& s) { return s.first->parsed(); });
    const Command* cmd = chosen == subs.end() ? nullptr : chosen->second;
    if (version && (cmd == nullptr || cmd->run != cmd_help)) {  // help wins over --version
        std::cout << app::version_line() << "\n";
        return 0;
    }
    if (cmd == nullptr) {
        std::cerr << "pfnsim: a command is required (valid: " << joined(command_names()) << ")\n";
        return 2;
    }
    take_numbers(*chosen->first, o);
    try {
        const int code = cmd->run(o);
        // What went to stdout must have arrived (a full disk, a closed pipe): a report cut
        // short is no report.
        std::cout.flush();
        const bool flushed = std::fflush(stdout) == 0;
        int e = errno;
        if (!flushed || std::ferror(stdout) != 0 || !std::cout) {
            // A write failed earlier and its errno is gone: one more byte (the report is cut
            // short anyway) says why.
            const bool why = !flushed || ::write(STDOUT_FILENO, "\n", 1) < 0;
            e = flushed ? errno : e;
            std::cerr << "pfnsim: stdout: cannot write: "
                      << (why ? std::strerror(e) : "a write failed") << "\n";
            return 2;
        }
        return code;
    } catch (const app::InputError& e) {
        std::cerr << "pfnsim: " << app::one_line(e.message) << "\n";
        return 2;
    } catch (const app::InternalError& e) {
        std::cerr << "pfnsim: internal error: " << app::one_line(e.message) << "\n";
        return 4;
    } catch (const std::exception& e) {
        std::cerr << "pfnsim: internal error: " << app::one_line(e.what()) << "\n";
        return 4;
    }
}

}  // namespace pfnsim::cli
