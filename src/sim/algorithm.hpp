// The custom Boost.Fiber scheduling algorithm: it runs exactly the actor the strategy chose.
#pragma once

#include <boost/fiber/algo/algorithm.hpp>
#include <boost/fiber/context.hpp>
#include <chrono>
#include <vector>

#include "pfnsim/sim/types.hpp"
#include "sim/fiber_asan.hpp"

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
    // Stacks, for the switches announced to ASan (sim/fiber_asan.hpp).
    void set_actor_stack(ActorId a, StackRange r) { stacks_[a] = r; }
    void set_main_stack(StackRange r) { main_stack_ = r; }
    // Called where a context resumes: the switch that brought it here is complete.
    void resumed(ActorId a) noexcept {  // a = kNoActor: the main context
        if constexpr (kFiberAsan) {
            finish_resumed(a);
        }
    }

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
    std::vector<StackRange> stacks_;
    StackRange main_stack_;
    // ASan's fake-stack slot of each context while it is switched away: actors, main, dispatcher.
    std::vector<void*> fake_;
    bool switching_ = false;  // a switch announced, not yet finished
    void announce(boost::fibers::context* to) noexcept;
    void finish_resumed(ActorId a) noexcept;
};

// Installs the algorithm on the calling thread (once) and returns it.
ControlledAlgorithm& install_algorithm();

}  // namespace pfnsim::sim::detail
