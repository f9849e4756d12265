#include "pfnsim/sim/explore.hpp"

#include "pfnsim/sim/prng.hpp"

namespace pfnsim::sim {

ExploreReport explore(Program& program, Strategy& strategy, const ExploreConfig& config,
                      const Progress& progress) {
    ExploreReport rep;
    rep.results.resize(program.actors().size());
    ExecutionConfig exec = config.exec;
    exec.record_trace = false;
    for (std::uint64_t i = 0; i < config.iterations; ++i) {
        const std::uint64_t seed = derive_seed(config.seed, i);
        if (config.interrupts != nullptr && config.interrupts->load() != 0) {
            rep.interrupted = true;
            break;
        }
        Outcome out = run_execution(program, strategy, seed, exec);
        rep.add(out, true);
        if (progress) {
            progress(i + 1, config.iterations);  // after every execution: the caller throttles
        }
        if (config.stop_on_first && !out.violations.empty()) {
            break;
        }
    }
    return rep;
}

}  // namespace pfnsim::sim
