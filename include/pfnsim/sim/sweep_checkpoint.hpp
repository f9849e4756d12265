// The JSON form of a sweep's state (checkpoints) and of its totals (shards share it).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "pfnsim/sim/sweep.hpp"

namespace pfnsim::sim {

nlohmann::json witness_json(const Witness& w);
Witness witness_from_json(const nlohmann::json& j);  // throws SweepError
nlohmann::json totals_json(const SweepTotals& t, const std::vector<std::string>& actors,
                           bool state_hashes);
SweepTotals totals_from_json(const nlohmann::json& j, const std::vector<std::string>& actors);

nlohmann::json state_json(const SweepState& s, const std::vector<std::string>& actors);
// Throws SweepError naming what is wrong.
SweepState state_from_json(const nlohmann::json& j, const std::vector<std::string>& actors);

}  // namespace pfnsim::sim
