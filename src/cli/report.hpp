// Rendering of exploration results: text for people, JSON for machines, markdown for mail.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "pfnsim/model/scenario.hpp"
#include "pfnsim/sim/explore.hpp"
#include "pfnsim/sim/minimize.hpp"

namespace pfnsim::cli {

// One scenario under one policy, explored.
struct CellReport {
    std::string scenario_path;
    std::string scenario_name;
    std::string policy;
    std::string strategy = "random";
    unsigned pct_depth = 0;       // PCT only: depth d
    std::uint64_t pct_steps = 0;  // PCT only: the step estimate k
    std::uint64_t iterations = 0;
    std::uint64_t seed = 0;
    std::vector<std::string> actor_names;
    sim::ExploreReport explore;
    std::string verdict;   // clean or the most severe violation kind
    std::string expected;  // "" when the scenario has no expectation for this policy
    // Per violation (when minimised): the checked minimal witness and its race diagram.
    std::vector<std::optional<sim::Minimized>> minimized;
    std::vector<std::string> diagrams;
};

// The most severe kind among the violations, or "clean".
std::string verdict_of(const std::vector<sim::Witness>& v);
// The verdict with its class for a livelock: "livelock (killable, spinning)".
std::string full_verdict(const CellReport& c);
// The proof fields of a livelock violation: proof, cycle_length, stuck, killable, ...
void add_lasso_json(nlohmann::json& v, const sim::Lasso& l, const std::vector<std::string>& names);
std::string replay_command(const CellReport& c, const sim::Witness& w);
nlohmann::json to_json(const CellReport& c);
std::string to_text(const CellReport& c);
// "0, -EBUSY" (the results one actor ended with).
std::string results_seen(const CellReport& c, std::size_t actor);

}  // namespace pfnsim::cli
