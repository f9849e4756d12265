#include "sim/algorithm.hpp"

#include <pthread.h>

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

StackRange thread_stack() {
    StackRange r;
    pthread_attr_t attr;
    if (pthread_getattr_np(pthread_self(), &attr) == 0) {
        void* addr = nullptr;
        std::size_t size = 0;
        if (pthread_attr_getstack(&attr, &addr, &size) == 0) {
            r = {addr, size};
        }
        pthread_attr_destroy(&attr);
    }
    return r;
}

void ControlledAlgorithm::reset(std::size_t actors) {
    ctx_.assign(actors, nullptr);
    ready_.assign(actors, false);
    stacks_.assign(actors, StackRange{});
    fake_.assign(actors + 2, nullptr);
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

// Runs on the context that is about to switch to `to` (pick_next's result is resumed at once).
void ControlledAlgorithm::announce(boost::fibers::context* to) noexcept {
    if constexpr (kFiberAsan) {
        boost::fibers::context* const from = boost::fibers::context::active();
        if (to == from || to->is_context(boost::fibers::type::dispatcher_context)) {
            return;
        }
        std::size_t slot = ctx_.size() + 1;  // the dispatcher's
        if (from->is_context(boost::fibers::type::main_context)) {
            slot = ctx_.size();
        }
        for (std::size_t i = 0; i < ctx_.size(); ++i) {
            slot = ctx_[i] == from ? i : slot;
        }
        StackRange r = main_stack_;
        for (std::size_t i = 0; i < ctx_.size(); ++i) {
            r = ctx_[i] == to ? stacks_[i] : r;
        }
        start_switch(&fake_[slot], r);
        switching_ = true;
    }
}

void ControlledAlgorithm::finish_resumed(ActorId a) noexcept {
    if (switching_) {
        switching_ = false;
        finish_switch(fake_[a == kNoActor ? ctx_.size() : a]);
    }
}

// Priority: the designated actor, then the dispatcher (it frees finished fibers), then main.
boost::fibers::context* ControlledAlgorithm::pick_next() noexcept {
    boost::fibers::context* c = nullptr;
    if (designated_ != kNoActor && ready_[designated_]) {
        ready_[designated_] = false;
        c = ctx_[designated_];
        designated_ = kNoActor;
    } else if (dispatcher_ready_) {
        dispatcher_ready_ = false;
        c = dispatcher_;
    } else if (main_ready_) {
        main_ready_ = false;
        c = main_;
    }
    if (c != nullptr) {
        announce(c);
    }
    return c;
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
