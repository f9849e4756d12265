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
        Outcome out = run_execution(program, strategy, seed, exec);
        rep.add(out, true);
        if (progress && (i % 256 == 0 || i + 1 == config.iterations)) {
            progress(i + 1, config.iterations);
        }
        if (config.stop_on_first && !out.violations.empty()) {
            break;
        }
    }
    return rep;
}

}  // namespace pfnsim::sim
