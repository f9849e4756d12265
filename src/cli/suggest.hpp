// "Did you mean": the real name closest to a mistyped one, by edit distance.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace pfnsim::cli {

// Levenshtein distance: the fewest insertions, deletions and substitutions from a to b.
std::size_t edit_distance(std::string_view a, std::string_view b);

// The name nearest to `word` (the first of equals), or "" when none is near enough to be a
// typo: at most 1 edit for a word of up to 4 characters, else at most 2.
std::string closest_name(std::string_view word, const std::vector<std::string>& names);

// "a, b, c".
std::string joined(const std::vector<std::string>& names);
// "unknown command 'swep' (did you mean 'sweep'?)", or with the valid names when none is near.
std::string unknown(const std::string& what, const std::string& word,
                    const std::vector<std::string>& names);

}  // namespace pfnsim::cli
