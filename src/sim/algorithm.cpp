#include "sim/algorithm.hpp"

#include <boost/fiber/operations.hpp>
#include <cstdio>
#include <cstdlib>

namespace pfnsim::sim::detail {

namespace {
thread_local ControlledAlgorithm* tl_algorithm = nullptr;
}

ControlledAlgorithm::ControlledAlgorithm() {
    tl_algorithm = this;
}
ControlledAlgorithm::~ControlledAlgorithm() {
    if (tl_algorithm == this) {
        tl_algorithm = nullptr;
    }
}

ControlledAlgorithm& ControlledAlgorithm::instance() {
    return *tl_algorithm;
}

ControlledAlgorithm& install_algorithm() {
    if (tl_algorithm == nullptr) {
        boost::fibers::use_scheduling_algorithm<ControlledAlgorithm>();
    }
    return *tl_algorithm;
}

void ControlledAlgorithm::reset(std::size_t actors) {
    ctx_.assign(actors, nullptr);
    ready_.assign(actors, false);
    expect_ = kNoActor;
    designated_ = kNoActor;
}

void ControlledAlgorithm::awakened(boost::fibers::context* ctx) noexcept {
    if (ctx->is_context(boost::fibers::type::dispatcher_context)) {
        dispatcher_ = ctx;
        dispatcher_ready_ = true;
        return;
    }
    if (ctx->is_context(boost::fibers::type::main_context)) {
        main_ = ctx;
        main_ready_ = true;
        return;
    }
    if (expect_ != kNoActor) {
        ctx_[expect_] = ctx;
        ready_[expect_] = true;
        expect_ = kNoActor;
        return;
    }
    for (std::size_t i = 0; i < ctx_.size(); ++i) {
        if (ctx_[i] == ctx) {
            ready_[i] = true;
            return;
        }
    }
    std::fputs("pfnsim: internal error: unknown fiber awakened\n", stderr);
    std::abort();
}

// Priority: the designated actor, then the dispatcher (it frees finished fibers), then main.
boost::fibers::context* ControlledAlgorithm::pick_next() noexcept {
    if (designated_ != kNoActor && ready_[designated_]) {
        ready_[designated_] = false;
        auto* c = ctx_[designated_];
        designated_ = kNoActor;
        return c;
    }
    if (dispatcher_ready_) {
        dispatcher_ready_ = false;
        return dispatcher_;
    }
    if (main_ready_) {
        main_ready_ = false;
        return main_;
    }
    return nullptr;
}

bool ControlledAlgorithm::has_ready_fibers() const noexcept {
    return main_ready_ || (designated_ != kNoActor && ready_[designated_]);
}

void ControlledAlgorithm::suspend_until(std::chrono::steady_clock::time_point const&) noexcept {
    // Every actor fiber stays runnable from Boost's point of view (blocking is modelled by the
    // core), so the dispatcher can only get here through an internal error.
    std::fputs("pfnsim: internal error: no fiber to run\n", stderr);
    std::abort();
}

}  // namespace pfnsim::sim::detail
