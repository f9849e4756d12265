#include "cli/commands.hpp"

int main(int argc, char** argv) {
    return pfnsim::cli::run_cli(argc, argv);
}
