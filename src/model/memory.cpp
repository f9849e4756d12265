// mm/memory.c: follow_pfnmap_start/end, handle_mm_fault, vmf_insert_pfn and the zap of a range.
#include <fmt/format.h>

#include "pfnsim/model/world.hpp"
#include "pfnsim/sim/execution.hpp"

namespace pfnsim::model {

namespace {

// mm/memory.c pfnmap_args_setup: fill the outputs; -EFAULT when the caller asked for a writable
// mapping (args->write) and the entry is read-only (the caller then drops the lock).
int pfnmap_args_setup(follow_pfnmap_args& args, sim::SpinLock* lock, pt_slot* slot,
                      const pt_entry& e, std::uint64_t addr_mask) {
    if (!e.writable && args.write) {
        return -EFAULT;
    }
    args.lock = lock;
    args.entry = slot;
    args.writable = e.writable;
    args.special = e.special;
    args.addr_mask = addr_mask;
    args.pfn = e.pfn + ((args.address & ~addr_mask) >> PAGE_SHIFT);
    return 0;
}

// The error for "no present entry": -EINVAL today, -ENOENT under the API change proposed in
// the thread ([kernel] follow_pfnmap_errno = "enoent"); bad arguments stay -EINVAL.
int no_entry_error(const World& w) {
    return w.follow_errno() == FollowErrno::Enoent ? -ENOENT : -EINVAL;
}

// mm/memory.c create_huge_pud / create_huge_pmd: vm_ops->huge_fault if the driver has one
// (vfio-pci does; TTM no longer does; mmap_mem_ops has none), else VM_FAULT_FALLBACK.
// vfio_pci_mmap_ops has .huge_fault only under CONFIG_ARCH_SUPPORTS_HUGE_PFNMAP, and
// create_huge_pud() calls it only with HAVE_ARCH_TRANSPARENT_HUGEPAGE_PUD
// (ARCH_SUPPORTS_PUD_PFNMAP): s390 has neither, arm64 the first ([kernel] arch).
vm_fault_t huge_fault(World& w, vm_fault& vmf, unsigned order) {
    if (vmf.vma->vm_ops == nullptr || vmf.vma->vm_ops->huge_fault == nullptr ||
        !arch_supports_huge_pfnmap(w.sc.arch) ||
        (order == PUD_ORDER && !arch_supports_pud_pfnmap(w.sc.arch))) {
        return VM_FAULT_FALLBACK;
    }
    return vmf.vma->vm_ops->huge_fault(w, vmf, order);
}

// mm/memory.c do_fault: without vm_ops->fault ("the VMA was not fully populated on mmap()",
// mmap_mem_ops) the PTE is read again under its lock: none is VM_FAULT_SIGBUS, else NOPAGE;
// otherwise __do_fault: vm_ops->fault (vfio_pci_mmap_page_fault, ttm_bo_vm_fault), never under
// the per-VMA lock alone.
vm_fault_t do_fault(World& w, vm_fault& vmf) {
    const sim::Call frame{"do_fault"};
    if (vmf.vma->vm_ops == nullptr) {
        // vma_is_anonymous(): do_anonymous_page() refuses a shared mapping ("file mapping
        // without ->vm_ops?"): a BAR vfio_pci_mmap() filled before abafbc551fdd, once zapped.
        return VM_FAULT_SIGBUS;
    }
    if (vmf.vma->vm_ops->fault == nullptr) {
        const std::uint64_t addr = vmf.address & PAGE_MASK;
        // pte_offset_map_lock fails without a PTE table
        if (pt_get(w, Level::PMD, pt_offset(w, Level::PMD, addr), "pte_offset_map_lock").kind !=
            pt_entry::Kind::table) {
            return VM_FAULT_SIGBUS;
        }
        sim::SpinLock& ptl = pt_lockptr(w, Level::PTE, addr);
        ptl.lock("pte_offset_map_lock");
        const pt_entry pte = pt_get(w, Level::PTE, pt_offset(w, Level::PTE, addr), "do_fault");
        ptl.unlock("pte_unmap_unlock");
        return entry_present(pte) ? VM_FAULT_NOPAGE : VM_FAULT_SIGBUS;
    }
    // do_read_fault / do_shared_fault -> vmf_can_call_fault: only a vm_ops with ->map_pages is
    // audited to fault under the per-VMA lock alone; any other drops it and retries under
    // mmap_lock (->huge_fault is not gated: create_huge_pud/pmd call it directly).
    if ((vmf.flags & FAULT_FLAG_VMA_LOCK) != 0 && vmf.vma->vm_ops->map_pages == nullptr) {
        vma_end_read(w, vmf.vma);
        return VM_FAULT_RETRY;
    }
    return vmf.vma->vm_ops->fault(w, vmf);
}

// follow_pfnmap_start() at a PUD or PMD leaf: take the lock and re-read the entry under it
// (ffef67b93aa3); the older form re-checked its stale lockless copy instead.
// Returns 1 to retry the walk, 0 on success, or an error.
int follow_huge_leaf(World& w, follow_pfnmap_args& args, Level l, pt_slot& slot,
                     const pt_entry& lockless) {
    sim::SpinLock& lock = pt_lockptr(w, l, args.address);
    lock.lock(l == Level::PUD ? sim::Name("pud_lock") : sim::Name("pmd_lock"));
    pt_entry e = lockless;
    if (w.sc.follow == FollowVariant::Current) {
        e = pt_get(w, l, slot, l == Level::PUD ? sim::Name("pudp_get") : sim::Name("pmdp_get"));
        if (!entry_present(e)) {
            lock.unlock("spin_unlock");
            return no_entry_error(w);
        }
        if (!entry_leaf(e)) {
            lock.unlock("spin_unlock");
            return 1;
        }
    }
    const int r = pfnmap_args_setup(args, &lock, &slot, e, l == Level::PUD ? PUD_MASK : PMD_MASK);
    if (r != 0) {
        lock.unlock("spin_unlock");
    }
    return r;
}

}  // namespace

// mm/memory.c follow_pfnmap_start: walk to the entry of args.address in a VM_IO|VM_PFNMAP
// vma; on success return 0 with the entry's lock held.
int follow_pfnmap_start(World& w, follow_pfnmap_args& args) {
    const sim::Call frame{"follow_pfnmap_start"};
    vm_area_struct* vma = args.vma;
    const std::uint64_t address = args.address;
    pfnmap_lockdep_assert(w, vma, "follow_pfnmap_start");
    vma_assert_usable(w, vma, "follow_pfnmap_start");
    if (address < vma->vm_start || address >= vma->vm_end) {
        return -EINVAL;
    }
    if ((vma->vm_flags & (VM_IO | VM_PFNMAP)) == 0) {
        return -EINVAL;
    }
    // Retried while a huge leaf changes under its lock: a loop of the state graph.
    sim::Loop retry_loop("follow_pfnmap_start: retry");
    for (;;) {  // retry:
        retry_loop.head(address);
        pt_slot& pudp = pt_offset(w, Level::PUD, address);
        const pt_entry pud = pt_get(w, Level::PUD, pudp, "follow_pfnmap_start");
        if (!entry_present(pud)) {
            return no_entry_error(w);
        }
        if (entry_leaf(pud)) {
            const int r = follow_huge_leaf(w, args, Level::PUD, pudp, pud);
            if (r == 1) {
                continue;
            }
            return r;
        }
        pt_slot& pmdp = pt_offset(w, Level::PMD, address);
        const pt_entry pmd = pt_get(w, Level::PMD, pmdp, "follow_pfnmap_start");  // lockless
        if (!entry_present(pmd)) {
            return no_entry_error(w);
        }
        if (entry_leaf(pmd)) {
            const int r = follow_huge_leaf(w, args, Level::PMD, pmdp, pmd);
            if (r == 1) {
                continue;
            }
            return r;
        }
        // pte_offset_map_lock
        sim::SpinLock& ptl = pt_lockptr(w, Level::PTE, address);
        ptl.lock("pte_offset_map_lock");
        pt_slot& ptep = pt_offset(w, Level::PTE, address);
        const pt_entry pte = pt_get(w, Level::PTE, ptep, "ptep_get");
        if (!entry_present(pte)) {
            ptl.unlock("pte_unmap_unlock");
            return no_entry_error(w);
        }
        const int r = pfnmap_args_setup(args, &ptl, &ptep, pte, PAGE_MASK);
        if (r != 0) {
            ptl.unlock("pte_unmap_unlock");
        }
        return r;
    }
}

// mm/memory.c follow_pfnmap_end: drop the entry's lock; the pfn is unprotected from here on.
void follow_pfnmap_end(World& /*w*/, follow_pfnmap_args& args) {
    const sim::Call frame{"follow_pfnmap_end"};
    if (args.lock != nullptr) {
        args.lock->unlock("follow_pfnmap_end");
        args.lock = nullptr;
    }
}

namespace {

// mm/memory.c pte_alloc -> __pte_alloc: populate the PMD with a PTE table under pmd_lock;
// VM_FAULT_OOM when pte_alloc_one() fails.
vm_fault_t pte_alloc(World& w, pt_slot& pmdp, std::uint64_t addr) {
    if (pt_get(w, Level::PMD, pmdp, "__pte_alloc").kind == pt_entry::Kind::none) {
        // Injected: pte_alloc_one() fails (only a sweep with --faults opens this site).
        if (sim::inject("__pte_alloc fails", false)) {
            w.current().alloc_failed = true;
            sim::annotate("pte_alloc_one() fails: VM_FAULT_OOM (injected)");
            return VM_FAULT_OOM;
        }
        sim::SpinLock& pl = pt_lockptr(w, Level::PMD, addr);
        pl.lock("pmd_lock");
        if (pt_get(w, Level::PMD, pmdp, "pmd_populate").kind == pt_entry::Kind::none) {
            pt_set(w, Level::PMD, addr, pmdp, pt_entry{pt_entry::Kind::table}, "pmd_populate");
        }
        pl.unlock("spin_unlock");
    }
    return 0;
}

// mm/memory.c do_anonymous_page: a read maps the shared zero page (read-only, special), a
// write a new page (alloc_anon_folio, writable as the vma allows); under the PTE lock a PTE
// installed meanwhile wins. Shared anonymous memory (shmem) is not modelled.
vm_fault_t do_anonymous_page(World& w, vm_fault& vmf) {
    const sim::Call frame{"do_anonymous_page"};
    vm_area_struct* vma = vmf.vma;
    const std::uint64_t addr = vmf.address & PAGE_MASK;
    if ((vma->vm_flags & VM_SHARED) != 0) {
        return VM_FAULT_SIGBUS;  // "file mapping without ->vm_ops?"
    }
    pt_slot& pmdp = pt_offset(w, Level::PMD, addr);
    if (const vm_fault_t oom = pte_alloc(w, pmdp, addr); oom != 0) {
        return oom;
    }
    if (pt_get(w, Level::PMD, pmdp, "pte_offset_map_lock").kind != pt_entry::Kind::table) {
        return 0;  // a huge PMD won meanwhile: the access faults again
    }
    const bool write = (vmf.flags & FAULT_FLAG_WRITE) != 0;
    const pt_entry e = write ? pt_entry{pt_entry::Kind::leaf, anon_page_pfn(addr),
                                        (vma->vm_flags & VM_WRITE) != 0, false}
                             : pt_entry{pt_entry::Kind::leaf, kZeroPfn, false, true};
    sim::SpinLock& ptl = pt_lockptr(w, Level::PTE, addr);
    ptl.lock("pte_offset_map_lock");
    pt_slot& ptep = pt_offset(w, Level::PTE, addr);
    if (pt_get(w, Level::PTE, ptep, "do_anonymous_page").kind == pt_entry::Kind::none) {
        if (write) {
            pt_set(w, Level::PTE, addr, ptep, e, "set_pte_at: new page");
        } else {
            pt_set(w, Level::PTE, addr, ptep, e, "set_pte_at: zero page");
        }
    } else {
        sim::annotate("pte not none: update_mmu_tlb, another fault mapped it");
    }
    ptl.unlock("pte_unmap_unlock");
    return 0;
}

// mm/memory.c do_wp_page -> wp_page_copy: a store to a read-only anonymous PTE (the zero page,
// the only one here) copies it to a new writable page, if the PTE is still the one faulted on.
vm_fault_t do_wp_page(World& w, vm_fault& vmf, const pt_entry& orig) {
    const sim::Call frame{"do_wp_page"};
    const std::uint64_t addr = vmf.address & PAGE_MASK;
    sim::SpinLock& ptl = pt_lockptr(w, Level::PTE, addr);
    ptl.lock("pte_offset_map_lock");
    pt_slot& ptep = pt_offset(w, Level::PTE, addr);
    if (pt_get(w, Level::PTE, ptep, "wp_page_copy") == orig) {
        pt_set(w, Level::PTE, addr, ptep,
               pt_entry{pt_entry::Kind::leaf, anon_page_pfn(addr),
                        (vmf.vma->vm_flags & VM_WRITE) != 0, false},
               "wp_page_copy");
    } else {
        sim::annotate("!pte_same: changed meanwhile, the access faults again");
    }
    ptl.unlock("pte_unmap_unlock");
    return 0;
}

}  // namespace

// mm/memory.c insert_pfn (reached through vmf_insert_pfn): install one special PTE.
vm_fault_t vmf_insert_pfn(World& w, vm_fault& vmf, std::uint64_t pfn) {
    const sim::Call frame{"vmf_insert_pfn"};
    vm_area_struct* vma = vmf.vma;
    const std::uint64_t addr = vmf.address & PAGE_MASK;
    if (addr < vma->vm_start || addr >= vma->vm_end) {
        return VM_FAULT_SIGBUS;
    }
    // get_locked_pte -> __pte_alloc: populate the PMD with a PTE table under pmd_lock.
    pt_slot& pmdp = pt_offset(w, Level::PMD, addr);
    if (const vm_fault_t oom = pte_alloc(w, pmdp, addr); oom != 0) {
        return oom;
    }
    // pte_offset_map_lock reads the PMD again: if a huge insert won meanwhile there is no PTE
    // table, get_locked_pte() returns NULL and insert_pfn() fails with VM_FAULT_OOM.
    if (pt_get(w, Level::PMD, pmdp, "pte_offset_map_lock").kind != pt_entry::Kind::table) {
        sim::annotate("pmd is no PTE table: get_locked_pte() fails, VM_FAULT_OOM");
        return VM_FAULT_OOM;
    }
    sim::SpinLock& ptl = pt_lockptr(w, Level::PTE, addr);
    ptl.lock("get_locked_pte");
    pt_slot& ptep = pt_offset(w, Level::PTE, addr);
    if (pt_get(w, Level::PTE, ptep, "insert_pfn").kind == pt_entry::Kind::none) {
        const bool writable = vm_page_prot_writable(vma);
        pt_set(w, Level::PTE, addr, ptep, pt_entry{pt_entry::Kind::leaf, pfn, writable, true},
               "insert_pfn");
        check_leaf_maps_offset(w, vma, addr, pfn, Level::PTE);
    }
    ptl.unlock("pte_unmap_unlock");
    return VM_FAULT_NOPAGE;
}

// mm/memory.c remap_pfn_range -> remap_pfn_range_internal: vm_flags_set(VM_IO | VM_PFNMAP |
// VM_DONTEXPAND | VM_DONTDUMP), then remap_pte_range() over [addr, addr + size), one PTE per
// page under the PTE table's lock: BUG_ON(!pte_none(*pte)). The vma_lock-era vfio-pci fault
// handler calls it (io_remap_pfn_range) with mmap_lock held for read only.
int remap_pfn_range(World& w, vm_area_struct* vma, std::uint64_t addr, std::uint64_t pfn,
                    std::uint64_t size) {
    const sim::Call frame{"remap_pfn_range"};
    // include/linux/mm.h vm_flags_set: mmap_assert_write_locked() since bc292ab00f6c (v6.3),
    // through vma_start_write() since v6.4 (lockdep and CONFIG_DEBUG_VM WARN).
    if (w.sc.vm_flags_set == VmFlagsSetVariant::Current &&
        !w.mm.mmap_lock.write_held_by(sim::current_actor())) {
        sim::fail_invariant(w.current_name(),
                            fmt::format("I-LOCK: vm_flags_set() on vma [{:#x}, {:#x}) without "
                                        "mmap_lock held for write: mmap_assert_write_locked() "
                                        "WARNs",
                                        vma->vm_start, vma->vm_end));
    }
    // A none entry at level l becomes a table, re-checked under its lock.
    const auto populate = [&w](Level l, std::uint64_t a, sim::Name walk, sim::Name lock_name,
                               sim::Name alloc, sim::Name set) {
        pt_slot& slot = pt_offset(w, l, a);
        if (pt_get(w, l, slot, walk).kind == pt_entry::Kind::none) {
            sim::SpinLock& lock = pt_lockptr(w, l, a);
            lock.lock(lock_name);
            if (pt_get(w, l, slot, alloc).kind == pt_entry::Kind::none) {
                pt_set(w, l, a, slot, pt_entry{pt_entry::Kind::table}, set);
            }
            lock.unlock("spin_unlock");
        }
    };
    const std::uint64_t end = addr + size;
    for (std::uint64_t a = addr; a < end;) {
        const std::uint64_t next = std::min(end, (a & PMD_MASK) + PMD_SIZE);
        // pud_alloc / pmd_alloc: the PUD's PMD table (the fault's own address has one), then
        // pte_alloc_map_lock: the PMD's PTE table (no huge entry exists in this era).
        populate(Level::PUD, a, "remap_pud_range", "pud_lock", "__pmd_alloc", "pud_populate");
        populate(Level::PMD, a, "remap_pmd_range", "pmd_lock", "__pte_alloc", "pmd_populate");
        sim::SpinLock& ptl = pt_lockptr(w, Level::PTE, a);
        ptl.lock("pte_alloc_map_lock");
        for (std::uint64_t p = a; p < next; p += PAGE_SIZE) {
            pt_slot& ptep = pt_offset(w, Level::PTE, p);
            if (entry_present(pt_get(w, Level::PTE, ptep, "remap_pte_range"))) {
                sim::fail_invariant(w.current_name(),
                                    fmt::format("BUG: remap_pte_range() finds the PTE at {:#x} "
                                                "present: BUG_ON(!pte_none(*pte))",
                                                p));
            }
            const std::uint64_t page_pfn = pfn + ((p - addr) >> PAGE_SHIFT);
            pt_set(w, Level::PTE, p, ptep,
                   pt_entry{pt_entry::Kind::leaf, page_pfn, vm_page_prot_writable(vma), true},
                   "set_pte_at");
            check_leaf_maps_offset(w, vma, p, page_pfn, Level::PTE);
        }
        ptl.unlock("pte_unmap_unlock");
        a = next;
    }
    return 0;
}

// mm/memory.c handle_mm_fault -> __handle_mm_fault: try a PUD-order huge fault, then PMD, then
// a PTE fault through do_fault (vm_ops->fault, or SIGBUS without one).
vm_fault_t handle_mm_fault(World& w, vm_area_struct* vma, std::uint64_t address, unsigned flags) {
    const sim::Call frame{"handle_mm_fault"};
    vma_assert_usable(w, vma, "handle_mm_fault");
    if (vma->vm_ops == nullptr && vma->vm_private_data == nullptr && !vma_is_anonymous(vma)) {
        return VM_FAULT_SIGBUS;  // no vm_ops (no device): nothing can populate a pure PFNMAP
    }
    vm_fault vmf{vma, address, flags};
    sim::Loop retry_loop("__handle_mm_fault: retry_pud");  // a huge PUD raced with pmd_alloc
    for (;;) {                                             // retry_pud:
        retry_loop.head(address ^ (static_cast<std::uint64_t>(vmf.flags) << 48U));
        pt_slot& pudp = pt_offset(w, Level::PUD, address);
        const pt_entry pud = pt_get(w, Level::PUD, pudp, "__handle_mm_fault");
        if (pud.kind == pt_entry::Kind::none) {
            // create_huge_pud (thp_vma_allowable_order trusts ->huge_fault in the fault path)
            const vm_fault_t ret = huge_fault(w, vmf, PUD_ORDER);
            if ((ret & VM_FAULT_FALLBACK) == 0) {
                return ret;
            }
        } else if (pud.kind == pt_entry::Kind::leaf) {
            return 0;  // huge_pud_set_accessed: already mapped
        }
        // pmd_alloc -> __pmd_alloc: populate the PUD with a PMD table under pud_lock.
        if (pt_get(w, Level::PUD, pudp, "pmd_alloc").kind == pt_entry::Kind::none) {
            // Injected: pmd_alloc_one() fails (only a sweep with --faults opens this site).
            if (sim::inject("__pmd_alloc fails", false)) {
                w.current().alloc_failed = true;
                return VM_FAULT_OOM;
            }
            sim::SpinLock& l = pt_lockptr(w, Level::PUD, address);
            l.lock("pud_lock");
            if (pt_get(w, Level::PUD, pudp, "__pmd_alloc").kind == pt_entry::Kind::none) {
                pt_set(w, Level::PUD, address, pudp, pt_entry{pt_entry::Kind::table},
                       "pud_populate");
            }
            l.unlock("spin_unlock");
        }
        // pud_trans_unstable: a huge PUD raced with pmd_alloc
        if (pt_get(w, Level::PUD, pudp, "pud_trans_unstable").kind != pt_entry::Kind::table) {
            continue;
        }
        pt_slot& pmdp = pt_offset(w, Level::PMD, address);
        const pt_entry pmd = pt_get(w, Level::PMD, pmdp, "__handle_mm_fault");
        if (pmd.kind == pt_entry::Kind::none) {
            const vm_fault_t ret = huge_fault(w, vmf, PMD_ORDER);  // create_huge_pmd
            if ((ret & VM_FAULT_FALLBACK) == 0) {
                return ret;
            }
        } else if (pmd.kind == pt_entry::Kind::leaf) {
            return 0;  // huge_pmd_set_accessed
        }
        // handle_pte_fault: a none PMD goes to do_pte_missing -> do_fault -> vm_ops->fault; a
        // PMD that became a leaf meanwhile has no PTE table (pte_offset_map_rw_nolock() fails):
        // return 0 and the access faults again; a present PTE is already mapped.
        const pt_entry pmd_now = pt_get(w, Level::PMD, pmdp, "handle_pte_fault");
        if (pmd_now.kind == pt_entry::Kind::leaf) {
            return 0;  // no PTE table is looked at
        }
        if (pmd_now.kind == pt_entry::Kind::table) {
            const pt_entry pte =
                pt_get(w, Level::PTE, pt_offset(w, Level::PTE, address), "handle_pte_fault");
            if (entry_present(pte)) {
                // A store to a read-only anonymous PTE: do_wp_page (for a device PTE the store
                // faults no more here).
                if (vma_is_anonymous(vma) && (vmf.flags & FAULT_FLAG_WRITE) != 0 && !pte.writable) {
                    return do_wp_page(w, vmf, pte);
                }
                return 0;
            }
        }
        // do_pte_missing: an anonymous vma's first touch, else vm_ops->fault.
        if (vma_is_anonymous(vma)) {
            return do_anonymous_page(w, vmf);
        }
        return do_fault(w, vmf);
    }
}

namespace {

// Oracle bookkeeping: a zap removed a leaf of a live mapping while these calls were in flight
// (a split's clear does not count: the kernel refaults what it split).
void note_unmapped(World& w) {
    for (auto& t : w.tasks) {
        if (t.in_pin) {
            t.saw_unmapped = true;
        }
    }
}

// mm/memory.c zap_pte_range: clear every present PTE of one table under its lock.
void zap_pte_range(World& w, std::uint64_t start, std::uint64_t end) {
    const sim::Call frame{"zap_pte_range"};
    sim::SpinLock& ptl = pt_lockptr(w, Level::PTE, start);
    ptl.lock("zap_pte_range");
    auto& m = w.mm.pgtable.pte;
    for (auto it = m.lower_bound(start); it != m.end() && it->first < end; ++it) {
        if (entry_present(pt_get(w, Level::PTE, it->second, "zap_pte_range"))) {
            pt_get_and_clear(w, Level::PTE, it->second, "ptep_get_and_clear_full");
            note_unmapped(w);
        }
    }
    ptl.unlock("pte_unmap_unlock");
}

// mm/memory.c zap_pmd_range, with zap_huge_pmd (mm/huge_memory.c) for leaves.
void zap_pmd_range(World& w, vm_area_struct* vma, std::uint64_t start, std::uint64_t end) {
    const sim::Call frame{"zap_pmd_range"};
    auto& m = w.mm.pgtable.pmd;
    for (auto it = m.lower_bound(start & PMD_MASK); it != m.end() && it->first < end; ++it) {
        const std::uint64_t addr = std::max(it->first, start);
        const std::uint64_t next = std::min(it->first + PMD_SIZE, end);
        pt_entry pmd = pt_get(w, Level::PMD, it->second, "zap_pmd_range");
        if (entry_leaf(pmd)) {
            if (next - addr != PMD_SIZE) {
                split_huge_pmd(w, vma, addr, pmd);
                pmd = pt_get(w, Level::PMD, it->second, "zap_pmd_range");  // read again
            } else {
                sim::SpinLock& l = pt_lockptr(w, Level::PMD, addr);
                l.lock("zap_huge_pmd");  // __pmd_trans_huge_lock
                if (entry_leaf(pt_get(w, Level::PMD, it->second, "zap_huge_pmd"))) {
                    pt_get_and_clear(w, Level::PMD, it->second, "pmdp_huge_get_and_clear_full");
                    note_unmapped(w);
                }
                l.unlock("spin_unlock");
                continue;
            }
        }
        if (pmd.kind == pt_entry::Kind::table) {
            zap_pte_range(w, addr, next);
        }
    }
}

// mm/memory.c zap_pud_range, with zap_huge_pud (mm/huge_memory.c) for leaves.
void zap_pud_range(World& w, vm_area_struct* vma, std::uint64_t start, std::uint64_t end) {
    const sim::Call frame{"zap_pud_range"};
    for (std::uint64_t base = start & PUD_MASK; base < end; base += PUD_SIZE) {
        const std::uint64_t addr = std::max(base, start);
        const std::uint64_t next = std::min(base + PUD_SIZE, end);
        pt_slot& pudp = pt_offset(w, Level::PUD, addr);
        pt_entry pud = pt_get(w, Level::PUD, pudp, "zap_pud_range");
        if (entry_leaf(pud)) {
            if (next - addr != PUD_SIZE) {
                split_huge_pud(w, vma, addr, pud);
                pud = pt_get(w, Level::PUD, pudp, "zap_pud_range");  // read again
            } else {
                sim::SpinLock& l = pt_lockptr(w, Level::PUD, addr);
                l.lock("zap_huge_pud");  // __pud_trans_huge_lock
                if (entry_leaf(pt_get(w, Level::PUD, pudp, "zap_huge_pud"))) {
                    pt_get_and_clear(w, Level::PUD, pudp, "pudp_huge_get_and_clear_full");
                    note_unmapped(w);
                }
                l.unlock("spin_unlock");
                continue;
            }
        }
        if (pud.kind == pt_entry::Kind::table) {
            zap_pmd_range(w, vma, addr, next);
        }
    }
}

}  // namespace

// mm/memory.c zap_page_range_single -> unmap_single_vma -> unmap_page_range, between
// mmu_notifier_invalidate_range_start() and _end().
void zap_page_range_single(World& w, vm_area_struct* vma, std::uint64_t start, std::uint64_t end) {
    const sim::Call frame{"zap_page_range_single"};
    mmu_notifier_invalidate_range_start(w);
    zap_pud_range(w, vma, std::max(start, vma->vm_start), std::min(end, vma->vm_end));
    mmu_notifier_invalidate_range_end(w);
}

// mm/memory.c unmap_mapping_range: zap every VMA of the mapping under i_mmap_rwsem (read);
// it does not take mmap_lock, so it runs concurrently with faults, pins and page walks.
void unmap_mapping_range(World& w, address_space* mapping) {
    const sim::Call frame{"unmap_mapping_range"};
    mapping->i_mmap_rwsem.down_read("i_mmap_lock_read");
    // vma_interval_tree_foreach: i_mmap changes only under the rwsem's write side.
    for (vm_area_struct* vma : mapping->i_mmap) {
        zap_page_range_single(w, vma, vma->vm_start, vma->vm_end);  // unmap_mapping_range_vma
    }
    mapping->i_mmap_rwsem.up_read("i_mmap_unlock_read");
}

// I-MMIO: a caller that accesses the pfn under the entry's lock (s390 MMIO, generic_access_phys)
// must find the entry still mapping that pfn, and the pfn backed: a vfio-pci BAR with memory
// enabled, or the BO's current VRAM placement. Oracle check, no step.
void check_mmio_access(World& w, const follow_pfnmap_args& args, sim::Name func) {
    const pt_entry now = args.entry->e;
    const std::uint64_t mask_pfns = ~args.addr_mask >> PAGE_SHIFT;
    const char* why = nullptr;
    if (!entry_leaf(now) || now.pfn != (args.pfn & ~mask_pfns)) {
        why = "the entry no longer maps it";
    } else if (const vfio_pci_core_device* d = args.vma->vm_private_data) {
        if (!d->ttm && !d->devmem && !bar_accessible(*d)) {
            why = "memory is disabled";
        } else if (d->ttm && args.pfn != vma_addr_to_pfn(args.vma, args.address)) {
            why = "the BO has moved";
        }
    }
    if (why != nullptr) {
        sim::fail_invariant(w.current_name(),
                            fmt::format("I-MMIO: {}() accesses pfn {:#x} for {:#x}, but {}",
                                        func.text, args.pfn, args.address, why));
    }
}

// The leaf that maps addr now, found without a step and without creating slots (an oracle's
// read of the tables), or nullptr; *pfn_here (if given) is the pfn it maps at addr.
const pt_entry* leaf_at(const World& w, std::uint64_t addr, std::uint64_t* pfn_here) {
    const page_table& pt = w.mm.pgtable;
    const pt_entry* e = nullptr;
    std::uint64_t mask = PAGE_MASK;
    const auto pud = pt.pud.find(addr & PUD_MASK);
    if (pud != pt.pud.end() && entry_leaf(pud->second.e)) {
        e = &pud->second.e;
        mask = PUD_MASK;
    } else if (pud != pt.pud.end() && entry_present(pud->second.e)) {
        const auto pmd = pt.pmd.find(addr & PMD_MASK);
        if (pmd != pt.pmd.end() && entry_leaf(pmd->second.e)) {
            e = &pmd->second.e;
            mask = PMD_MASK;
        } else if (pmd != pt.pmd.end() && entry_present(pmd->second.e)) {
            const auto pte = pt.pte.find(addr & PAGE_MASK);
            if (pte != pt.pte.end() && entry_leaf(pte->second.e)) {
                e = &pte->second.e;
            }
        }
    }
    if (e != nullptr && pfn_here != nullptr) {
        *pfn_here = e->pfn + ((addr & ~mask) >> PAGE_SHIFT);
    }
    return e;
}

// I-MAP: a leaf a fault handler inserted maps its own address's offset into the device (the
// BAR offset, or the BO's current placement). Oracle check, no step.
void check_leaf_maps_offset(World& w, const vm_area_struct* vma, std::uint64_t addr,
                            std::uint64_t pfn, Level l) {
    if (vma->vm_private_data == nullptr) {
        return;
    }
    const std::uint64_t want = vma_addr_to_pfn(vma, addr);
    if (pfn != want) {
        sim::fail_invariant(w.current_name(),
                            fmt::format("I-MAP: the {} leaf at {:#x} maps pfn {:#x}, but the "
                                        "device's offset there is pfn {:#x}",
                                        level_name(l), addr, pfn, want));
    }
}

// I-PROT: a secondary mapping (IOMMU, KVM stage-2, the ACRN EPT) that lets the device or guest
// write must not be made of an entry the process may only read. Oracle check, no step: the
// entry at addr now, if it is still there (a zap in between is other invariants' concern).
void check_mapping_prot(World& w, std::uint64_t addr, std::uint64_t pfn, bool writable,
                        sim::Name func) {
    const pt_entry* e = leaf_at(w, addr, nullptr);
    if (writable && e != nullptr && !e->writable) {
        sim::fail_invariant(w.current_name(),
                            fmt::format("I-PROT: {}() maps pfn {:#x} (for {:#x}) writable, but "
                                        "the process's entry is read-only",
                                        func.text, pfn, addr));
    }
}

// I-MMIO for an access made after the entry's lock was dropped (the forms before the copy
// moved under the PTL): the pfn must still be backed when the access happens, a vfio-pci BAR
// with memory enabled or a /dev/mem range no driver has claimed. Both are written on the
// device's mem_obj, the object the caller's access step reads. Oracle check, no step.
void check_unlocked_mmio_access(World& w, const vfio_pci_core_device* d, std::uint64_t addr,
                                std::uint64_t pfn, sim::Name func) {
    if (d != nullptr && !d->ttm && !bar_accessible(*d)) {
        sim::fail_invariant(
            w.current_name(),
            fmt::format("I-MMIO: {}() accesses pfn {:#x} for {:#x} with no lock held, but {}",
                        func.text, pfn, addr,
                        d->devmem  ? "a driver has claimed the region"
                        : d->d3hot ? "the device is in D3hot"
                                   : "memory is disabled"));
    }
}

// mm/memory.c generic_access_phys (vm_ops->access of an iomem mapping, reached from
// access_process_vm): follow, note pfn and permission, unlock, ioremap, follow again; if the
// entry changed, iounmap and retry; else copy under the entry's lock. Returns len or -EINVAL.
int generic_access_phys(World& w, vm_area_struct* vma, std::uint64_t addr, int len, bool write) {
    const sim::Call frame{"generic_access_phys"};
    if (w.sc.access_phys == AccessPhysVariant::Pre96667f8a4382) {
        // Before 96667f8a4382: follow_phys() reads the entry (refusing a write to a read-only
        // one) and drops its lock; ioremap_prot() and the copy follow with no lock held.
        follow_pfnmap_args args{vma, addr};
        if (follow_pfnmap_start(w, args) != 0) {
            return -EINVAL;
        }
        const std::uint64_t phys_pfn = args.pfn;
        const bool writable = args.writable;
        follow_pfnmap_end(w, args);
        if (write && !writable) {
            return -EINVAL;
        }
        might_sleep(w);  // ioremap_prot
        const vfio_pci_core_device* d = vma->vm_private_data;
        sim::point(sim::Op::Read, d != nullptr ? d->mem_obj : sim::kNoObject,
                   write ? sim::Name("memcpy_toio") : sim::Name("memcpy_fromio"),
                   "pfn={:#x}, no lock held", phys_pfn);
        check_unlocked_mmio_access(w, d, addr, phys_pfn,
                                   write ? sim::Name("memcpy_toio") : sim::Name("memcpy_fromio"));
        return len;
    }
    follow_pfnmap_args args{vma, addr};
    sim::Loop retry_loop("generic_access_phys: retry");
    for (;;) {  // retry:
        retry_loop.head(0);
        if (follow_pfnmap_start(w, args) != 0) {
            return -EINVAL;  // whatever follow_pfnmap_start() returned
        }
        const std::uint64_t phys_pfn = args.pfn;
        const bool writable = args.writable;
        follow_pfnmap_end(w, args);
        if (write && !writable) {
            return -EINVAL;
        }
        // ioremap_prot(phys_addr, ...): may sleep (vmalloc area).
        might_sleep(w);
        if (follow_pfnmap_start(w, args) != 0) {
            return -EINVAL;  // out_unmap: iounmap, ret is still -EINVAL
        }
        if (phys_pfn != args.pfn || writable != args.writable) {
            follow_pfnmap_end(w, args);
            sim::annotate("entry changed: iounmap, goto retry");
            might_sleep(w);  // iounmap -> vunmap
            continue;
        }
        check_mmio_access(w, args, write ? sim::Name("memcpy_toio") : sim::Name("memcpy_fromio"));
        sim::point(sim::Op::Read, args.entry->obj,
                   write ? sim::Name("memcpy_toio") : sim::Name("memcpy_fromio"), "pfn={:#x}",
                   args.pfn);
        follow_pfnmap_end(w, args);
        return len;
    }
}

// mm/memory.c __access_remote_vm for a VM_IO|VM_PFNMAP vma (ptrace PEEKDATA, /proc/PID/mem):
// GUP fails for the vma, so vm_ops->access is called if the vma has one (generic_access_phys
// for /dev/mem, ttm_bo_vm_access for a BO; vfio_pci_mmap_ops has none); bytes <= 0 ends the
// copy. Returns the bytes copied; ptrace turns 0 into -EIO. The page is never faulted in.
int access_process_vm(World& w, std::uint64_t addr, int len, bool write) {
    const sim::Call frame{"access_process_vm"};
    might_sleep(w);
    mmap_read_lock(w);  // mmap_read_lock_killable
    int bytes = 0;
    vm_area_struct* vma = vma_lookup(w, addr, "__access_remote_vm");
    if (vma != nullptr) {
        pin_user_pages_remote(w, addr);  // get_user_page_vma_remote: -EFAULT for VM_IO|VM_PFNMAP
        vma = vma_lookup(w, addr, "__access_remote_vm");
        if (vma != nullptr && vma->vm_ops != nullptr && vma->vm_ops->access != nullptr) {
            bytes = vma->vm_ops->access(w, vma, addr, len, write);
        }  // else: no vm_ops->access (vfio_pci_mmap_ops): nothing is copied
    }
    mmap_read_unlock(w);
    return bytes > 0 ? bytes : 0;
}

}  // namespace pfnsim::model
