// The argument validators, all in one place: numbers under their rules (the same as the
// scenario keys'), seconds, --faults, --minimize-budget, --preemptions, --shard and the policy
// names. The only file of the command line that reads the model's rules.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "pfnsim/app/findings.hpp"

namespace pfnsim::cli {

// The numeric options, each under the rule of its scenario key.
enum class Number { seed, iterations, step_bound, depth, max_executions, jobs, max_states };

// A numeric flag under its rule: out of range, negative, overflowing or not a number is
// refused with the valid range; a valid one is passed on in decimal, so that CLI11 never
// converts anything but a checked value.
CLI::Validator number(Number n);
// A time limit in seconds: finite, above zero, at most 1e7 (115 days).
CLI::Validator seconds();

// A string option that must not be empty: "" is refused with the valid choices (`valid`), not
// taken as unset.
CLI::Validator not_empty(const std::string& valid);

// The policy names, for help texts.
const char* valid_policies();
// The [kernel] keys and their values, for help texts: "pagewalk (current, pre-...); ...".
std::string valid_kernel_settings();
// A comma list (matrix --policy P,... and --caller NAME,...), in its order; "" is no list.
std::vector<std::string> parse_list(const std::string& s);

// --faults: "" or "scenario" is the scenario's budgets (nullopt), else a bound; throws
// app::InputError.
std::optional<unsigned> parse_faults(const std::string& s);
// --minimize-budget: executions, or a time (30s, 2m, 1h); "" is the default; throws
// app::InputError.
app::MinimizeBudget parse_minimize_budget(const std::string& s);
// --preemptions: a bound, or all (nullopt); throws app::InputError.
std::optional<unsigned> parse_preemptions(const std::string& s);
// --shard i/N; throws app::InputError.
std::pair<unsigned, unsigned> parse_shard(const std::string& s);

}  // namespace pfnsim::cli
