// virt/kvm/kvm_main.c, arch/x86/kvm/mmu/mmu.c, arch/x86/kvm/x86.c and kernel/entry/kvm.c: a
// vCPU fault on a PFNMAP memslot resolves its pfn with the same follow -> fixup -> follow
// pattern as VFIO, under the same retry policy, and re-checks the mmu_notifier invalidation
// sequence before it uses the pfn. A RET_PF_RETRY goes back to vcpu_run(), which exits to
// userspace on a pending signal and reschedules before it re-enters the guest.
#include "pfnsim/model/world.hpp"
#include "pfnsim/sim/execution.hpp"

namespace pfnsim::model {

namespace {

// Not a result: the fault re-enters the guest (RET_PF_RETRY), which faults again. Under
// return-to-user hva_to_pfn() hands its -EAGAIN/-EBUSY back this way: for KVM the "user" the
// retry goes back to is the guest, and KVM_RUN gives the VMM no errno for it.
constexpr int kRetPfRetry = 1002;

// virt/kvm/kvm_main.c hva_to_pfn_fast: get_user_page_fast_only(), GUP-fast's lockless walk. A
// pfnmap entry is special (or none): GUP-fast never takes it, whatever it reads. One read of the
// PUD stands for the walk (the levels below fail the same way).
bool hva_to_pfn_fast(World& w, std::uint64_t hva) {
    const sim::Call frame{"hva_to_pfn_fast"};
    (void)pt_get(w, Level::PUD, pt_offset(w, Level::PUD, hva), "gup_fast_pud_range");
    return false;  // pud_special / pte_special: not a page GUP can take
}

// virt/kvm/kvm_main.c hva_to_pfn_slow: get_user_pages_unlocked() takes mmap_lock itself, and
// __get_user_pages()' check_vma_flags() refuses VM_IO|VM_PFNMAP with -EFAULT before any fault
// (a missing vma is -EFAULT as well); the lock is dropped again.
int hva_to_pfn_slow(World& w, std::uint64_t hva) {
    const sim::Call frame{"hva_to_pfn_slow"};
    mmap_read_lock(w);
    (void)vma_lookup(w, hva, "__get_user_pages");
    mmap_read_unlock(w);
    return -EFAULT;  // only device VMAs are modelled: check_vma_flags fails for each
}

}  // namespace

// virt/kvm/kvm_main.c hva_to_pfn_remapped: 0 with *pfn and *writable set (or kKvmRoFault for
// a write to a read-only entry), or an error. The historical forms ([kernel]
// hva_to_pfn_remapped) differ in what they do after the follow.
int hva_to_pfn_remapped(World& w, vm_area_struct* vma, std::uint64_t hva, bool write_fault,
                        bool* writable, std::uint64_t* pfn) {
    const sim::Call frame{"hva_to_pfn_remapped"};
    const unsigned tried = policy_fault_flags(w);  // gup-loop's FOLL_TRIED pass
    follow_pfnmap_args args{vma, hva};
    int r = follow_pfnmap_start(w, args);
    if (r != 0) {
        // get_user_pages fails for VM_IO and VM_PFNMAP vmas and does not call the fault
        // handler, so KVM does it here.
        bool unlocked = false;
        r = fixup_user_fault(w, hva, (write_fault ? FAULT_FLAG_WRITE : 0) | tried, &unlocked);
        // add6a0cd1c5b: mmap_lock was dropped, so the vma may be gone: -EAGAIN, and hva_to_pfn()
        // looks it up again. The withdrawn 2020 patch went on with the old vma (B04).
        if (unlocked && w.sc.hva_to_pfn_remapped != HvaToPfnRemappedVariant::Withdrawn2020) {
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
    if (w.sc.hva_to_pfn_remapped == HvaToPfnRemappedVariant::PreBd2fae8da794) {
        // Before bd2fae8da794: follow_pfn() gave the pfn alone and KVM assumed the entry
        // writable (*writable = true), whatever the fault.
        *writable = true;
        *pfn = args.pfn;
    } else if (write_fault && !args.writable) {
        r = kKvmRoFault;  // *p_pfn = KVM_PFN_ERR_RO_FAULT; goto out
    } else {
        *writable = args.writable;
        *pfn = args.pfn;
    }
    follow_pfnmap_end(w, args);
    return r;
}

// virt/kvm/kvm_main.c hva_to_pfn: GUP-fast, then GUP (both fail for a PFNMAP vma), then the
// VM_IO|VM_PFNMAP branch under mmap_lock: -EAGAIN goes round again, any other error, -EINTR
// included, is KVM_PFN_ERR_FAULT (returned as -EFAULT). The retry policies add their checks to
// the -EAGAIN round; return-to-user hands -EAGAIN/-EBUSY back to the guest (kRetPfRetry), whose
// access faults again.
int hva_to_pfn(World& w, std::uint64_t hva, bool write_fault, bool* writable, std::uint64_t* pfn) {
    const sim::Call frame{"hva_to_pfn"};
    might_sleep(w);
    if (hva_to_pfn_fast(w, hva)) {
        return 0;
    }
    const int npages = hva_to_pfn_slow(w, hva);
    (void)npages;  // -EFAULT: not 1, -EINTR, -EAGAIN or -EHWPOISON; on to the vma
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
        r = hva_to_pfn_remapped(w, vma, hva, write_fault, writable, pfn);
        if (w.policy.returns_to_user() && (r == -EAGAIN || r == -EBUSY)) {
            // The retry goes back to the guest: vcpu_run() checks signals and reschedules.
            ++w.current().retries;
            sim::annotate("return-to-user: RET_PF_RETRY");
            result = kRetPfRetry;
            break;
        }
        if (r == -EAGAIN && policy_retry(w, r)) {
            continue;  // goto retry
        }
        // Anything else is KVM_PFN_ERR_FAULT: -EINTR, -EBUSY, -EINVAL, -ENOENT alike.
        result = r == 0 || r == kKvmRoFault ? static_cast<int>(r) : -EFAULT;
        break;
    }
    mmap_read_unlock(w);
    return result;
}

// arch/x86/kvm/mmu/mmu.c kvm_mmu_faultin_pfn, one fault: snapshot mmu_invalidate_seq, give up
// early while an invalidation is in progress, resolve the pfn, hand an error pfn to
// kvm_handle_error_pfn (-EFAULT; RO_FAULT is emulated), and retry if an invalidation ran
// meanwhile (mmu_invalidate_retry_gfn). Returns 0 once the pfn would be installed, kRetPfRetry
// for RET_PF_RETRY, or the error.
int kvm_mmu_faultin_pfn(World& w, std::uint64_t hva, bool write_fault) {
    const sim::Call frame{"kvm_mmu_faultin_pfn"};
    kvm_mmu_invalidate& k = w.mm.kvm;
    sim::point(sim::Op::Read, k.obj, "kvm_mmu_faultin_pfn", "mmu_seq = mmu_invalidate_seq");
    task_struct& t = w.current();
    t.mmu_seq = k.seq;  // fault->mmu_seq
    t.mmu_seq_taken = true;
    if (k.in_progress != 0) {
        sim::annotate("mmu_invalidate_in_progress: RET_PF_RETRY");
        return kRetPfRetry;
    }
    std::uint64_t pfn = 0;
    bool writable = false;
    const int r = hva_to_pfn(w, hva, write_fault, &writable, &pfn);  // __kvm_faultin_pfn
    if (r != 0) {
        return r;  // is_error_pfn -> kvm_handle_error_pfn (or RO_FAULT: RET_PF_EMULATE)
    }
    sim::point(sim::Op::Read, k.obj, "mmu_invalidate_retry_gfn", "sequence unchanged");
    if (k.in_progress != 0 || k.seq != t.mmu_seq) {
        sim::annotate("invalidated meanwhile: RET_PF_RETRY");
        return kRetPfRetry;
    }
    // kvm_tdp_mmu_map / direct_map: the SPTE is writable when the host entry was reported
    // writable (I-PROT: not when the entry the process has is read-only).
    check_mapping_prot(w, hva, pfn, writable, "kvm_tdp_mmu_map");
    return 0;
}

// kernel/entry/kvm.c xfer_to_guest_mode_handle_work: any pending signal ends KVM_RUN with
// -EINTR (kvm_handle_signal_exit: KVM_EXIT_INTR); _TIF_NEED_RESCHED calls schedule(), under
// every preemption model. The resched is a voluntary scheduling point, as cond_resched() is.
int xfer_to_guest_mode_handle_work(World& w) {
    const sim::Call frame{"xfer_to_guest_mode_handle_work"};
    if (signal_pending(w)) {
        return -EINTR;
    }
    sim::point(sim::Op::Yield, sim::kNoObject, "schedule", "need_resched");
    return 0;
}

// arch/x86/kvm/x86.c vcpu_run: vcpu_enter_guest() runs the guest until its access faults
// (handle_ept_violation -> kvm_mmu_page_fault); a RET_PF_RETRY returns 1 to this loop, which
// handles the pending work before it enters the guest again. 0 (the pfn installed), an error
// or RO_FAULT (the emulated access) ends the ioctl.
int vcpu_run(World& w, std::uint64_t hva, bool write_fault) {
    const sim::Call frame{"vcpu_run"};
    sim::Loop run_loop("vcpu_run: RET_PF_RETRY");
    for (;;) {
        run_loop.head(0);
        const int r = kvm_mmu_faultin_pfn(w, hva, write_fault);
        if (r != kRetPfRetry) {
            return r;
        }
        const int work = xfer_to_guest_mode_handle_work(w);
        if (work != 0) {
            return work;
        }
    }
}

}  // namespace pfnsim::model
