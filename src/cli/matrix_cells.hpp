// The pieces of the matrix reports (render_matrix.cpp): each cell's words, the numbered
// witnesses, and the paragraphs around the tables. Internal to the command line.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "pfnsim/app/matrix.hpp"
#include "pfnsim/app/result.hpp"

namespace pfnsim::cli {

// A cell as a verdict word with its witness reference, and its detail: the errno, the
// livelock's class, or (ok) the results seen. "~" marks a cell decided by random executions.
struct CellText {
    std::string verdict;
    std::string detail;
};
CellText cell_text(const app::Result& c, const std::string& ref);
// One line: "wrong -EINVAL [1]", "livelock kill spin [3]", "ok".
std::string cell_one_line(const app::Result& c, const std::string& ref);

// The numbered witnesses, in the order their cells are printed.
struct Notes {
    std::map<std::pair<std::size_t, std::size_t>, std::string> ref;  // (policy, column)
    std::vector<std::string> text;
};
Notes number_witnesses(const app::Matrix& m, const std::vector<app::MatrixView>& views,
                       std::size_t width);
// The reference of the cell (policy p, matrix column i), or "".
std::string ref_of(const Notes& n, std::size_t p, long i);

// The title of a block of the patchset view.
std::string api_title(const std::string& api);
// How the cells were decided, exactly: certificates, or how many random executions.
std::string how_decided(const app::Matrix& m);
std::string legend(const app::Matrix& m, std::size_t width);
// The unexpected cells, named.
std::string unexpected_cells(const app::Matrix& m, std::size_t width);
// The files, with their hashes and (for cells decided at random) their executions.
std::string file_list(const app::Matrix& m, std::size_t width);

}  // namespace pfnsim::cli
