// libFuzzer: the scenario loader on arbitrary text, and one short run of every world it builds.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "pfnsim/model/scenario.hpp"
#include "pfnsim/model/world.hpp"
#include "pfnsim/sim/execution.hpp"
#include "pfnsim/sim/random_strategy.hpp"

using namespace pfnsim;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    model::Scenario sc;
    try {
        sc = model::parse_scenario(text, "fuzz.toml");
    } catch (const model::ScenarioError&) {
        return 0;  // bad input, reported as one line
    }
    if (sc.actors.size() > 16) {
        return 0;  // every actor is a fiber: keep an input's run short
    }
    model::World world(sc);
    world.set_policy(sc.policy);
    sim::RandomStrategy random;
    sim::ExecutionConfig cfg;
    cfg.step_bound = std::min<std::uint64_t>(sc.step_bound, 500);
    cfg.record_trace = false;
    (void)sim::run_execution(world, random, sc.seed, cfg);
    return 0;
}
