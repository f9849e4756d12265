// The JSON form of a sweep's state (checkpoints) and of its totals (shards share it).
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
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
// Throws SweepError naming the field that is missing or out of range ("active[0].task: ...").
SweepState state_from_json(const nlohmann::json& j, const std::vector<std::string>& actors);

// What the fields of a saved sweep must keep within.
struct StateLimits {
    std::size_t actors = 0;
    std::optional<unsigned> preemptions;  // nullopt = any number
    std::optional<unsigned> faults;       // nullopt = the scenario's budgets
    std::uint64_t step_bound = 0;         // 0 = none
    bool reduce = true;                   // as the sweep runs (sleep sets up to 64 actors)
    unsigned shard = 0;
    unsigned shards = 1;
    bool stateful = false;  // active tasks save their search (StatefulStrategy), not a path
};
// Range and consistency checks of totals read from a file (results that add up to the
// executions, final states, witnesses within the bounds); throws SweepError naming `path`.
void check_totals(const SweepTotals& t, const StateLimits& l, const std::string& path);
// The lock-order graph of totals read from a file: each edge's witness within the executions
// and bounds, as check_totals checks the violations'; throws SweepError naming `path`.
void check_lock_graph(const SweepTotals& t, const StateLimits& l, const std::string& path);
// The counts of a stateful search read from a file: at least a state for each of the `done`
// tasks whose search finished, and no more states than the transitions can reach from the
// roots of the `searched` tasks (each state but a root is reached by a transition); throws
// SweepError naming `path`.
void check_graph_counts(const SweepTotals& t, std::size_t done, std::size_t searched,
                        const std::string& path);
// The first count that would overflow when `b` is merged into `a` ("executions",
// "results.ACTOR", "violations[i].count"), or "" when none does.
std::string merge_overflow(const SweepTotals& a, const SweepTotals& b,
                           const std::vector<std::string>& actors);
// The same for a whole saved sweep: tasks, done tasks of this shard that the totals can
// account for, and each active task's saved path (DfsStrategy::check_saved).
void check_state(const SweepState& s, const StateLimits& l);

}  // namespace pfnsim::sim
