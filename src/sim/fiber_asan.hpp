// Fiber switches announced to AddressSanitizer, so that it knows which stack is running: with
// that, an exception unwinding an actor's frames clears their poison (__asan_handle_no_return
// works on the right stack), stack checks on fiber stacks can be on, and a report on a fiber
// stack can be believed. Without ASan every function here is empty.
//
// The protocol (sanitizer/common_interface_defs.h): the context that is about to switch calls
// start_switch with the stack it switches to; the context that gains control calls
// finish_switch. ControlledAlgorithm::pick_next() runs on the context that switches, just before
// Boost switches, and knows where it goes; each context calls finish_switch where it resumes
// (an actor's entry, its return from yield, main's return from join). Switches into Boost's
// dispatcher context (its stack is Boost's, its code uninstrumented) are not announced: ASan
// keeps the previous stack's bounds until the dispatcher hands over, which it announces.
#pragma once

#include <cstddef>

#if defined(__SANITIZE_ADDRESS__)
#define PFNSIM_FIBER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PFNSIM_FIBER_ASAN 1
#endif
#endif

#ifdef PFNSIM_FIBER_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif

namespace pfnsim::sim::detail {

struct StackRange {
    const void* bottom = nullptr;  // lowest address
    std::size_t size = 0;
};

inline constexpr bool kFiberAsan =
#ifdef PFNSIM_FIBER_ASAN
    true;
#else
    false;
#endif

// About to switch to the stack `to`; *fake is the switching context's fake-stack slot.
inline void start_switch([[maybe_unused]] void** fake, [[maybe_unused]] StackRange to) {
#ifdef PFNSIM_FIBER_ASAN
    __sanitizer_start_switch_fiber(fake, to.bottom, to.size);
#endif
}

// Control arrived here; `fake` is this context's slot as saved when it last switched away.
inline void finish_switch([[maybe_unused]] void* fake) {
#ifdef PFNSIM_FIBER_ASAN
    const void* bottom = nullptr;
    std::size_t size = 0;
    __sanitizer_finish_switch_fiber(fake, &bottom, &size);
#endif
}

// About to leave frames without their epilogues (throw_abort's forced unwind): clears the
// poison of the running stack below the caller, as ASan's interceptor of __cxa_throw does.
inline void handle_no_return() {
#ifdef PFNSIM_FIBER_ASAN
    __asan_handle_no_return();
#endif
}

// The calling thread's own stack (pthread_getattr_np), where the main context runs.
StackRange thread_stack();

}  // namespace pfnsim::sim::detail
