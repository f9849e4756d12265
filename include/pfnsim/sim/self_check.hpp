// The determinism self-check that every reported violation passes, whichever search found it:
// its execution replays from its schedule (and from its seed, where the seed replays it) to
// the trace hash it was found with.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "pfnsim/sim/execution.hpp"
#include "pfnsim/sim/outcome.hpp"
#include "pfnsim/sim/program.hpp"
#include "pfnsim/sim/schedule.hpp"
#include "pfnsim/sim/strategy.hpp"

namespace pfnsim::sim {

struct SelfCheck {
    Outcome again;     // the execution replayed from its schedule
    std::string diff;  // what did not reproduce ("" when everything did)
};

// Replays `schedule` under `exec` (replay_config) and compares its trace hash with
// `trace_hash` (0: not known, not compared); then, given a strategy and a seed, runs the seed
// under that strategy and compares it with the replay.
SelfCheck self_check(Program& program, const ExecutionConfig& exec, const Schedule& schedule,
                     std::uint64_t trace_hash, Strategy* by_seed = nullptr,
                     std::optional<std::uint64_t> seed = std::nullopt);

}  // namespace pfnsim::sim
