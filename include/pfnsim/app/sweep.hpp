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

// What a certificate says: one sweep, one shard of it, or merged shards.
struct Certificate {
    std::string scenario;
    std::string file;
    std::string scenario_hash;
    std::string policy;
    std::vector<std::string> actors;
    std::optional<unsigned> preemptions;  // nullopt = any number
    std::optional<unsigned> faults;       // nullopt = the scenario's budgets
    bool reduction = true;
    bool stateful = false;
    bool audited = false;
    std::uint64_t step_bound = 0;
    bool step_bound_given = false;
    std::string expected;  // the scenario's expected verdict, "" if none
    sim::SweepTotals totals;
    bool complete = false;
    std::string stopped;
    std::optional<std::pair<unsigned, unsigned>> shard;  // index, count
    std::size_t tasks = 0;
    std::size_t tasks_done = 0;
    std::vector<unsigned> missing_shards;  // merge only
    std::vector<Finding> findings;         // the witnesses, through the pipeline
    std::string not_minimized;             // why the witnesses were not minimised, if they were not

    Verdict verdict() const;
    bool unexpected() const;
    // The expected verdict was not met although nothing unexpected was found: exit 1 for a
    // certificate (an incomplete sweep is exit 3 instead).
    bool missed() const;
    // The one line a reviewer quotes.
    std::string line() const;
    std::string bound_text() const;
};

struct SweepHooks {
    std::function<void(const sim::SweepProgress&)> progress;
    const std::atomic<bool>* interrupt = nullptr;
    // After each minimising execution: the witness (1-based, of how many), executions spent.
    std::function<void(std::size_t witness, std::size_t of, std::uint64_t spent)> minimize_progress;
};

// Runs (or resumes, from the request's checkpoint) the sweep; throws InputError.
Certificate run_sweep(const Plan& plan, const SweepRequest& rq, const SweepHooks& hooks = {});

// The JSON of a certificate; with the final state hashes it is a shard that merges.
nlohmann::json certificate_json(const Certificate& c, bool state_hashes);
Certificate certificate_from_json(const nlohmann::json& j);  // throws InputError

// Merges the shards of one sweep (each read from files[i]); a shard of another sweep or one
// given twice is an InputError, a missing one makes the certificate incomplete. The witnesses
// are minimised against the scenario file the shards name, when it can be read.
Certificate merge_shards(const std::vector<Certificate>& parts,
                         const std::vector<std::string>& files, bool minimize,
                         const MinimizeBudget& budget = {});

}  // namespace pfnsim::app
