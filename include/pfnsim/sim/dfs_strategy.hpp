// Depth-first enumeration of schedules, optionally bounded in preemptions and reduced by sleep
// sets: every call of advance() moves to the next unexplored branch of the tree of choices.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "pfnsim/sim/strategy.hpp"

namespace pfnsim::sim {

class DfsStrategy final : public Strategy {
  public:
    // One choice point of the current path.
    struct Node {
        std::vector<std::uint32_t> options;  // exploration order: the current actor first, then
                                             // by id; data values 0..n-1
        std::uint64_t explorable = 0;        // bit per option: within the bound and not asleep
        std::uint64_t sleep = 0;             // bit per actor id: asleep here (reduction)
        std::uint32_t chosen = 0;            // index into options
        ActorId current = kNoActor;          // the current actor, if it is enabled
        unsigned preemptions_before = 0;
        bool data = false;
        // For the size estimate only (not saved): runs below the finished options.
        std::uint64_t child_start = 0;
        std::uint64_t finished_runs = 0;
        std::uint32_t finished_children = 0;
    };

    // max_preemptions: switches away from an actor that could have continued; nullopt = any.
    // reduce: sleep sets over the conflict relation of the actors' next steps.
    explicit DfsStrategy(std::optional<unsigned> max_preemptions, bool reduce = false)
        : Strategy(StrategyKind::Dfs), bound_(max_preemptions), reduce_(reduce) {}
    void new_execution(std::uint64_t seed) override;
    ActorId choose_actor(std::span<const ActorId> enabled, ActorId current,
                         std::span<const NextStep> next) override;
    std::uint32_t choose_value(std::uint32_t n, std::string_view what) override;
    // Prepares the next execution; false once every schedule within the bound was run.
    bool advance();

    // Explores only the subtree below `prefix` (the first choices of a schedule): those choices
    // are forced and never revisited. Call before the first execution.
    void restrict_to(std::vector<std::uint32_t> prefix);
    // Probe mode: every execution stops (kPrune) at the first choice point below the prefix;
    // probed() then holds that node, or nullopt if the execution ended before it.
    void set_probe(bool on) { probe_ = on; }
    const std::optional<Node>& probed() const { return probed_; }

    // Options not explored because their actor was asleep, counted once per node created below
    // the prefix.
    std::uint64_t pruned() const { return pruned_; }
    // Runs finished so far (executions and abandoned runs), and an estimate of all runs of the
    // (restricted) tree: an unexplored subtree is taken to be as large as the finished ones at
    // the same depth with the same preemptions left, else as its finished siblings.
    std::uint64_t runs() const { return runs_; }
    double estimate() const;
    // A forced prefix that did not fit the program; empty when none.
    const std::string& error() const { return error_; }

    // The path to run next (after advance()), to save and restore a search.
    const std::vector<Node>& frontier() const { return stack_; }
    void restore(std::vector<Node> stack, std::uint64_t pruned);
    // Why `stack` cannot be a saved path below `prefix` of a program with `actors` actors,
    // searched with this bound and reduction, or "" if it can: every option, actor id, sleep
    // set, choice and preemption count in range and consistent with the nodes above it. What
    // depends on the program (the options themselves, the sleep sets the path gives) is
    // checked again when the path is replayed.
    static std::string check_saved(const std::vector<Node>& stack,
                                   const std::vector<std::uint32_t>& prefix, std::size_t actors,
                                   std::optional<unsigned> max_preemptions, bool reduce);
    // Runs that a saved path says are done: at least one per explored option before the
    // chosen one, below the prefix.
    static std::uint64_t runs_before(const std::vector<Node>& stack, std::size_t prefix);

  private:
    std::uint32_t pick(Node&& fresh, std::span<const NextStep> next,
                       std::span<const ActorId> enabled);
    unsigned cost(const Node& n, std::uint32_t idx) const {
        return !n.data && n.current != kNoActor && n.options[idx] != n.current ? 1 : 0;
    }
    std::pair<std::size_t, unsigned> size_key(std::size_t depth, const Node& n,
                                              std::uint32_t idx) const;
    double known_size(std::size_t depth, const Node& n, std::uint32_t idx) const;
    void finish_child(std::size_t depth, Node& n);
    std::uint64_t child_sleep(const Node& n, std::span<const NextStep> next,
                              std::span<const ActorId> enabled) const;

    std::optional<unsigned> bound_;
    bool reduce_ = false;
    bool probe_ = false;
    std::vector<std::uint32_t> prefix_;
    std::vector<Node> stack_;
    std::optional<Node> probed_;
    std::size_t depth_ = 0;
    unsigned preemptions_ = 0;
    std::uint64_t sleep_ = 0;  // asleep at the next actor choice
    std::uint64_t pruned_ = 0;
    std::uint64_t runs_ = 0;
    // Finished subtrees by (depth, preemptions left): total runs and count, for estimate().
    std::map<std::pair<std::size_t, unsigned>, std::pair<double, double>> sizes_;
    std::string error_;
};

}  // namespace pfnsim::sim
