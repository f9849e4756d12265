// Random and PCT exploration of a plan, one execution of it (run, replay), and the retry
// statistics: each ends in findings from the shared pipeline.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "pfnsim/app/findings.hpp"
#include "pfnsim/app/plan.hpp"
#include "pfnsim/sim/explore.hpp"

namespace pfnsim::app {

struct ExploreResult {
    Plan plan;
    sim::StrategyKind strategy = kDefaultStrategy;  // reports print its label
    unsigned pct_depth = 0;       // PCT only: depth d
    std::uint64_t pct_steps = 0;  // PCT only: the step estimate k
    std::vector<std::string> actors;
    sim::ExploreReport report;
    std::vector<Finding> findings;
    Verdict verdict;
    std::string expected;  // "" when the scenario says nothing for this policy
    std::string not_minimized;
    // Decided by a sweep (certify_plan): its certificate line and counts. `fallback` says why
    // random exploration decided the cell instead, when the sweep could not finish.
    bool certified = false;
    std::string certificate;
    std::uint64_t states = 0;
    std::uint64_t transitions = 0;
    std::string fallback;
    std::uint64_t iterations = 0;  // asked for; fewer ran when interrupted
    bool interrupted = false;      // by SIGINT: the findings so far, not every execution
    MinimizeBudget minimize_budget;
    bool unexpected() const;
    // The expected verdict was not met although nothing unexpected was found (exit 1).
    bool missed() const;
};

// What explore takes from its command beyond the plan: the minimiser's budget, SIGINTs (the
// first stops exploring, one more stops minimising) and minimisation progress.
struct ExploreHooks {
    MinimizeBudget minimize_budget;
    const std::atomic<unsigned>* interrupts = nullptr;
    std::function<void(std::size_t witness, std::size_t of, std::uint64_t spent)> minimize_progress;
};

ExploreResult explore_plan(const Plan& plan, bool minimize, const sim::Progress& progress = {},
                           const ExploreHooks& hooks = {});

struct RunResult {
    Plan plan;
    bool by_seed = true;  // false: replayed from a schedule
    sim::Outcome outcome;
    std::vector<std::string> actors;
    std::vector<Finding> findings;
    Verdict verdict;
    std::string expected;
    std::string schedule;  // of the execution, keyed to the plan
    std::string replay;    // the command that replays it
    bool unexpected() const;
};

// One execution from the plan's seed (random strategy), or from `schedule` when not empty.
RunResult run_plan(const Plan& plan, const std::string& schedule);

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
