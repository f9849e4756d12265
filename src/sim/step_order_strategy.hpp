// The minimiser's strategy for moving the steps a violation does not depend on after it.
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <map>
#include <span>
#include <vector>

#include "pfnsim/sim/execution.hpp"
#include "pfnsim/sim/strategy.hpp"

namespace pfnsim::sim {

// What a non-preemptive scheduler runs: the current actor if it can go on, else the lowest.
ActorId non_preemptive(std::span<const ActorId> enabled, ActorId current);

// Runs the steps in a given order of actors (one entry per step) and gives each actor its own
// data choices in the order it made them; past the end of the order, or where the listed actor
// is not enabled, it continues the current actor (else the lowest enabled).
class StepOrderStrategy final : public Strategy {
  public:
    StepOrderStrategy(std::vector<ActorId> order, std::vector<std::deque<std::uint32_t>> data)
        : Strategy(StrategyKind::StepOrder), order_(std::move(order)), data_(std::move(data)) {}
    void new_execution(std::uint64_t /*seed*/) override { left_ = data_; }
    ActorId choose_actor(std::span<const ActorId> enabled, ActorId current,
                         std::span<const NextStep> /*next*/) override {
        const std::uint64_t at = steps_taken();
        if (at < order_.size() &&
            std::find(enabled.begin(), enabled.end(), order_[at]) != enabled.end()) {
            return order_[at];
        }
        return non_preemptive(enabled, current);
    }
    std::uint32_t choose_value(std::uint32_t n, std::string_view /*what*/) override {
        const ActorId a = current_actor();
        if (a >= left_.size() || left_[a].empty()) {
            return 0;
        }
        const std::uint32_t v = left_[a].front();
        left_[a].pop_front();
        return v < n ? v : 0;
    }

  private:
    std::vector<ActorId> order_;
    std::vector<std::deque<std::uint32_t>> data_;
    std::vector<std::deque<std::uint32_t>> left_;
};

}  // namespace pfnsim::sim
