#include "pfnsim/app/provenance.hpp"

#include <fmt/format.h>

#include "pfnsim/sim/types.hpp"
#include "version.hpp"

namespace pfnsim::app {

namespace {
// Bump it with every model change that can change a verdict. 1: the model up to the sweeps and
// counterexamples; 2: every caller of follow_pfnmap_start(), the errno API variant, fault
// providers, the preemption and rwsem models; 4: a Linux rwsem writer's retries as a loop of
// their own and its handoff a weakly fair event (state counts; no fair cycle of stealing);
// 5: issue 25's corrections (walk_pud_range without the re-read, handle_pte_fault under a PMD
// leaf, the oracles), [kernel] arch and gup-loop as GUP; 6: KVM's RET_PF_RETRY through
// vcpu_run (signal exit, schedule), return-to-user as a guest re-entry, GUP-fast/slow first,
// split notifiers for huge entries only; gup-loop's -EFAULT on SIGBUS and FOLL_TRIED; TTM's
// fault_idle, interruptible waits and NOPAGE; a non-fatal signal; 7: vm_ops per device kind
// (access through vm_ops->access, devmem's generic_access_phys, request-region), a livelock's
// class per preemption model (full distinct from voluntary); 8: historical forms of the callers
// ([kernel] vaddr_get_pfn, hva_to_pfn_remapped, s390_pci_mmio, generic_access_phys,
// acrn_vm_ram_map, vfio_pci_mmap_huge_fault, vfio_pci_mmap), follow_pfnmap_args.write (ACRN),
// IOMMU/EPT protection, huge leaves keep their aligned pfn bits, I-PROT, I-MAP, I-STALE at
// every memory disable; device state (a VF's no_command_memory, D3hot and the d3hot actor,
// [kernel] vfio_pci_memory_enabled).
constexpr int kModelVersion = 9;
}  // namespace

const char* tool_version() {
    return PFNSIM_VERSION;
}

const char* build_describe() {
    return PFNSIM_DESCRIBE;
}

int model_version() {
    return kModelVersion;
}

std::string version_line() {
    return fmt::format("pfnsim {} ({}) model {}", tool_version(), build_describe(),
                       model_version());
}

std::string content_hash(const std::string& text) {
    return fmt::format("{:016x}", sim::fnv1a(text));
}

}  // namespace pfnsim::app
