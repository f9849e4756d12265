// The actor drivers: what each kind of actor does (the rows of actor_kinds.cpp name them).
// Each returns the actor's result; a caller closes its oracle window in its finish step.
#include <cerrno>

#include "actor_kinds.hpp"
#include "pfnsim/model/world.hpp"
#include "pfnsim/sim/execution.hpp"

namespace pfnsim::model {

namespace {

vfio_pci_core_device& device_of(World& w, const ActorSpec& a) {
    for (auto& d : w.devices) {
        if (d.name == a.device) {
            return d;
        }
    }
    return w.devices.front();
}

// One call of a caller: opens the oracle window, runs `call`, and closes the window in the
// finish step named `fn`, which conflicts with every step (the reduction must not reorder it).
template <class Call>
int one_call(World& w, sim::Name fn, Call&& call) {
    task_struct& t = w.begin_call();
    const int r = call();
    sim::point(sim::Op::Finish, sim::kNoObject, fn, returns_effect(r));
    t.in_pin = false;
    t.foll_tried = false;  // a FOLL_TRIED pass belongs to the call that dropped the lock
    t.result = r;
    return r;
}

// `repeat` PCI_COMMAND writes clearing (zap) or setting (enable) the memory bit: userspace
// writing the command register again. vfio_basic_config_write zaps on every write with the bit
// clear, whatever it was before. The count is the loop's carried value.
int command_writes(World& w, const ActorSpec& a, bool zap) {
    vfio_pci_core_device& vdev = device_of(w, a);
    const auto write = [&] {
        return zap ? vfio_pci_memory_disable(w, vdev) : vfio_pci_memory_enable(w, vdev);
    };
    if (a.repeat == 1) {
        return write();  // no loop frame: the states and schedules of a single write
    }
    sim::Loop writes(zap ? sim::Name("memory disable: PCI_COMMAND loop")
                         : sim::Name("memory enable: PCI_COMMAND loop"));
    int r = 0;
    for (std::uint64_t i = 0; i < a.repeat && r == 0; ++i) {
        writes.head(i);
        r = write();
    }
    return r;
}

// A CPU access by the task: one user-mode fault (arch/x86/mm/fault.c do_user_addr_fault).
int fault_once(World& w, const ActorSpec& a) {
    task_struct& t = w.begin_call();  // memory disable justifies SIGBUS
    const int r = do_user_addr_fault(w, a.vaddr, a.write, true);
    sim::point(sim::Op::Finish, sim::kNoObject, "do_user_addr_fault", returns_effect(r));
    t.in_pin = false;
    t.result = r;
    return r;
}

}  // namespace

int drive_pin(World& w, const ActorSpec& a) {
    // The ioctl is in progress until it returns: the oracle window closes in the finish step.
    return one_call(w, "VFIO_IOMMU_MAP_DMA",
                    [&] { return vfio_dma_do_map(w, a.vaddr, a.vaddr, a.size, a.write); });
}

// `repeat` (or forever) reads of the walker's /proc file, each one `cat`.
int drive_split(World& w, const ActorSpec& a) {
    struct Walk {
        sim::Name loop;
        sim::Name finish;
        int (*show)(World& w);
    };
    static constexpr Walk kWalks[] = {
        {"numa_maps: cat loop", "numa_maps", show_numa_maps},           // Walker::NumaMaps
        {"smaps: cat loop", "smaps", show_smaps},                       // Walker::Smaps
        {"smaps_rollup: cat loop", "smaps_rollup", show_smaps_rollup},  // Walker::SmapsRollup
    };
    const Walk& walk = kWalks[static_cast<std::size_t>(a.walker)];
    sim::Loop walks(walk.loop);
    for (std::uint64_t i = 0; a.forever || i < a.repeat; ++i) {
        walks.head(a.forever ? 0 : i);  // a finite walker's count is loop-carried
        walk.show(w);
    }
    sim::point(sim::Op::Finish, sim::kNoObject, walk.finish, returns_effect(0));
    return 0;
}

int drive_zap(World& w, const ActorSpec& a) {
    return command_writes(w, a, true);
}

int drive_enable(World& w, const ActorSpec& a) {
    return command_writes(w, a, false);
}

// `repeat` CPU accesses by the task, one fault each; the first that fails (a fatal signal, or
// -ENOMEM) ends the task with its result. The count is the loop's carried value; the task's
// fault_retry budget is shared by all of them.
int drive_fault(World& w, const ActorSpec& a) {
    if (a.repeat == 1) {
        return fault_once(w, a);  // no loop frame: the states and schedules of a single access
    }
    sim::Loop accesses("user access loop");
    int r = 0;
    for (std::uint64_t i = 0; i < a.repeat; ++i) {
        accesses.head(i);
        r = fault_once(w, a);
        if (r != 0) {
            break;
        }
    }
    return r;
}

int drive_munmap(World& w, const ActorSpec& a) {
    return do_munmap(w, a.vaddr, a.size);
}

int drive_signal(World& w, const ActorSpec& a) {
    for (std::size_t i = 0; i < w.sc.actors.size(); ++i) {
        if (w.sc.actors[i].name == a.target) {
            if (a.signal == SignalKind::Sigkill) {
                send_sig_kill(w, w.tasks[i]);
            } else {
                send_sig(w, w.tasks[i]);
            }
        }
    }
    return 0;
}

// KVM_RUN until the vCPU's access to a memslot backed by the BAR mapping is resolved (vcpu_run
// -> kvm_mmu_faultin_pfn -> hva_to_pfn), or the ioctl exits to userspace.
int drive_kvm(World& w, const ActorSpec& a) {
    return one_call(w, "KVM_RUN", [&] { return vcpu_run(w, a.vaddr, a.write); });
}

int drive_s390_mmio_write(World& w, const ActorSpec& a) {
    return one_call(w, "s390_pci_mmio_write", [&] { return s390_pci_mmio_write(w, a.vaddr); });
}

int drive_s390_mmio_read(World& w, const ActorSpec& a) {
    return one_call(w, "s390_pci_mmio_read", [&] { return s390_pci_mmio_read(w, a.vaddr); });
}

int drive_acrn_map(World& w, const ActorSpec& a) {
    return one_call(w, "ACRN_IOCTL_SET_MEMSEG",
                    [&] { return acrn_vm_ram_map(w, a.vaddr, a.size, a.write); });
}

// ptrace(PTRACE_PEEKDATA / POKEDATA): access_process_vm of one word; 0 bytes is -EIO.
int drive_access_phys(World& w, const ActorSpec& a) {
    return one_call(w, "ptrace", [&] {
        const int bytes = access_process_vm(w, a.vaddr, 8, a.write);
        return bytes == 8 ? 0 : -EIO;
    });
}

int drive_bo_move(World& w, const ActorSpec& a) {
    return ttm_bo_validate(w, device_of(w, a), a.placement);
}

// A driver's request_mem_region() of the /dev/mem range `device` (its probe claiming the BAR).
int drive_request_region(World& w, const ActorSpec& a) {
    return __request_region(w, device_of(w, a));
}

// The user writes PM_CTRL (vfio_pm_config_write): vfio_pci_set_power_state(vdev, PCI_D3hot).
// mmap(2) of the unmapped [[vma]] that starts at vaddr.
int drive_mmap(World& w, const ActorSpec& a) {
    return one_call(w, "mmap", [&] { return do_mmap(w, a.vaddr); });
}

int drive_d3hot(World& w, const ActorSpec& a) {
    return vfio_pci_set_power_state_d3hot(w, device_of(w, a));
}

// pread(2) (write = false) or pwrite(2) of 8 bytes at offset 0 of BAR 0 through the device fd
// (vfio_device_fops -> vfio_pci_core_read/write -> vfio_pci_rw), the user buffer at vaddr:
// anywhere in the mm, the device's own mmap included.
int drive_bar_rw(World& w, const ActorSpec& a) {
    const auto rw = [&] {
        const long r = vfio_pci_bar_rw(w, device_of(w, a), a.vaddr, 8, 0, a.write);
        return r == 8 ? 0 : static_cast<int>(r);
    };
    return a.write ? one_call(w, "pwrite", rw) : one_call(w, "pread", rw);
}

// The guest's write to an address KVM has an ioeventfd for (ioeventfd_write ->
// eventfd_signal), the eventfd being one VFIO_DEVICE_IOEVENTFD registered on BAR 0 of `device`.
int drive_ioeventfd(World& w, const ActorSpec& a) {
    return one_call(w, "eventfd_signal", [&] { return eventfd_signal(w, device_of(w, a)); });
}

// VFIO_DEVICE_RESET of `device`.
int drive_reset(World& w, const ActorSpec& a) {
    return vfio_pci_ioctl_reset(w, device_of(w, a));
}

// The user writes PM_CTRL back to D0 (vfio_pm_config_write).
int drive_d0(World& w, const ActorSpec& a) {
    return vfio_pci_set_power_state_d0(w, device_of(w, a));
}

// VFIO_DEVICE_FEATURE with VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY, and with ..._LOW_POWER_EXIT.
int drive_low_power(World& w, const ActorSpec& a) {
    return vfio_pci_runtime_pm_entry(w, device_of(w, a));
}

int drive_low_power_exit(World& w, const ActorSpec& a) {
    return vfio_pci_runtime_pm_exit(w, device_of(w, a));
}

// VFIO_DEVICE_PCI_HOT_RESET through `device`'s fd: a bus reset of its device set.
int drive_hot_reset(World& w, const ActorSpec& a) {
    return vfio_pci_ioctl_pci_hot_reset(w, device_of(w, a));
}

// VFIO_DEVICE_GET_PCI_HOT_RESET_INFO through `device`'s fd, the answer copied to vaddr.
int drive_hot_reset_info(World& w, const ActorSpec& a) {
    return one_call(w, "VFIO_DEVICE_GET_PCI_HOT_RESET_INFO", [&] {
        return vfio_pci_ioctl_get_pci_hot_reset_info(w, device_of(w, a), a.vaddr);
    });
}

// A function appears on `device`'s bus (drivers/pci/pci-sysfs.c rescan_store: pci_rescan_bus
// under pci_lock_rescan_remove) and goes again (surprise removal:
// pci_stop_and_remove_bus_device_locked); it is bound to no vfio driver.
int drive_hotplug(World& w, const ActorSpec& a) {
    pci_bus& bus = *device_of(w, a).bus;
    pci_lock_rescan_remove(w);
    pci_rescan_bus(w, bus);
    pci_unlock_rescan_remove(w);
    pci_stop_and_remove_bus_device_locked(w, bus);
    return 0;
}

}  // namespace pfnsim::model
