// The pfnsim command line.
#pragma once

namespace pfnsim::cli {

// Parses argv and runs the command. Exit codes: 0 = no violation beyond what the scenario
// expects, 1 = an unexpected violation (or a failed check), 2 = a usage or input error.
int run_cli(int argc, char** argv);

}  // namespace pfnsim::cli
