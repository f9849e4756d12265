#include "pfnsim/sim/explore.hpp"

#include "pfnsim/sim/minimize.hpp"
#include "pfnsim/sim/prng.hpp"

namespace pfnsim::sim {

Witness Witness::of(const Violation& v, const Outcome& o) {
    Witness w;
    w.violation = v;
    w.seed = o.seed;
    w.schedule = o.schedule;
    w.steps = o.steps;
    w.preemptions = count_preemptions(o);
    w.faults = o.faults;
    w.trace_hash = o.trace_hash;
    w.lasso = o.lasso;
    return w;
}

ExploreReport explore(Program& program, Strategy& strategy, const ExploreConfig& config,
                      const Progress& progress) {
    ExploreReport rep;
    rep.results.resize(program.actors().size());
    ExecutionConfig exec = config.exec;
    exec.record_trace = false;
    for (std::uint64_t i = 0; i < config.iterations; ++i) {
        const std::uint64_t seed = derive_seed(config.seed, i);
        Outcome out = run_execution(program, strategy, seed, exec);
        ++rep.executions;
        rep.steps += out.steps;
        for (std::size_t a = 0; a < out.results.size(); ++a) {
            ++rep.results[a][out.results[a].empty() ? std::string("(unfinished)") : out.results[a]];
        }
        for (const Violation& v : out.violations) {
            Witness* found = nullptr;
            for (auto& w : rep.violations) {
                if (w.violation.kind == v.kind && w.violation.actor == v.actor &&
                    w.violation.detail == v.detail) {
                    found = &w;
                }
            }
            if (found != nullptr) {
                ++found->count;
                continue;
            }
            rep.violations.push_back(Witness::of(v, out));
        }
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
