#include "pfnsim/sim/replay_strategy.hpp"

#include <fmt/format.h>

namespace pfnsim::sim {

bool ReplayStrategy::next(std::uint32_t& v) {
    const auto& c = schedule_.choices;
    if (pos_ < c.size()) {
        v = c[pos_++];
        return true;
    }
    if (schedule_.cycle_start && *schedule_.cycle_start < c.size()) {
        pos_ = *schedule_.cycle_start;
        v = c[pos_++];
        return true;
    }
    if (error_.empty()) {
        error_ =
            fmt::format("schedule ended after {} choices before the execution finished", c.size());
    }
    return false;
}

ActorId ReplayStrategy::choose_actor(std::span<const ActorId> enabled, ActorId current,
                                     std::span<const NextStep> /*next*/) {
    std::uint32_t v = 0;
    if (next(v)) {
        return v;
    }
    // Out of choices: keep running the current actor if it can, else the lowest enabled one.
    for (ActorId e : enabled) {
        if (e == current) {
            return e;
        }
    }
    return enabled[0];
}

std::uint32_t ReplayStrategy::choose_value(std::uint32_t /*n*/, std::string_view /*what*/) {
    std::uint32_t v = 0;
    return next(v) ? v : 0;
}

ExecutionConfig replay_config(const ExecutionConfig& base, const Schedule& s) {
    ExecutionConfig c = base;
    c.cycle_check.reset();
    if (s.cycle_start && *s.cycle_start <= s.choices.size()) {
        c.detect_cycles = true;
        c.cycle_check = CycleCheck{*s.cycle_start, s.choices.size() - *s.cycle_start};
    }
    return c;
}

}  // namespace pfnsim::sim
