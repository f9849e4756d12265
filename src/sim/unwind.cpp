// Stopping an actor. A program whose frames own nothing across a scheduling point
// (Program::stop_drops_frames) has them dropped: one longjmp to run_until_unwound. Otherwise
// the stack is unwound as pthread_cancel unwinds a thread. A forced unwind
// (_Unwind_ForcedUnwind) runs every frame's destructors, from the point that stopped it to
// run_until_unwound, which the stop function below then returns to by longjmp. A thrown C++
// exception did the same in two passes over the frames (search, then cleanup); the forced
// unwind has no search pass, and unwinding is most of the cost of an execution a stateful
// sweep stops at a visited state (docs/performance.md). The longjmp crosses only the
// unwinder's own frames: every model frame's cleanups have run when it is taken.
#include <unwind.h>

#include <csetjmp>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "sim/exec_state.hpp"
#include "sim/fiber_asan.hpp"

namespace pfnsim::sim::detail {

namespace {

constexpr _Unwind_Exception_Class kAbortClass = 0x5046'4e53'4142'5254ULL;  // "PFNSABRT"

_Unwind_Reason_Code stop_at_landing(int /*version*/, _Unwind_Action actions,
                                    _Unwind_Exception_Class /*cls*/, _Unwind_Exception* /*exc*/,
                                    _Unwind_Context* context, void* param) {
    ActorState& a = *static_cast<ActorState*>(param);
    // A context's CFA is the stack pointer of the frame it describes at its call: above the
    // landing's mark only once every frame below run_until_unwound has been cleaned up.
    if ((actions & _UA_END_OF_STACK) != 0 || _Unwind_GetCFA(context) > a.landing_mark) {
        std::longjmp(*a.landing, 1);  // NOLINT(cert-err52-cpp): the end of a forced unwind
    }
    return _URC_NO_REASON;
}

}  // namespace

// Called on the fiber of an actor when it must stop: unwinds its stack to run_until_unwound.
void throw_abort() {
    ExecState& x = *tl_exec;
    ActorState& a = x.actors[x.current];
    if (a.landing == nullptr || a.unwinding) {
        // Not on an actor's stack, or a destructor that stops again while it is unwound:
        // either is a bug in the core or the model.
        std::fputs("pfnsim: an execution was stopped outside an actor's run\n", stderr);
        std::abort();
    }
    a.unwinding = true;
    handle_no_return();
    if (x.drop_frames) {
        // Program::stop_drops_frames: no frame owns anything, so none needs its cleanup. The
        // model functions' call and loop records (sim::Call, sim::Loop) stay as they were:
        // the actor runs no more in this execution, and the next one starts them afresh.
        std::longjmp(*a.landing, 1);  // NOLINT(cert-err52-cpp): see run_until_unwound
    }
    std::memset(&a.abort_exception, 0, sizeof a.abort_exception);
    a.abort_exception.exception_class = kAbortClass;
    _Unwind_ForcedUnwind(&a.abort_exception, stop_at_landing, &a);
    std::fputs("pfnsim: the unwinder could not end an actor's run\n", stderr);
    std::abort();
}

// Runs the actor's program; false when throw_abort ended it. Nothing here has a destructor:
// the unwinding ends in this frame by longjmp, before its cleanups could run.
[[gnu::noinline]] bool run_until_unwound(ExecState& x, ActorId id) {
    ActorState& a = x.actors[id];
    std::jmp_buf landing;
    volatile char mark = 0;
    a.landing = &landing;
    a.landing_mark = reinterpret_cast<std::uintptr_t>(&mark);
    if (setjmp(landing) != 0) {  // NOLINT(cert-err52-cpp): see throw_abort
        a.landing = nullptr;
        a.unwinding = false;
        return false;
    }
    x.program->run_actor(id);
    a.landing = nullptr;
    return true;
}

}  // namespace pfnsim::sim::detail
