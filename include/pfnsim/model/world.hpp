// The kernel model as a sim::Program, and the kernel functions it is made of, grouped by the
// kernel file each models.
#pragma once

#include <deque>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "pfnsim/model/kernel.hpp"
#include "pfnsim/model/policy.hpp"
#include "pfnsim/model/scenario.hpp"
#include "pfnsim/sim/program.hpp"

namespace pfnsim::model {

class World final : public sim::Program {
  public:
    explicit World(Scenario sc);
    void set_policy(const Policy& p) { policy = p; }
    // The follow_pfnmap_start() API variant (the matrix's API rows); the scenario's by default.
    void set_follow_errno(FollowErrno e) { sc.follow_errno = e; }
    // The API variant in effect: the scenario's (or set_follow_errno's), else the policy's.
    FollowErrno follow_errno() const {
        if (sc.follow_errno) {
            return *sc.follow_errno;
        }
        return policy.kind == Policy::Kind::Enoent || policy.kind == Policy::Kind::EnoentKillable
                   ? FollowErrno::Enoent
                   : FollowErrno::Einval;
    }

    const std::vector<sim::ActorDecl>& actors() const override { return decls_; }
    sim::ObjectTable& objects() override { return objects_; }
    void reset() override;
    void run_actor(sim::ActorId id) override;
    std::string result(sim::ActorId id) const override;
    void check_results(std::vector<sim::Violation>& out) const override;
    std::uint64_t state_hash() const override;
    std::optional<std::uint64_t> loop_state_hash() const override;
    std::optional<std::uint64_t> state_signature() const override;
    void describe_state(sim::StateFields& out) const override;
    bool is_kill_check(sim::ActorId actor, const sim::Step& step) const override;
    // The model's frames own nothing across a scheduling point (docs/extending.md, "Frames that
    // own nothing"): what one keeps there comes from sim::execution_memory().
    bool stop_drops_frames() const override { return true; }

    task_struct& current();
    const std::string& current_name() const;
    sim::ObjectId object(const std::string& name) { return objects_.intern(name); }
    // The object named make_name(), built and interned only the first time (kind, key) is
    // asked for: reset() and the page table ask for the same names before every execution, and
    // the ids stay those of the first interning.
    enum class Derived : std::uint8_t {
        MemoryLock,
        PciCommand,
        IMmapRwsem,
        Signal,
        Slot,
        Ptl,
        Resv,
        Fence,
        VmLock,
        VmaLock,
        VmaList,
        IoeventfdWqh,
        BusDevices,
        DevSetLock,
        PciBusSem,
        PciRescanRemoveLock,
    };
    template <class MakeName>
    sim::ObjectId derived_object(Derived kind, std::uint64_t key, MakeName&& make_name) {
        auto [it, inserted] = derived_.try_emplace({kind, key}, sim::kNoObject);
        if (inserted) {
            it->second = objects_.intern(make_name());
        }
        return it->second;
    }

    Scenario sc;
    Policy policy;
    mm_struct mm;
    std::deque<vfio_pci_core_device> devices;
    // drivers/pci: the buses of the vfio-pci functions, pci_bus_sem (the global rw_semaphore
    // of every bus's device list) and pci_rescan_remove_lock (pci_lock_rescan_remove()).
    std::deque<pci_bus> buses;
    sim::RwSemaphore pci_bus_sem;
    sim::Mutex pci_rescan_remove_lock;
    // Whether an actor walks or changes a bus (hot-reset, hot-reset-info, hotplug): only then
    // are the buses' locks and lists objects of the execution.
    bool pci_bus_layer = false;
    // Whether a [[vma]] is private anonymous memory (no device, neither VM_IO nor VM_PFNMAP).
    bool has_anonymous_vma = false;
    vfio_iommu iommu;
    std::vector<task_struct> tasks;

    // When set, every loop_state_hash() first checks what it reads without walking (the
    // page-table digest, each lock's kept hash) against a recomputation, and counts the
    // checks and the mismatches (a mismatch is a bug of pfnsim: a write that bypassed them).
    bool audit_digests = false;
    mutable std::uint64_t digest_audits = 0;
    mutable std::uint64_t digest_mismatches = 0;

    // Opens the oracle's window of the current actor's call (oracle.cpp): what holds when it
    // starts (memory off, range not mapped or not populated) justifies a failure.
    task_struct& begin_call();

