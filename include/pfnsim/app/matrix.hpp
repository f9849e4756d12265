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
inline constexpr std::uint64_t kCellStates = 5000000;
struct CellMode {
    bool random = false;
    std::uint64_t max_states = kCellStates;
};

// The plan decided by a sweep: stateful for any number of preemptions, stateless under a
// bound; when it cannot finish within the state budget, by random exploration (`fallback`).
Result certify_plan(const Plan& plan, std::optional<unsigned> preemptions, std::uint64_t max_states,
                    const sim::Progress& progress = {});

// How `check` decides a file under one policy: certified by a stateful sweep when it completes
// within `max_states`; else by the file's [explore]: a bounded sweep (`[explore] preemptions`)
// when it asks for one and that completes, else its random or PCT exploration. `fallback` says
// why it was not certified.
Result check_plan(const Plan& plan, std::uint64_t max_states, const sim::Progress& progress = {});

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
    std::string variant;        // a bug file's variant ([variants.NAME]): each is its own test
    std::string scenario_hash;  // once it could be read
    std::string error;          // the scenario could not be read, or its search failed
    bool internal = false;      // the error is pfnsim's own inconsistency, not bad input
    std::vector<Result> cells;  // one per policy the file has an expectation for (a variant: one)
    bool ok() const;
    // How reports name the test, escaped (sim::escape_name): the file, and a variant in
    // brackets ("B26.toml [buggy]").
    std::string name() const;
};

// The flagship set: the seed race and the questions asked of it on LKML, under `dir`.
std::vector<std::string> flagship_scenarios(const std::string& dir);

// Every .toml under the paths (directories recursively), sorted; throws InputError.
std::vector<std::string> scenario_files(const std::vector<std::string>& paths);
// Each file under each policy it has an expectation for (check_plan); a file that cannot be
// read or whose search fails is one CheckedFile with its error, and the others go on.
// `decide` stands for check_plan (tests give one that fails). `kernel`: --kernel KEY=VALUE
// settings applied to every file (Overrides::kernel).
using CellDecider =
    std::function<Result(const Plan& plan, std::uint64_t max_states, const sim::Progress&)>;
std::vector<CheckedFile> check_files(const std::vector<std::string>& files,
                                     const CellProgress& progress = {},
                                     std::uint64_t max_states = kCellStates,
                                     const CellDecider& decide = {},
                                     const std::vector<std::string>& kernel = {});

}  // namespace pfnsim::app
