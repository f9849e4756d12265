// The JSON form of a sweep's state (checkpoints) and of its totals (shards share it).
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "pfnsim/sim/sweep.hpp"

namespace pfnsim::sim {

// An unsigned JSON integer that fits T: nlohmann's get<> would wrap a negative number and is
// undefined beyond the range of the type.
template <typename T>
T json_number(const nlohmann::json& j) {
    if (!j.is_number_unsigned() || j.get<std::uint64_t>() > std::numeric_limits<T>::max()) {
        throw SweepError(
            fmt::format("{} is not a number 0..{}", j.dump(), std::numeric_limits<T>::max()));
    }
    return static_cast<T>(j.get<std::uint64_t>());
}

nlohmann::json witness_json(const Witness& w);
Witness witness_from_json(const nlohmann::json& j);  // throws SweepError
nlohmann::json totals_json(const SweepTotals& t, const std::vector<std::string>& actors,
                           bool state_hashes);
SweepTotals totals_from_json(const nlohmann::json& j, const std::vector<std::string>& actors);

nlohmann::json state_json(const SweepState& s, const std::vector<std::string>& actors);
// Throws SweepError naming what is wrong.
SweepState state_from_json(const nlohmann::json& j, const std::vector<std::string>& actors);

}  // namespace pfnsim::sim
