// The retry policies under test, shared by the two callers of the follow -> fixup -> follow
// pattern that the March 2026 thread proposed to change: VFIO type1's follow_fault_pfn() and
// KVM's hva_to_pfn_remapped().
#include "pfnsim/model/world.hpp"

namespace pfnsim::model {

// What the caller returns when fixup_user_fault() dropped mmap_lock (*unlocked): -EAGAIN to
// look the vma up again; gup-style hands -EBUSY back (VM_FAULT_RETRY in __get_user_pages).
int policy_unlocked_error(const World& w) {
    return w.policy.kind == Policy::Kind::GupStyle ? -EBUSY : -EAGAIN;
}

// What the caller returns when the second follow_pfnmap_start() fails after a successful fault.
int policy_second_follow_error(const World& w, int ret) {
    switch (w.policy.kind) {
        case Policy::Kind::Original:
            return ret;  // -EINVAL for "no present entry"
        case Policy::Kind::Eagain:
        case Policy::Kind::Bounded:
        case Policy::Kind::GupStyle:
            return -EAGAIN;  // Max Boone's v1 (and GUP's VM_FAULT_COMPLETED): assume a race
        case Policy::Kind::Enoent:
        case Policy::Kind::EnoentKillable:
            return ret == -ENOENT ? -EAGAIN : ret;  // only "no present entry" retries
    }
    return ret;
}

// Called by the retry loop with ret = -EAGAIN (or gup-style's -EBUSY): true to go round again,
// false to return `ret` (possibly replaced) to the caller.
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
        case Policy::Kind::GupStyle:
            if (fatal_signal_pending(w)) {
                ret = -EINTR;
                return false;
            }
            cond_resched(w);
            return w.policy.kind == Policy::Kind::EnoentKillable;
        case Policy::Kind::Original:
        case Policy::Kind::Eagain:
        case Policy::Kind::Enoent:
            return true;
    }
    return true;
}

}  // namespace pfnsim::model
