#include "cli/suggest.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>

namespace pfnsim::cli {

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    std::iota(row.begin(), row.end(), std::size_t{0});
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diag = row[0];  // row[i-1][j-1]
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t up = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diag = up;
        }
    }
    return row[b.size()];
}

std::string closest_name(std::string_view word, const std::vector<std::string>& names) {
    const std::size_t limit = word.size() <= 4 ? 1 : 2;
    std::string best;
    std::size_t best_d = limit + 1;
    for (const auto& n : names) {
        const std::size_t d = edit_distance(word, n);
        if (d < best_d) {
            best = n;
            best_d = d;
        }
    }
    return best;
}

std::string joined(const std::vector<std::string>& names) {
    std::string s;
    for (const auto& n : names) {
        s += (s.empty() ? "" : ", ") + n;
    }
    return s;
}

std::string unknown(const std::string& what, const std::string& word,
                    const std::vector<std::string>& names) {
    const std::string near = closest_name(word, names);
    return near.empty() ? fmt::format("unknown {} '{}' (valid: {})", what, word, joined(names))
                        : fmt::format("unknown {} '{}' (did you mean '{}'?)", what, word, near);
}

}  // namespace pfnsim::cli
