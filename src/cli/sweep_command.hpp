// pfnsim sweep and pfnsim merge: exhaustive sweeps, their certificates, shards and checkpoints.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "pfnsim/sim/minimize.hpp"
#include "pfnsim/sim/sweep.hpp"

namespace pfnsim::cli {

struct SweepOptions {
    std::string scenario;
    std::string policy;
    std::string preemptions;
    std::string faults = "scenario";
    std::string shard;  // "i/N"
    std::string checkpoint;
    std::uint64_t step_bound = 0;
    std::uint64_t max_executions = 0;
    double time_limit = 0;
    unsigned jobs = 1;
    bool json = false;
    bool quiet = false;
    bool stop_on_first = false;
    bool no_reduction = false;
    bool no_minimize = false;
    std::vector<std::string> files;  // merge
};

CLI::App* add_sweep_command(CLI::App& app, SweepOptions& o);
CLI::App* add_merge_command(CLI::App& app, SweepOptions& o);
int cmd_sweep(const SweepOptions& o);
int cmd_merge(const SweepOptions& o);

// What a certificate says: one sweep, one shard of it, or merged shards.
struct SweepSummary {
    std::string scenario;
    std::string file;
    std::string policy;
    std::vector<std::string> actors;
    std::optional<unsigned> preemptions;  // nullopt = any number
    std::optional<unsigned> faults;       // nullopt = the scenario's budgets
    bool reduction = true;
    std::uint64_t step_bound = 0;
    std::string replay_options;  // what `replay` needs besides --policy and --schedule
    std::string expected;        // the scenario's expected verdict, "" if none
    sim::SweepTotals totals;
    bool complete = false;
    std::string stopped;
    std::optional<std::pair<unsigned, unsigned>> shard;  // index, count
    std::size_t tasks = 0;
    std::size_t tasks_done = 0;
    std::vector<unsigned> missing_shards;  // merge only
    // Per violation (in totals.violations order), once minimised: the result and its diagram.
    std::vector<std::optional<sim::Minimized>> minimized;
    std::vector<std::string> diagrams;
    std::string not_minimized;  // why minimisation was skipped, if it was
};

std::string certificate_line(const SweepSummary& s);
std::string summary_text(const SweepSummary& s);
nlohmann::json summary_json(const SweepSummary& s, bool state_hashes);
SweepSummary summary_from_json(const nlohmann::json& j);  // throws InputError

// Checkpoint files (JSON).
nlohmann::json state_json(const sim::SweepState& s, const std::vector<std::string>& actors);
sim::SweepState state_from_json(const nlohmann::json& j, const std::vector<std::string>& actors);

}  // namespace pfnsim::cli
