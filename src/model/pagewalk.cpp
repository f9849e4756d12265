// mm/pagewalk.c as used by /proc/PID/numa_maps (fs/proc/task_mmu.c show_numa_map).
#include <fmt/format.h>

#include "pfnsim/model/world.hpp"
#include "pfnsim/sim/execution.hpp"

namespace pfnsim::model {

namespace {

enum class Action : std::uint8_t { Subtree, Again, Continue };

// fs/proc/task_mmu.c gather_pte_stats (numa_maps' pmd_entry): pmd_trans_huge_lock() takes the
// PMD lock only for a leaf (and reads it again under the lock); a table's PTEs are read under
// the PTE lock. pte_offset_map_lock() finds no table if the PMD changed since: ACTION_AGAIN.
// vm_normal_page() skips the special entries, so nothing is counted.
Action gather_pte_stats(World& w, pt_slot& pmdp, std::uint64_t addr, std::uint64_t end) {
    const sim::Call frame{"gather_pte_stats"};
    if (entry_leaf(pt_get(w, Level::PMD, pmdp, "pmd_trans_huge_lock"))) {
        sim::SpinLock& pl = pt_lockptr(w, Level::PMD, addr);
        pl.lock("__pmd_trans_huge_lock");
        const bool leaf = entry_leaf(pt_get(w, Level::PMD, pmdp, "__pmd_trans_huge_lock"));
        pl.unlock("spin_unlock");
        if (leaf) {
            return Action::Continue;  // gather_stats of the leaf, under the lock
        }
    }
    if (pt_get(w, Level::PMD, pmdp, "pte_offset_map_lock").kind != pt_entry::Kind::table) {
        return Action::Again;
    }
    sim::SpinLock& ptl = pt_lockptr(w, Level::PTE, addr);
    ptl.lock("pte_offset_map_lock");
    auto& m = w.mm.pgtable.pte;
    for (auto it = m.lower_bound(addr); it != m.end() && it->first < end; ++it) {
        pt_get(w, Level::PTE, it->second, "gather_pte_stats");
    }
    ptl.unlock("pte_unmap_unlock");
    return Action::Continue;
}

// mm/pagewalk.c walk_pmd_range. The current form (3b89863c3fa4) snapshots the PUD first and
// asks its caller to start again if it is no longer a table.
Action walk_pmd_range(World& w, pt_slot& pudp, std::uint64_t addr, std::uint64_t end) {
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
            if (gather_pte_stats(w, it->second, std::max(it->first, addr),
                                 std::min(it->first + PMD_SIZE, end)) != Action::Again) {
                break;
            }
        }
    }
    return Action::Subtree;
}

// mm/pagewalk.c walk_pud_range: numa_maps has a pmd_entry, so a PUD leaf is split first (for a
// pfnmap that clears it), then the walk descends.
void walk_pud_range(World& w, vm_area_struct* vma, std::uint64_t start, std::uint64_t end) {
    const sim::Call frame{"walk_pud_range"};
    for (std::uint64_t base = start & PUD_MASK; base < end; base += PUD_SIZE) {
        const std::uint64_t addr = std::max(base, start);
        const std::uint64_t next = std::min(base + PUD_SIZE, end);
        pt_slot& pudp = pt_offset(w, Level::PUD, addr);
        // Unbounded while a fault refills the PUD between two looks: a loop of the state graph.
        sim::Loop again("walk_pud_range: again");
        for (;;) {  // again:
            again.head(base);
            if (pt_get(w, Level::PUD, pudp, "walk_pud_range").kind == pt_entry::Kind::none) {
                break;  // pte_hole; continue with the next PUD
            }
            split_huge_pud(w, vma, addr);
            if (pt_get(w, Level::PUD, pudp, "walk_pud_range").kind == pt_entry::Kind::none) {
                continue;  // goto again
            }
            if (walk_pmd_range(w, pudp, addr, next) == Action::Again) {
                continue;  // goto again
            }
            break;
        }
    }
}

}  // namespace

// mm/pagewalk.c walk_page_vma: unlike walk_page_range() it has no walk_page_test(), so it does
// not skip VM_PFNMAP vmas.
void walk_page_vma(World& w, vm_area_struct* vma) {
    const sim::Call frame{"walk_page_vma"};
    vma_assert_usable(w, vma, "walk_page_vma");
    walk_pud_range(w, vma, vma->vm_start, vma->vm_end);
}

// fs/proc/task_mmu.c show_numa_map over every VMA, as one `cat /proc/PID/numa_maps` does
// (m_start takes mmap_lock for read, m_stop drops it).
int show_numa_maps(World& w) {
    const sim::Call frame{"show_numa_maps"};
    mmap_read_lock(w);
    for (std::size_t i = 0;; ++i) {
        sim::point(sim::Op::Read, w.mm.mm_mt, "m_next", "next vma");
        if (i >= w.mm.mm_mt_list.size()) {
            break;
        }
        vm_area_struct* vma = w.mm.mm_mt_list[i];
        w.current().looked_up_vma = vma;
        w.current().looked_up_gen = w.current().mmap_lock_gen;
        walk_page_vma(w, vma);
    }
    mmap_read_unlock(w);
    return 0;
}

}  // namespace pfnsim::model
