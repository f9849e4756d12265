// Random and PCT exploration of a plan, one execution of it (run, replay), and the retry
// statistics: each ends in findings from the shared pipeline.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "pfnsim/app/findings.hpp"
#include "pfnsim/app/plan.hpp"
#include "pfnsim/app/result.hpp"
#include "pfnsim/sim/explore.hpp"

namespace pfnsim::app {

// What explore takes from its command beyond the plan: the minimiser's budget, SIGINTs (the
// first stops exploring, one more stops minimising) and minimisation progress.
struct ExploreHooks {
    MinimizeBudget minimize_budget;
    const std::atomic<unsigned>* interrupts = nullptr;
    std::function<void(std::size_t witness, std::size_t of, std::uint64_t spent)> minimize_progress;
};

Result explore_plan(const Plan& plan, bool minimize, const sim::Progress& progress = {},
                    const ExploreHooks& hooks = {});

// One execution from the plan's seed (random strategy), or from `schedule` when not empty.
Result run_plan(const Plan& plan, const std::string& schedule);

struct PolicyStats {
    std::string policy;
    std::uint64_t executions = 0;
    std::vector<std::uint64_t> retries;            // per execution, of the first actor
    std::map<std::string, std::uint64_t> results;  // first actor's result -> executions
    std::uint64_t max_seed = 0;                    // an execution with the most retries
    std::string max_replay;                        // and the command that replays it
};

PolicyStats collect_stats(const Plan& plan, const sim::Progress& progress = {});

}  // namespace pfnsim::app
