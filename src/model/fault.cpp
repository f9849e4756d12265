// arch/x86/mm/fault.c: do_user_addr_fault, for a CPU access by the task (user mode) and for a
// kernel access to a user address (a user copy: exception-table fixup, no per-VMA lock).
#include <cerrno>

#include "pfnsim/model/world.hpp"
#include "pfnsim/sim/execution.hpp"

namespace pfnsim::model {

// arch/x86/mm/fault.c mm_fault_error: VM_FAULT_OOM goes to pagefault_out_of_memory(), reported
// as -ENOMEM; SIGBUS and SIGSEGV are delivered to the task.
int mm_fault_result(vm_fault_t f) {
    return (f & VM_FAULT_OOM) != 0 ? -ENOMEM : (f & VM_FAULT_ERROR) != 0 ? kSigbus : 0;
}

// arch/x86/mm/fault.c do_user_addr_fault: the per-VMA lock first (lock_vma_under_rcu), for a
// user-mode fault only ("if (!(flags & FAULT_FLAG_USER)) goto lock_mmap"); a fault it cannot
// finish there (VM_FAULT_RETRY, the lock dropped) or no VMA to lock goes round under mmap_lock
// (lock_mmap:). Returns 0, kSigbus (SIGBUS or SIGSEGV: bad_area) or -ENOMEM.
int do_user_addr_fault(World& w, std::uint64_t address, bool write, bool user) {
    unsigned flags = FAULT_FLAG_ALLOW_RETRY | FAULT_FLAG_KILLABLE | (user ? FAULT_FLAG_USER : 0) |
                     (write ? FAULT_FLAG_WRITE : 0);
    if (user) {
        if (vm_area_struct* vma = lock_vma_under_rcu(w, address); vma != nullptr) {
            const vm_fault_t f = handle_mm_fault(w, vma, address, flags | FAULT_FLAG_VMA_LOCK);
            if ((f & VM_FAULT_RETRY) == 0) {
                vma_end_read(w, vma);
                return mm_fault_result(f);
            }
            // VM_FAULT_RETRY: the lock is dropped; no VM_FAULT_MAJOR here, so no
            // FAULT_FLAG_TRIED. fault_signal_pending() is not modelled (nor on the mmap_lock
            // path below).
        }
    }
    for (;;) {              // lock_mmap: retry:
        mmap_read_lock(w);  // lock_mm_and_find_vma
        vm_area_struct* vma = vma_lookup(w, address, "lock_mm_and_find_vma");
        if (vma == nullptr) {
            mmap_read_unlock(w);
            return kSigbus;  // bad_area: SIGSEGV in the kernel; reported as a fatal signal
        }
        const vm_fault_t f = handle_mm_fault(w, vma, address, flags);
        if ((f & VM_FAULT_RETRY) != 0) {
            flags |= FAULT_FLAG_TRIED;
            continue;
        }
        mmap_read_unlock(w);
        return mm_fault_result(f);
    }
}

}  // namespace pfnsim::model
