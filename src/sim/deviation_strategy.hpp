// The minimiser's delta-debugging strategy: deviations from a non-preemptive scheduler.
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

// Takes the recorded value at the listed choice indices and the non-preemptive choice
// elsewhere (the current actor if it can continue, else the lowest enabled; data value 0).
class DeviationStrategy final : public Strategy {
  public:
    explicit DeviationStrategy(std::map<std::size_t, std::uint32_t> dev)
        : Strategy(StrategyKind::Deviation), dev_(std::move(dev)) {}
    void new_execution(std::uint64_t /*seed*/) override { index_ = 0; }
    ActorId choose_actor(std::span<const ActorId> enabled, ActorId current,
                         std::span<const NextStep> /*next*/) override {
        auto it = dev_.find(index_++);
        if (it != dev_.end() &&
            std::find(enabled.begin(), enabled.end(), it->second) != enabled.end()) {
            return it->second;
        }
        return non_preemptive(enabled, current);
    }
    std::uint32_t choose_value(std::uint32_t n, std::string_view /*what*/) override {
        auto it = dev_.find(index_++);
        return it != dev_.end() && it->second < n ? it->second : 0;
    }

  private:
    std::map<std::size_t, std::uint32_t> dev_;
    std::size_t index_ = 0;
};

}  // namespace pfnsim::sim
