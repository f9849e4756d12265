// PCT, probabilistic concurrency testing (Burckhardt, Kothari, Musuvathi, Nagarakatte, ASPLOS'10):
// random priorities with d-1 priority change points; a bug of depth d among n actors and k steps
// shows with probability at least 1/(n k^(d-1)) per execution.
#pragma once

#include <cstdint>
#include <vector>

#include "pfnsim/sim/execution.hpp"
#include "pfnsim/sim/prng.hpp"
#include "pfnsim/sim/program.hpp"
#include "pfnsim/sim/strategy.hpp"

namespace pfnsim::sim {

class PctStrategy final : public Strategy {
  public:
    static constexpr std::uint64_t kDefaultSteps = 200;

    // depth >= 1: d-1 change points. steps: the estimate k of actor choices per execution;
    // it is fixed for the strategy's life so that a seed alone replays its execution.
    // actors: the program's actor count, so that every actor gets its random priority at the
    // first choice even when some are not enabled yet (`after`); 0 = the actors enabled then.
    explicit PctStrategy(unsigned depth, std::uint64_t steps = kDefaultSteps,
                         std::size_t actors = 0);
    void new_execution(std::uint64_t seed) override;
    ActorId choose_actor(std::span<const ActorId> enabled, ActorId current,
                         std::span<const NextStep> next) override;
    std::uint32_t choose_value(std::uint32_t n, std::string_view what) override;

    unsigned depth() const { return depth_; }
    std::uint64_t steps() const { return k_; }

    // An estimate of k for `program`: the most actor choices among a few random executions
    // (derived from `seed`) that did not hit the step bound; kDefaultSteps if all did.
    static std::uint64_t estimate_steps(Program& program, const ExecutionConfig& config,
                                        std::uint64_t seed);

  private:
    void assign_initial(std::size_t actors);
    unsigned depth_;
    std::uint64_t k_;
    std::size_t actors_;
    Xoshiro256 rng_;
    std::vector<std::uint64_t> priority_;   // by actor id; higher runs first
    std::vector<std::uint64_t> change_at_;  // change point i+1 at actor choice change_at_[i]
    std::uint64_t choice_ = 0;              // actor choices so far in this execution
};

}  // namespace pfnsim::sim
