// drivers/pci (bus.c, probe.c, remove.c, pci.c): the bus walk under pci_bus_sem, hotplug as its
// writer, and the secondary bus reset. Read against v6.12.
#include "pfnsim/model/world.hpp"
#include "pfnsim/sim/execution.hpp"

namespace pfnsim::model {

// drivers/pci/bus.c pci_walk_bus: cb for each function on the bus, pci_bus_sem held for read
// across the walk; a nonzero return ends it.
int pci_walk_bus(World& w, pci_bus& bus, int (*cb)(vfio_pci_core_device*, void*), void* userdata) {
    const sim::Call frame{"pci_walk_bus"};
    might_sleep(w);
    w.pci_bus_sem.down_read("down_read");
    sim::point(sim::Op::Read, bus.devices_obj, "pci_walk_bus",
               "list_for_each_entry(dev, &bus->devices)");
    sim::annotate("functions on the bus",
                  bus.vfio_functions.size() + static_cast<std::uint64_t>(bus.other_functions));
    int ret = 0;
    for (vfio_pci_core_device* d : bus.vfio_functions) {
        if ((ret = cb(d, userdata)) != 0) {
            break;
        }
    }
    for (int i = 0; ret == 0 && i < bus.other_functions; ++i) {
        ret = cb(nullptr, userdata);  // hot-added: list_add_tail put it after the others
    }
    w.pci_bus_sem.up_read("up_read");
    return ret;
}

namespace {

// drivers/pci/probe.c pci_device_add: the new function joins bus->devices under pci_bus_sem.
void pci_device_add(World& w, pci_bus& bus) {
    const sim::Call frame{"pci_device_add"};
    might_sleep(w);
    w.pci_bus_sem.down_write("down_write");
    sim::point(sim::Op::Write, bus.devices_obj, "pci_device_add", "list_add_tail");
    ++bus.other_functions;
    w.pci_bus_sem.up_write("up_write");
}

// drivers/pci/remove.c pci_destroy_dev: the function leaves bus->devices under pci_bus_sem.
void pci_destroy_dev(World& w, pci_bus& bus) {
    const sim::Call frame{"pci_destroy_dev"};
    might_sleep(w);
    w.pci_bus_sem.down_write("down_write");
    sim::point(sim::Op::Write, bus.devices_obj, "pci_destroy_dev", "list_del");
    --bus.other_functions;
    w.pci_bus_sem.up_write("up_write");
}

}  // namespace

// drivers/pci/probe.c pci_lock_rescan_remove / pci_unlock_rescan_remove: the global
// pci_rescan_remove_lock that serialises hot add and removal.
void pci_lock_rescan_remove(World& w) {
    might_sleep(w);
    w.pci_rescan_remove_lock.lock("pci_lock_rescan_remove");
}

void pci_unlock_rescan_remove(World& w) {
    w.pci_rescan_remove_lock.unlock("pci_unlock_rescan_remove");
}

// drivers/pci/probe.c pci_rescan_bus, its caller holding pci_lock_rescan_remove() (a sysfs
// rescan or a hotplug controller's slot enable): a function bound to no vfio driver appears.
void pci_rescan_bus(World& w, pci_bus& bus) {
    const sim::Call frame{"pci_rescan_bus"};
    pci_device_add(w, bus);
}

// drivers/pci/remove.c pci_stop_and_remove_bus_device_locked: pci_lock_rescan_remove(), then
// pci_stop_and_remove_bus_device() -> pci_destroy_dev(): the function goes again.
void pci_stop_and_remove_bus_device_locked(World& w, pci_bus& bus) {
    const sim::Call frame{"pci_stop_and_remove_bus_device_locked"};
    pci_lock_rescan_remove(w);
    pci_destroy_dev(w, bus);
    pci_unlock_rescan_remove(w);
}

// drivers/pci/pci.c pci_reset_bus -> __pci_reset_bus: save and disable every function, the
// secondary bus reset, restore (D0, config space as saved: the memory bit as it was). Not
// modelled: pci_bus_trylock() of each function's device lock (-EAGAIN), which no actor holds.
// `zapped`: the caller zapped the BARs first (I-STALE names the missing zap otherwise).
int pci_reset_bus(World& w, pci_bus& bus, bool zapped) {
    const sim::Call frame{"pci_reset_bus"};
    for (vfio_pci_core_device* d : bus.vfio_functions) {
        vfio_pci_bar_reset_begin(w, *d, zapped);
    }
    for (vfio_pci_core_device* d : bus.vfio_functions) {
        sim::point(sim::Op::Write, d->mem_obj, "pci_bus_restore_locked", "reset done: D0");
        vfio_pci_bar_reset_done(*d);
    }
    return 0;
}

}  // namespace pfnsim::model
