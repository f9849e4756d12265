// Uniform random choice at every scheduling point, from a seeded xoshiro256**.
#pragma once

#include "pfnsim/sim/prng.hpp"
#include "pfnsim/sim/strategy.hpp"

namespace pfnsim::sim {

class RandomStrategy final : public Strategy {
  public:
    RandomStrategy() : Strategy(StrategyKind::Random) {}
    void new_execution(std::uint64_t seed) override { rng_.reseed(seed); }
    ActorId choose_actor(std::span<const ActorId> enabled, ActorId current,
                         std::span<const NextStep> next) override;
    std::uint32_t choose_value(std::uint32_t n, std::string_view what) override;

  private:
    Xoshiro256 rng_;
};

}  // namespace pfnsim::sim
