// Exhaustive sweeps of a plan, their certificates, and the rules by which shards merge.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "pfnsim/app/findings.hpp"
#include "pfnsim/app/plan.hpp"
#include "pfnsim/app/result.hpp"
#include "pfnsim/sim/sweep.hpp"

namespace pfnsim::app {

inline constexpr unsigned kMaxShards = 100000;  // --shard i/N takes N up to this

struct SweepRequest {
    std::optional<unsigned> preemptions;  // nullopt = any number
    bool reduce = true;
    std::uint64_t max_executions = 0;
    double time_limit = 0;
    bool stop_on_first = false;
    unsigned jobs = 1;
    std::optional<std::pair<unsigned, unsigned>> shard;  // index, count
    std::string checkpoint;                              // "" = none
    bool minimize = true;
    MinimizeBudget minimize_budget;
    // Stateful (a visited table, livelocks from the state graph) unless `stateless`; the
    // default for any number of preemptions. With a bound, stateless is the default.
    std::optional<bool> stateful;
    std::uint64_t max_states = 0;  // 0 = no limit
    bool audit_states = false;
};

struct SweepHooks {
    std::function<void(const sim::SweepProgress&)> progress;
    const std::atomic<bool>* interrupt = nullptr;
    // After each minimising execution: the witness (1-based, of how many), executions spent.
    std::function<void(std::size_t witness, std::size_t of, std::uint64_t spent)> minimize_progress;
};

// Runs (or resumes, from the request's checkpoint) the sweep: a result with its certificate;
// throws InputError.
Result run_sweep(const Plan& plan, const SweepRequest& rq, const SweepHooks& hooks = {});

// What the same stateful sweep, audited from scratch (one thread, at most a million states),
// names after an unaudited one stopped as inconsistent: "; audited, the same sweep finds: ..."
// (a state mismatch naming the objects), "...stops with: ..." or "...names nothing more".
std::string audited_diagnosis(const sim::ProgramFactory& make, sim::SweepConfig cfg);

// The JSON of a result with a certificate; with the final state hashes it is a shard that
// merges.
nlohmann::json certificate_json(const Result& r, bool state_hashes);
// A livelock's proof fields, the same in every command's JSON (proof, cycle_length, stuck,
// killable, yielding, locks_held).
nlohmann::json lasso_json(const sim::Lasso& l, const std::vector<std::string>& actors);
Result certificate_from_json(const nlohmann::json& j);  // throws InputError

// Merges the shards of one sweep (each read from files[i]); a shard of another sweep or one
// given twice is an InputError, a missing one makes the certificate incomplete. The witnesses
// are minimised against the scenario file the shards name, when it can be read.
Result merge_shards(const std::vector<Result>& parts, const std::vector<std::string>& files,
                    bool minimize, const MinimizeBudget& budget = {});

}  // namespace pfnsim::app
