// virt/kvm/kvm_main.c: a vCPU fault on a PFNMAP memslot resolves its pfn with the same
// follow -> fixup -> follow pattern as VFIO (bug catalogue B26b), under the same retry policy.
#include "pfnsim/model/world.hpp"
#include "pfnsim/sim/execution.hpp"

namespace pfnsim::model {

// virt/kvm/kvm_main.c hva_to_pfn_remapped
int hva_to_pfn_remapped(World& w, vm_area_struct* vma, std::uint64_t hva, bool write_fault,
                        std::uint64_t* pfn) {
    follow_pfnmap_args args{vma, hva};
    int r = follow_pfnmap_start(w, args);
    if (r != 0) {
        // get_user_pages fails for VM_IO and VM_PFNMAP vmas and does not call the fault
        // handler, so KVM does it here.
        bool unlocked = false;
        r = fixup_user_fault(w, hva, write_fault ? FAULT_FLAG_WRITE : 0, &unlocked);
        if (unlocked) {
            return policy_unlocked_error(w);
        }
        if (r != 0) {
            return r;
        }
        r = follow_pfnmap_start(w, args);
        if (r != 0) {
            return policy_second_follow_error(w, r);
        }
    }
    if (write_fault && !args.writable) {
        r = -EFAULT;  // KVM_PFN_ERR_RO_FAULT
    } else {
        *pfn = args.pfn;
    }
    follow_pfnmap_end(w, args);
    return r;
}

// virt/kvm/kvm_main.c hva_to_pfn (the VM_IO|VM_PFNMAP branch): 0 when the pfn resolved,
// -EFAULT for KVM_PFN_ERR_FAULT (the vCPU exits with "Bad address"), -EINTR when a fatal
// signal stopped it, and under gup-style -EAGAIN or -EBUSY: the vCPU re-enters the guest and
// faults again.
int hva_to_pfn(World& w, std::uint64_t hva, bool write_fault, std::uint64_t* pfn) {
    mmap_read_lock(w);
    long r = 0;
    int result = 0;
    sim::Loop retry_loop("hva_to_pfn: retry");
    for (;;) {  // retry:
        retry_loop.head(static_cast<std::uint64_t>(r));
        vm_area_struct* vma = vma_lookup(w, hva, "hva_to_pfn");
        if (vma == nullptr || (vma->vm_flags & (VM_IO | VM_PFNMAP)) == 0) {
            result = -EFAULT;
            break;
        }
        r = hva_to_pfn_remapped(w, vma, hva, write_fault, pfn);
        if (r == -EAGAIN || (r == -EBUSY && w.policy.kind == Policy::Kind::GupStyle)) {
            if (policy_retry(w, r)) {
                continue;
            }
        }
        if (r == 0) {
            result = 0;
        } else if (r == -EINTR ||
                   (w.policy.kind == Policy::Kind::GupStyle && (r == -EAGAIN || r == -EBUSY)) ||
                   (w.policy.kind == Policy::Kind::Bounded && r == -EBUSY)) {
            result = static_cast<int>(r);
        } else {
            result = -EFAULT;  // KVM_PFN_ERR_FAULT
        }
        break;
    }
    mmap_read_unlock(w);
    return result;
}

}  // namespace pfnsim::model
