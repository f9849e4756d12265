// drivers/gpu/drm/ttm/ttm_bo_vm.c (the CPU fault of a BO mapping), ttm_bo.c (a BO move) and
// drivers/dma-buf/dma-resv.c (the reservation and its fences). A TTM BO mapping is
// VM_PFNMAP|VM_IO; in VRAM its pfns are iomem, the only placement VFIO type1 can pin.
#include "pfnsim/model/world.hpp"
#include "pfnsim/sim/execution.hpp"

namespace pfnsim::model {

// drivers/dma-buf/dma-resv.c dma_resv_trylock (ww_mutex_trylock): never waits.
bool dma_resv_trylock(World& /*w*/, dma_resv& resv) {
    return resv.lock.try_lock("dma_resv_trylock");
}

// drivers/dma-buf/dma-resv.c dma_resv_lock: a sleeping lock (ww_mutex without an acquire
// context), FIFO hand-off.
void dma_resv_lock(World& w, dma_resv& resv, sim::Name func) {
    might_sleep(w);
    resv.lock.lock(func);
}

// drivers/dma-buf/dma-resv.c dma_resv_lock_interruptible: 0 with the lock held, or -EINTR when
// a signal (fatal or not) is pending as the task would sleep. As __mutex_lock_common() does,
// the lock is tried before the signal is looked at: a lock released meanwhile is taken whatever
// is pending. A signal that arrives while the task sleeps is taken as one that arrived just
// before it slept.
int dma_resv_lock_interruptible(World& w, dma_resv& resv) {
    might_sleep(w);
    if (resv.lock.owner() != sim::kNoActor && signal_pending(w)) {
        return -EINTR;
    }
    resv.lock.lock("dma_resv_lock_interruptible");
    return 0;
}

// drivers/dma-buf/dma-resv.c dma_resv_unlock
void dma_resv_unlock(World& /*w*/, dma_resv& resv) {
    resv.lock.unlock("dma_resv_unlock");
}

// drivers/dma-buf/dma-resv.c dma_resv_test_signaled(DMA_RESV_USAGE_KERNEL): the move's fence is
// signalled (nobody holds it).
bool dma_resv_test_signaled(World& /*w*/, dma_resv& resv) {
    sim::point(sim::Op::Read, resv.fence.id(), "dma_resv_test_signaled");
    return resv.fence.owner() == sim::kNoActor;
}

// drivers/dma-buf/dma-resv.c dma_resv_wait_timeout(DMA_RESV_USAGE_KERNEL, intr = true,
// MAX_SCHEDULE_TIMEOUT) -> dma_fence_default_wait: > 0 once the fence is signalled, or
// -ERESTARTSYS when a signal is pending while the fence is not signalled yet
// (dma_fence_default_wait tests the signalled bit first; as for dma_resv_lock_interruptible, a
// signal arriving during the sleep is taken as one arriving before it).
long dma_resv_wait_timeout(World& w, dma_resv& resv) {
    if (resv.fence.owner() != sim::kNoActor && signal_pending(w)) {
        return -ERESTARTSYS;
    }
    resv.fence.lock("dma_fence_default_wait");  // until dma_fence_signal()
    resv.fence.unlock("dma_fence_default_wait");
    return 1;
}

namespace {

// include/linux/mm_types.h fault_flag_allow_retry_first: ALLOW_RETRY and not TRIED.
bool fault_flag_allow_retry_first(unsigned flags) {
    return (flags & FAULT_FLAG_ALLOW_RETRY) != 0 && (flags & FAULT_FLAG_TRIED) == 0;
}

// drivers/gpu/drm/ttm/ttm_bo_vm.c ttm_bo_vm_reserve: 0 with the reservation held; on contention,
// VM_FAULT_RETRY after mmap_read_unlock() and an interruptible wait for the holder on the first
// try (FAULT_FLAG_RETRY_NOWAIT is set by neither GUP nor the CPU fault), else an interruptible
// wait under mmap_lock that a signal turns into VM_FAULT_NOPAGE. `fault_retry` budgets a
// contention by a holder outside the scenario (the wait is then not modelled).
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
            mmap_read_unlock(w);
            if (dma_resv_lock_interruptible(w, bo.resv) == 0) {
                dma_resv_unlock(w, bo.resv);
            }
            return VM_FAULT_RETRY;
        }
        if (dma_resv_lock_interruptible(w, bo.resv) != 0) {
            sim::annotate("interrupted: VM_FAULT_NOPAGE");
            return VM_FAULT_NOPAGE;
        }
    }
    return 0;
}

