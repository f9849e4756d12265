// Helpers the command implementations share.
#pragma once

#include <string>
#include <vector>

#include "pfnsim/model/policy.hpp"
#include "pfnsim/model/scenario.hpp"
#include "pfnsim/sim/explore.hpp"

namespace pfnsim::cli {

// A usage or input error: one line on stderr, exit code 2.
struct InputError {
    std::string message;
};

model::Scenario load(const std::string& path);
// `name` as a policy, or the scenario's when empty.
model::Policy policy_named(const std::string& name, const model::Scenario& sc);
// The verdict the scenario expects under `p`, or "" when it says nothing.
std::string expected_for(const model::Scenario& sc, const model::Policy& p);
// Whether the violations go beyond what is expected: any kind other than the expected verdict.
bool unexpected(const std::vector<sim::Witness>& v, const std::string& expected);
// Progress goes to stderr only when it is a terminal, and not with --quiet.
bool progress_wanted(bool quiet);
// "scenario" (the scenario's fault budgets: nullopt) or a number of faults.
std::optional<unsigned> parse_faults(const std::string& text);

}  // namespace pfnsim::cli
