// include/linux/uaccess.h and arch/x86/lib: copy_to_user / copy_from_user. The copy is a kernel
// access to a user address: the CPU walks the page table; an absent entry (or a read-only one
// for a store) raises a fault that do_user_addr_fault() handles in place, whatever locks the
// copying kernel path holds, and the access is retried; a fault that fails is fixed up through
// the exception table (the copy returns what it did not copy: -EFAULT to the caller).
#include "pfnsim/model/world.hpp"
#include "pfnsim/sim/execution.hpp"
#include "pfnsim/sim/sync.hpp"

namespace pfnsim::model {

namespace {

// The CPU's walk for the access (no lock: the hardware walker): true if a present leaf maps
// uaddr, writable where the access is a store.
bool access_translates(World& w, std::uint64_t uaddr, bool store, sim::Name func) {
    for (const Level l : {Level::PUD, Level::PMD, Level::PTE}) {
        const pt_entry e = pt_get(w, l, pt_offset(w, l, uaddr), func);
        if (e.kind == pt_entry::Kind::none) {
            return false;
        }
        if (e.kind == pt_entry::Kind::leaf) {
            return !store || e.writable;
        }
    }
    return false;
}

// raw_copy_{to,from}_user with its exception-table fixup: the access, a fault and the access
// again, until it translates or the fault fails.
std::uint64_t user_copy(World& w, std::uint64_t uaddr, std::uint64_t len, bool store,
                        sim::Name func) {
    const sim::Call frame{func};
    might_fault(w);
    sim::Loop again(store ? sim::Name("copy_to_user: fault, then the store again")
                          : sim::Name("copy_from_user: fault, then the load again"));
    for (;;) {
        again.head(uaddr);
        if (access_translates(w, uaddr, store, func)) {
            return 0;
        }
        // arch/x86/mm/fault.c: a kernel-mode fault on a user address; SIGBUS, SIGSEGV and OOM
        // all end in kernelmode_fixup_or_oops() -> the exception fixup.
        if (do_user_addr_fault(w, uaddr, store, false) != 0) {
            return len;
        }
    }
}

}  // namespace

// mm/memory.c __might_fault (CONFIG_PROVE_LOCKING or CONFIG_DEBUG_ATOMIC_SLEEP): the copy may
// sleep in the fault (__might_sleep: a check, not a scheduling point), under mmap_lock (read).
void might_fault(World& w) {
    might_sleep_check(w);
    sim::might_lock_read(w.mm.mmap_lock);  // "if (current->mm) might_lock_read(&mm->mmap_lock)"
}

std::uint64_t copy_to_user(World& w, std::uint64_t uaddr, std::uint64_t len) {
    return user_copy(w, uaddr, len, true, "copy_to_user");
}

std::uint64_t copy_from_user(World& w, std::uint64_t uaddr, std::uint64_t len) {
    return user_copy(w, uaddr, len, false, "copy_from_user");
}

}  // namespace pfnsim::model
