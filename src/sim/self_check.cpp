#include "pfnsim/sim/self_check.hpp"

#include <fmt/format.h>

#include "pfnsim/sim/replay_strategy.hpp"

namespace pfnsim::sim {

SelfCheck self_check(Program& program, const ExecutionConfig& exec, const Schedule& schedule,
                     std::uint64_t trace_hash, Strategy* by_seed,
                     std::optional<std::uint64_t> seed) {
    SelfCheck c;
    ReplayStrategy replay(schedule);
    c.again = run_execution(program, replay, 0, replay_config(exec, schedule));
    if (!replay.error().empty()) {
        c.diff = fmt::format("its schedule does not replay: {}", replay.error());
    } else if (trace_hash != 0 && c.again.trace_hash != trace_hash) {
        c.diff = fmt::format("replaying the schedule gave trace hash {:016x}, expected {:016x}",
                             c.again.trace_hash, trace_hash);
    } else if (by_seed != nullptr && seed) {
        const Outcome o = run_execution(program, *by_seed, *seed, exec);
        if (o.trace_hash != c.again.trace_hash) {
            c.diff = fmt::format("replaying seed {} gave trace hash {:016x}, expected {:016x}",
                                 *seed, o.trace_hash, c.again.trace_hash);
        }
    }
    return c;
}

}  // namespace pfnsim::sim
