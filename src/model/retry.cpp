// The retry policies under test, shared by the callers of the follow -> fixup -> follow pattern
// that the March 2026 thread proposed to change: VFIO type1's follow_fault_pfn(), KVM's
// hva_to_pfn_remapped() and the s390 MMIO syscalls. Independent of the API variant
// (follow_pfnmap_errno), which decides what the second follow_pfnmap_start() returns.
#include "pfnsim/model/world.hpp"

namespace pfnsim::model {

// What the caller returns when fixup_user_fault() dropped mmap_lock (*unlocked): -EAGAIN to
// look the vma up again; return-to-user hands -EBUSY back (VM_FAULT_RETRY in
// __get_user_pages); gup-loop keeps it inside (faultin_page's -EBUSY retakes the lock) and,
// as __get_user_pages_locked does, tries the address once more with FOLL_TRIED: the task's
// foll_tried, which policy_fault_flags() hands to the next fault.
int policy_unlocked_error(World& w) {
    if (w.policy.kind == Policy::Kind::GupLoop) {
        w.current().foll_tried = true;
    }
    return w.policy.kind == Policy::Kind::ReturnToUser ? -EBUSY : -EAGAIN;
}

// mm/gup.c faultin_page: FOLL_TRIED becomes FAULT_FLAG_TRIED, so that a handler that dropped
// mmap_lock once (ttm_bo_vm_reserve, ttm_bo_vm_fault_idle) now waits under it instead. The
// flags the caller's next fixup_user_fault() adds; consumes the task's foll_tried (only the
// one pass after the dropped lock is a TRIED pass).
unsigned policy_fault_flags(World& w) {
    task_struct& t = w.current();
    const bool tried = t.foll_tried;
    t.foll_tried = false;
    return tried ? FAULT_FLAG_TRIED : 0U;
}

// What the caller returns when the second follow_pfnmap_start() fails after a successful fault.
int policy_second_follow_error(const World& w, int ret) {
    switch (w.policy.kind) {
        case Policy::Kind::Original:
            return ret;  // -EINVAL (or, under the API change, -ENOENT) as is
        case Policy::Kind::Eagain:
        case Policy::Kind::Bounded:
        case Policy::Kind::ReturnToUser:
        case Policy::Kind::GupLoop:
            return -EAGAIN;  // Max Boone's v1 (and GUP's "fault again"): assume a race
        case Policy::Kind::Enoent:
        case Policy::Kind::EnoentKillable:
            // Only "no present entry" retries: without the API change (-EINVAL for it) this
            // retry is never taken.
            return ret == -ENOENT ? -EAGAIN : ret;
    }
    return ret;
}

// Called by the retry loop with ret = -EAGAIN (or return-to-user's -EBUSY): true to go round
// again, false to return `ret` (possibly replaced) to the caller.
bool policy_retry(World& w, long& ret) {
    task_struct& t = w.current();
    ++t.retries;
    switch (w.policy.kind) {
        case Policy::Kind::Bounded:
            if (t.retries > static_cast<std::uint64_t>(w.policy.max_retries)) {
                ret = -EBUSY;
                return false;
            }
            return true;
        case Policy::Kind::EnoentKillable:
        case Policy::Kind::ReturnToUser:
        case Policy::Kind::GupLoop:
            // mm/gup.c __get_user_pages: fatal_signal_pending() then cond_resched() per round
            if (fatal_signal_pending(w)) {
                ret = -EINTR;
                return false;
            }
            cond_resched(w);
            return w.policy.kind != Policy::Kind::ReturnToUser;
        case Policy::Kind::Original:
        case Policy::Kind::Eagain:
        case Policy::Kind::Enoent:
            return true;
    }
    return true;
}

}  // namespace pfnsim::model
