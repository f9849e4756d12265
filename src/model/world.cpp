// The model as a sim::Program: the initial state from the scenario, and each actor run by its
// kind's driver (actors.cpp); the oracle is in oracle.cpp, the state hashes in state_hash.cpp.
#include "pfnsim/model/world.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>

#include "actor_kinds.hpp"
#include "pfnsim/sim/execution.hpp"

namespace pfnsim::model {

World::World(Scenario s) : sc(std::move(s)), policy(sc.policy) {
    for (const auto& a : sc.actors) {
        std::uint32_t after = 0;
        for (std::size_t j : a.after) {
            after |= 1U << j;
        }
        decls_.push_back({a.name, a.forever, after});
    }
    // Intern the fixed objects first so their ids do not depend on what actors touch.
    mmap_lock_obj_ = objects_.intern("mm.mmap_lock");
    page_table_lock_obj_ = objects_.intern("mm.page_table_lock");
    vmas_obj_ = objects_.intern("mm.vmas");
    iommu_lock_obj_ = objects_.intern("iommu.lock");
    iommu_obj_ = objects_.intern("iommu.table");
    kvm_seq_obj_ = objects_.intern("kvm.mmu_invalidate_seq");
    reset();
}

// drivers/pci and the vfio device sets: one pci_bus per bus named by a vfio-pci [[device]] (in
// the order first named), its functions in [[device]] order, no other function on it. Its locks
// and list are objects only when an actor walks or changes a bus.
void World::reset_pci_buses(sim::RwFlavour rw) {
    pci_bus_layer = false;
    for (const auto& a : sc.actors) {
        pci_bus_layer = pci_bus_layer || a.kind == ActorKind::HotReset ||
                        a.kind == ActorKind::HotResetInfo || a.kind == ActorKind::Hotplug;
    }
    if (buses.empty()) {
        for (std::size_t i = 0; i < sc.devices.size(); ++i) {
            if (sc.devices[i].kind != DeviceKind::VfioPci) {
                continue;
            }
            auto it = std::find_if(buses.begin(), buses.end(),
                                   [&](const pci_bus& b) { return b.name == sc.devices[i].bus; });
            if (it == buses.end()) {
                buses.emplace_back();
                buses.back().name = sc.devices[i].bus;
                it = std::prev(buses.end());
            }
            it->vfio_functions.push_back(&devices[i]);
            devices[i].bus = &*it;
        }
    }
    if (!pci_bus_layer) {
        return;
    }
    pci_bus_sem.init(
        derived_object(Derived::PciBusSem, 0, [] { return std::string("pci_bus_sem"); }), rw);
    objects_.set_class(pci_bus_sem.id(), "pci_bus_sem");
    pci_rescan_remove_lock.init(derived_object(
        Derived::PciRescanRemoveLock, 0, [] { return std::string("pci_rescan_remove_lock"); }));
    objects_.set_class(pci_rescan_remove_lock.id(), "pci_rescan_remove_lock");
    for (std::size_t i = 0; i < buses.size(); ++i) {
        pci_bus& b = buses[i];
        b.other_functions = 0;
        b.devices_obj = derived_object(Derived::BusDevices, i, [&] { return b.name + ".devices"; });
        b.dev_set_lock.init(
            derived_object(Derived::DevSetLock, i, [&] { return b.name + ".dev_set.lock"; }));
        objects_.set_class(b.dev_set_lock.id(), "vfio_device_set.lock");
    }
}

void World::reset() {
    // [kernel] rwsem: kernel/locking/rwsem.c semantics or strict FIFO hand-off.
    const sim::RwFlavour rw =
        sc.rwsem == RwsemVariant::Linux ? sim::RwFlavour::Linux : sim::RwFlavour::Fifo;
    mm.mmap_lock.init(mmap_lock_obj_, rw);
    objects_.set_class(mmap_lock_obj_, "mm_struct.mmap_lock");
    mm.page_table_lock.init(page_table_lock_obj_);
    objects_.set_class(page_table_lock_obj_, "mm_struct.page_table_lock");
    mm.mm_mt = vmas_obj_;
    mm.mm_mt_list.clear();
    mm.pgtable = page_table{};
    iommu.lock.init(iommu_lock_obj_);
    objects_.set_class(iommu_lock_obj_, "vfio_iommu.lock");
    iommu.obj = iommu_obj_;
    iommu.table.clear();
    mm.kvm = kvm_mmu_invalidate{};
    mm.kvm.obj = kvm_seq_obj_;
    for (const auto& a : sc.actors) {
        mm.kvm.registered = mm.kvm.registered || actor_kind_row(a.kind).kvm_notifier;
    }

    // Devices and VMAs are reinitialised in place: rebuilding them cost allocations in every
    // execution. Every field is set here.
    if (devices.size() != sc.devices.size()) {
        devices.clear();
        devices.resize(sc.devices.size());
    }
    for (std::size_t i = 0; i < sc.devices.size(); ++i) {
        const auto& d = sc.devices[i];
        auto& v = devices[i];
        v.name = d.name;
        v.ttm = d.kind == DeviceKind::TtmVram;
        v.devmem = d.kind == DeviceKind::DevMem;
        v.bo_placement_pfn = 0;
        v.resv.lock.init(derived_object(Derived::Resv, i, [&] { return d.name + ".resv"; }));
        objects_.set_class(v.resv.lock.id(), "dma_resv.lock");
        if (v.ttm) {
            v.resv.fence.init(
                derived_object(Derived::Fence, i, [&] { return d.name + ".resv.fence"; }));
        }
        v.bar_base_pfn = d.bar_base >> PAGE_SHIFT;
        v.bar_size = d.bar_size;
        v.memory_lock.init(
            derived_object(Derived::MemoryLock, i, [&] { return d.name + ".memory_lock"; }), rw);
        objects_.set_class(v.memory_lock.id(), "vfio_pci_core_device.memory_lock");
        v.mem_enabled = d.mem_enabled;
        v.mem_obj = derived_object(Derived::PciCommand, i, [&] { return d.name + ".PCI_COMMAND"; });
        v.inode_mapping.i_mmap_rwsem.init(
            derived_object(Derived::IMmapRwsem, i, [&] { return d.name + ".i_mmap_rwsem"; }), rw);
        objects_.set_class(v.inode_mapping.i_mmap_rwsem.id(), "address_space.i_mmap_rwsem");
        v.inode_mapping.i_mmap.clear();
        v.zap_done_while_disabled = false;
        v.no_command_memory = d.virtfn;
        v.d3hot = false;
        v.resetting = false;
        v.pm_runtime_engaged = false;
        v.d3cold = false;
        v.vma_list.clear();
        if (d.kind == DeviceKind::VfioPci && vfio_vma_lock_era(sc.vfio_pci_mmap)) {
            v.vma_lock.init(
                derived_object(Derived::VmaLock, i, [&] { return d.name + ".vma_lock"; }));
            objects_.set_class(v.vma_lock.id(), "vfio_pci_core_device.vma_lock");
            v.vma_list_obj =
                derived_object(Derived::VmaList, i, [&] { return d.name + ".vma_list"; });
        }
        v.has_ioeventfd = false;
        for (const auto& a : sc.actors) {
            v.has_ioeventfd |= a.kind == ActorKind::Ioeventfd && a.device == d.name;
        }
        if (v.has_ioeventfd) {
            v.ioeventfd_wqh.init(derived_object(Derived::IoeventfdWqh, i,
                                                [&] { return d.name + ".ioeventfd.wqh.lock"; }));
            objects_.set_class(v.ioeventfd_wqh.id(), "eventfd_ctx.wqh.lock");
        }
    }
    reset_pci_buses(rw);
    has_anonymous_vma = std::any_of(sc.vmas.begin(), sc.vmas.end(), [](const VmaSpec& v) {
        return v.device.empty() && (v.flags & (VM_IO | VM_PFNMAP)) == 0;
    });
    mm.vma_storage.resize(sc.vmas.size());
    int id = 0;
    for (std::size_t k = 0; k < sc.vmas.size(); ++k) {
        const auto& vs = sc.vmas[k];
        auto& v = mm.vma_storage[k];
        v = vm_area_struct{};
        v.vm_start = vs.start;
        v.vm_end = vs.start + vs.size;
        v.vm_flags = vs.flags;
        v.vm_pgoff = vs.pgoff;
        v.vm_mm = &mm;
        v.id = id++;
        v.vm_lock.init(derived_object(Derived::VmLock, k,
                                      [&] { return fmt::format("vma[{:#x}].vm_lock", vs.start); }));
        objects_.set_class(v.vm_lock.id(), "vm_area_struct.vm_lock");
        for (std::size_t i = 0; i < devices.size(); ++i) {
            auto& d = devices[i];
            if (d.name == vs.device) {
                v.vm_private_data = &d;
                // Before abafbc551fdd vfio_pci_mmap() set no vm_ops: remap_pfn_range() at mmap.
                const bool vfio = sc.devices[i].kind == DeviceKind::VfioPci;
                const bool premap = vfio && sc.vfio_pci_mmap == VfioPciMmapVariant::PreAbafbc551fdd;
                v.vm_ops = premap ? nullptr
                           : vfio && vfio_vma_lock_era(sc.vfio_pci_mmap)
                               ? &vfio_pci_mmap_ops_vma_lock()
                               : &vm_ops_of(sc.devices[i].kind);
                v.mapping = &d.inode_mapping;
                if (vs.mapped) {
                    d.inode_mapping.i_mmap.push_back(&v);
                }
            }
        }
        if (vs.mapped) {  // an unmapped one waits for its mmap actor (do_mmap)
            mm.mm_mt_list.push_back(&v);
        }
    }
    std::sort(
        mm.mm_mt_list.begin(), mm.mm_mt_list.end(),
        [](const vm_area_struct* a, const vm_area_struct* b) { return a->vm_start < b->vm_start; });
    // Initial entries: leaves mapping the BAR as the fault handler would have inserted them.
    for (const auto& e : sc.entries) {
        const vm_area_struct* vma = nullptr;
        for (const auto* v : mm.mm_mt_list) {
            if (e.addr >= v->vm_start && e.addr < v->vm_end) {
                vma = v;
            }
        }
        pt_store(mm.pgtable, pt_offset(*this, e.level, e.addr),
                 pt_entry{pt_entry::Kind::leaf, vma_addr_to_pfn(vma, e.addr),
                          vm_page_prot_writable(vma), true});
        if (e.level != Level::PUD) {
            pt_store(mm.pgtable, pt_offset(*this, Level::PUD, e.addr),
                     pt_entry{pt_entry::Kind::table});
        }
        if (e.level == Level::PTE) {
            pt_store(mm.pgtable, pt_offset(*this, Level::PMD, e.addr),
                     pt_entry{pt_entry::Kind::table});
        }
    }

    // mm/memory.c remap_pfn_range at mmap (drivers/char/mem.c mmap_mem_prepare, and vfio_pci_mmap
    // before abafbc551fdd): every page of the vma has its PTE from the start.
    for (vm_area_struct* v : mm.mm_mt_list) {
        if (v->vm_private_data == nullptr || !mapping_populated_at_mmap(sc, *v->vm_private_data)) {
            continue;
        }
        for (std::uint64_t a = v->vm_start; a < v->vm_end; a += PAGE_SIZE) {
            pt_store(mm.pgtable, pt_offset(*this, Level::PUD, a), pt_entry{pt_entry::Kind::table});
            pt_store(mm.pgtable, pt_offset(*this, Level::PMD, a), pt_entry{pt_entry::Kind::table});
            pt_store(mm.pgtable, pt_offset(*this, Level::PTE, a),
                     pt_entry{pt_entry::Kind::leaf, vma_addr_to_pfn(v, a), vm_page_prot_writable(v),
                              true});
        }
    }

    tasks.assign(sc.actors.size(), task_struct{});
    for (std::size_t i = 0; i < sc.actors.size(); ++i) {
        tasks[i].comm = sc.actors[i].name;
        tasks[i].pending_obj =
            derived_object(Derived::Signal, i, [&] { return sc.actors[i].name + ".signal"; });
        tasks[i].fault_retry_budget = sc.actors[i].fault_retry;
        for (const auto& a : sc.actors) {
            tasks[i].signal_target = tasks[i].signal_target ||
                                     (a.kind == ActorKind::Signal && a.target == sc.actors[i].name);
        }
    }
}

task_struct& World::current() {
    return tasks[sim::current_actor()];
}

const std::string& World::current_name() const {
    return decls_[sim::current_actor()].name;
}

void World::run_actor(sim::ActorId id) {
    const ActorSpec& a = sc.actors[id];
    const int r = actor_kind_row(a.kind).driver(*this, a);
    task_struct& t = tasks[id];
    t.result = r;
    t.finished = true;
}

bool World::is_kill_check(sim::ActorId actor, const sim::Step& step) const {
    return step.op == sim::Op::Read && step.object == tasks[actor].pending_obj;
}

}  // namespace pfnsim::model
