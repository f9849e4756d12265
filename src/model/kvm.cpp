// virt/kvm/kvm_main.c and arch/x86/kvm/mmu/mmu.c: a vCPU fault on a PFNMAP memslot resolves its
// pfn with the same follow -> fixup -> follow pattern as VFIO, under the same retry policy,
// and re-checks the mmu_notifier invalidation sequence before it uses the pfn.
#include "pfnsim/model/world.hpp"
#include "pfnsim/sim/execution.hpp"

namespace pfnsim::model {

// virt/kvm/kvm_main.c hva_to_pfn_remapped: 0 with *pfn set (or kKvmRoFault for a write to a
// read-only entry), or an error.
int hva_to_pfn_remapped(World& w, vm_area_struct* vma, std::uint64_t hva, bool write_fault,
                        std::uint64_t* pfn) {
    const sim::Call frame{"hva_to_pfn_remapped"};
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
        r = kKvmRoFault;  // *p_pfn = KVM_PFN_ERR_RO_FAULT; goto out
    } else {
        *pfn = args.pfn;
    }
    follow_pfnmap_end(w, args);
    return r;
}

// virt/kvm/kvm_main.c hva_to_pfn (the VM_IO|VM_PFNMAP branch): -EAGAIN goes round again, any
// other error, -EINTR included, is KVM_PFN_ERR_FAULT (returned as -EFAULT). The retry policies
// add their checks to the -EAGAIN round; return-to-user hands -EAGAIN/-EBUSY back (the vCPU
// re-enters the guest and faults again).
int hva_to_pfn(World& w, std::uint64_t hva, bool write_fault, std::uint64_t* pfn) {
    const sim::Call frame{"hva_to_pfn"};
    mmap_read_lock(w);
    long r = 0;
    int result = 0;
    sim::Loop retry_loop("hva_to_pfn: retry");
    for (;;) {  // retry:
        retry_loop.head(static_cast<std::uint64_t>(r));
        vm_area_struct* vma = vma_lookup(w, hva, "hva_to_pfn");
        if (vma == nullptr || (vma->vm_flags & (VM_IO | VM_PFNMAP)) == 0) {
            result = -EFAULT;  // KVM_PFN_ERR_FAULT
            break;
        }
        r = hva_to_pfn_remapped(w, vma, hva, write_fault, pfn);
        if (r == -EAGAIN || (r == -EBUSY && w.policy.returns_to_user())) {
            if (policy_retry(w, r)) {
                continue;  // goto retry
            }
        }
        const bool to_guest = w.policy.returns_to_user() && (r == -EAGAIN || r == -EBUSY);
        // Anything else is KVM_PFN_ERR_FAULT: -EINTR, -EBUSY, -EINVAL, -ENOENT alike.
        result = r == 0 || r == kKvmRoFault || to_guest ? static_cast<int>(r) : -EFAULT;
        break;
    }
    mmap_read_unlock(w);
    return result;
}

// arch/x86/kvm/mmu/mmu.c kvm_mmu_faultin_pfn with the vCPU's fault loop around it
// (kvm_mmu_do_page_fault returning RET_PF_RETRY re-enters the guest, which faults again):
// snapshot mmu_invalidate_seq, give up early while an invalidation is in progress, resolve the
// pfn, hand an error pfn to kvm_handle_error_pfn (-EFAULT; RO_FAULT is emulated), and retry if
// an invalidation ran meanwhile (mmu_invalidate_retry_gfn). Returns 0 once the pfn would be
// installed.
int kvm_mmu_faultin_pfn(World& w, std::uint64_t hva, bool write_fault) {
    const sim::Call frame{"kvm_mmu_faultin_pfn"};
    kvm_mmu_invalidate& k = w.mm.kvm;
    sim::Loop pf_loop("kvm_mmu_page_fault: RET_PF_RETRY");
    for (;;) {
        pf_loop.head(0);
        sim::point(sim::Op::Read, k.obj, "kvm_mmu_faultin_pfn", "mmu_seq = mmu_invalidate_seq");
        task_struct& t = w.current();
        t.mmu_seq = k.seq;  // fault->mmu_seq
        t.mmu_seq_taken = true;
        if (k.in_progress != 0) {
            sim::annotate("mmu_invalidate_in_progress: RET_PF_RETRY");
            continue;
        }
        std::uint64_t pfn = 0;
        const int r = hva_to_pfn(w, hva, write_fault, &pfn);  // __kvm_faultin_pfn
        if (r != 0) {
            return r;  // is_error_pfn -> kvm_handle_error_pfn (or RO_FAULT: RET_PF_EMULATE)
        }
        sim::point(sim::Op::Read, k.obj, "mmu_invalidate_retry_gfn", "sequence unchanged");
        if (k.in_progress != 0 || k.seq != t.mmu_seq) {
            sim::annotate("invalidated meanwhile: RET_PF_RETRY");
            continue;
        }
        return 0;
    }
}

}  // namespace pfnsim::model