  private:
    void reset_pci_buses(sim::RwFlavour rw);
    void audit_kept_digests() const;
    bool range_mappable(std::size_t actor) const;
    bool range_populated(std::size_t actor) const;
    std::vector<sim::ActorDecl> decls_;
    sim::ObjectTable objects_;
    std::map<std::pair<Derived, std::uint64_t>, sim::ObjectId> derived_;
    sim::ObjectId mmap_lock_obj_, page_table_lock_obj_, vmas_obj_, iommu_lock_obj_, iommu_obj_,
        kvm_seq_obj_;
};

// Whether mmap fills the device's mappings with remap_pfn_range() (every PTE at once): a
// devmem range, or a vfio-pci BAR before abafbc551fdd.
inline bool mapping_populated_at_mmap(const Scenario& sc, const vfio_pci_core_device& d) {
    return d.devmem || (!d.ttm && sc.vfio_pci_mmap == VfioPciMmapVariant::PreAbafbc551fdd);
}

// --- arch/x86/include/asm/pgtable.h and mm/pgtable-generic.c -------------------------------
pt_slot& pt_offset(World& w, Level l, std::uint64_t addr);
pt_entry pt_get(World& w, Level l, pt_slot& s, sim::Name func);
void pt_set(World& w, Level l, std::uint64_t addr, pt_slot& s, const pt_entry& e, sim::Name func);
pt_entry pt_get_and_clear(World& w, Level l, pt_slot& s, sim::Name func);
// Every write of a slot's entry, with no scheduling point: keeps page_table::digest.
void pt_store(page_table& pt, pt_slot& s, const pt_entry& e);
// page_table::digest computed from the tables (the audit compares it with the kept one).
std::uint64_t pt_digest_walk(const page_table& pt);
// page_table::shape computed from the tables and lock maps (the audit compares it too).
std::uint64_t pt_shape_walk(const page_table& pt);
sim::SpinLock& pt_lockptr(World& w, Level l, std::uint64_t addr);
std::uint64_t level_size(Level l);

// --- include/linux/mmap_lock.h, mm/mmap.c, mm/vma.c ----------------------------------------
void mmap_read_lock(World& w);
void mmap_read_unlock(World& w);
void mmap_write_lock(World& w);
void mmap_write_unlock(World& w);
void mmap_write_downgrade(World& w);
void vma_start_write(World& w, vm_area_struct* vma);
void vma_end_write_all(World& w);
vm_area_struct* lock_vma_under_rcu(World& w, std::uint64_t address);
void vma_end_read(World& w, vm_area_struct* vma);
vm_area_struct* vma_lookup(World& w, std::uint64_t addr, sim::Name func);
void vma_assert_usable(World& w, const vm_area_struct* vma, sim::Name func);
int do_munmap(World& w, std::uint64_t start, std::uint64_t len);
int do_mmap(World& w, std::uint64_t addr);

// --- mm/memory.c -------------------------------------------------------------------------------
struct follow_pfnmap_args {
    vm_area_struct* vma = nullptr;
    std::uint64_t address = 0;
    bool write = false;  // input: require a writable entry (-EFAULT otherwise)
    sim::SpinLock* lock = nullptr;
    pt_slot* entry = nullptr;  // the entry found (the kernel keeps only ptep), for I-PFN
    std::uint64_t pfn = 0;
    std::uint64_t addr_mask = 0;
    bool writable = false;
    bool special = false;
};
int follow_pfnmap_start(World& w, follow_pfnmap_args& args);
// --- lock-context assertions (lockdep_assert.cpp): I-LOCK when the caller lacks the lock ---
void mmap_assert_locked(World& w, sim::Name func);
void mmap_assert_write_locked(World& w, sim::Name func);
void pfnmap_lockdep_assert(World& w, const vm_area_struct* vma, sim::Name func);
void follow_pfnmap_end(World& w, follow_pfnmap_args& args);

struct vm_fault {
    vm_area_struct* vma = nullptr;
    std::uint64_t address = 0;
    unsigned flags = 0;
};

// include/linux/mm.h vm_operations_struct: the callbacks of a mapping that the model reads, each
// a function or none (nullptr). One row per device kind (vm_ops.cpp, docs/model.md).
struct vm_operations_struct {
    const char* name;  // the kernel's name of the table
    void (*open)(World& w, vm_area_struct* vma);
    void (*close)(World& w, vm_area_struct* vma);
    vm_fault_t (*fault)(World& w, vm_fault& vmf);
    vm_fault_t (*huge_fault)(World& w, vm_fault& vmf, unsigned order);
    vm_fault_t (*map_pages)(World& w, vm_fault& vmf);
    int (*access)(World& w, vm_area_struct* vma, std::uint64_t addr, int len, bool write);
};
// The vm_ops a device kind's mmap installs (vfio_pci_mmap_ops, ttm_bo_vm_ops, mmap_mem_ops).
const vm_operations_struct& vm_ops_of(DeviceKind kind);
// vfio_pci_mmap_ops of the vma_lock era (v5.8 to v6.9): .fault fills the whole vma, .close
// unlists it.
const vm_operations_struct& vfio_pci_mmap_ops_vma_lock();

vm_fault_t handle_mm_fault(World& w, vm_area_struct* vma, std::uint64_t address, unsigned flags);

// --- arch/x86/mm/fault.c, include/linux/uaccess.h ----------------------------------------------
// arch/x86/mm/fault.c mm_fault_error: 0, kSigbus or -ENOMEM for a vm_fault_t.
int mm_fault_result(vm_fault_t f);
// do_user_addr_fault of an access to `address`: `user` for a CPU access by the task (the
// per-VMA lock first), else a kernel access to a user address (mmap_lock only).
int do_user_addr_fault(World& w, std::uint64_t address, bool write, bool user);
// include/linux/kernel.h might_fault: a user copy may fault here, so may sleep (and takes
// mmap_lock for read).
void might_fault(World& w);
// include/linux/uaccess.h copy_to_user / copy_from_user of `len` bytes at the user address
// `uaddr`, which may be anywhere in the mm: the access faults in place, from whatever context
// and with whatever locks the caller holds. Returns the bytes not copied.
std::uint64_t copy_to_user(World& w, std::uint64_t uaddr, std::uint64_t len);
std::uint64_t copy_from_user(World& w, std::uint64_t uaddr, std::uint64_t len);
vm_fault_t vmf_insert_pfn(World& w, vm_fault& vmf, std::uint64_t pfn);
void unmap_mapping_range(World& w, address_space* mapping);
void zap_page_range_single(World& w, vm_area_struct* vma, std::uint64_t start, std::uint64_t end);

// --- mm/huge_memory.c --------------------------------------------------------------------------
vm_fault_t vmf_insert_pfn_pud(World& w, vm_fault& vmf, std::uint64_t pfn, bool write);
vm_fault_t vmf_insert_pfn_pmd(World& w, vm_fault& vmf, std::uint64_t pfn, bool write);
// `entry`: the caller's read of the entry, which the split macros test (huge entries only).
void split_huge_pud(World& w, vm_area_struct* vma, std::uint64_t address, const pt_entry& entry);
void split_huge_pmd(World& w, vm_area_struct* vma, std::uint64_t address, const pt_entry& entry);

// --- mm/gup.c ----------------------------------------------------------------------------------
int fixup_user_fault(World& w, std::uint64_t address, unsigned fault_flags, bool* unlocked);
long pin_user_pages_remote(World& w, std::uint64_t start);

// --- mm/pagewalk.c, fs/proc/task_mmu.c ---------------------------------------------------------
// One `cat` of /proc/PID/numa_maps, smaps or smaps_rollup: walk_page_vma() of every VMA.
int show_numa_maps(World& w);
int show_smaps(World& w);
int show_smaps_rollup(World& w);

// --- kernel/signal.c, include/linux/sched/signal.h, kernel/sched/core.c -------------------------
void send_sig_kill(World& w, task_struct& t);
// kernel/signal.c send_sig of a non-fatal signal (SIGUSR1): only signal_pending() sees it.
void send_sig(World& w, task_struct& t);
bool fatal_signal_pending(World& w);
// include/linux/sched/signal.h signal_pending(current): any pending signal, SIGKILL or a
// non-fatal one (fatal_signal_pending() without the injected SIGKILL).
bool signal_pending(World& w);
void cond_resched(World& w);
// include/linux/kernel.h might_sleep: a scheduling point under PREEMPT_VOLUNTARY (and FULL);
// marks the site for livelock classes under every model.
void might_sleep(World& w);
// kernel/sched/core.c __might_sleep: might_sleep()'s I-SLEEP check alone (might_fault() has no
// might_resched()).
void might_sleep_check(World& w);

// --- mm/mmu_notifier.c and virt/kvm/kvm_main.c's notifier callbacks ---------------------------
void mmu_notifier_invalidate_range_start(World& w);
void mmu_notifier_invalidate_range_end(World& w);

// --- drivers/gpu/drm/ttm/ttm_bo_vm.c, ttm_bo.c, drivers/dma-buf/dma-resv.c --------------------
bool dma_resv_trylock(World& w, dma_resv& resv);
void dma_resv_lock(World& w, dma_resv& resv, sim::Name func);
int dma_resv_lock_interruptible(World& w, dma_resv& resv);
bool dma_resv_test_signaled(World& w, dma_resv& resv);
long dma_resv_wait_timeout(World& w, dma_resv& resv);
void dma_resv_unlock(World& w, dma_resv& resv);
vm_fault_t ttm_bo_vm_fault(World& w, vm_fault& vmf);
void ttm_bo_vm_open(World& w, vm_area_struct* vma);
void ttm_bo_vm_close(World& w, vm_area_struct* vma);
int ttm_bo_vm_access(World& w, vm_area_struct* vma, std::uint64_t addr, int len, bool write);
int ttm_bo_validate(World& w, vfio_pci_core_device& bo, std::uint64_t placement);

// --- arch/s390/pci/pci_mmio.c, drivers/virt/acrn/mm.c, mm/memory.c generic_access_phys -------
int s390_pci_mmio_write(World& w, std::uint64_t mmio_addr);
int s390_pci_mmio_read(World& w, std::uint64_t mmio_addr);
int acrn_vm_ram_map(World& w, std::uint64_t vma_base, std::uint64_t len, bool write);
int generic_access_phys(World& w, vm_area_struct* vma, std::uint64_t addr, int len, bool write);
int access_process_vm(World& w, std::uint64_t addr, int len, bool write);

// --- kernel/resource.c --------------------------------------------------------------------------
// A driver claims a /dev/mem range (request_mem_region): marked busy, then revoke_iomem().
int __request_region(World& w, vfio_pci_core_device& res);

// --- drivers/vfio/pci/vfio_pci_core.c, vfio_pci_config.c ----------------------------------------
vm_fault_t vfio_pci_mmap_huge_fault(World& w, vm_fault& vmf, unsigned order);
vm_fault_t vfio_pci_mmap_page_fault(World& w, vm_fault& vmf);
vm_fault_t vfio_pci_mmap_fault(World& w, vm_fault& vmf);  // the vma_lock era
void vfio_pci_mmap_close(World& w, vm_area_struct* vma);  // the vma_lock era
int remap_pfn_range(World& w, vm_area_struct* vma, std::uint64_t addr, std::uint64_t pfn,
                    std::uint64_t size);
void vfio_pci_zap_and_down_write_memory_lock(World& w, vfio_pci_core_device& vdev);
// The I-MMIO check of a caller that accesses the pfn under the entry's lock.
void check_mmio_access(World& w, const follow_pfnmap_args& args, sim::Name func);
// The leaf mapping addr now (an oracle's read: no step, no slot created), or nullptr;
// *pfn_here, if given, is the pfn it maps at addr.
const pt_entry* leaf_at(const World& w, std::uint64_t addr, std::uint64_t* pfn_here);
// I-MAP: an inserted leaf maps its own address's device offset.
void check_leaf_maps_offset(World& w, const vm_area_struct* vma, std::uint64_t addr,
                            std::uint64_t pfn, Level l);
// I-PROT: a writable IOMMU, stage-2 or EPT mapping of an entry the process may only read.
void check_mapping_prot(World& w, std::uint64_t addr, std::uint64_t pfn, bool writable,
                        sim::Name func);
// I-MMIO of an access made with no lock held (the forms before the copy moved under the PTL).
void check_unlocked_mmio_access(World& w, const vfio_pci_core_device* d, std::uint64_t addr,
                                std::uint64_t pfn, sim::Name func);
int vfio_pci_memory_disable(World& w, vfio_pci_core_device& vdev);
int vfio_pci_memory_enable(World& w, vfio_pci_core_device& vdev);
int vfio_pci_set_power_state_d3hot(World& w, vfio_pci_core_device& vdev);
int vfio_pci_set_power_state_d0(World& w, vfio_pci_core_device& vdev);
int vfio_pci_ioctl_reset(World& w, vfio_pci_core_device& vdev);
int vfio_pci_runtime_pm_entry(World& w, vfio_pci_core_device& vdev);
int vfio_pci_runtime_pm_exit(World& w, vfio_pci_core_device& vdev);
// The vma_lock era's zap: true with vma_lock held and vma_list empty; with `try_` (the hot
// reset) vma_lock and mmap_lock are trylocked and contention is false, nothing held.
bool vfio_pci_zap_and_vma_lock(World& w, vfio_pci_core_device& vdev, bool try_);
// drivers/vfio/pci/vfio_pci_core.c vfio_pci_zap_bars: unmap_mapping_range over the BARs.
void vfio_pci_zap_bars(World& w, vfio_pci_core_device& vdev);
// The calls in flight see a BAR gone from here (the oracle's "memory disabled").
void vfio_pci_bar_gone(World& w);
// The reset of a function's BAR state by a bus reset: in progress (I-STALE) and done (D0).
void vfio_pci_bar_reset_begin(World& w, vfio_pci_core_device& vdev, bool zapped);
void vfio_pci_bar_reset_done(vfio_pci_core_device& vdev);
// drivers/vfio/pci/vfio_pci_core.c: VFIO_DEVICE_PCI_HOT_RESET and
// VFIO_DEVICE_GET_PCI_HOT_RESET_INFO (the answer copied to the user buffer at `arg`).
int vfio_pci_ioctl_pci_hot_reset(World& w, vfio_pci_core_device& vdev);
int vfio_pci_ioctl_get_pci_hot_reset_info(World& w, vfio_pci_core_device& vdev, std::uint64_t arg);
// --- drivers/pci (pci.c, bus.c, probe.c, remove.c) -----------------------------------------
// pci_walk_bus: cb for every function on the bus (a vfio-pci one, or nullptr for another)
// under pci_bus_sem for read, until cb returns nonzero; as in the kernel, a plain function and
// its userdata (a frame that may be dropped owns nothing: sim::Program::stop_drops_frames).
int pci_walk_bus(World& w, pci_bus& bus, int (*cb)(vfio_pci_core_device*, void*), void* userdata);
// pci_rescan_bus (a function appears; the caller holds pci_lock_rescan_remove()) and
// pci_stop_and_remove_bus_device_locked (it goes).
void pci_lock_rescan_remove(World& w);
void pci_unlock_rescan_remove(World& w);
void pci_rescan_bus(World& w, pci_bus& bus);
void pci_stop_and_remove_bus_device_locked(World& w, pci_bus& bus);
// pci_reset_bus: a secondary bus reset of every function on the bus.
int pci_reset_bus(World& w, pci_bus& bus, bool zapped);
// drivers/vfio/pci/vfio_pci_core.c __vfio_pci_memory_enabled (memory_lock held).
bool vfio_pci_memory_enabled(World& w, vfio_pci_core_device& vdev);
// drivers/vfio/pci/vfio_pci_rdwr.c vfio_pci_bar_rw: pread (iswrite false) or pwrite of `count`
// bytes of BAR 0 at offset `pos` through the device fd, the user buffer at `buf`. Returns the
// bytes done or an errno.
long vfio_pci_bar_rw(World& w, vfio_pci_core_device& vdev, std::uint64_t buf, std::uint64_t count,
                     std::uint64_t pos, bool iswrite);
// fs/eventfd.c eventfd_signal of the device's ioeventfd: the vfio virqfd's wakeup runs
// vfio_pci_ioeventfd_handler() under the eventfd's wait-queue lock. Returns 0.
int eventfd_signal(World& w, vfio_pci_core_device& vdev);

// --- the retry policies (src/model/retry.cpp) -------------------------------------------------
// Sets the task's foll_tried under gup-loop (the next fault is a FAULT_FLAG_TRIED pass).
int policy_unlocked_error(World& w);
// FAULT_FLAG_TRIED when the last round dropped mmap_lock under gup-loop (consumed), else 0.
unsigned policy_fault_flags(World& w);
int policy_second_follow_error(const World& w, int ret);
bool policy_retry(World& w, long& ret);

// --- virt/kvm/kvm_main.c -----------------------------------------------------------------------
int hva_to_pfn_remapped(World& w, vm_area_struct* vma, std::uint64_t hva, bool write_fault,
                        bool* writable, std::uint64_t* pfn);
int hva_to_pfn(World& w, std::uint64_t hva, bool write_fault, bool* writable, std::uint64_t* pfn);
int kvm_mmu_faultin_pfn(World& w, std::uint64_t hva, bool write_fault);
// arch/x86/kvm/x86.c and kernel/entry/kvm.c: the vCPU's run loop around the fault.
int xfer_to_guest_mode_handle_work(World& w);
int vcpu_run(World& w, std::uint64_t hva, bool write_fault);

// --- drivers/vfio/vfio_iommu_type1.c -----------------------------------------------------------
int vfio_dma_do_map(World& w, std::uint64_t vaddr, std::uint64_t iova, std::uint64_t size,
                    bool write);
long vaddr_get_pfns(World& w, std::uint64_t vaddr, long npages, bool write, std::uint64_t* pfn);
int follow_fault_pfn(World& w, vm_area_struct* vma, std::uint64_t vaddr, std::uint64_t* pfn,
                     std::uint64_t* addr_mask, bool write_fault);

}  // namespace pfnsim::model
