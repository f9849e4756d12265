#include "pfnsim/sim/explore.hpp"

#include <fmt/format.h>

#include "pfnsim/sim/prng.hpp"
#include "pfnsim/sim/replay_strategy.hpp"
#include "pfnsim/sim/schedule.hpp"

namespace pfnsim::sim {

std::string self_check(Program& program, Strategy& strategy, const Outcome& original,
                       const ExecutionConfig& config) {
    ExecutionConfig quiet = config;
    quiet.record_trace = false;
    const Outcome by_seed = run_execution(program, strategy, original.seed, quiet);
    ReplayStrategy replay(original.schedule);
    const Outcome by_schedule = run_execution(program, replay, original.seed, quiet);
    if (by_seed.trace_hash != original.trace_hash) {
        return fmt::format("replaying seed {} gave trace hash {:016x}, expected {:016x}",
                           original.seed, by_seed.trace_hash, original.trace_hash);
    }
    if (by_schedule.trace_hash != original.trace_hash) {
        return fmt::format("replaying the schedule gave trace hash {:016x}, expected {:016x}",
                           by_schedule.trace_hash, original.trace_hash);
    }
    return {};
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
            Witness w{v, seed, encode_schedule(out.schedule), 1, out.steps, out.lasso};
            rep.violations.push_back(w);
            // A reported violation is replayed once more: the determinism self-check.
            const std::string diff = self_check(program, strategy, out, exec);
            if (!diff.empty()) {
                rep.violations.push_back(
                    {{"nondeterminism", v.actor, diff}, seed, w.schedule, 1, out.steps, {}});
            }
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
