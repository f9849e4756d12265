// The vm_operations_struct of each device kind: which callbacks its mappings have. mm/memory.c
// calls through them (the fault path, __access_remote_vm), mm/vma.c's munmap calls ->close.
#include "pfnsim/model/world.hpp"

namespace pfnsim::model {

namespace {

// drivers/vfio/pci/vfio_pci_core.c vfio_pci_mmap_ops: .fault and, with
// CONFIG_ARCH_SUPPORTS_HUGE_PFNMAP, .huge_fault (mm/memory.c's huge_fault() checks the arch);
// no .access, so ptrace of a BAR mapping copies nothing (-EIO).
constexpr vm_operations_struct kVfioPciMmapOps = {
    "vfio_pci_mmap_ops",
    nullptr,                   // open
    nullptr,                   // close
    vfio_pci_mmap_page_fault,  // fault
    vfio_pci_mmap_huge_fault,  // huge_fault
    nullptr,                   // map_pages
    nullptr,                   // access
};

// drivers/gpu/drm/ttm/ttm_bo_vm.c ttm_bo_vm_ops (the default of ttm_bo_mmap_obj()).
constexpr vm_operations_struct kTtmBoVmOps = {
    "ttm_bo_vm_ops",
    ttm_bo_vm_open,    // open
    ttm_bo_vm_close,   // close
    ttm_bo_vm_fault,   // fault
    nullptr,           // huge_fault
    nullptr,           // map_pages
    ttm_bo_vm_access,  // access
};

// drivers/char/mem.c mmap_mem_ops (CONFIG_HAVE_IOREMAP_PROT): remap_pfn_range() populated the
// mapping at mmap, so there is no fault handler; a missing entry is SIGBUS.
constexpr vm_operations_struct kMmapMemOps = {
    "mmap_mem_ops",
    nullptr,              // open
    nullptr,              // close
    nullptr,              // fault
    nullptr,              // huge_fault
    nullptr,              // map_pages
    generic_access_phys,  // access
};

// drivers/vfio/pci/vfio_pci.c (vfio_pci_core.c from v5.15) vfio_pci_mmap_ops of v5.8 to v6.9:
// .fault fills the whole vma and lists it, .close unlists it; .open (which zaps a vma a fork or
// split copied) is never called here.
constexpr vm_operations_struct kVfioPciMmapOpsVmaLock = {
    "vfio_pci_mmap_ops",
    nullptr,              // open
    vfio_pci_mmap_close,  // close
    vfio_pci_mmap_fault,  // fault
    nullptr,              // huge_fault
    nullptr,              // map_pages
    nullptr,              // access
};

}  // namespace

const vm_operations_struct& vfio_pci_mmap_ops_vma_lock() {
    return kVfioPciMmapOpsVmaLock;
}

const vm_operations_struct& vm_ops_of(DeviceKind kind) {
    switch (kind) {
        case DeviceKind::VfioPci:
            return kVfioPciMmapOps;
        case DeviceKind::TtmVram:
            return kTtmBoVmOps;
        case DeviceKind::DevMem:
            return kMmapMemOps;
    }
    return kVfioPciMmapOps;
}

}  // namespace pfnsim::model
