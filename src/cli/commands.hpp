// The pfnsim command line: one file per command (cmd_NAME.cpp), each registering its own
// options, and run_cli dispatching through the table of them.
#pragma once

#include <CLI/CLI.hpp>
#include <vector>

#include "cli/options.hpp"

namespace pfnsim::cli {

struct Command {
    const char* name;
    const char* summary;
    // Its arguments and options, and the footer of its help.
    void (*add)(CLI::App& cmd, Options& o);
    // Runs it: the exit code; throws app::InputError for bad input (exit 2).
    int (*run)(const Options& o);
};

// Every command, in the order `pfnsim help` lists them.
const std::vector<Command>& commands();

void add_run(CLI::App& cmd, Options& o);
int cmd_run(const Options& o);
void add_explore(CLI::App& cmd, Options& o);
int cmd_explore(const Options& o);
void add_replay(CLI::App& cmd, Options& o);
int cmd_replay(const Options& o);
void add_sweep(CLI::App& cmd, Options& o);
int cmd_sweep(const Options& o);
void add_merge(CLI::App& cmd, Options& o);
int cmd_merge(const Options& o);
void add_matrix(CLI::App& cmd, Options& o);
int cmd_matrix(const Options& o);
void add_stats(CLI::App& cmd, Options& o);
int cmd_stats(const Options& o);
void add_check(CLI::App& cmd, Options& o);
int cmd_check(const Options& o);
void add_help(CLI::App& cmd, Options& o);
int cmd_help(const Options& o);

// Parses argv and runs the command. Exit codes: 0 = no violation beyond what the scenario
// expects, 1 = an unexpected violation (or a failed check), 2 = a usage or input error.
int run_cli(int argc, char** argv);

}  // namespace pfnsim::cli
