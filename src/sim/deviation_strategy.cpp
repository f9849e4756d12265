// The minimiser's strategies share the non-preemptive fallback, defined here.
#include <algorithm>

#include "deviation_strategy.hpp"

namespace pfnsim::sim {

ActorId non_preemptive(std::span<const ActorId> enabled, ActorId current) {
    return std::find(enabled.begin(), enabled.end(), current) != enabled.end() ? current
                                                                                : enabled[0];
}

}  // namespace pfnsim::sim
