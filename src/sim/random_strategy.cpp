#include "pfnsim/sim/random_strategy.hpp"

namespace pfnsim::sim {

ActorId RandomStrategy::choose_actor(std::span<const ActorId> enabled, ActorId /*current*/,
                                     std::span<const NextStep> /*next*/) {
    return enabled[rng_.below(static_cast<std::uint32_t>(enabled.size()))];
}

std::uint32_t RandomStrategy::choose_value(std::uint32_t n, std::string_view /*what*/) {
    return rng_.below(n);
}

}  // namespace pfnsim::sim
