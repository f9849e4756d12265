// mm/huge_memory.c: huge pfnmap inserts and splits.
#include "pfnsim/model/world.hpp"
#include "pfnsim/sim/execution.hpp"

namespace pfnsim::model {

namespace {

// mm/huge_memory.c insert_pfn_pud / insert_pfn_pmd: install a special leaf under the level's
// lock unless something is there already.
vm_fault_t insert_pfn_huge(World& w, vm_fault& vmf, Level l, std::uint64_t pfn) {
    vm_area_struct* vma = vmf.vma;
    const std::uint64_t addr = vmf.address & ~(level_size(l) - 1);
    if (addr < vma->vm_start || addr >= vma->vm_end) {
        return VM_FAULT_SIGBUS;
    }
    pt_slot& slot = pt_offset(w, l, addr);
    sim::SpinLock& ptl = pt_lockptr(w, l, addr);
    ptl.lock(l == Level::PUD ? sim::Name("pud_lock") : sim::Name("pmd_lock"));
    const pt_entry cur = pt_get(
        w, l, slot, l == Level::PUD ? sim::Name("insert_pfn_pud") : sim::Name("insert_pfn_pmd"));
    if (cur.kind == pt_entry::Kind::none) {
        // pfn_t_pud(pfn, vma->vm_page_prot): a shared writable mapping maps writable. A huge
        // entry has room only for the order-aligned bits of the pfn (pud_pfn/pmd_pfn mask the
        // rest): an unaligned pfn maps the rounded-down range.
        const bool writable = vm_page_prot_writable(vma);
        const std::uint64_t order_pfns = level_size(l) >> PAGE_SHIFT;
        const std::uint64_t stored = pfn & ~(order_pfns - 1);
        pt_set(w, l, addr, slot, pt_entry{pt_entry::Kind::leaf, stored, writable, true},
               l == Level::PUD ? sim::Name("insert_pfn_pud") : sim::Name("insert_pfn_pmd"));
        check_leaf_maps_offset(w, vma, addr, stored, l);
    }
    ptl.unlock("spin_unlock");
    return VM_FAULT_NOPAGE;
}

// mm/huge_memory.c __split_huge_pud_locked / __split_huge_pmd_locked for a special (pfnmap)
// mapping: there is nothing to split into, the entry is simply cleared.
void split_huge(World& w, Level l, std::uint64_t address) {
    const std::uint64_t haddr = address & ~(level_size(l) - 1);
    pt_slot& slot = pt_offset(w, l, haddr);
    sim::SpinLock& ptl = pt_lockptr(w, l, haddr);
    ptl.lock(l == Level::PUD ? sim::Name("__split_huge_pud") : sim::Name("__split_huge_pmd"));
    if (entry_leaf(pt_get(
            w, l, slot,
            l == Level::PUD ? sim::Name("__split_huge_pud") : sim::Name("__split_huge_pmd")))) {
        pt_get_and_clear(w, l, slot,
                         l == Level::PUD ? sim::Name("pudp_huge_clear_flush")
                                         : sim::Name("pmdp_huge_clear_flush"));
    }
    ptl.unlock("spin_unlock");
}

}  // namespace

// mm/huge_memory.c vmf_insert_pfn_pud
vm_fault_t vmf_insert_pfn_pud(World& w, vm_fault& vmf, std::uint64_t pfn, bool /*write*/) {
    const sim::Call frame{"vmf_insert_pfn_pud"};
    return insert_pfn_huge(w, vmf, Level::PUD, pfn);
}

// mm/huge_memory.c vmf_insert_pfn_pmd
vm_fault_t vmf_insert_pfn_pmd(World& w, vm_fault& vmf, std::uint64_t pfn, bool /*write*/) {
    const sim::Call frame{"vmf_insert_pfn_pmd"};
    return insert_pfn_huge(w, vmf, Level::PMD, pfn);
}

// include/linux/huge_mm.h split_huge_pud: __split_huge_pud (mm/huge_memory.c) only when
// pud_trans_huge() holds, so its mmu_notifier_invalidate_range_start() and _end() run only for a
// huge entry. `pud` is the caller's lockless read of the entry, standing for the macro's own
// read of it (the model folds the two adjacent reads into one step).
void split_huge_pud(World& w, vm_area_struct* /*vma*/, std::uint64_t address, const pt_entry& pud) {
    if (!entry_leaf(pud)) {
        return;
    }
    const sim::Call frame{"split_huge_pud"};
    mmu_notifier_invalidate_range_start(w);
    split_huge(w, Level::PUD, address);
    mmu_notifier_invalidate_range_end(w);
}

// include/linux/huge_mm.h split_huge_pmd: __split_huge_pmd (mm/huge_memory.c), between
// mmu_notifier_invalidate_range_start() and _end(), only when pmd_trans_huge() holds for the
// caller's read of the entry (as for split_huge_pud).
void split_huge_pmd(World& w, vm_area_struct* /*vma*/, std::uint64_t address, const pt_entry& pmd) {
    if (!entry_leaf(pmd)) {
        return;
    }
    const sim::Call frame{"split_huge_pmd"};
    mmu_notifier_invalidate_range_start(w);
    split_huge(w, Level::PMD, address);
    mmu_notifier_invalidate_range_end(w);
}

}  // namespace pfnsim::model
