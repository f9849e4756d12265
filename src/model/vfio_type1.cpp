// drivers/vfio/vfio_iommu_type1.c: VFIO_IOMMU_MAP_DMA of a PFNMAP range, with the retry policy
// of follow_fault_pfn() selectable.
#include <fmt/format.h>

#include <iterator>
#include <string>

#include "pfnsim/model/world.hpp"
#include "pfnsim/sim/execution.hpp"

namespace pfnsim::model {

namespace {

// drivers/vfio/vfio_iommu_type1.c vfio_iommu_map: install iova -> pfn in the IOMMU with
// dma->prot (IOMMU_WRITE for a MAP_DMA with VFIO_DMA_MAP_FLAG_WRITE).
int vfio_iommu_map(World& w, std::uint64_t iova, std::uint64_t pfn, std::uint64_t npages,
                   bool prot_write) {
    sim::point(sim::Op::Write, w.iommu.obj, "vfio_iommu_map", "iommu_map(pfn={:#x})", pfn);
    w.iommu.table[iova] = iommu_mapping{pfn, npages, prot_write};
    return 0;
}

// drivers/vfio/vfio_iommu_type1.c vfio_remove_dma -> vfio_unmap_unpin: undo a failed map.
void vfio_remove_dma(World& w, std::uint64_t iova, std::uint64_t size) {
    sim::point(sim::Op::Write, w.iommu.obj, "vfio_unmap_unpin", "iommu_unmap from {:#x}", iova);
    auto& t = w.iommu.table;
    for (auto it = t.lower_bound(iova); it != t.end() && it->first < iova + size;) {
        it = t.erase(it);
    }
}

// drivers/vfio/vfio_iommu_type1.c is_invalid_reserved_pfn: BAR pfns have no struct page.
bool is_invalid_reserved_pfn(const World& w, std::uint64_t pfn) {
    for (const auto& d : w.devices) {
        if (bar_contains(d, pfn)) {
            return true;
        }
    }
    return false;
}

// drivers/vfio/vfio_iommu_type1.c vfio_pin_pages_remote: for a PFNMAP range, one call of
// vaddr_get_pfns returns a run of contiguous reserved pfns.
long vfio_pin_pages_remote(World& w, std::uint64_t vaddr, long npage, bool write,
                           std::uint64_t* pfn_base) {
    const sim::Call frame{"vfio_pin_pages_remote"};
    return vaddr_get_pfns(w, vaddr, npage, write, pfn_base);
}

// mm/memory.c follow_pfn (before 07956b6269d3 moved vfio to follow_pte): the pfn of the
// entry, read under its lock and returned after it is dropped; no permission check.
int follow_pfn(World& w, vm_area_struct* vma, std::uint64_t vaddr, std::uint64_t* pfn,
               std::uint64_t* addr_mask) {
    follow_pfnmap_args args{vma, vaddr};
    const int ret = follow_pfnmap_start(w, args);
    if (ret != 0) {
        return ret;
    }
    *pfn = args.pfn;
    *addr_mask = args.addr_mask;
    follow_pfnmap_end(w, args);
    return 0;
}

// drivers/vfio/vfio_iommu_type1.c follow_fault_pfn as 41311242221e added it: follow_pfn; on
// failure fixup_user_fault() and follow_pfn again. Nothing checks the entry's write bit
// (07956b6269d3 added the check).
int follow_fault_pfn_pre_07956b6269d3(World& w, vm_area_struct* vma, std::uint64_t vaddr,
                                      std::uint64_t* pfn, std::uint64_t* addr_mask,
                                      bool write_fault) {
    const sim::Call frame{"follow_fault_pfn"};
    const unsigned tried = policy_fault_flags(w);
    int ret = follow_pfn(w, vma, vaddr, pfn, addr_mask);
    if (ret != 0) {
        bool unlocked = false;
        ret = fixup_user_fault(
            w, vaddr, FAULT_FLAG_REMOTE | (write_fault ? FAULT_FLAG_WRITE : 0) | tried, &unlocked);
        if (unlocked) {
            return policy_unlocked_error(w);
        }
        if (ret != 0) {
            return ret;
        }
        ret = follow_pfn(w, vma, vaddr, pfn, addr_mask);
        if (ret != 0) {
            return policy_second_follow_error(w, ret);
        }
    }
    return ret;
}

}  // namespace

// drivers/vfio/vfio_iommu_type1.c follow_fault_pfn: follow; on failure fault the address in
// with fixup_user_fault() and follow again. The second follow's failure is where the retry
// policies differ.
int follow_fault_pfn(World& w, vm_area_struct* vma, std::uint64_t vaddr, std::uint64_t* pfn,
                     std::uint64_t* addr_mask, bool write_fault) {
    const sim::Call frame{"follow_fault_pfn"};
    const unsigned tried = policy_fault_flags(w);  // gup-loop's FOLL_TRIED pass
    follow_pfnmap_args args{vma, vaddr};
    int ret = follow_pfnmap_start(w, args);
    if (ret != 0) {
        bool unlocked = false;
        ret = fixup_user_fault(
            w, vaddr, FAULT_FLAG_REMOTE | (write_fault ? FAULT_FLAG_WRITE : 0) | tried, &unlocked);
        if (unlocked) {
            return policy_unlocked_error(w);  // mmap_lock was dropped: the vma may be gone
        }
        if (ret != 0) {
            return ret;
        }
        ret = follow_pfnmap_start(w, args);
        if (ret != 0) {
            return policy_second_follow_error(w, ret);  // where the policies differ
        }
    }
    // I-PFN: under the entry's lock, the entry still maps the pfn that follow returned.
    const pt_entry now = args.entry->e;
    const std::uint64_t mask_pfns = ~args.addr_mask >> PAGE_SHIFT;
    if (!entry_leaf(now) || now.pfn != (args.pfn & ~mask_pfns)) {
        std::string detail = fmt::format(  // moved out: the frame owns nothing when it stops
            "I-PFN: follow_pfnmap_start() returned pfn {:#x} for {:#x} under the lock, but the "
            "entry ",
            args.pfn, vaddr);
        if (entry_leaf(now)) {
            fmt::format_to(std::back_inserter(detail), "maps pfn {:#x}", now.pfn);
        } else {
            detail += "is no longer present";
        }
        detail += " (a stale read; fixed by ffef67b93aa3)";
        sim::fail_invariant(w.current_name(), std::move(detail));
    }
    if (write_fault && !args.writable) {
        ret = -EFAULT;
    } else {
        *pfn = args.pfn;
        *addr_mask = args.addr_mask;
    }
    follow_pfnmap_end(w, args);
    return ret;
}

// drivers/vfio/vfio_iommu_type1.c vaddr_get_pfns: GUP first (fails for PFNMAP), then the
// follow_fault_pfn loop that restarts from vma_lookup() on -EAGAIN.
long vaddr_get_pfns(World& w, std::uint64_t vaddr, long npages, bool write, std::uint64_t* pfn) {
    const sim::Call frame{"vaddr_get_pfns"};
    mmap_read_lock(w);
    long ret = pin_user_pages_remote(w, vaddr);
    // For cycle detection, `ret` is the only value carried from one iteration to the next
    // (the bounded policy's count is in the task and hashed with it).
    sim::Loop retry_loop("vaddr_get_pfns: retry");
    for (;;) {  // retry:
        retry_loop.head(static_cast<std::uint64_t>(ret));
        vm_area_struct* vma = vma_lookup(w, vaddr, "vaddr_get_pfns");
        if (vma == nullptr || (vma->vm_flags & VM_PFNMAP) == 0) {
            // __get_user_pages_locked after a dropped lock: a lost vma is -EFAULT. The
            // vfio loop instead returns the -EAGAIN it still holds.
            if (w.policy.kind == Policy::Kind::GupLoop && ret == -EAGAIN) {
                ret = -EFAULT;
            }
            break;
        }
        std::uint64_t addr_mask = 0;
        switch (w.sc.vaddr_get_pfn) {
            case VaddrGetPfnVariant::Current:
                ret = follow_fault_pfn(w, vma, vaddr, pfn, &addr_mask, write);
                break;
            case VaddrGetPfnVariant::Pre07956b6269d3:
                ret = follow_fault_pfn_pre_07956b6269d3(w, vma, vaddr, pfn, &addr_mask, write);
                break;
            case VaddrGetPfnVariant::Pre41311242221e:
                // Before 41311242221e: follow_pfn() alone; a range not faulted in is -EFAULT.
                ret = follow_pfn(w, vma, vaddr, pfn, &addr_mask) != 0 ? -EFAULT : 0;
                break;
            case VaddrGetPfnVariant::Pre5cbf3264bc71: {
                // Before 5cbf3264bc71: the pfn from vm_pgoff, as if one remap_pfn_range() at
                // vm_start with vm_pgoff = pfn had made the vma; nothing is walked or locked.
                *pfn = ((vaddr - vma->vm_start) >> PAGE_SHIFT) + vma->vm_pgoff;
                addr_mask = PAGE_MASK;
                ret = 0;
                // I-PFN: the page table maps another pfn there (vm_pgoff is not the pfn).
                std::uint64_t mapped = 0;
                if (leaf_at(w, vaddr, &mapped) != nullptr && mapped != *pfn) {
                    sim::fail_invariant(
                        w.current_name(),
                        fmt::format("I-PFN: vaddr_get_pfn() takes pfn {:#x} for {:#x} from "
                                    "vm_pgoff, but the page table maps pfn {:#x} there",
                                    *pfn, vaddr, mapped));
                }
                break;
            }
        }
        if (ret == -EAGAIN || (ret == -EBUSY && w.policy.returns_to_user())) {
            if (policy_retry(w, ret)) {
                continue;  // goto retry
            }
            break;
        }
        if (ret == 0) {
            if (is_invalid_reserved_pfn(w, *pfn)) {
                // I-PFN: the pfn pinned is the BAR base plus the address's offset into it (a
                // ttm BO may move once the entry lock is dropped: checked under it instead).
                const std::uint64_t want = vma_addr_to_pfn(vma, vaddr);
                if (!vma->vm_private_data->ttm && *pfn != want) {
                    sim::fail_invariant(
                        w.current_name(),
                        fmt::format("I-PFN: pinned pfn {:#x} for {:#x}, but the BAR maps pfn {:#x} "
                                    "there",
                                    *pfn, vaddr, want));
                }
                const std::uint64_t epfn = (*pfn | (~addr_mask >> PAGE_SHIFT)) + 1;
                ret = std::min<long>(npages, static_cast<long>(epfn - *pfn));
            } else {
                ret = -EFAULT;
            }
        }
        break;
    }
    mmap_read_unlock(w);
    return ret;
}

// drivers/vfio/vfio_iommu_type1.c vfio_dma_do_map -> vfio_pin_map_dma: pin and map the range
// run by run; on failure unmap what was mapped.
int vfio_dma_do_map(World& w, std::uint64_t vaddr, std::uint64_t iova, std::uint64_t size,
                    bool write) {
    const sim::Call frame{"vfio_dma_do_map"};
    might_sleep(w);  // mutex_lock
    w.iommu.lock.lock("vfio_dma_do_map");
    // vfio_find_dma(iommu, iova, size): a MAP_DMA overlapping an existing mapping is -EEXIST.
    // The table is only written under iommu->lock, which is held: no scheduling point.
    for (const auto& [start, m] : w.iommu.table) {
        if (start < iova + size && iova < start + (m.npages << PAGE_SHIFT)) {
            sim::annotate("vfio_find_dma: overlaps a vfio_dma");
            w.current().saw_overlap = true;
            w.iommu.lock.unlock("vfio_dma_do_map");
            return -EEXIST;
        }
    }
    int ret = 0;
    std::uint64_t done = 0;
    while (done < size) {
        std::uint64_t pfn = 0;
        const long npage = vfio_pin_pages_remote(
            w, vaddr + done, static_cast<long>((size - done) >> PAGE_SHIFT), write, &pfn);
        if (npage <= 0) {
            ret = static_cast<int>(npage);
            break;
        }
        // I-PROT: IOMMU_WRITE of an entry the process may only read (fixed by 07956b6269d3).
        check_mapping_prot(w, vaddr + done, pfn, write, "vfio_iommu_map");
        ret = vfio_iommu_map(w, iova + done, pfn, static_cast<std::uint64_t>(npage), write);
        if (ret != 0) {
            break;
        }
        done += static_cast<std::uint64_t>(npage) << PAGE_SHIFT;
    }
    if (ret != 0 && done > 0) {
        vfio_remove_dma(w, iova, done);
    }
    w.iommu.lock.unlock("vfio_dma_do_map");
    return ret;
}

}  // namespace pfnsim::model
