// mm/pagewalk.c as used by /proc/PID/numa_maps, smaps and smaps_rollup (fs/proc/task_mmu.c
// show_numa_map, show_smap, show_smaps_rollup). Read against the mm tree of the v7.x cycle.
#include <fmt/format.h>

#include "pfnsim/model/world.hpp"
#include "pfnsim/sim/execution.hpp"

namespace pfnsim::model {

namespace {

enum class Action : std::uint8_t { Subtree, Again, Continue };

// The pmd_entry of both /proc walkers: pmd_trans_huge_lock() takes the PMD lock only for a
// leaf (and reads it again under the lock); a table's PTEs are read under the PTE lock.
// pte_offset_map_lock() finds no table if the PMD changed since: ACTION_AGAIN. vm_normal_page()
// skips the special entries, so nothing is counted. `resched`: the walker ends both paths with
// cond_resched() (smaps' `out:`).
Action pmd_stats(World& w, pt_slot& pmdp, std::uint64_t addr, std::uint64_t end, sim::Name pte_read,
                 bool resched) {
    if (entry_leaf(pt_get(w, Level::PMD, pmdp, "pmd_trans_huge_lock"))) {
        sim::SpinLock& pl = pt_lockptr(w, Level::PMD, addr);
        pl.lock("__pmd_trans_huge_lock");
        const bool leaf = entry_leaf(pt_get(w, Level::PMD, pmdp, "__pmd_trans_huge_lock"));
        pl.unlock("spin_unlock");
        if (leaf) {
            if (resched) {
                cond_resched(w);
            }
            return Action::Continue;  // the leaf's stats, under the lock
        }
    }
    if (pt_get(w, Level::PMD, pmdp, "pte_offset_map_lock").kind != pt_entry::Kind::table) {
        return Action::Again;
    }
    sim::SpinLock& ptl = pt_lockptr(w, Level::PTE, addr);
    ptl.lock("pte_offset_map_lock");
    auto& m = w.mm.pgtable.pte;
    for (auto it = m.lower_bound(addr); it != m.end() && it->first < end; ++it) {
        pt_get(w, Level::PTE, it->second, pte_read);
    }
    ptl.unlock("pte_unmap_unlock");
    if (resched) {
        cond_resched(w);
    }
    return Action::Continue;
}

// fs/proc/task_mmu.c gather_pte_stats (numa_maps' pmd_entry). The kernel's cond_resched()
// after the PTE loop is not modelled (a numa_maps walk has no resched point here).
Action gather_pte_stats(World& w, pt_slot& pmdp, std::uint64_t addr, std::uint64_t end) {
    const sim::Call frame{"gather_pte_stats"};
    return pmd_stats(w, pmdp, addr, end, "gather_pte_stats", false);
}

// fs/proc/task_mmu.c smaps_pte_range (smaps' and smaps_rollup's pmd_entry): a leaf goes to
// smaps_pmd_entry under the lock, the PTEs to smaps_pte_entry, and both end in cond_resched().
Action smaps_pte_range(World& w, pt_slot& pmdp, std::uint64_t addr, std::uint64_t end) {
    const sim::Call frame{"smaps_pte_range"};
    return pmd_stats(w, pmdp, addr, end, "smaps_pte_entry", true);
}

// include/linux/pagewalk.h struct mm_walk_ops: the callbacks a walk calls. Both walkers set
// pmd_entry and no pud_entry or pte_entry (hugetlb_entry is never reached on a pfnmap), so
// walk_pud_range() splits a PUD leaf before it descends (numa_ops, smaps_walk_ops).
struct mm_walk_ops {
    Action (*pmd_entry)(World& w, pt_slot& pmdp, std::uint64_t addr, std::uint64_t end);
};
constexpr mm_walk_ops kNumaOps{gather_pte_stats};
constexpr mm_walk_ops kSmapsWalkOps{smaps_pte_range};

// mm/pagewalk.c walk_pmd_range. The current form (3b89863c3fa4) snapshots the PUD first and
// asks its caller to start again if it is no longer a table.
Action walk_pmd_range(World& w, pt_slot& pudp, std::uint64_t addr, std::uint64_t end,
                      const mm_walk_ops& ops) {
    const sim::Call frame{"walk_pmd_range"};
    const pt_entry pud = pt_get(w, Level::PUD, pudp, "walk_pmd_range");
    if (w.sc.pagewalk == PagewalkVariant::Current) {
        if (!entry_present(pud) || entry_leaf(pud)) {
            return Action::Again;
        }
    } else if (entry_leaf(pud)) {
        sim::fail_invariant(
            w.current_name(),
            fmt::format("walk_pmd_range() descends into the PUD leaf at {:#x}: pmd_offset() on "
                        "BAR MMIO pfn {:#x} (kernel oops, fixed by 3b89863c3fa4)",
                        addr, pud.pfn));
    }
    auto& m = w.mm.pgtable.pmd;
    for (auto it = m.lower_bound(addr & PMD_MASK); it != m.end() && it->first < end; ++it) {
        sim::Loop again("walk_pmd_range: again");
        for (;;) {  // again:
            again.head(it->first);
            if (pt_get(w, Level::PMD, it->second, "walk_pmd_range").kind == pt_entry::Kind::none) {
                break;  // pte_hole
            }
            if (ops.pmd_entry(w, it->second, std::max(it->first, addr),
                              std::min(it->first + PMD_SIZE, end)) != Action::Again) {
                break;
            }
        }
    }
    return Action::Subtree;
}

// mm/pagewalk.c walk_pud_range: the walker has a pmd_entry, so a PUD leaf is split first (for
// a pfnmap that clears it), then the walk descends; walk_pmd_range()'s snapshot decides whether
// to go again. Before 3b89863c3fa4 it read the PUD again after the split instead (goto again
// if none) and descended whatever else it found.
void walk_pud_range(World& w, vm_area_struct* vma, std::uint64_t start, std::uint64_t end,
                    const mm_walk_ops& ops) {
    const sim::Call frame{"walk_pud_range"};
    for (std::uint64_t base = start & PUD_MASK; base < end; base += PUD_SIZE) {
        const std::uint64_t addr = std::max(base, start);
        const std::uint64_t next = std::min(base + PUD_SIZE, end);
        pt_slot& pudp = pt_offset(w, Level::PUD, addr);
        // Unbounded while a fault refills the PUD between two looks: a loop of the state graph.
        sim::Loop again("walk_pud_range: again");
        for (;;) {  // again:
            again.head(base);
            const pt_entry pud = pt_get(w, Level::PUD, pudp, "walk_pud_range");
            if (pud.kind == pt_entry::Kind::none) {
                break;  // pte_hole; continue with the next PUD
            }
            split_huge_pud(w, vma, addr, pud);  // a leaf only (pud_trans_huge)
            if (w.sc.pagewalk == PagewalkVariant::Pre3b89863c3fa4 &&
                pt_get(w, Level::PUD, pudp, "walk_pud_range").kind == pt_entry::Kind::none) {
                continue;  // goto again (removed by 3b89863c3fa4)
            }
            if (walk_pmd_range(w, pudp, addr, next, ops) == Action::Again) {
                continue;  // goto again
            }
            break;
        }
    }
}

// mm/pagewalk.c walk_page_vma: unlike walk_page_range() it has no walk_page_test(), so it does
// not skip VM_PFNMAP vmas.
void walk_page_vma(World& w, vm_area_struct* vma, const mm_walk_ops& ops) {
    const sim::Call frame{"walk_page_vma"};
    mmap_assert_locked(w, "walk_page_vma");  // process_vma_walk_lock (PGWALK_RDLOCK)
    vma_assert_usable(w, vma, "walk_page_vma");
    walk_pud_range(w, vma, vma->vm_start, vma->vm_end, ops);
}

// Each VMA in turn under mmap_lock for read, as a seq_file over the VMAs does for one `cat`
// (m_start takes the lock, m_next reads the next VMA, m_stop drops it), or as
// show_smaps_rollup's for_each_vma does. `show` is called on each.
template <class Show>
void each_vma(World& w, sim::Name next, Show&& show) {
    mmap_read_lock(w);
    for (std::size_t i = 0;; ++i) {
        sim::point(sim::Op::Read, w.mm.mm_mt, next, "next vma");
        if (i >= w.mm.mm_mt_list.size()) {
            break;
        }
        vm_area_struct* vma = w.mm.mm_mt_list[i];
        w.current().looked_up_vma = vma;
        w.current().looked_up_gen = w.current().mmap_lock_gen;
        show(vma);
    }
    mmap_read_unlock(w);
}

// fs/proc/task_mmu.c smap_gather_stats with start 0: walk_page_vma() with smaps_walk_ops (a
// pfnmap is not shmem). A start past 0 (show_smaps_rollup's "case 4", after it dropped a
// contended mmap_lock) would take walk_page_range(), whose walk_page_test() skips VM_PFNMAP.
void smap_gather_stats(World& w, vm_area_struct* vma) {
    const sim::Call frame{"smap_gather_stats"};
    walk_page_vma(w, vma, kSmapsWalkOps);
}

}  // namespace

// fs/proc/task_mmu.c show_numa_map over every VMA, as one `cat /proc/PID/numa_maps` does.
int show_numa_maps(World& w) {
    const sim::Call frame{"show_numa_maps"};
    each_vma(w, "m_next", [&](vm_area_struct* vma) { walk_page_vma(w, vma, kNumaOps); });
    return 0;
}

// fs/proc/task_mmu.c show_smap over every VMA, as one `cat /proc/PID/smaps` does.
int show_smaps(World& w) {
    const sim::Call frame{"show_smaps"};
    each_vma(w, "m_next", [&](vm_area_struct* vma) { smap_gather_stats(w, vma); });
    return 0;
}

// fs/proc/task_mmu.c show_smaps_rollup: one show, every VMA under one hold of mmap_lock. The
// kernel drops and retakes the lock after a VMA when mmap_lock_is_contended(); the model does
// not (sim::RwSemaphore has no waiter query), so the rollup never lets a writer in mid-walk.
int show_smaps_rollup(World& w) {
    const sim::Call frame{"show_smaps_rollup"};
    each_vma(w, "for_each_vma", [&](vm_area_struct* vma) { smap_gather_stats(w, vma); });
    return 0;
}

}  // namespace pfnsim::model
