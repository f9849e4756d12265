// Retry policies for the second follow_pfnmap_start() failure in follow_fault_pfn(): the code
// variants discussed on LKML in March 2026, selectable by name.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace pfnsim::model {

struct Policy {
    enum class Kind {
        Original,        // v6.12+: the second follow's error is returned as is (-EINVAL)
        Eagain,          // Max Boone's v1: any second-follow failure becomes -EAGAIN (unbounded)
        Bounded,         // -EAGAIN retried at most K times, then -EBUSY to userspace
        Enoent,          // follow_pfnmap_start returns -ENOENT for "no present entry"; retry
                         // only on -ENOENT
        EnoentKillable,  // Enoent plus fatal_signal_pending() -> -EINTR and cond_resched()
        ReturnToUser,    // hand the retry to userspace: a fault that dropped mmap_lock -> -EBUSY,
                         // a completed fault whose entry vanished -> -EAGAIN; after
                         // fatal_signal_pending() and cond_resched() the caller returns it
                         // (formerly "gup-style")
        GupLoop,         // what mm/gup.c __get_user_pages() does: -EBUSY/-EAGAIN stay inside,
                         // the loop retakes mmap_lock, looks the vma up again (lost: -EFAULT)
                         // and retries after fatal_signal_pending() and cond_resched()
    };
    Kind kind = Kind::Original;
    int max_retries = 0;  // Bounded only

    std::string name() const;
    // Whether the caller hands -EAGAIN/-EBUSY back to userspace (or the guest) by contract.
    bool returns_to_user() const { return kind == Kind::ReturnToUser; }
    bool operator==(const Policy&) const = default;
};

// Parses "original", "eagain", "bounded:K", "enoent", "enoent-killable", "return-to-user",
// "gup-loop", and the old name "gup-style" (= return-to-user).
std::optional<Policy> parse_policy(std::string_view s);
// A note for a policy name that is accepted under an old name ("" otherwise).
std::string policy_note(std::string_view s);
inline constexpr const char* kValidPolicies =
    "original, eagain, bounded:K (K >= 0), enoent, enoent-killable, return-to-user, gup-loop";
// The policies of the matrix, in row order.
const Policy* all_policies(std::size_t& n);

}  // namespace pfnsim::model
