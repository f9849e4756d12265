// The policy matrix (every retry policy against a set of scenarios) and `check` (scenario files
// against their own expectations).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "pfnsim/app/explore.hpp"
#include "pfnsim/app/sweep.hpp"

namespace pfnsim::app {

struct Matrix {
    std::vector<Plan> columns;               // one per scenario
    std::vector<model::Policy> rows;         // the policies
    std::vector<std::vector<Result>> cells;  // [row][column]
    bool unexpected = false;                 // some cell's verdict is not its expectation
    std::vector<std::string> callers;        // the patchset view's columns, if chosen
    std::vector<std::string> notes;          // "--policy: note: ..." (an old policy name)
};

// Where each cell goes in a report. Files with a `[matrix]` table form the patchset view:
// blocks by API (follow_pfnmap_errno: einval, enoent, then unset), a row per policy, a column
// per caller and a line per race within a cell. The other files form the plain view: one
// block, a row per policy, a column per file. Columns and lines keep the order of the files.
struct MatrixView {
    struct Row {
        std::size_t policy = 0;                   // index into Matrix::rows
        std::vector<std::vector<long>> scenario;  // [column][line]: a Matrix column, or -1
    };
    struct Block {
        std::string api;  // "einval", "enoent", "" (unset: the policy brings the API)
        std::vector<Row> rows;
    };
    bool pivot = false;
    std::vector<std::string> columns;  // callers, or file labels
    std::vector<std::string> lines;    // races (pivot only)
    std::vector<Block> blocks;
};
std::vector<MatrixView> matrix_views(const Matrix& m);

using CellProgress = std::function<sim::Progress(const std::string& label)>;

// How a matrix cell is decided: a stateful sweep over all reachable states (any number of
// preemptions) with at most `max_states` per cell, else random exploration; `random` skips
// the sweep.
struct CellMode {
    bool random = false;
    std::uint64_t max_states = 200000;
};

// The plan decided by a sweep: stateful for any number of preemptions, stateless under a
// bound; when it cannot finish within the state budget, by random exploration (`fallback`).
Result certify_plan(const Plan& plan, std::optional<unsigned> preemptions, std::uint64_t max_states,
                    const sim::Progress& progress = {});

// Which rows and columns to compare: policies by name (--policy P,...) and the patchset
// view's callers ([matrix] caller), each in the given order; empty = all. A name that is not
// valid, or given twice, is an InputError naming the valid ones.
struct MatrixSelection {
    std::vector<std::string> policies;
    std::vector<std::string> callers;
};

Matrix run_matrix(const std::vector<std::string>& files, const Overrides& o,
                  const CellProgress& progress = {}, const CellMode& mode = {},
                  const MatrixSelection& only = {});

struct CheckedFile {
    std::string file;
    std::string error;          // the scenario could not be read
    std::vector<Result> cells;  // one per policy the file has an expectation for
    bool ok() const;
};

// The flagship set: the seed race and the questions asked of it on LKML, under `dir`.
std::vector<std::string> flagship_scenarios(const std::string& dir);

// Every .toml under the paths (directories recursively), sorted; throws InputError.
std::vector<std::string> scenario_files(const std::vector<std::string>& paths);
// `kernel`: --kernel KEY=VALUE settings applied to every file (Overrides::kernel).
std::vector<CheckedFile> check_files(const std::vector<std::string>& files,
                                     const CellProgress& progress = {},
                                     const std::vector<std::string>& kernel = {});

}  // namespace pfnsim::app
