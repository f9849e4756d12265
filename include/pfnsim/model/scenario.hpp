// Scenario files (scenarios/*.toml): initial state, actors, policy, bounds and expectations.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pfnsim/model/actor_kind.hpp"
#include "pfnsim/model/expectation.hpp"
#include "pfnsim/model/kernel.hpp"
#include "pfnsim/model/policy.hpp"

namespace pfnsim::model {

// A bad scenario: what() is one line, "file:line:column: message".
class ScenarioError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// The driver whose fault handler populates a device mapping.
enum class DeviceKind : std::uint8_t {
    VfioPci,  // drivers/vfio/pci/vfio_pci_core.c: huge_fault under memory_lock, never RETRY
    TtmVram,  // drivers/gpu/drm/ttm/ttm_bo_vm.c: a buffer object in VRAM; the fault returns
              // VM_FAULT_RETRY after dropping mmap_lock when the reservation is contended
    DevMem,   // drivers/char/mem.c: a /dev/mem mapping of a physical range; remap_pfn_range()
              // fills every PTE at mmap, mmap_mem_ops has no fault handler, only
              // .access = generic_access_phys
};
inline constexpr const char* kValidDeviceKinds = "vfio-pci, ttm-vram, devmem";
const char* device_kind_name(DeviceKind k);

struct DeviceSpec {
    std::string name;
    DeviceKind kind = DeviceKind::VfioPci;
    std::uint64_t bar_base = 0;  // physical address of the BAR
    std::uint64_t bar_size = 0;
    bool mem_enabled = true;
    // An SR-IOV virtual function (pdev->is_virtfn, hence pdev->no_command_memory): its
    // PCI_COMMAND_MEMORY reads 0 and does not gate its BARs.
    bool virtfn = false;
    // The PCI bus the function sits on (vfio-pci only; default: a bus of its own). Without a
    // slot reset, vfio_pci_core_register_device() puts every vfio-pci function of one bus in
    // one vfio_device_set (vfio_assign_device_set(pdev->bus)).
    std::string bus;
};

struct VmaSpec {
    std::uint64_t start = 0;
    std::uint64_t size = 0;
    std::uint64_t flags = 0;
    std::uint64_t pgoff = 0;
    std::string device;  // the device whose BAR (VRAM, physical range) this maps
    bool mapped = true;  // false: not in the mm until an mmap actor maps it (mmap_region)
};

struct EntrySpec {
    Level level = Level::PTE;
    std::uint64_t addr = 0;
};

// split: the /proc/PID file the walker reads (fs/proc/task_mmu.c); each walks every VMA with
// walk_page_vma(), splitting PUD leaves.
enum class Walker : std::uint8_t { NumaMaps, Smaps, SmapsRollup };

// signal: what the signal actor sends (kernel/signal.c send_sig). SIGKILL is fatal
// (fatal_signal_pending); SIGUSR1 stands for any non-fatal signal with a handler: only
// signal_pending() sees it, and it interrupts the interruptible sleeps
// (dma_resv_lock_interruptible, dma_resv_wait_timeout(intr = true)) but no killable check.
enum class SignalKind : std::uint8_t { Sigkill, Sigusr1 };

struct ActorSpec {
    std::string name;
    ActorKind kind = ActorKind::Pin;
    std::uint64_t vaddr = 0;  // the callers' address; pin, munmap, acrn-map: the range start
    std::uint64_t size = 0;   // pin, munmap, acrn-map
    // pin: VFIO_DMA_MAP_FLAG_WRITE; fault, kvm: a write fault; acrn-map, access-phys: a write
    // access. s390-mmio-write/-read: set by the kind (not a key).
    bool write = true;
    std::uint64_t repeat = 1;  // split: walks; zap, enable: PCI_COMMAND writes; fault: accesses
    bool forever = false;      // split: run until the others finish
    Walker walker = Walker::NumaMaps;         // split: which file each walk reads
    std::string target;                       // signal: the actor that receives the signal
    SignalKind signal = SignalKind::Sigkill;  // signal: which one
    std::uint64_t fault_retry = 0;            // injected VM_FAULT_RETRY returns the fault may take
    std::string device;           // zap, enable, bo-move: the device (default: the first)
    std::uint64_t placement = 0;  // bo-move: the BO's new offset in VRAM
    std::vector<int> allowed;     // allowed results; empty = the oracle alone decides
    // The actors (indices into Scenario::actors) that must have finished before this one
    // starts; no cycle, none runs forever.
    std::vector<std::size_t> after;
};

enum class PagewalkVariant : std::uint8_t { Current, Pre3b89863c3fa4 };
enum class FollowVariant : std::uint8_t { Current, PreFfef67b93aa3 };
// The historical forms of the callers ([kernel] keys named after the function; docs/model.md,
// "Historical forms"). Each value but Current is the form before (pre-) or introduced by the
// commit it names.
// drivers/vfio/vfio_iommu_type1.c vaddr_get_pfn/follow_fault_pfn: today's (follow_pfnmap with
// the write check, 07956b6269d3 on), follow_pfn + fixup_user_fault without the write check
// (41311242221e to 07956b6269d3), follow_pfn only (5cbf3264bc71 to 41311242221e).
// Pre5cbf3264bc71: before 5cbf3264bc71 (v5.7) the pfn of a VM_PFNMAP vma was computed from
// vm_pgoff (((vaddr - vm_start) >> PAGE_SHIFT) + vm_pgoff), with no page-table walk at all.
enum class VaddrGetPfnVariant : std::uint8_t {
    Current,
    Pre07956b6269d3,
    Pre41311242221e,
    Pre5cbf3264bc71
};
// virt/kvm/kvm_main.c hva_to_pfn_remapped: today's, or `*writable = true` for any
// VM_IO|VM_PFNMAP vma (before bd2fae8da794).
// Withdrawn2020: "KVM: Remove unnecessary retry when unlocked in hva_to_pfn_remapped" (Peter
// Xu, April 2020; queued, then withdrawn on 4 May 2020, never merged): no `if (unlocked) return
// -EAGAIN`, so the second follow uses a vma that may be gone (B04, a near miss).
enum class HvaToPfnRemappedVariant : std::uint8_t { Current, PreBd2fae8da794, Withdrawn2020 };
// arch/s390/pci/pci_mmio.c: today's (fault-in on a failed follow: 41a0926e82f4, 2025), the
// access under the PTE lock without fault-in (a67a88b0b8de, 2020, until 41a0926e82f4), and
// follow_pfn() with the access after every lock is dropped (before a67a88b0b8de).
enum class S390MmioVariant : std::uint8_t { Current, Pre41a0926e82f4, PreA67a88b0b8de };
// mm/memory.c generic_access_phys: today's (re-follow, copy under the PTL), or follow_phys()
// then the copy with no lock held (before 96667f8a4382).
enum class AccessPhysVariant : std::uint8_t { Current, Pre96667f8a4382 };
// drivers/virt/acrn/mm.c acrn_vm_ram_map: today's (every PTE, write permission, contiguity),
// or only the first PTE, no permission check (before 3d6586008f7b).
enum class AcrnMapVariant : std::uint8_t { Current, Pre3d6586008f7b };
// drivers/vfio/pci/vfio_pci_core.c vfio_pci_mmap_huge_fault: today's (the address rounded down
// to the order, FALLBACK unless the pfn is order-aligned too: 09dfc8a5f2ce), or the form
// f9e54c3a2f5b introduced (FALLBACK only for an unaligned fault address or a range past vm_end).
enum class VfioHugeFaultVariant : std::uint8_t { Current, F9e54c3a2f5b };
// drivers/vfio/pci/vfio_pci.c vfio_pci_mmap and the PCI_COMMAND write: today's (the BAR faults
// in lazily under memory_lock; clearing the memory bit zaps it first), or the form before
// abafbc551fdd and 11c4cd07ba11 (v5.7 and older): remap_pfn_range() of the whole BAR at mmap,
// no vm_ops, and a memory disable that writes the register and nothing else.
// Between them, the vma_lock era (v5.8 to v6.9): vfio_pci_mmap_fault() fills the whole vma with
// io_remap_pfn_range() and lists it in vdev->vma_list under vdev->vma_lock; a memory disable
// zaps the listed vmas (vfio_pci_zap_and_vma_lock(), taking each mm's mmap_lock) before it
// takes memory_lock for write. pre-aac6db75a9fc: the form 6a45ece4c9af left (vma_lock held
// across the fill, a listed vma not filled again); pre-6a45ece4c9af: v5.8's (vma_lock dropped
// before the fill, so two faults fill the same range).
enum class VfioPciMmapVariant : std::uint8_t {
    Current,
    PreAbafbc551fdd,
    PreAac6db75a9fc,
    Pre6a45ece4c9af
};
// The vma_lock era of vfio_pci_mmap (vma_list, vma_lock, a fault that fills the whole vma).
constexpr bool vfio_vma_lock_era(VfioPciMmapVariant v) {
    return v == VfioPciMmapVariant::PreAac6db75a9fc || v == VfioPciMmapVariant::Pre6a45ece4c9af;
}
// include/linux/mm.h vm_flags_set: today's (mmap_assert_write_locked() since bc292ab00f6c,
// v6.3, then vma_start_write()), or the direct write of vma->vm_flags before it.
enum class VmFlagsSetVariant : std::uint8_t { Current, PreBc292ab00f6c };
// drivers/vfio/pci/vfio_pci_rdwr.c: today's (memory_lock around each BAR access, the user
// copies outside it: bc93b9ae0151, v5.9; the ioeventfd handler trylocks it and defers to a
// thread: 38565c93c8a1), bc93b9ae0151's (the ioeventfd handler's down_read() under the
// eventfd's spin lock), or abafbc551fdd's (memory_lock held for read across the whole read or
// write, its user copies included; ioeventfd writes untested).
enum class VfioPciRdwrVariant : std::uint8_t { Current, Pre38565c93c8a1, PreBc93b9ae0151 };
// drivers/vfio/pci/vfio_pci_core.c VFIO_DEVICE_PCI_HOT_RESET: today's vfio_pci_dev_set_hot_reset
// (db44c17458fb, v5.15: under the device set's lock, each device's memory_lock trylocked and its
// BARs zapped), or the form before it (v5.8 to v5.14: the zaps and vma_lock trylocks inside
// the bus walk, under pci_bus_sem; no set lock). Under vfio_pci_mmap = pre-abafbc551fdd
// (v5.7 and before) the older form zaps nothing and takes no memory_lock.
enum class VfioPciHotResetVariant : std::uint8_t { Current, PreDb44c17458fb };
// drivers/vfio/pci/vfio_pci_core.c vfio_pci_ioctl_get_pci_hot_reset_info: today's (the fill walk
// under the device set's lock: 9062ff405b49 "vfio/pci: Extend VFIO_DEVICE_GET_PCI_HOT_RESET_INFO
// for vfio device cdev", v6.6), or the form before it (both walks under pci_bus_sem only).
enum class VfioPciHotResetInfoVariant : std::uint8_t { Current, Pre9062ff405b49 };
// drivers/vfio/pci/vfio_pci_core.c __vfio_pci_memory_enabled and vfio_pci_set_power_state:
// today's (below D3hot, and no_command_memory or the memory bit; D3hot zaps under
// memory_lock: 2b2c651baf1c), before 2b2c651baf1c (the power state neither checked nor
// zapped), and before ebfa440ce38b as well (the memory bit alone: a VF reads 0).
enum class VfioMemoryEnabledVariant : std::uint8_t { Current, Pre2b2c651baf1c, PreEbfa440ce38b };
// mm/mmap_lock.c lock_vma_under_rcu: today's (any VMA, since 350f6bbca1de "mm: allow per-VMA
// locks on file-backed VMAs", v6.7: a CPU fault of a device VMA runs under the per-VMA lock,
// a ->huge_fault there with no mmap_lock), or the form before it (v6.4 to v6.6: anonymous
// VMAs with an anon_vma only, so every fault of these VMAs takes mmap_lock).
enum class LockVmaVariant : std::uint8_t { Current, Pre350f6bbca1de };
// What follow_pfnmap_start() returns for "no present entry": -EINVAL today, -ENOENT under the
// API change proposed in the March 2026 thread (bad arguments stay -EINVAL).
enum class FollowErrno : std::uint8_t { Einval, Enoent };
// PreemptModel ([kernel] preempt): model/expectation.hpp, with the livelock classes.
// The architecture ([kernel] arch): which huge pfnmap leaves it can have. x86_64 selects
// ARCH_SUPPORTS_HUGE_PFNMAP and HAVE_ARCH_TRANSPARENT_HUGEPAGE_PUD (so ARCH_SUPPORTS_PUD_PFNMAP),
// arm64 only the first (PMD leaves), s390 neither (arch/*/Kconfig, mm/Kconfig).
enum class Arch : std::uint8_t { X86_64, Arm64, S390 };
// CONFIG_ARCH_SUPPORTS_PMD_PFNMAP (through ARCH_SUPPORTS_HUGE_PFNMAP): PMD leaves, and
// vfio_pci_mmap_ops.huge_fault at all.
constexpr bool arch_supports_huge_pfnmap(Arch a) {
    return a != Arch::S390;
}
// CONFIG_ARCH_SUPPORTS_PUD_PFNMAP: PUD leaves.
constexpr bool arch_supports_pud_pfnmap(Arch a) {
    return a == Arch::X86_64;
}
const char* arch_name(Arch a);
// rw_semaphore semantics: kernel/locking/rwsem.c (reader lock stealing, writer optimistic
// spinning and handoff) or strict FIFO hand-off.
enum class RwsemVariant : std::uint8_t { Linux, Fifo };

struct Scenario {
    std::string path;
    std::string name;
    std::string label;  // short column title for the matrix (default: name)
    // [matrix]: where the patchset matrix puts this file: the column (the caller) and the line
    // within a cell (the race); rows are the API (follow_pfnmap_errno) x the policy.
    std::string matrix_caller;
    std::string matrix_race;
    std::string description;
    Policy policy;
    std::uint64_t step_bound = 2000;
    std::uint64_t iterations = 2000;
    std::uint64_t seed = 1;
    PagewalkVariant pagewalk = PagewalkVariant::Current;
    FollowVariant follow = FollowVariant::Current;
    VaddrGetPfnVariant vaddr_get_pfn = VaddrGetPfnVariant::Current;
    HvaToPfnRemappedVariant hva_to_pfn_remapped = HvaToPfnRemappedVariant::Current;
    S390MmioVariant s390_mmio = S390MmioVariant::Current;
    AccessPhysVariant access_phys = AccessPhysVariant::Current;
    AcrnMapVariant acrn_map = AcrnMapVariant::Current;
    VfioHugeFaultVariant vfio_huge_fault = VfioHugeFaultVariant::Current;
    VfioPciMmapVariant vfio_pci_mmap = VfioPciMmapVariant::Current;
    VfioMemoryEnabledVariant vfio_memory_enabled = VfioMemoryEnabledVariant::Current;
    LockVmaVariant lock_vma = LockVmaVariant::Current;
    VmFlagsSetVariant vm_flags_set = VmFlagsSetVariant::Current;
    VfioPciRdwrVariant vfio_pci_rdwr = VfioPciRdwrVariant::Current;
    VfioPciHotResetVariant vfio_pci_hot_reset = VfioPciHotResetVariant::Current;
    VfioPciHotResetInfoVariant vfio_pci_hot_reset_info = VfioPciHotResetInfoVariant::Current;
    // Unset: einval, except that the enoent and enoent-killable policies bring the API change
    // with them (the thread's proposal as one patch). Set, it is independent of the policy.
    std::optional<FollowErrno> follow_errno;
    PreemptModel preempt = PreemptModel::None;
    RwsemVariant rwsem = RwsemVariant::Linux;
    Arch arch = Arch::X86_64;
    std::vector<DeviceSpec> devices;
    std::vector<VmaSpec> vmas;
    std::vector<EntrySpec> entries;
    std::vector<ActorSpec> actors;
    // scenarios/bugs: the bug the file reproduces ([bug]) and its variants ([variants.NAME]),
    // each checked as its own test (app::check_files).
    struct Bug {
        std::string id;                    // "B26"
        std::vector<std::string> commits;  // the fix (and what it fixes)
        std::string summary;               // one line of what happened
    };
    struct Variant {
        std::string name;                 // "buggy", "fixed"
        std::vector<std::string> kernel;  // "KEY=VALUE", applied over [kernel] as --kernel is
        std::string policy;               // "" = the file's
        Expectation expect;
        std::string expect_text;  // as written: "invariant: I-PFN"
        // After "kind: ": what a violation of that kind must name ("I-PFN", "-EINVAL").
        std::string expect_detail;
    };
    std::optional<Bug> bug;
    std::vector<Variant> variants;  // sorted by name (toml++ keeps a table's keys sorted)
    // Set for the variant being checked: what a violation of the expected kind must name.
    std::string expect_detail;
    std::optional<Expectation> expect_verdict;           // [expect] verdict: for `policy`
    std::map<std::string, Expectation> expect_policies;  // canonical policy name -> verdict
    std::vector<std::string> notes;  // "file:line:column: note: ..." (e.g. an old policy name)
    // The file's keys that shape an execution, printed canonically: what a schedule's key is
    // computed from (app::Plan::schedule_key), so that a description, a label, the bounds of
    // `explore` and `check` or an expectation can change without invalidating schedules.
    std::string shape;
    // [explore]: how `check` decides this file. strategy "random" (the default) explores
    // `iterations` random executions; "pct" as many PCT executions of `depth` (unset: 3);
    // "sweep" asks for a certificate: a stateful sweep when `preemptions` is unset (any
    // number), a stateless one under that bound; `faults` bounds the fault sites as --faults
    // does (unset: the scenario's budgets). `mode` is the old spelling of `strategy`.
    enum class ExploreMode : std::uint8_t { Random, Sweep, Pct };
    ExploreMode explore_mode = ExploreMode::Random;
    std::optional<unsigned> explore_preemptions;
    std::optional<unsigned> explore_faults;
    std::optional<unsigned> explore_depth;
};

const char* follow_errno_name(FollowErrno e);

// One [kernel] key set from the command line (--kernel KEY=VALUE), over the file's value.
struct KernelSetting {
    std::string key;
    std::string value;
    bool operator==(const KernelSetting&) const = default;
};
using KernelSettings = std::vector<KernelSetting>;

// The [kernel] keys: one table (kKernelKeys in load_options.cpp) that the file's [kernel] table
// and --kernel both go through, with the same keys, values and messages.
// The keys, in the table's order.
std::vector<std::string_view> kernel_keys();
// The names of a key's values, in the table's order; empty for an unknown key. A key that
// may be unset (follow_pfnmap_errno) also takes "", which unsets it.
std::vector<std::string_view> kernel_values(std::string_view key);
// Sets `key` to `value` in sc: "" when done, else the one-line error, naming the valid keys
// ("unknown key 'K' in [kernel] (valid: ...)") or values ("unknown preempt model 'x'
// (valid: none, voluntary, full)").
std::string set_kernel(Scenario& sc, std::string_view key, std::string_view value);
// The name of the key's value in sc; "" when it is unset (or the key unknown).
std::string_view kernel_value(const Scenario& sc, std::string_view key);

// `kernel` is applied over the file's [kernel] table before the rest of the file is read, so
// that every check of the file sees the variants the executions will run; a bad setting is a
// ScenarioError with set_kernel's message.
Scenario load_scenario(const std::string& path, const KernelSettings& kernel = {});
Scenario parse_scenario(const std::string& text, const std::string& path,
                        const KernelSettings& kernel = {});

}  // namespace pfnsim::model
