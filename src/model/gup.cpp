// mm/gup.c: fixup_user_fault and the pin_user_pages_remote front of vaddr_get_pfns.
#include "pfnsim/model/world.hpp"
#include "pfnsim/sim/execution.hpp"

namespace pfnsim::model {

namespace {

// mm/gup.c vma_permits_fault
bool vma_permits_fault(const vm_area_struct* vma, unsigned fault_flags) {
    const bool write = (fault_flags & FAULT_FLAG_WRITE) != 0;
    return (vma->vm_flags & (write ? VM_WRITE : VM_READ)) != 0;
}

// mm/gup.c vm_fault_to_errno
int vm_fault_to_errno(vm_fault_t ret) {
    if ((ret & VM_FAULT_OOM) != 0) {
        return -ENOMEM;
    }
    if ((ret & (VM_FAULT_SIGBUS | VM_FAULT_SIGSEGV)) != 0) {
        return -EFAULT;
    }
    return 0;
}

}  // namespace

// mm/gup.c fixup_user_fault: fault the address in; VM_FAULT_RETRY means mmap_lock was dropped:
// retake it, set *unlocked and try again.
int fixup_user_fault(World& w, std::uint64_t address, unsigned fault_flags, bool* unlocked) {
    const sim::Call frame{"fixup_user_fault"};
    if (unlocked != nullptr) {
        fault_flags |= FAULT_FLAG_ALLOW_RETRY | FAULT_FLAG_KILLABLE;
    }
    for (;;) {  // retry:
        vm_area_struct* vma = vma_lookup(w, address, "gup_vma_lookup");
        if (vma == nullptr) {
            return -EFAULT;
        }
        if (!vma_permits_fault(vma, fault_flags)) {
            return -EFAULT;
        }
        if ((fault_flags & FAULT_FLAG_KILLABLE) != 0 && fatal_signal_pending(w)) {
            return -EINTR;
        }
        const vm_fault_t ret = handle_mm_fault(w, vma, address, fault_flags);
        if ((ret & VM_FAULT_COMPLETED) != 0) {
            mmap_read_lock(w);
            *unlocked = true;
            return 0;
        }
        if ((ret & VM_FAULT_ERROR) != 0) {
            return vm_fault_to_errno(ret);
        }
        if ((ret & VM_FAULT_RETRY) != 0) {
            mmap_read_lock(w);
            *unlocked = true;
            fault_flags |= FAULT_FLAG_TRIED;
            continue;
        }
        return 0;
    }
}

// mm/gup.c pin_user_pages_remote -> __get_user_pages -> check_vma_flags: VM_IO|VM_PFNMAP
// ranges have no struct pages to pin, so GUP fails with -EFAULT and vaddr_get_pfns falls back
// to follow_fault_pfn.
long pin_user_pages_remote(World& w, std::uint64_t start) {
    const sim::Call frame{"pin_user_pages_remote"};
    mmap_assert_locked(w, "__get_user_pages");
    vm_area_struct* vma = vma_lookup(w, start, "__get_user_pages");
    (void)vma;  // no vma, or VM_IO|VM_PFNMAP: either way -EFAULT (only device VMAs are modelled)
    return -EFAULT;
}

}  // namespace pfnsim::model
