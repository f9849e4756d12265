// Feeds back a recorded schedule choice by choice; a cyclic schedule repeats its cycle forever.
#pragma once

#include <string>

#include "pfnsim/sim/execution.hpp"
#include "pfnsim/sim/schedule.hpp"
#include "pfnsim/sim/strategy.hpp"

namespace pfnsim::sim {

class ReplayStrategy final : public Strategy {
  public:
    explicit ReplayStrategy(Schedule s) : Strategy(StrategyKind::Replay), schedule_(std::move(s)) {}
    void new_execution(std::uint64_t /*seed*/) override {
        pos_ = 0;
        error_.clear();
    }
    ActorId choose_actor(std::span<const ActorId> enabled, ActorId current,
                         std::span<const NextStep> next) override;
    std::uint32_t choose_value(std::uint32_t n, std::string_view what) override;
    // Set when the schedule ran out before the execution ended.
    const std::string& error() const { return error_; }

  private:
    bool next(std::uint32_t& v);
    Schedule schedule_;
    std::size_t pos_ = 0;
    std::string error_;
};

// The configuration to replay `s` under: a cyclic schedule with choices in its cycle is a lasso
// claim, checked at its choice points (ExecutionConfig::cycle_check) so that its replay ends in
// the livelock it claims, after one round, whatever loop heads it passes.
ExecutionConfig replay_config(const ExecutionConfig& base, const Schedule& s);

}  // namespace pfnsim::sim
