// The result oracle: what a caller's result is justified by (docs/policies.md, "Verdict
// classes"), per kind (the rows of actor_kinds.cpp name the oracles), and the bookkeeping of
// what held when a call started.
#include <fmt/format.h>

#include <algorithm>
#include <cerrno>

#include "actor_kinds.hpp"
#include "pfnsim/model/world.hpp"
#include "pfnsim/sim/execution.hpp"

namespace pfnsim::model {

// Opens the oracle's window for a call that may fail with -EFAULT or SIGBUS: what holds when
// it starts (memory off, range not mapped) justifies such a result.
task_struct& World::begin_call() {
    task_struct& t = current();
    t.in_pin = true;
    t.saw_mem_disabled = false;  // each call of a repeated actor has its own window
    for (const auto& d : devices) {
        t.saw_mem_disabled = t.saw_mem_disabled || !bar_accessible(d);
    }
    t.saw_vma_gone = !range_mappable(static_cast<std::size_t>(sim::current_actor()));
    t.saw_unpopulated = !range_populated(static_cast<std::size_t>(sim::current_actor()));
    t.saw_unmapped = false;
    return t;
}

// Whether the actor's range is covered, now, by live device PFNMAP VMAs that permit the
// access: if not, -EFAULT (or SIGBUS) is the right answer. Oracle bookkeeping: no steps.
bool World::range_mappable(std::size_t actor) const {
    const ActorSpec& a = sc.actors[actor];
    const std::uint64_t end = a.vaddr + std::max<std::uint64_t>(a.size, PAGE_SIZE);
    std::uint64_t at = a.vaddr;
    while (at < end) {
        const vm_area_struct* hit = nullptr;
        for (const vm_area_struct* v : mm.mm_mt_list) {
            if (at >= v->vm_start && at < v->vm_end) {
                hit = v;
            }
        }
        if (hit == nullptr || (hit->vm_flags & VM_PFNMAP) == 0 || hit->vm_private_data == nullptr ||
            (a.write && (hit->vm_flags & VM_WRITE) == 0)) {
            return false;
        }
        // ptrace reaches a PFNMAP page only through vm_ops->access (vfio_pci_mmap_ops has none).
        if (a.kind == ActorKind::AccessPhys &&
            (hit->vm_ops == nullptr || hit->vm_ops->access == nullptr)) {
            return false;
        }
        at = hit->vm_end;
    }
    return true;
}

// Whether every page of the actor's range has a present entry now (oracle bookkeeping).
bool World::range_populated(std::size_t actor) const {
    const ActorSpec& a = sc.actors[actor];
    const std::uint64_t end = a.vaddr + std::max<std::uint64_t>(a.size, PAGE_SIZE);
    // A leaf covers its whole PUD or PMD: step to the next one instead of page by page.
    std::uint64_t at = a.vaddr & PAGE_MASK;
    while (at < end) {
        const auto pud = mm.pgtable.pud.find(at & PUD_MASK);
        if (pud == mm.pgtable.pud.end() || pud->second.e.kind == pt_entry::Kind::none) {
            return false;
        }
        if (pud->second.e.kind == pt_entry::Kind::leaf) {
            at = (at & PUD_MASK) + PUD_SIZE;
            continue;
        }
        const auto pmd = mm.pgtable.pmd.find(at & PMD_MASK);
        if (pmd == mm.pgtable.pmd.end() || pmd->second.e.kind == pt_entry::Kind::none) {
            return false;
        }
        if (pmd->second.e.kind == pt_entry::Kind::leaf) {
            at = (at & PMD_MASK) + PMD_SIZE;
            continue;
        }
        const auto pte = mm.pgtable.pte.find(at);
        if (pte == mm.pgtable.pte.end() || !entry_leaf(pte->second.e)) {
            return false;
        }
        at += PAGE_SIZE;
    }
    return true;
}

// The oracles: the class of result r for this caller, from what happened during the call.
// ok: today's interface gives it in this situation; new_errno: a return the caller's
// interface never gave before the policy or the API change, given where the caller could
// retry (a bounded retry gave up, the retry was handed to userspace, or -ENOENT for a failure
// today's kernel reports as -EINVAL); wrong: a return no caller should get. A caller without
// a fault-in fails rightly when the range was not populated or a zap, BO move or munmap
// removed entries (no_entry); a split does not justify it (the kernel's own transient clearing
// of an entry it would refault).
namespace {
using C = ResultClass;
C when(bool justified) {
    return justified ? C::ok : C::wrong;
}
C new_when(bool justified) {
    return justified ? C::new_errno : C::wrong;
}
}  // namespace

ResultClass oracle_none(const OracleCase& /*c*/) {
    return C::ok;
}

ResultClass oracle_pin(const OracleCase& c) {
    switch (c.r) {
        case 0:
            return C::ok;
        case -EFAULT:
            return when(c.gone);
        case -EINTR:
            return when(c.t.sigkill_pending);
        case -ENOMEM:  // fixup_user_fault's VM_FAULT_OOM after an injected failure
            return when(c.t.alloc_failed);
        case -EEXIST:
            return when(c.t.saw_overlap);
        case -EBUSY:  // bounded gives up; but a disabled BAR or lost vma is -EFAULT
            return new_when((c.bounded && !c.gone) || c.to_user);
        case -EAGAIN:
            return new_when(c.to_user);
        default:
            // -EINVAL, and -ENOENT: a disabled BAR is -EFAULT (the refault SIGBUSes)
            return C::wrong;
    }
}

ResultClass oracle_kvm(const OracleCase& c) {
    switch (c.r) {
        case 0:
            return C::ok;
        case -EFAULT:  // KVM_PFN_ERR_FAULT: "KVM run failed Bad address"; hva_to_pfn() turns
                       // fixup_user_fault()'s -ENOMEM (VM_FAULT_OOM) into it as well
            return when(c.gone || c.t.sigkill_pending || c.t.alloc_failed);
        case kKvmRoFault:
            return when(c.a.write);  // only a write fault can see a read-only entry
        case -EINTR:  // vcpu_run's xfer_to_guest_mode_handle_work: any signal ends KVM_RUN
            return when(c.t.sigkill_pending || c.t.sigpending);
        case -ENOMEM:
            return when(c.t.alloc_failed);
        default:  // -EAGAIN/-EBUSY too: return-to-user re-enters the guest, KVM_RUN never
                  // returns them for a fault
            return C::wrong;
    }
}

ResultClass oracle_s390_mmio(const OracleCase& c) {
    switch (c.r) {
        case 0:
            return C::ok;
        case -EINVAL:  // no usable vma, or the fault could not map it
            return when(c.gone);
        case -EACCES:
            return C::ok;  // static: the vma's permission (checked by `allowed`)
        case -EINTR:
            return when(c.t.sigkill_pending);
        case -EBUSY:
            return new_when((c.bounded && !c.gone) || c.to_user);
        case -EAGAIN:
            return new_when(c.to_user);
        case -ENOENT:  // the API change: today's -EINVAL for a BAR that is gone
            return new_when(c.gone);
        case -EFAULT:  // gup-loop: GUP's faultin_page() ends on VM_FAULT_SIGBUS (a disabled BAR,
                       // a lost vma) where today's syscall gives -EINVAL
            return new_when(c.gone);
        case -ENOMEM:  // gup-loop: fixup_user_fault()'s VM_FAULT_OOM after an injected failure
            return when(c.t.alloc_failed);
        default:
            return C::wrong;
    }
}

ResultClass oracle_acrn_map(const OracleCase& c) {
    switch (c.r) {
        case 0:
            return C::ok;
        case -EINVAL:  // a page without an entry (ACRN never faults) or not contiguous
            return when(c.no_entry);
        case -EFAULT:
            return C::ok;  // static: not VM_PFNMAP (pin_user_pages_fast)
        case -ENOENT:      // the API change: today's -EINVAL for a page without an entry
            return new_when(c.no_entry);
        default:
            return C::wrong;
    }
}

// -EIO: no vm_ops->access or nothing to access (no_entry: gone covers a vma without
// ->access), or ttm_bo_vm_access()'s reservation wait interrupted by a signal.
ResultClass oracle_access_phys(const OracleCase& c) {
    return when(c.r == 0 || (c.r == -EIO && (c.no_entry || c.t.sigpending || c.t.sigkill_pending)));
}

// vfio_pci_bar_rw: -EIO while the BAR is inaccessible; -EFAULT when the copy's fault fails
// (in kernel mode SIGBUS, SIGSEGV and OOM all end in the exception fixup): the buffer's BAR
// disabled or its vma unmapped, or an injected allocation failure.
ResultClass oracle_bar_rw(const OracleCase& c) {
    switch (c.r) {
        case 0:
            return C::ok;
        case -EIO:
            return when(c.gone);
        case -EFAULT:
            return when(c.gone || c.t.alloc_failed);
        default:
            return C::wrong;
    }
}

ResultClass oracle_fault(const OracleCase& c) {
    switch (c.r) {
        case 0:
            return C::ok;
        case kSigbus:
            return when(c.gone);
        case -ENOMEM:  // VM_FAULT_OOM: only an allocation failure is behind it
            return when(c.t.alloc_failed);
        default:
            return C::wrong;
    }
}

std::string World::result(sim::ActorId id) const {
    return tasks[id].finished ? result_name(tasks[id].result) : std::string();
}

void World::check_results(std::vector<sim::Violation>& out) const {
    for (std::size_t i = 0; i < sc.actors.size(); ++i) {
        const ActorSpec& a = sc.actors[i];
        const task_struct& t = tasks[i];
        if (!t.finished) {
            continue;
        }
        const int r = t.result;
        // A SIGKILL injected by a fault site is beyond what the scenario planned for: -EINTR is
        // then allowed (the oracle below still requires the signal).
        // The oracle decides the class; `allowed` can only narrow what is ok (a result the
        // scenario's author rules out), never make a new errno or a wrong return ok.
        const bool gone = t.saw_mem_disabled || t.saw_vma_gone;
        const OracleCase oc{a,
                            t,
                            r,
                            gone,
                            gone || t.saw_unpopulated || t.saw_unmapped,
                            policy.returns_to_user(),
                            policy.kind == Policy::Kind::Bounded};
        ResultClass c = actor_kind_row(a.kind).oracle(oc);
        const bool listed = a.allowed.empty() ||
                            std::find(a.allowed.begin(), a.allowed.end(), r) != a.allowed.end() ||
                            (r == -EINTR && t.sigkill_injected) || (r == -ENOMEM && t.alloc_failed);
        if (c == ResultClass::ok && !listed) {
            c = ResultClass::wrong;
        }
        if (c == ResultClass::new_errno) {
            out.push_back({sim::ViolationKind::NewErrno, a.name,
                           fmt::format("{} returned {}", a.name, result_name(r))});
        } else if (c == ResultClass::wrong) {
            out.push_back({sim::ViolationKind::WrongReturn, a.name,
                           fmt::format("{} returned {}", a.name, result_name(r))});
        }
    }
}

}  // namespace pfnsim::model
