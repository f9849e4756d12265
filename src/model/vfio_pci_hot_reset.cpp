// drivers/vfio/pci/vfio_pci_core.c (vfio_pci.c before v5.15): VFIO_DEVICE_PCI_HOT_RESET and
// VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, the ioctls that walk a bus and reset a device set. Read
// against v6.12, and v5.8 to v5.14 for the form before db44c17458fb.
#include <algorithm>
#include <memory_resource>
#include <vector>

#include "pfnsim/model/errno.hpp"
#include "pfnsim/model/world.hpp"
#include "pfnsim/sim/execution.hpp"

namespace pfnsim::model {

namespace {

// drivers/vfio/pci/vfio_pci_core.c vfio_pci_is_device_in_set: a function no vfio driver
// holds is not in the set.
int vfio_pci_is_device_in_set(vfio_pci_core_device* d, void* /*data*/) {
    return d != nullptr ? 0 : -ENODEV;
}

// drivers/vfio/pci/vfio_pci_core.c vfio_pci_dev_set_resettable: every function on the bus must
// be in the set.
bool vfio_pci_dev_set_resettable(World& w, pci_bus& bus) {
    const sim::Call frame{"vfio_pci_dev_set_resettable"};
    return pci_walk_bus(w, bus, vfio_pci_is_device_in_set, nullptr) == 0;
}

// drivers/vfio/pci/vfio_pci_core.c vfio_pci_dev_set_hot_reset (db44c17458fb, v5.15): under the
// set's lock, each device's memory_lock trylocked for write (contention: -EBUSY, unwind) and
// its BARs zapped, then pci_reset_bus(). In the vma_lock era (to v6.9) each device is first
// zapped by vfio_pci_zap_and_vma_lock(vdev, true), and its memory_lock is trylocked under
// its vma_lock.
int vfio_pci_dev_set_hot_reset(World& w, pci_bus& bus) {
    const sim::Call frame{"vfio_pci_dev_set_hot_reset"};
    might_sleep(w);
    bus.dev_set_lock.lock("mutex_lock");
    if (!vfio_pci_dev_set_resettable(w, bus)) {
        bus.dev_set_lock.unlock("mutex_unlock");
        return -EINVAL;
    }
    // vfio_pci_dev_set_pm_runtime_get: a device in low power is resumed first
    // (vfio_pci_core_runtime_resume).
    for (vfio_pci_core_device* d : bus.vfio_functions) {
        sim::point(sim::Op::Read, d->mem_obj, "pm_runtime_resume_and_get", "runtime active");
        if (d->pm_runtime_engaged) {
            vfio_pci_runtime_pm_exit(w, *d);
        }
    }
    const auto& devs = bus.vfio_functions;
    int ret = 0;
    std::size_t vma_locked = 0;
    std::size_t mem_locked = 0;
    const bool vma_era = vfio_vma_lock_era(w.sc.vfio_pci_mmap);
    if (vma_era) {
        for (; vma_locked < devs.size(); ++vma_locked) {
            if (!vfio_pci_zap_and_vma_lock(w, *devs[vma_locked], true)) {
                ret = -EBUSY;
                break;
            }
        }
    }
    for (; ret == 0 && mem_locked < devs.size(); ++mem_locked) {
        vfio_pci_core_device& d = *devs[mem_locked];
        if (!d.memory_lock.down_write_trylock("down_write_trylock")) {
            ret = -EBUSY;
            break;
        }
        if (vma_era) {
            vfio_pci_bar_gone(w);  // zapped above, and no fault can fill it now
            d.vma_lock.unlock("mutex_unlock");
        } else {
            vfio_pci_zap_bars(w, d);
        }
    }
    if (ret == 0) {
        // vfio_pci_set_power_state(vdev, PCI_D0) for each, then the reset.
        ret = pci_reset_bus(w, bus, true);
    }
    // err_undo: memory_lock where taken, else (the vma_lock era) vma_lock; today's form walks
    // the list back (list_for_each_entry_from_reverse), the vma_lock era's forward.
    const std::size_t held = std::max(vma_locked, mem_locked);
    for (std::size_t k = 0; k < held; ++k) {
        const std::size_t i = vma_era ? k : held - 1 - k;
        if (i < mem_locked) {
            devs[i]->memory_lock.up_write("up_write");
        } else {
            devs[i]->vma_lock.unlock("mutex_unlock");
        }
    }
    bus.dev_set_lock.unlock("mutex_unlock");
    return ret;
}

// drivers/vfio/pci/vfio_pci.c vfio_pci_validate_devs (before db44c17458fb): a function no vfio
// driver holds is in none of the user's groups.
int vfio_pci_validate_devs(vfio_pci_core_device* d, void* /*data*/) {
    return d != nullptr ? 0 : -EINVAL;
}

// drivers/vfio/pci/vfio_pci.c struct vfio_devices: the devices the walk zapped and vma_locked.
struct vfio_devices {
    World& w;
    std::pmr::vector<vfio_pci_core_device*> devices;
};

// drivers/vfio/pci/vfio_pci.c vfio_pci_try_zap_and_vma_lock_cb (abafbc551fdd to db44c17458fb).
int vfio_pci_try_zap_and_vma_lock_cb(vfio_pci_core_device* d, void* data) {
    auto& devs = *static_cast<vfio_devices*>(data);
    if (d == nullptr || !vfio_pci_zap_and_vma_lock(devs.w, *d, true)) {
        return -EBUSY;
    }
    devs.devices.push_back(d);
    return 0;
}

// drivers/vfio/pci/vfio_pci.c vfio_pci_ioctl, VFIO_DEVICE_PCI_HOT_RESET before db44c17458fb: no
// set lock; the walk that validates the groups, then (abafbc551fdd, v5.8) a walk that zaps
// each device and trylocks its vma_lock (vfio_pci_try_zap_and_vma_lock_cb, under pci_bus_sem),
// then each memory_lock trylocked for write. Before abafbc551fdd nothing is zapped or locked.
int vfio_pci_ioctl_hot_reset_walk(World& w, pci_bus& bus) {
    const sim::Call frame{"vfio_pci_ioctl"};
    if (pci_walk_bus(w, bus, vfio_pci_validate_devs, nullptr) != 0) {
        return -EINVAL;
    }
    if (w.sc.vfio_pci_mmap == VfioPciMmapVariant::PreAbafbc551fdd) {
        return pci_reset_bus(w, bus, false);
    }
    vfio_devices devs{w, std::pmr::vector<vfio_pci_core_device*>(&sim::execution_memory())};
    int ret = pci_walk_bus(w, bus, vfio_pci_try_zap_and_vma_lock_cb, &devs);
    std::size_t mem_idx = 0;
    for (; ret == 0 && mem_idx < devs.devices.size(); ++mem_idx) {
        if (!devs.devices[mem_idx]->memory_lock.down_write_trylock("down_write_trylock")) {
            ret = -EBUSY;
            break;
        }
        vfio_pci_bar_gone(w);
        devs.devices[mem_idx]->vma_lock.unlock("mutex_unlock");
    }
    if (ret == 0) {
        ret = pci_reset_bus(w, bus, true);
    }
    // hot_reset_release
    for (std::size_t i = 0; i < devs.devices.size(); ++i) {
        if (i < mem_idx) {
            devs.devices[i]->memory_lock.up_write("up_write");
        } else {
            devs.devices[i]->vma_lock.unlock("mutex_unlock");
        }
    }
    return ret;
}

// drivers/vfio/pci/vfio_pci_core.c vfio_pci_count_devs.
int vfio_pci_count_devs(vfio_pci_core_device* /*d*/, void* data) {
    ++*static_cast<int*>(data);
    return 0;
}

// drivers/vfio/pci/vfio_pci_core.c struct vfio_pci_fill_info: room for `max` entries.
struct vfio_pci_fill_info {
    int max;
    int cur;
};

// drivers/vfio/pci/vfio_pci_core.c vfio_pci_fill_devs: a function beyond those counted has no
// room ("the topology changed since we counted devices").
int vfio_pci_fill_devs(vfio_pci_core_device* /*d*/, void* data) {
    auto& fill = *static_cast<vfio_pci_fill_info*>(data);
    if (fill.cur >= fill.max) {
        return -EAGAIN;
    }
    ++fill.cur;
    return 0;
}

}  // namespace

// drivers/vfio/pci/vfio_pci_core.c vfio_pci_ioctl_pci_hot_reset: the user's groups (or iommufd)
// own every device of the set (not modelled: always so); a bus reset of the set.
int vfio_pci_ioctl_pci_hot_reset(World& w, vfio_pci_core_device& vdev) {
    if (w.sc.vfio_pci_hot_reset == VfioPciHotResetVariant::PreDb44c17458fb) {
        return vfio_pci_ioctl_hot_reset_walk(w, *vdev.bus);
    }
    const sim::Call frame{"vfio_pci_ioctl_pci_hot_reset"};
    return vfio_pci_dev_set_hot_reset(w, *vdev.bus);
}

// drivers/vfio/pci/vfio_pci_core.c vfio_pci_ioctl_get_pci_hot_reset_info: count the functions
// (a walk), then fill their entries (a second walk, under the set's lock): a function that
// appeared in between makes the fill fail with -EAGAIN ("the topology changed since we
// counted devices"); the entries are copied to the user after the lock is dropped. Before
// 9062ff405b49 (v6.6) the fill walk ran without the set's lock.
int vfio_pci_ioctl_get_pci_hot_reset_info(World& w, vfio_pci_core_device& vdev, std::uint64_t arg) {
    const sim::Call frame{"vfio_pci_ioctl_get_pci_hot_reset_info"};
    // copy_from_user(&hdr, arg, minsz): struct vfio_pci_hot_reset_info's argsz, flags, count.
    constexpr std::uint64_t minsz = 12;
    if (copy_from_user(w, arg, minsz) != 0) {
        return -EFAULT;
    }
    pci_bus& bus = *vdev.bus;
    int count = 0;
    pci_walk_bus(w, bus, vfio_pci_count_devs, &count);
    const bool set_lock = w.sc.vfio_pci_hot_reset_info == VfioPciHotResetInfoVariant::Current;
    if (set_lock) {
        might_sleep(w);
        bus.dev_set_lock.lock("mutex_lock");
    }
    vfio_pci_fill_info fill{count, 0};
    const int ret = pci_walk_bus(w, bus, vfio_pci_fill_devs, &fill);
    if (set_lock) {
        bus.dev_set_lock.unlock("mutex_unlock");
    }
    if (ret != 0) {
        return ret;
    }
    // copy_to_user(arg->devices, ...) (8 bytes per function, right after the 12-byte header),
    // then the header: copy_to_user(arg, &hdr, minsz).
    if (copy_to_user(w, arg + minsz, 8ULL * static_cast<std::uint64_t>(fill.cur)) != 0) {
        return -EFAULT;
    }
    if (copy_to_user(w, arg, minsz) != 0) {
        return -EFAULT;
    }
    return 0;
}

}  // namespace pfnsim::model
