// The kernel objects of the model: mm_struct and VMAs, the PUD/PMD/PTE page table, the vfio-pci
// device, the VFIO type1 IOMMU table and tasks. Field names follow the kernel's.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "pfnsim/model/errno.hpp"
#include "pfnsim/sim/sync.hpp"
#include "pfnsim/sim/types.hpp"

namespace pfnsim::model {

// arch/x86/include/asm/page_types.h, pgtable_64_types.h
inline constexpr std::uint64_t PAGE_SHIFT = 12;
inline constexpr std::uint64_t PAGE_SIZE = 1ULL << PAGE_SHIFT;
inline constexpr std::uint64_t PMD_SHIFT = 21;
inline constexpr std::uint64_t PMD_SIZE = 1ULL << PMD_SHIFT;
inline constexpr std::uint64_t PUD_SHIFT = 30;
inline constexpr std::uint64_t PUD_SIZE = 1ULL << PUD_SHIFT;
inline constexpr unsigned PMD_ORDER = PMD_SHIFT - PAGE_SHIFT;
inline constexpr unsigned PUD_ORDER = PUD_SHIFT - PAGE_SHIFT;
inline constexpr std::uint64_t PAGE_MASK = ~(PAGE_SIZE - 1);
inline constexpr std::uint64_t PMD_MASK = ~(PMD_SIZE - 1);
inline constexpr std::uint64_t PUD_MASK = ~(PUD_SIZE - 1);

// include/linux/mm.h vm_flags
inline constexpr std::uint64_t VM_READ = 0x1;
inline constexpr std::uint64_t VM_WRITE = 0x2;
inline constexpr std::uint64_t VM_SHARED = 0x8;
inline constexpr std::uint64_t VM_IO = 0x4000;
inline constexpr std::uint64_t VM_PFNMAP = 0x400;

// include/linux/mm_types.h fault flags
inline constexpr unsigned FAULT_FLAG_WRITE = 0x1;
inline constexpr unsigned FAULT_FLAG_ALLOW_RETRY = 0x4;
inline constexpr unsigned FAULT_FLAG_KILLABLE = 0x10;
inline constexpr unsigned FAULT_FLAG_TRIED = 0x20;
inline constexpr unsigned FAULT_FLAG_USER = 0x40;
inline constexpr unsigned FAULT_FLAG_REMOTE = 0x80;
inline constexpr unsigned FAULT_FLAG_VMA_LOCK = 0x1000;  // under the per-VMA lock, no mmap_lock

enum class Level : std::uint8_t { PUD, PMD, PTE };
const char* level_name(Level l);

// One page-table entry: none, a pointer to the next-level table, or a leaf mapping a pfn.
struct pt_entry {
    enum class Kind : std::uint8_t { none, table, leaf };
    Kind kind = Kind::none;
    std::uint64_t pfn = 0;
    bool writable = false;
    bool special = false;
    bool operator==(const pt_entry&) const = default;
};
inline bool entry_present(const pt_entry& e) {
    return e.kind != pt_entry::Kind::none;
}
inline bool entry_leaf(const pt_entry& e) {
    return e.kind == pt_entry::Kind::leaf;
}

// A slot of the page table: the entry and the simulation object that stands for it. The entry
// is written only through pt_store (pgtable.cpp), which keeps page_table::digest current.
struct pt_slot {
    pt_entry e;
    sim::ObjectId obj = sim::kNoObject;
    std::uint64_t key = 0;  // level and aligned address: the slot's place in the digest
};

struct vfio_pci_core_device;
struct address_space;
struct mm_struct;
struct vm_operations_struct;

// include/linux/mm_types.h vm_area_struct (the fields this path reads).
struct vm_area_struct {
    std::uint64_t vm_start = 0;
    std::uint64_t vm_end = 0;
    std::uint64_t vm_flags = 0;
    std::uint64_t vm_pgoff = 0;  // page offset into the BAR (region index 0)
    mm_struct* vm_mm = nullptr;
    vfio_pci_core_device* vm_private_data = nullptr;  // the device (BAR, BO or /dev/mem range)
    const vm_operations_struct* vm_ops = nullptr;     // its kind's row of vm_ops_of(); none: NULL
    address_space* mapping = nullptr;                 // vm_file->f_mapping
    bool detached = false;  // unlinked by munmap: any later use is a use-after-free
    int id = 0;
    // The per-VMA lock (include/linux/mmap_lock.h vma_start_read/vma_start_write; vm_refcnt
    // since v6.15): a fault's reader only ever trylocks it, and fails while a writer holds it
    // or waits for the readers to drain; vma_start_write holds it until vma_end_write_all()
    // (mmap_write_unlock or mmap_write_downgrade). Strict FIFO: readers never queue.
    sim::RwSemaphore vm_lock;
};

// include/linux/fs.h address_space: the device inode's mapping that unmap_mapping_range walks.
struct address_space {
    sim::RwSemaphore i_mmap_rwsem;
    std::vector<vm_area_struct*> i_mmap;
};

// The page table of one mm, materialised lazily: slots exist once some actor touched them.
struct page_table {
    std::map<std::uint64_t, pt_slot> pud;            // keyed by PUD-aligned address
    std::map<std::uint64_t, pt_slot> pmd;            // keyed by PMD-aligned address
    std::map<std::uint64_t, pt_slot> pte;            // keyed by page address
    std::map<std::uint64_t, sim::SpinLock> pmd_ptl;  // split PMD lock, per PMD table
    std::map<std::uint64_t, sim::SpinLock> pte_ptl;  // PTE lock, per PTE table
    // The present entries as a set (Zobrist: the XOR of one term per slot), kept by pt_store
    // so that a state signature need not walk the tables; pt_digest_walk recomputes it.
    std::uint64_t digest = 0;
    // The slots and split locks that exist (Zobrist: one term per slot or lock key), kept where
    // pt_offset and pt_lockptr create them; pt_shape_walk recomputes it. They are created
    // lazily by whoever touches them first, and whatever iterates the tables (the zaps, page
    // walks, munmap) visits every slot that exists, empty or not, with a step each: which
    // exist is state, and part of every signature.
    std::uint64_t shape = 0;
};

// include/linux/kvm_host.h struct kvm, the fields the mmu_notifier updates: a vCPU fault
// re-checks them (mmu_invalidate_retry_gfn) before it uses the pfn it resolved.
struct kvm_mmu_invalidate {
    bool registered = false;        // a kvm actor exists: mm_has_notifiers(mm)
    std::uint64_t in_progress = 0;  // kvm->mmu_invalidate_in_progress
    std::uint64_t seq = 0;          // kvm->mmu_invalidate_seq
    sim::ObjectId obj = sim::kNoObject;
};

// include/linux/mm_types.h mm_struct
struct mm_struct {
    sim::RwSemaphore mmap_lock;
    sim::SpinLock page_table_lock;            // pud_lock() is mm->page_table_lock
    sim::ObjectId mm_mt = sim::kNoObject;     // the VMA tree
    std::deque<vm_area_struct> vma_storage;   // stable addresses; detached VMAs stay here
    std::vector<vm_area_struct*> mm_mt_list;  // live VMAs sorted by vm_start
    page_table pgtable;
    kvm_mmu_invalidate kvm;  // the one VM's mmu_notifier subscription
};

// include/linux/dma-resv.h dma_resv: a buffer object's reservation (a ww_mutex); trylock is
// what the TTM fault path uses.
struct dma_resv {
    sim::WwMutex lock;
    // The DMA_RESV_USAGE_KERNEL fence of a pipelined move (ttm_bo_move_accel_cleanup): the
    // mover holds it from dma_resv_add_fence() until dma_fence_signal(), so that a wait for
    // the fence is a wait for this lock, and the fence is signalled when nobody holds it.
    sim::Mutex fence;
};

// drivers/vfio/pci/vfio_pci_priv.h vfio_pci_core_device (the fields this path reads); for a
// ttm-vram device it stands for the VRAM aperture and the one ttm_buffer_object mapped from it
// (include/drm/ttm/ttm_bo.h: its reservation and its placement's offset in VRAM).
struct vfio_pci_core_device {
    std::string name;
    bool ttm = false;                    // a ttm-vram device: ttm_bo_vm_fault populates it
    bool devmem = false;                 // a /dev/mem range: remap_pfn_range() populated it at mmap
    std::uint64_t bo_placement_pfn = 0;  // ttm: the BO's current offset in VRAM, in pages
    dma_resv resv;                       // ttm: bo->base.resv
    std::uint64_t bar_base_pfn = 0;
    std::uint64_t bar_size = 0;
    sim::RwSemaphore memory_lock;
    // PCI_COMMAND_MEMORY; for a devmem range: not yet claimed by a driver (__request_region()
    // marks it busy, then revoke_iomem() zaps it): false justifies a failure as memory off does.
    bool mem_enabled = true;
    sim::ObjectId mem_obj = sim::kNoObject;
    address_space inode_mapping;
    bool zap_done_while_disabled = false;  // for I-STALE
    // pdev->no_command_memory: a VF (or an s390 function without MSE emulation), whose BARs
    // PCI_COMMAND_MEMORY does not gate.
    bool no_command_memory = false;
    // pdev->current_state >= PCI_D3hot: non-config accesses are Unsupported Requests.
    bool d3hot = false;
    // A reset (VFIO_DEVICE_RESET: pci_try_reset_function) in progress.
    bool resetting = false;
    // vdev->pm_runtime_engaged (VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY, v6.1), and the runtime
    // suspend it allows (pdev->current_state D3cold), taken to follow at once.
    bool pm_runtime_engaged = false;
    bool d3cold = false;
    // The vma_lock era ([kernel] vfio_pci_mmap, v5.8 to v6.9): the vmas a fault filled, and
    // the mutex that guards the list (nested under mmap_lock, memory_lock nested under it).
    sim::Mutex vma_lock;
    std::vector<vm_area_struct*> vma_list;
    sim::ObjectId vma_list_obj = sim::kNoObject;
    // The eventfd of a KVM ioeventfd registered on the BAR (VFIO_DEVICE_IOEVENTFD; only when an
    // ioeventfd actor names the device): eventfd_signal() runs the vfio virqfd's wakeup under
    // its wait-queue lock, interrupts off.
    sim::SpinLock ioeventfd_wqh;
    bool has_ioeventfd = false;
    struct pci_bus* bus = nullptr;  // pdev->bus (vfio-pci only); its device set is the bus's
};

// include/linux/pci.h pci_bus (the fields the bus walks read) with the vfio_device_set of its
// vfio-pci functions (drivers/vfio/vfio_main.c: one set per bus without a slot reset).
struct pci_bus {
    std::string name;
    // pci_bus.devices: the vfio-pci functions (in [[device]] order) and how many others (bound
    // to no vfio driver: hot-added ones); the list is written under pci_bus_sem for write.
    std::vector<vfio_pci_core_device*> vfio_functions;
    int other_functions = 0;
    sim::ObjectId devices_obj = sim::kNoObject;
    // vfio_device_set.lock and .device_list (here: vfio_functions).
    sim::Mutex dev_set_lock;
};

// Whether the device answers accesses to its BAR now (the oracle's and the invariants' view,
// not what a kernel function reads): powered (below D3hot) and decoding memory, which a
// no_command_memory function always does. For devmem: not claimed; TTM VRAM always.
inline bool bar_accessible(const vfio_pci_core_device& d) {
    return !d.d3hot && !d.d3cold && !d.resetting && (d.no_command_memory || d.mem_enabled);
}
// Why the BAR is inaccessible now ("" if it is not), for reports.
inline const char* bar_inaccessible_why(const vfio_pci_core_device& d) {
    return bar_accessible(d) ? ""
           : d.resetting     ? "a reset is in progress"
           : d.d3cold        ? "it is runtime-suspended (low power engaged)"
           : d.d3hot         ? "it is in D3hot"
                             : "its memory is disabled";
}

// One IOMMU mapping installed by vfio_iommu_map() (or an ACRN EPT region), with its
// protection: IOMMU_WRITE (or ACRN_MEM_ACCESS_WRITE) lets the device or guest write.
struct iommu_mapping {
    std::uint64_t pfn = 0;
    std::uint64_t npages = 0;
    bool writable = false;
};

// drivers/vfio/vfio_iommu_type1.c vfio_iommu (its domain's page table, flattened).
struct vfio_iommu {
    sim::Mutex lock;
    std::map<std::uint64_t, iommu_mapping> table;  // iova -> mapping
    sim::ObjectId obj = sim::kNoObject;
};

// include/linux/sched.h task_struct (the fields this path reads), one per actor.
struct task_struct {
    std::string comm;
    bool sigkill_pending = false;
    bool sigkill_injected = false;  // by a fault site, not by a scenario actor
    bool alloc_failed = false;      // an injected page-table allocation failure hit this task
    sim::ObjectId pending_obj = sim::kNoObject;
    int result = 0;
    bool finished = false;
    // Oracle facts gathered while the actor runs.
    bool in_pin = false;
    bool saw_mem_disabled = false;  // memory was off at some point during the pin
    bool saw_vma_gone = false;      // its VMA was unmapped during the pin
    bool signalled = false;         // SIGKILL arrived before the pin returned
    bool saw_unmapped = false;      // a zap, BO move or munmap removed entries meanwhile
    bool saw_unpopulated = false;   // some page of the range had no entry at the start
    bool saw_overlap = false;       // MAP_DMA: the iova range was mapped already
    std::uint64_t retries = 0;      // vaddr_get_pfns retries
    // gup-loop: the last round's fixup_user_fault() dropped mmap_lock, so the next fault is
    // __get_user_pages_locked's FOLL_TRIED pass (policy_fault_flags consumes it).
    bool foll_tried = false;
    // A pending non-fatal signal (the signal actor's SIGUSR1): signal_pending() sees it,
    // fatal_signal_pending() does not; never cleared (it is delivered on the return to user).
    bool sigpending = false;
    // Some signal actor targets the task (fixed by the scenario): else signal_pending() reads
    // an object nobody writes and takes no step.
    bool signal_target = false;
    std::uint64_t fault_retry_budget = 0;  // injected VM_FAULT_RETRY left
    // kvm_mmu_faultin_pfn's snapshot of mmu_invalidate_seq (the fault's mmu_seq): only whether
    // the count moved since is part of the state, so that invalidations do not make it grow.
    std::uint64_t mmu_seq = 0;
    bool mmu_seq_taken = false;
    // I-VMA: the vma last looked up and the mmap_lock generation it was looked up under.
    const vm_area_struct* looked_up_vma = nullptr;
    std::uint64_t mmap_lock_gen = 0;
    std::uint64_t looked_up_gen = 0;
};

// drivers/vfio/pci/vfio_pci_core.c vma_to_pfn plus the page offset: the BAR pfn mapped at addr
// (for a ttm-vram device: the VRAM pfn of the BO's current placement).
inline std::uint64_t vma_addr_to_pfn(const vm_area_struct* vma, std::uint64_t addr) {
    return vma->vm_private_data->bar_base_pfn + vma->vm_private_data->bo_placement_pfn +
           vma->vm_pgoff + ((addr - vma->vm_start) >> PAGE_SHIFT);
}

// mm/memory.c vma_is_anonymous (no vm_ops), here also neither VM_IO nor VM_PFNMAP: a private
// anonymous mapping ([[vma]] with no device and neither flag). Its anon_vma is taken to exist
// (the mapping was touched before), so do_anonymous_page() never needs mmap_lock for it.
inline bool vma_is_anonymous(const vm_area_struct* vma) {
    return vma->vm_ops == nullptr && vma->vm_private_data == nullptr &&
           (vma->vm_flags & (VM_IO | VM_PFNMAP)) == 0;
}
// The page frames of anonymous memory, far above every BAR: the shared zero page
// (my_zero_pfn) and the page do_anonymous_page() or wp_page_copy() gives a virtual page (any
// free page would do: one per virtual page keeps the state free of an allocator).
inline constexpr std::uint64_t kZeroPfn = (1ULL << 40) - 1;
inline std::uint64_t anon_page_pfn(std::uint64_t addr) {
    return (1ULL << 40) | (addr >> PAGE_SHIFT);
}

// Whether pfn lies in the device's BAR.
inline bool bar_contains(const vfio_pci_core_device& d, std::uint64_t pfn) {
    return pfn >= d.bar_base_pfn && pfn < d.bar_base_pfn + (d.bar_size >> PAGE_SHIFT);
}

// pgprot of vma->vm_page_prot: a shared writable mapping maps writable.
inline bool vm_page_prot_writable(const vm_area_struct* vma) {
    return (vma->vm_flags & (VM_WRITE | VM_SHARED)) == (VM_WRITE | VM_SHARED);
}

}  // namespace pfnsim::model
