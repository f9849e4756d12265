#include "pfnsim/sim/violation.hpp"

#include <array>

namespace pfnsim::sim {

namespace {
constexpr std::array<const char*, kViolationKinds> kNames = {
    "new-errno", "step-bound", "lock-order",     "livelock",      "wrong-return",
    "deadlock",  "invariant",  "state-mismatch", "nondeterminism"};
}  // namespace

const char* kind_name(ViolationKind k) {
    return kNames.at(static_cast<std::size_t>(k));
}

std::optional<ViolationKind> parse_kind(std::string_view name) {
    for (std::size_t i = 0; i < kNames.size(); ++i) {
        if (name == kNames[i]) {
            return static_cast<ViolationKind>(i);
        }
    }
    return std::nullopt;
}

}  // namespace pfnsim::sim
