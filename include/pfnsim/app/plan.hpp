// A Plan: a scenario with the command line's overrides applied once, and everything derived
// from it that shapes an execution (policy, bounds, strategy). Every command starts from one.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "pfnsim/model/policy.hpp"
#include "pfnsim/model/scenario.hpp"
#include "pfnsim/sim/execution.hpp"
#include "pfnsim/sim/program.hpp"
#include "pfnsim/sim/strategy.hpp"

namespace pfnsim::app {

// What the command line may set; unset values come from the scenario file.
struct Overrides {
    std::string policy;  // "" = the scenario's
    std::optional<std::uint64_t> step_bound;
    std::optional<std::uint64_t> iterations;
    std::optional<std::uint64_t> seed;
    std::optional<unsigned> faults;   // every fault site open, at most N faults per execution
    // As given: the name of a strategy `explore` may choose (sim::kStrategies); "" = the
    // default, or with scenario_strategy the scenario's [explore] strategy when it is pct
    // (with its depth), else the default (`check` plans this way).
    std::string strategy;
    bool scenario_strategy = false;
    std::optional<unsigned> depth;  // PCT depth d
    // --kernel KEY=VALUE, as given, in order (a later one for the same key wins).
    std::vector<std::string> kernel;
};

inline constexpr sim::StrategyKind kDefaultStrategy = sim::StrategyKind::Random;

struct Plan {
    model::Scenario scenario;
    std::string scenario_hash;  // content hash of the file's bytes
    model::Policy policy;
    sim::ExecutionConfig exec;  // step bound and fault bound
    bool step_bound_given = false;
    std::uint64_t iterations = 0;
    std::uint64_t seed = 0;
    sim::StrategyKind strategy = kDefaultStrategy;  // exec.prune_revisits when it is unfair
    unsigned depth = 3;
    // "file:line:column: note: ..." and "--policy: note: ...", such as an old policy name.
    std::vector<std::string> notes;
    // The [kernel] values --kernel changed from the file's, one per key in the table's order
    // (model::kernel_keys()): what replay commands and the schedule key carry.
    model::KernelSettings kernel;

    const std::string& file() const { return scenario.path; }
    // A short hash of what a schedule depends on: the scenario's actors, state and kernel
    // variants (not its description or expectations), the policy, the fault bound and the
    // --kernel settings.
    std::uint32_t schedule_key() const;
    // The same plan under another policy.
    Plan with_policy(const model::Policy& p) const;
    std::unique_ptr<sim::Program> program() const;
};

// Reads and validates the scenario file and applies the overrides; throws InputError.
Plan make_plan(const std::string& path, const Overrides& o);
// The policy --policy names (the scenario's when `text` is empty), read once: with the note
// an old name gets ("--policy: note: ..."); throws InputError naming the valid policies.
struct PolicyChoice {
    model::Policy policy;
    std::string note;  // "" unless the name is an old one
};
PolicyChoice policy_option(const std::string& text, const model::Scenario& sc);

// --kernel KEY=VALUE options, checked against the model's [kernel] table (the keys and values a
// scenario file takes, with the same messages); throws InputError ("--kernel preempt=x:
// unknown preempt model 'x' (valid: none, voluntary, full)").
model::KernelSettings kernel_option(const std::vector<std::string>& given);
// The settings as words "K=V", in order (JSON, reports), and as command-line options:
// " --kernel K=V" each, or "".
std::vector<std::string> kernel_words(const model::KernelSettings& k);
std::string kernel_options_text(const model::KernelSettings& k);

// The exploration strategy a plan names, built for `program` (PCT runs its step estimate).
std::unique_ptr<sim::Strategy> make_strategy(const Plan& plan, sim::Program& program);

// A schedule string checked against the plan it is replayed under: a keyed schedule recorded
// for another scenario, policy or fault bound is refused (InputError naming what it was for).
sim::Schedule decode_for(const Plan& plan, const std::string& text);

}  // namespace pfnsim::app