// drivers/gpu/drm/ttm/ttm_bo_vm.c ttm_bo_vm_fault_idle: with the reservation held, wait for the
// move's fence. On the first try it drops mmap_lock and the reservation around the wait and
// returns VM_FAULT_RETRY; else it waits under both, and a signal makes it VM_FAULT_NOPAGE.
vm_fault_t ttm_bo_vm_fault_idle(World& w, vfio_pci_core_device& bo, vm_fault& vmf) {
    if (dma_resv_test_signaled(w, bo.resv)) {
        return 0;
    }
    if (fault_flag_allow_retry_first(vmf.flags)) {
        mmap_read_unlock(w);
        (void)dma_resv_wait_timeout(w, bo.resv);
        dma_resv_unlock(w, bo.resv);
        return VM_FAULT_RETRY;
    }
    const long err = dma_resv_wait_timeout(w, bo.resv);
    if (err < 0) {
        sim::annotate("interrupted: VM_FAULT_NOPAGE");
        return err != -ERESTARTSYS ? VM_FAULT_SIGBUS : VM_FAULT_NOPAGE;
    }
    return 0;
}

// drivers/gpu/drm/ttm/ttm_bo_vm.c ttm_bo_vm_fault_reserved: wait for the BO to be idle, then
// insert the pfn of its current placement (vmf_insert_pfn_prot; of the prefault loop of up to
// 16 pages only the first page is modelled). An error on the first insert is VM_FAULT_NOPAGE:
// the access faults again.
vm_fault_t ttm_bo_vm_fault_reserved(World& w, vfio_pci_core_device& bo, vm_fault& vmf) {
    const vm_fault_t idle = ttm_bo_vm_fault_idle(w, bo, vmf);
    if (idle != 0) {
        return idle;
    }
    const vm_fault_t ret =
        vmf_insert_pfn(w, vmf, vma_addr_to_pfn(vmf.vma, vmf.address & PAGE_MASK));
    if ((ret & VM_FAULT_ERROR) != 0) {
        sim::annotate("the first insert failed: VM_FAULT_NOPAGE");
        return VM_FAULT_NOPAGE;  // i == 0
    }
    return ret;
}

}  // namespace

// drivers/gpu/drm/ttm/ttm_bo_vm.c ttm_bo_vm_fault: reserve the BO and fault it in; a RETRY from
// ttm_bo_vm_fault_idle has already dropped the reservation.
vm_fault_t ttm_bo_vm_fault(World& w, vm_fault& vmf) {
    const sim::Call frame{"ttm_bo_vm_fault"};
    vfio_pci_core_device& bo = *vmf.vma->vm_private_data;
    const vm_fault_t r = ttm_bo_vm_reserve(w, bo, vmf);
    if (r != 0) {
        return r;
    }
    const vm_fault_t ret = ttm_bo_vm_fault_reserved(w, bo, vmf);
    if (ret == VM_FAULT_RETRY) {
        return ret;  // FAULT_FLAG_RETRY_NOWAIT is never set
    }
    dma_resv_unlock(w, bo.resv);
    return ret;
}

// drivers/gpu/drm/ttm/ttm_bo_vm.c ttm_bo_vm_open: a reference on the BO for a copied vma (fork,
// split: neither is modelled, so it is never called); the model keeps no refcount.
void ttm_bo_vm_open(World& /*w*/, vm_area_struct* /*vma*/) {}

