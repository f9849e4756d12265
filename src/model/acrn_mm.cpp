// drivers/virt/acrn/mm.c acrn_vm_ram_map for a VM_PFNMAP vma (ACRN_IOCTL_SET_MEMSEG): every page
// of the range is followed under mmap_lock; a write mapping (ACRN_MEM_ACCESS_WRITE) needs a
// writable entry (3d6586008f7b checked pte_write; today follow_pfnmap_start() does, given
// args.write) and the pfns must be contiguous. There is no fault-in and no
// retry: the policies do not apply. [kernel] acrn_vm_ram_map = "pre-3d6586008f7b" is the form
// before: the first page's entry alone, no permission check.
#include "pfnsim/model/world.hpp"
#include "pfnsim/sim/execution.hpp"

namespace pfnsim::model {

// drivers/virt/acrn/mm.c acrn_vm_ram_map (the VM_PFNMAP branch), then acrn_mm_region_add of
// [start_pfn, start_pfn + nr_pages) into the guest's EPT (recorded in the IOMMU table).
int acrn_vm_ram_map(World& w, std::uint64_t vma_base, std::uint64_t len, bool write) {
    const sim::Call frame{"acrn_vm_ram_map"};
    const std::uint64_t nr_pages = len >> PAGE_SHIFT;
    mmap_read_lock(w);
    vm_area_struct* vma = vma_lookup(w, vma_base, "acrn_vm_ram_map");
    if (vma == nullptr || (vma->vm_flags & VM_PFNMAP) == 0) {
        mmap_read_unlock(w);
        return -EFAULT;  // pin_user_pages_fast() of a VM_IO|VM_PFNMAP range (not modelled)
    }
    if (vma_base + len > vma->vm_end) {
        mmap_read_unlock(w);
        return -EINVAL;
    }
    int ret = 0;
    std::uint64_t start_pfn = 0;
    if (w.sc.acrn_map == AcrnMapVariant::Pre3d6586008f7b) {
        // Before 3d6586008f7b: follow_pte() of vma_base only; its pfn stands for the range.
        follow_pfnmap_args args{vma, vma_base};
        ret = follow_pfnmap_start(w, args);
        if (ret != 0) {
            mmap_read_unlock(w);
            return -EFAULT;
        }
        start_pfn = args.pfn;
        follow_pfnmap_end(w, args);
    }
    for (std::uint64_t i = 0; w.sc.acrn_map == AcrnMapVariant::Current && i < nr_pages; ++i) {
        // .write = !!(memmap->attr & ACRN_MEM_ACCESS_WRITE): a read-only entry is -EFAULT.
        follow_pfnmap_args args{vma, vma_base + i * PAGE_SIZE, write};
        ret = follow_pfnmap_start(w, args);
        if (ret != 0) {
            break;  // -EINVAL (or -ENOENT under the API change), -EFAULT, as is
        }
        const std::uint64_t cur_pfn = args.pfn;
        if (i == 0) {
            start_pfn = cur_pfn;
        }
        follow_pfnmap_end(w, args);
        // pfn_valid() && !PageReserved(): BAR and VRAM pfns have no struct page here.
        if (cur_pfn != start_pfn + i) {  // disallow non-contiguous ranges
            ret = -EINVAL;
            break;
        }
    }
    mmap_read_unlock(w);
    if (ret != 0) {
        return ret;
    }
    // acrn_mm_region_add -> hcall_set_memory_regions
    sim::point(sim::Op::Write, w.iommu.obj, "hcall_set_memory_regions", "EPT map pfn={:#x}",
               start_pfn);
    check_mapping_prot(w, vma_base, start_pfn, write, "hcall_set_memory_regions");
    w.iommu.table[vma_base] = iommu_mapping{start_pfn, nr_pages, write};
    return 0;
}

}  // namespace pfnsim::model
