// The one result every command hands its renderer: the findings, the verdict judged against
// the scenario's expectation, how the result was decided (one execution, a random or PCT
// exploration, or a sweep), and, when a sweep decided it, the certificate.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "pfnsim/app/findings.hpp"
#include "pfnsim/app/plan.hpp"
#include "pfnsim/sim/explore.hpp"
#include "pfnsim/sim/sweep.hpp"

namespace pfnsim::app {

// What a certificate says about itself: one sweep, one shard of it, or merged shards. It names
// its scenario, policy and bounds itself, since a shard file is read back without a plan.
struct Certificate {
    std::string scenario;
    std::string file;
    std::string scenario_hash;
    std::string policy;
    model::KernelSettings kernel;  // the plan's --kernel settings
    std::vector<std::string> actors;
    std::optional<unsigned> preemptions;  // nullopt = any number
    std::optional<unsigned> faults;       // nullopt = the scenario's budgets
    bool reduction = true;
    bool stateful = false;
    bool audited = false;
    std::uint64_t step_bound = 0;
    bool step_bound_given = false;
    sim::SweepTotals totals;
    bool complete = false;
    std::string stopped;
    std::optional<std::pair<unsigned, unsigned>> shard;  // index, count
    std::size_t tasks = 0;
    std::size_t tasks_done = 0;
    std::vector<unsigned> missing_shards;  // merge only

    // The one line a reviewer quotes.
    std::string line() const;
    std::string bound_text() const;
};

// One execution (run, replay): what it did, and the command that replays it.
struct Run {
    bool by_seed = true;  // false: replayed from a schedule
    sim::Outcome outcome;
    std::string given;     // the schedule as the user gave it (replay --schedule)
    std::string schedule;  // what replays it, keyed to the plan (a lasso's cycle written once)
    std::string replay;
};

struct Result {
    Plan plan;  // a merge's plan is set only when the scenario file its shards name can be read
    std::vector<std::string> actors;
    std::vector<Finding> findings;  // the witnesses, through the pipeline
    std::string not_minimized;      // why the witnesses were not minimised, if they were not
    // The lock-order graph of the executions (its edges replayed for their call chains) and
    // the reports behind the lock-order findings; empty for a merge without its scenario file.
    LockOrderView lock_order;

    // Judged by the application layer (judge): the renderers only print these.
    Verdict verdict;
    std::string expected;           // "" when the scenario says nothing for this policy
    bool as_expected = true;        // the verdict is exactly the expected one
    bool unexpected_found = false;  // a finding goes beyond the expectation
    // A matrix cell against the same file under `original` (today's kernel), as run_matrix
    // sets it when that row is in the matrix: "today" (original's own cell, with a livelock),
    // "keeps" (each of its livelocks is one original has: the same actors loop, of the same
    // class), "adds" (one that original does not have), "removes" (none, where original has
    // one); "" when neither has a livelock.
    std::string livelock_vs_original;

    // How it was decided. `strategy` (reports print its label); `report` counts a random or
    // PCT exploration; `fallback` says why exploration decided a cell whose sweep could not
    // finish.
    sim::StrategyKind strategy = kDefaultStrategy;
    unsigned pct_depth = 0;        // PCT only: depth d
    std::uint64_t pct_steps = 0;   // PCT only: the step estimate k
    std::uint64_t iterations = 0;  // asked for; fewer ran when interrupted
    sim::ExploreReport report;
    std::string fallback;
    std::optional<Run> run;                  // one execution (run, replay)
    std::optional<Certificate> certificate;  // a sweep (sweep, merge, a certified cell)

    // The executions counted: the sweep's when a sweep decided it, else the exploration's.
    const sim::Tally& tally() const;
    // A complete sweep decided it.
    bool certified() const;
    // How it was decided, as every report says it: "certified" (a complete sweep of any number
    // of preemptions), "bounded" (a complete sweep under a preemption bound), "sampled" (random
    // or PCT executions), "incomplete" (a sweep that stopped); "" for one execution.
    std::string decided() const;
    // Nothing was cut short: a sweep that finished, an exploration not interrupted.
    bool complete() const;
};

// Sets the verdict, as_expected and unexpected_found from the findings (and a certificate's
// witnesses) against `r.expected`.
void judge(Result& r);

}  // namespace pfnsim::app
