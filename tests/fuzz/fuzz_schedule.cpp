// libFuzzer: the schedule decoder. A schedule that decodes encodes back to one that decodes to
// the same choices, and replays on the seed race without a crash.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "pfnsim/app/plan.hpp"
#include "pfnsim/sim/execution.hpp"
#include "pfnsim/sim/replay_strategy.hpp"
#include "pfnsim/sim/schedule.hpp"

using namespace pfnsim;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const app::Plan plan = app::make_plan("scenarios/seed-split-refault.toml", {});
    static const std::unique_ptr<sim::Program> world = plan.program();
    const std::string text(reinterpret_cast<const char*>(data), size);
    sim::Schedule s;
    try {
        s = sim::decode_schedule(text);
    } catch (const sim::ScheduleError&) {
        return 0;
    }
    if (sim::decode_schedule(sim::encode_schedule(s)) != s) {
        std::abort();  // the round trip lost something
    }
    sim::ExecutionConfig cfg = plan.exec;
    cfg.step_bound = 400;
    cfg.record_trace = false;
    sim::ReplayStrategy replay(s);
    (void)sim::run_execution(*world, replay, 0, cfg);
    return 0;
}
