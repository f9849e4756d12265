// The custom Boost.Fiber scheduling algorithm: it runs exactly the actor the strategy chose.
#pragma once

#include <boost/fiber/algo/algorithm.hpp>
#include <boost/fiber/context.hpp>
#include <chrono>
#include <vector>

#include "pfnsim/sim/types.hpp"

namespace pfnsim::sim::detail {

// Boost picks the next context before it re-queues a yielding fiber, so the yielding fiber is
// never a candidate: the decision whether the current actor continues is taken at the
// scheduling point, and this algorithm only ever hands over to the designated actor.
class ControlledAlgorithm final : public boost::fibers::algo::algorithm {
  public:
    ControlledAlgorithm();
    ~ControlledAlgorithm() override;

    static ControlledAlgorithm& instance();  // the one installed on this thread

    void reset(std::size_t actors);
    // The next awakened worker context is actor `a`'s (fibers are created one at a time).
    void expect_new_actor(ActorId a) { expect_ = a; }
    void designate(ActorId a) { designated_ = a; }

    void awakened(boost::fibers::context* ctx) noexcept override;
    boost::fibers::context* pick_next() noexcept override;
    bool has_ready_fibers() const noexcept override;
    void suspend_until(std::chrono::steady_clock::time_point const&) noexcept override;
    void notify() noexcept override {}

  private:
    std::vector<boost::fibers::context*> ctx_;
    std::vector<bool> ready_;
    boost::fibers::context* main_ = nullptr;
    boost::fibers::context* dispatcher_ = nullptr;
    bool main_ready_ = false;
    bool dispatcher_ready_ = false;
    ActorId expect_ = kNoActor;
    ActorId designated_ = kNoActor;
};

// Installs the algorithm on the calling thread (once) and returns it.
ControlledAlgorithm& install_algorithm();

}  // namespace pfnsim::sim::detail