// drivers/gpu/drm/ttm/ttm_bo_vm.c ttm_bo_vm_close: drops the vma's reference on the BO at munmap
// (drm_gem_object_put); the model keeps no refcount, and keeps vm_private_data (I-VMA reports
// any later use of the vma).
void ttm_bo_vm_close(World& /*w*/, vm_area_struct* /*vma*/) {}

namespace {

// drivers/gpu/drm/ttm/ttm_bo.c ttm_bo_reserve(bo, interruptible = true, no_wait = false): the
// reservation, or -ERESTARTSYS when a signal interrupts the wait for it.
int ttm_bo_reserve(World& w, vfio_pci_core_device& bo) {
    if (dma_resv_lock_interruptible(w, bo.resv) != 0) {
        sim::annotate("interrupted: -ERESTARTSYS");
        return -ERESTARTSYS;  // -EINTR from the ww_mutex
    }
    return 0;
}

// The driver's ttm_device_funcs.access_memory for VRAM (amdgpu_ttm_access_memory; i915 and xe
// have one too): with the reservation held, the BO's current placement is read or written
// through the device (MM_INDEX/MM_DATA or a DMA), never through the CPU mapping.
int access_memory(World& /*w*/, vfio_pci_core_device& bo, std::uint64_t offset, int len,
                  bool write) {
    sim::point(write ? sim::Op::Write : sim::Op::Read, bo.mem_obj,
               write ? sim::Name("access_memory write") : sim::Name("access_memory read"),
               "vram pfn={:#x}", bo.bar_base_pfn + bo.bo_placement_pfn + (offset >> PAGE_SHIFT));
    return len;
}

}  // namespace

// drivers/gpu/drm/ttm/ttm_bo_vm.c ttm_bo_vm_access -> ttm_bo_access: the offset into the BO,
// the reservation, then by placement: VRAM goes to the driver's access_memory (the model's
// ttm-vram driver has one; without one it is -EIO). No page-table entry is looked at, so
// neither a zap nor a split can fail it; a BO move waits for or precedes it.
int ttm_bo_vm_access(World& w, vm_area_struct* vma, std::uint64_t addr, int len, bool write) {
    const sim::Call frame{"ttm_bo_vm_access"};
    vfio_pci_core_device& bo = *vma->vm_private_data;
    const std::uint64_t offset = addr - vma->vm_start + (vma->vm_pgoff << PAGE_SHIFT);
    if (len < 1 || offset + static_cast<std::uint64_t>(len) > bo.bar_size) {
        return -EIO;
    }
    const int err = ttm_bo_reserve(w, bo);
    if (err != 0) {
        return err;
    }
    // bo->resource->mem_type is VRAM (TTM_PL_VRAM): not the kmap path of SYSTEM and TT.
    const int ret = access_memory(w, bo, offset, len, write);
    dma_resv_unlock(w, bo.resv);  // ttm_bo_unreserve
    return ret;
}

// drivers/gpu/drm/ttm/ttm_bo.c ttm_bo_validate -> ttm_bo_handle_move_mem with the reservation
// held: ttm_bo_unmap_virtual() (unmap_mapping_range of the BO's mappings), then a pipelined
// move (ttm_bo_move_accel_cleanup): the copy's fence is added to the reservation and the BO's
// resource is the new placement at once; the fence is signalled when the copy is done, after
// the reservation is dropped.
int ttm_bo_validate(World& w, vfio_pci_core_device& bo, std::uint64_t placement) {
    const sim::Call frame{"ttm_bo_validate"};
    dma_resv_lock(w, bo.resv, "ttm_bo_reserve");
    unmap_mapping_range(w, &bo.inode_mapping);  // ttm_bo_unmap_virtual
    // ttm_bo_move_accel_cleanup: the fence and the new resource in one step (both are read
    // only under the reservation or through the fence).
    bo.resv.fence.lock("dma_resv_add_fence");
    sim::annotate("new placement at page {:#x}", placement >> PAGE_SHIFT);
    bo.bo_placement_pfn = placement >> PAGE_SHIFT;
    dma_resv_unlock(w, bo.resv);
    bo.resv.fence.unlock("dma_fence_signal");  // the copy engine is done
    return 0;
}

}  // namespace pfnsim::model
