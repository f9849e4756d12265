// The minimiser's strategies share the non-preemptive fallback, defined here.
#include "deviation_strategy.hpp"

#include <algorithm>

namespace pfnsim::sim {

ActorId non_preemptive(std::span<const ActorId> enabled, ActorId current) {
    return std::find(enabled.begin(), enabled.end(), current) != enabled.end() ? current
                                                                               : enabled[0];
}

}  // namespace pfnsim::sim
