// drivers/gpu/drm/ttm/ttm_bo_vm.c (the CPU fault of a BO mapping), ttm_bo.c (a BO move) and
// drivers/dma-buf/dma-resv.c (the reservation). A TTM BO mapping is VM_PFNMAP|VM_IO; in VRAM
// its pfns are iomem, the only placement VFIO type1 can pin.
#include "pfnsim/model/world.hpp"
#include "pfnsim/sim/execution.hpp"

namespace pfnsim::model {

// drivers/dma-buf/dma-resv.c dma_resv_trylock (ww_mutex_trylock): never waits.
bool dma_resv_trylock(World& /*w*/, dma_resv& resv) {
    return resv.lock.try_lock("dma_resv_trylock");
}

// drivers/dma-buf/dma-resv.c dma_resv_lock / dma_resv_lock_interruptible: a sleeping lock
// (ww_mutex without an acquire context), FIFO hand-off.
void dma_resv_lock(World& w, dma_resv& resv, sim::Name func) {
    might_sleep(w);
    resv.lock.lock(func);
}

// drivers/dma-buf/dma-resv.c dma_resv_unlock
void dma_resv_unlock(World& /*w*/, dma_resv& resv) {
    resv.lock.unlock("dma_resv_unlock");
}

namespace {

// include/linux/mm_types.h fault_flag_allow_retry_first: ALLOW_RETRY and not TRIED.
bool fault_flag_allow_retry_first(unsigned flags) {
    return (flags & FAULT_FLAG_ALLOW_RETRY) != 0 && (flags & FAULT_FLAG_TRIED) == 0;
}

// drivers/gpu/drm/ttm/ttm_bo_vm.c ttm_bo_vm_reserve: 0 with the reservation held, or
// VM_FAULT_RETRY after mmap_read_unlock() and a wait for the holder, when the reservation is
// contended and this is the first try. `fault_retry` budgets a contention by a holder outside
// the scenario (the wait is then not modelled).
vm_fault_t ttm_bo_vm_reserve(World& w, vfio_pci_core_device& bo, vm_fault& vmf) {
    const sim::Call frame{"ttm_bo_vm_reserve"};
    task_struct& t = w.current();
    if (fault_flag_allow_retry_first(vmf.flags) &&
        sim::inject("handle_mm_fault returns VM_FAULT_RETRY", t.fault_retry_budget > 0)) {
        if (t.fault_retry_budget > 0) {
            --t.fault_retry_budget;
        }
        mmap_read_unlock(w);
        return VM_FAULT_RETRY;
    }
    if (!dma_resv_trylock(w, bo.resv)) {
        if (fault_flag_allow_retry_first(vmf.flags)) {
            // FAULT_FLAG_RETRY_NOWAIT is not set by GUP or the CPU fault: drop mmap_lock and
            // wait for the holder, then let the caller retry.
            mmap_read_unlock(w);
            dma_resv_lock(w, bo.resv, "dma_resv_lock_interruptible");
            dma_resv_unlock(w, bo.resv);
            return VM_FAULT_RETRY;
        }
        dma_resv_lock(w, bo.resv, "dma_resv_lock_interruptible");  // wait under mmap_lock
    }
    return 0;
}

}  // namespace

// drivers/gpu/drm/ttm/ttm_bo_vm.c ttm_bo_vm_fault -> ttm_bo_vm_fault_reserved: reserve the BO,
// then insert the pfn of its current placement (vmf_insert_pfn_prot; the prefault of up to 16
// pages is not modelled).
vm_fault_t ttm_bo_vm_fault(World& w, vm_fault& vmf) {
    const sim::Call frame{"ttm_bo_vm_fault"};
    vfio_pci_core_device& bo = *vmf.vma->vm_private_data;
    const vm_fault_t r = ttm_bo_vm_reserve(w, bo, vmf);
    if (r != 0) {
        return r;
    }
    // ttm_bo_vm_fault_idle: the move's fence is signalled once the mover released the
    // reservation (the move is modelled as synchronous under it).
    const vm_fault_t ret =
        vmf_insert_pfn(w, vmf, vma_addr_to_pfn(vmf.vma, vmf.address & PAGE_MASK));
    dma_resv_unlock(w, bo.resv);
    return ret;
}

// drivers/gpu/drm/ttm/ttm_bo.c ttm_bo_validate -> ttm_bo_handle_move_mem with the reservation
// held: ttm_bo_unmap_virtual() (unmap_mapping_range of the BO's mappings), then the new
// placement.
int ttm_bo_validate(World& w, vfio_pci_core_device& bo, std::uint64_t placement) {
    const sim::Call frame{"ttm_bo_validate"};
    dma_resv_lock(w, bo.resv, "ttm_bo_reserve");
    unmap_mapping_range(w, &bo.inode_mapping);  // ttm_bo_unmap_virtual
    sim::point(sim::Op::Write, bo.mem_obj, "ttm_bo_move_memcpy", "new placement at page {:#x}",
               placement >> PAGE_SHIFT);
    bo.bo_placement_pfn = placement >> PAGE_SHIFT;
    dma_resv_unlock(w, bo.resv);
    return 0;
}

}  // namespace pfnsim::model
