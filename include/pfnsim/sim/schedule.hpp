// A schedule is the sequence of choices an execution made (actor choices and data choices
// interleaved as they happened), optionally ending in a cycle that repeats forever.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace pfnsim::sim {

struct Schedule {
    std::vector<std::uint32_t> choices;
    // When set, choices[cycle_start..] repeat forever after the prefix (a lasso).
    std::optional<std::size_t> cycle_start;
    // What the schedule was recorded for (a hash of the scenario, policy and bounds that the
    // caller computes; the core does not interpret it). Set: written as format 2.
    std::optional<std::uint32_t> key;

    bool operator==(const Schedule&) const = default;
};

// Thrown by decode_schedule; what() is a one-line message naming the column.
class ScheduleError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// Format version 1: "1." then run-length tokens, a value 0..25 as a letter a..z, larger ones as
// "[N]", each optionally followed by a decimal repeat count; a final "(...)" is the cycle; an
// cycle "()" is empty when the run repeats with no choice in its cycle; an
// optional "-XXXX" suffix is a checksum of everything before it. Format 2 is format 1 with the
// key after the version: "2.KKKKKKKK." (8 hex digits), then the tokens.
inline constexpr int kScheduleFormatVersion = 2;
std::string encode_schedule(const Schedule& s);
Schedule decode_schedule(std::string_view text);

}  // namespace pfnsim::sim
