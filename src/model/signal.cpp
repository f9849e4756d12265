// kernel/signal.c, include/linux/sched/signal.h, kernel/sched/core.c
#include "pfnsim/model/world.hpp"
#include "pfnsim/sim/execution.hpp"

namespace pfnsim::model {

// kernel/signal.c send_sig(SIGKILL, t, 0): marks the fatal signal pending on the target.
void send_sig_kill(World& /*w*/, task_struct& t) {
    sim::point(sim::Op::Write, t.pending_obj, "send_sig", "SIGKILL pending");
    t.sigkill_pending = true;
    if (t.in_pin) {
        t.signalled = true;
    }
}

// kernel/signal.c send_sig(SIGUSR1, t, 0): a non-fatal signal with a handler. TIF_SIGPENDING is
// set; it stays pending until the task returns to user space (not modelled: never cleared).
void send_sig(World& /*w*/, task_struct& t) {
    sim::point(sim::Op::Write, t.pending_obj, "send_sig", "SIGUSR1 pending");
    t.sigpending = true;
}

// include/linux/sched/signal.h fatal_signal_pending(current)
bool fatal_signal_pending(World& w) {
    task_struct& t = w.current();
    sim::point(sim::Op::Read, t.pending_obj, "fatal_signal_pending", "no signal");
    // Injected: a SIGKILL from outside the scenario arrives just now. Scenarios budget no such
    // fault, so only a sweep with --faults opens this site.
    if (!t.sigkill_pending && sim::inject("fatal_signal_pending sees SIGKILL", false)) {
        t.sigkill_pending = true;
        t.sigkill_injected = true;
        if (t.in_pin) {
            t.signalled = true;
        }
        sim::annotate("SIGKILL arrives (injected)");
        return true;
    }
    if (t.sigkill_pending) {
        sim::annotate("SIGKILL pending");
    }
    return t.sigkill_pending;
}

// include/linux/sched/signal.h signal_pending(current): TIF_SIGPENDING, set for any signal.
bool signal_pending(World& w) {
    task_struct& t = w.current();
    if (!t.signal_target) {
        // No actor can signal it: a read nobody's write can change, no step (a SIGKILL that a
        // fault site injected is the task's own doing).
        return t.sigkill_pending;
    }
    sim::point(sim::Op::Read, t.pending_obj, "signal_pending", "no signal");
    if (t.sigkill_pending) {
        sim::annotate("SIGKILL pending");
    } else if (t.sigpending) {
        sim::annotate("SIGUSR1 pending");
    }
    return t.sigkill_pending || t.sigpending;
}

// kernel/sched/core.c cond_resched: a voluntary scheduling point.
void cond_resched(World& /*w*/) {
    sim::point(sim::Op::Yield, sim::kNoObject, "cond_resched");
}

// include/linux/kernel.h might_sleep -> might_resched (kernel/sched/core.c
// __cond_resched under CONFIG_PREEMPT_VOLUNTARY or the dynamic "voluntary" mode): a scheduling
// point under PREEMPT_VOLUNTARY; under PREEMPT_FULL the task is preemptible there anyway, and
// under PREEMPT_NONE it only annotates. The site is marked either way (sim::voluntary_point),
// so that a livelock's class names every model from one execution (livelock_class). Called
// where the kernel calls it: down_read/down_write, mutex_lock, ioremap/vunmap.
// kernel/sched/core.c __might_sleep (CONFIG_DEBUG_ATOMIC_SLEEP), I-SLEEP: "BUG: sleeping
// function called from invalid context" when the caller holds a spin lock. No scheduling point.
void might_sleep_check(World& w) {
    if (sim::in_atomic()) {
        sim::fail_invariant(w.current_name(),
                            "I-SLEEP: BUG: sleeping function called from invalid context "
                            "(might_sleep() with a spin lock held)");
    }
}

void might_sleep(World& w) {
    might_sleep_check(w);
    sim::voluntary_point();
    if (w.sc.preempt != PreemptModel::None) {
        sim::point(sim::Op::Yield, sim::kNoObject, "might_sleep", "might_resched");
    }
}

}  // namespace pfnsim::model
