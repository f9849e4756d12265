// The policy matrix (every retry policy against a set of scenarios) and `check` (scenario files
// against their own expectations).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "pfnsim/app/explore.hpp"

namespace pfnsim::app {

struct Matrix {
    std::vector<Plan> columns;                      // one per scenario
    std::vector<model::Policy> rows;                // the policies
    std::vector<std::vector<ExploreResult>> cells;  // [row][column]
    bool unexpected = false;                        // some cell went beyond its expectation
};

using CellProgress = std::function<sim::Progress(const std::string& label)>;

Matrix run_matrix(const std::vector<std::string>& files, const Overrides& o,
                  const CellProgress& progress = {});

struct CheckedFile {
    std::string file;
    std::string error;                 // the scenario could not be read
    std::vector<ExploreResult> cells;  // one per policy the file has an expectation for
    std::vector<bool> matches;
    bool ok() const;
};

// Every .toml under the paths (directories recursively), sorted; throws InputError.
std::vector<std::string> scenario_files(const std::vector<std::string>& paths);
std::vector<CheckedFile> check_files(const std::vector<std::string>& files,
                                     const CellProgress& progress = {});

}  // namespace pfnsim::app
