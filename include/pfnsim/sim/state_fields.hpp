// A state signature's fields, each named: how the audit says what differs between two states
// that should be one. The signature itself is computed without names (Program::state_signature);
// Program::describe_state lists the same fields, in the same order, from the same registry.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace pfnsim::sim {

struct StateField {
    std::string object;  // "task pin", "mm.mmap_lock", "pmd[0x40000000]", "actor kvm"
    std::string field;   // "foll_tried", "state", "entry", "loop frame 1: observed"
    std::uint64_t value = 0;
};
using StateFields = std::vector<StateField>;

// The fields that differ between a state as recorded and as found, matched by object, field and
// their order among equal names: "task pin: foll_tried 0 -> 1; pmd[0x40000000]: entry (only
// in the recorded state)", the first `limit` of them and how many more; "" when none differ.
std::string state_difference(const StateFields& recorded, const StateFields& found,
                             std::size_t limit = 4);

}  // namespace pfnsim::sim
