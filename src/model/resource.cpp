// kernel/resource.c: a driver claiming a physical range that /dev/mem maps (request_mem_region
// of an exclusive range, CONFIG_IO_STRICT_DEVMEM): the range becomes busy, then every /dev/mem
// mapping of it is zapped (revoke_iomem). mmap_mem_ops has no fault handler, so nothing maps
// it again: a later access SIGBUSes, and generic_access_phys() finds no entry.
#include "pfnsim/model/world.hpp"
#include "pfnsim/sim/execution.hpp"

namespace pfnsim::model {

namespace {

// kernel/resource.c revoke_iomem: unmap_mapping_range() of the iomem inode's mapping over the
// resource (iomem=relaxed, which skips it, is not modelled).
void revoke_iomem(World& w, vfio_pci_core_device& res) {
    const sim::Call frame{"revoke_iomem"};
    unmap_mapping_range(w, &res.inode_mapping);
}

}  // namespace

// kernel/resource.c __request_region: under resource_lock, __request_region_locked() inserts
// the range as IORESOURCE_BUSY; then, for iomem, revoke_iomem().
int __request_region(World& w, vfio_pci_core_device& res) {
    const sim::Call frame{"__request_region"};
    sim::point(sim::Op::Write, res.mem_obj, "__request_region_locked", "IORESOURCE_BUSY");
    res.mem_enabled = false;  // claimed: from here the range is being taken away (oracle)
    for (auto& t : w.tasks) {
        if (t.in_pin) {
            t.saw_mem_disabled = true;
        }
    }
    revoke_iomem(w, res);
    return 0;
}

}  // namespace pfnsim::model
