// drivers/vfio/pci/vfio_pci_core.c and vfio_pci_config.c: the BAR mmap fault handler, the zap on
// memory disable, and memory enable.
#include <fmt/format.h>

#include <algorithm>
#include <memory_resource>

#include "pfnsim/model/world.hpp"
#include "pfnsim/sim/execution.hpp"

namespace pfnsim::model {

// drivers/vfio/pci/vfio_pci_core.c __vfio_pci_memory_enabled: the power state below D3hot
// (2b2c651baf1c), and no_command_memory (ebfa440ce38b, 515ecd5368f1) or PCI_COMMAND_MEMORY
// of the virtual config space. The older forms check less ([kernel] vfio_pci_memory_enabled).
// "Caller should hold memory_lock semaphore" (a comment upstream, no lockdep assertion).
bool vfio_pci_memory_enabled(World& w, vfio_pci_core_device& vdev) {
    sim::point(sim::Op::Read, vdev.mem_obj, "__vfio_pci_memory_enabled", "memory disabled");
    bool enabled = vdev.mem_enabled;
    switch (w.sc.vfio_memory_enabled) {
        case VfioMemoryEnabledVariant::Current:
            enabled = !vdev.d3hot && !vdev.d3cold && (vdev.no_command_memory || vdev.mem_enabled);
            break;
        case VfioMemoryEnabledVariant::Pre2b2c651baf1c:
            enabled = vdev.no_command_memory || vdev.mem_enabled;
            break;
        case VfioMemoryEnabledVariant::PreEbfa440ce38b:
            break;  // cmd & PCI_COMMAND_MEMORY: a VF's reads 0
    }
    if (enabled) {
        sim::annotate("memory enabled");
    }
    return enabled;
}

namespace {

// The calls in flight see the BAR inaccessible from here (the oracle's "memory disabled").
void mark_bar_gone(World& w) {
    for (auto& t : w.tasks) {
        if (t.in_pin) {
            t.saw_mem_disabled = true;
        }
    }
}

// The write of PCI_COMMAND (vfio_default_config_write) that enables or disables memory.
void write_command_memory(World& w, vfio_pci_core_device& vdev, bool enable) {
    sim::point(
        sim::Op::Write, vdev.mem_obj, "vfio_default_config_write",
        enable ? sim::Name("PCI_COMMAND_MEMORY set") : sim::Name("PCI_COMMAND_MEMORY clear"));
    vdev.mem_enabled = enable;
    if (!enable) {
        mark_bar_gone(w);
    }
}

// I-STALE at the moment the BAR became inaccessible (`state`): no entry maps it, and none may
// until memory is enabled again (zap_done_while_disabled; pgtable.cpp checks every write).
void check_bar_unmapped(World& w, vfio_pci_core_device& vdev, const char* state, bool zapped) {
    vdev.zap_done_while_disabled = true;
    for (const auto* m : {&w.mm.pgtable.pud, &w.mm.pgtable.pmd, &w.mm.pgtable.pte}) {
        for (const auto& [addr, slot] : *m) {
            if (entry_leaf(slot.e) && bar_contains(vdev, slot.e.pfn)) {
                sim::fail_invariant(
                    w.current_name(),
                    fmt::format("I-STALE: entry at {:#x} still maps BAR pfn {:#x} "
                                "{}{}",
                                addr, slot.e.pfn, state,
                                zapped ? " after the zap" : " (nothing zapped it)"));
            }
        }
    }
}

}  // namespace

// drivers/vfio/pci/vfio_pci_core.c vfio_pci_mmap_huge_fault: under memory_lock (read), insert a
// leaf of the requested order, SIGBUS while memory is disabled, FALLBACK when the order does not
// fit the vma or the pfn's alignment.
vm_fault_t vfio_pci_mmap_huge_fault(World& w, vm_fault& vmf, unsigned order) {
    const sim::Call frame{"vfio_pci_mmap_huge_fault"};
    vm_area_struct* vma = vmf.vma;
    vfio_pci_core_device& vdev = *vma->vm_private_data;
    const std::uint64_t span = PAGE_SIZE << order;
    std::uint64_t addr = vmf.address & ~(span - 1);
    std::uint64_t pfn = vma_addr_to_pfn(vma, addr);  // vma_to_pfn(vma) + pgoff
    if (w.sc.vfio_huge_fault == VfioHugeFaultVariant::F9e54c3a2f5b) {
        // f9e54c3a2f5b until 09dfc8a5f2ce: only the fault address is checked; the pfn of an
        // aligned address need not be aligned (a BAR mmapped at a 2M- but not 1G-aligned
        // address), and vmf_insert_pfn_pud() keeps only its aligned bits.
        addr = vmf.address & PAGE_MASK;  // vmf->address is page-aligned
        if (order != 0 && ((addr & (span - 1)) != 0 || addr + span > vma->vm_end)) {
            return VM_FAULT_FALLBACK;
        }
        pfn = vma_addr_to_pfn(vma, addr);
    } else if (order != 0 && (addr < vma->vm_start || addr + span > vma->vm_end ||
                              (pfn & ((1ULL << order) - 1)) != 0)) {
        return VM_FAULT_FALLBACK;
    }
    vm_fault_t ret = VM_FAULT_SIGBUS;
    // A plain down_read: it never drops mmap_lock, so this handler never returns
    // VM_FAULT_RETRY.
    might_sleep(w);
    vdev.memory_lock.down_read("vfio_pci_mmap_huge_fault");
    if (!vdev.pm_runtime_engaged && vfio_pci_memory_enabled(w, vdev)) {
        if (order == 0) {
            ret = vmf_insert_pfn(w, vmf, pfn + ((vmf.address - addr) >> PAGE_SHIFT));
        } else if (order == PMD_ORDER) {
            ret = vmf_insert_pfn_pmd(w, vmf, pfn, (vmf.flags & FAULT_FLAG_WRITE) != 0);
        } else if (order == PUD_ORDER) {
            ret = vmf_insert_pfn_pud(w, vmf, pfn, (vmf.flags & FAULT_FLAG_WRITE) != 0);
        } else {
            ret = VM_FAULT_FALLBACK;
        }
    }
    vdev.memory_lock.up_read("vfio_pci_mmap_huge_fault");
    return ret;
}

// drivers/vfio/pci/vfio_pci_core.c vfio_pci_mmap_page_fault: vfio_pci_mmap_ops.fault, the
// huge fault at order 0 (no frame of its own: it only forwards).
vm_fault_t vfio_pci_mmap_page_fault(World& w, vm_fault& vmf) {
    return vfio_pci_mmap_huge_fault(w, vmf, 0);
}

namespace {

// drivers/vfio/pci/vfio_pci_core.c __vfio_pci_add_vma (v5.8 to v6.9): list the vma (v5.8 lists
// it again if a concurrent fault did).
void vfio_pci_add_vma(vfio_pci_core_device& vdev, vm_area_struct* vma) {
    sim::point(sim::Op::Write, vdev.vma_list_obj, "__vfio_pci_add_vma", "list_add vma [{:#x}, ...)",
               vma->vm_start);
    vdev.vma_list.push_back(vma);
}

}  // namespace

// drivers/vfio/pci/vfio_pci_core.c vfio_pci_zap_and_vma_lock (v5.8 to v6.9): the listed vmas
// are zapped under their mm's mmap_lock, taken with vma_lock dropped (mmap_lock -> vma_lock is
// the order the fault path sets); returns with vma_lock held and the list empty. With `try`
// (the hot reset) every lock is trylocked and contention gives up with nothing held (false).
// mmget_not_zero() always succeeds: the one mm lives for the whole execution.
bool vfio_pci_zap_and_vma_lock(World& w, vfio_pci_core_device& vdev, bool try_) {
    const sim::Call frame{"vfio_pci_zap_and_vma_lock"};
    const auto vma_lock = [&] {
        if (try_) {
            return vdev.vma_lock.try_lock("mutex_trylock");
        }
        might_sleep(w);
        vdev.vma_lock.lock("mutex_lock");
        return true;
    };
    sim::Loop rounds("vfio_pci_zap_and_vma_lock: while (1)");
    for (;;) {
        rounds.head();
        if (!vma_lock()) {
            return false;
        }
        sim::point(sim::Op::Read, vdev.vma_list_obj, "vfio_pci_zap_and_vma_lock", "list_empty");
        if (vdev.vma_list.empty()) {
            return true;
        }
        vdev.vma_lock.unlock("mutex_unlock");
        if (!try_) {
            mmap_read_lock(w);
        } else if (!w.mm.mmap_lock.down_read_trylock("mmap_read_trylock")) {
            return false;
        }
        if (!vma_lock()) {
            mmap_read_unlock(w);
            return false;
        }
        sim::point(sim::Op::Write, vdev.vma_list_obj, "vfio_pci_zap_and_vma_lock",
                   "list_del every vma of this mm");
        std::pmr::vector<vm_area_struct*> listed(vdev.vma_list.begin(), vdev.vma_list.end(),
                                                 &sim::execution_memory());
        vdev.vma_list.clear();
        for (vm_area_struct* vma : listed) {
            zap_page_range_single(w, vma, vma->vm_start, vma->vm_end);  // zap_vma_ptes
        }
        vdev.vma_lock.unlock("mutex_unlock");
        mmap_read_unlock(w);
    }
}

// drivers/vfio/pci/vfio_pci_core.c vfio_pci_mmap_fault (v5.8 to v6.9, the vma_lock era):
// vma_lock, then memory_lock (read); SIGBUS while memory is disabled; otherwise fill the whole
// vma with io_remap_pfn_range() and list it. Since 6a45ece4c9af both locks are held across the
// fill and a listed vma is not filled again (a concurrent fault did it: NOPAGE); before it
// (v5.8) vma_lock is dropped after the vma is listed, before the fill.
vm_fault_t vfio_pci_mmap_fault(World& w, vm_fault& vmf) {
    const sim::Call frame{"vfio_pci_mmap_fault"};
    vm_area_struct* vma = vmf.vma;
    vfio_pci_core_device& vdev = *vma->vm_private_data;
    const bool v5_8 = w.sc.vfio_pci_mmap == VfioPciMmapVariant::Pre6a45ece4c9af;
    vm_fault_t ret = VM_FAULT_NOPAGE;
    might_sleep(w);
    vdev.vma_lock.lock("mutex_lock");
    might_sleep(w);
    vdev.memory_lock.down_read("down_read");
    bool vma_locked = true;
    if (vdev.pm_runtime_engaged || !vfio_pci_memory_enabled(w, vdev)) {
        ret = VM_FAULT_SIGBUS;
    } else if (v5_8) {
        vfio_pci_add_vma(vdev, vma);
        vdev.vma_lock.unlock("mutex_unlock");
        vma_locked = false;
        remap_pfn_range(w, vma, vma->vm_start, vma_addr_to_pfn(vma, vma->vm_start),
                        vma->vm_end - vma->vm_start);  // io_remap_pfn_range
    } else {
        sim::point(sim::Op::Read, vdev.vma_list_obj, "vfio_pci_mmap_fault",
                   "list_for_each_entry: vma not listed");
        const bool listed =
            std::find(vdev.vma_list.begin(), vdev.vma_list.end(), vma) != vdev.vma_list.end();
        if (listed) {
            sim::annotate("vma listed: a concurrent fault filled it, VM_FAULT_NOPAGE");
        } else {
            remap_pfn_range(w, vma, vma->vm_start, vma_addr_to_pfn(vma, vma->vm_start),
                            vma->vm_end - vma->vm_start);  // io_remap_pfn_range
            vfio_pci_add_vma(vdev, vma);
        }
    }
    vdev.memory_lock.up_read("up_read");
    if (vma_locked) {
        vdev.vma_lock.unlock("mutex_unlock");
    }
    return ret;
}

// drivers/vfio/pci/vfio_pci_core.c vfio_pci_mmap_close (v5.8 to v6.9): unlist the vma.
void vfio_pci_mmap_close(World& w, vm_area_struct* vma) {
    const sim::Call frame{"vfio_pci_mmap_close"};
    vfio_pci_core_device& vdev = *vma->vm_private_data;
    might_sleep(w);
    vdev.vma_lock.lock("mutex_lock");
    sim::point(sim::Op::Write, vdev.vma_list_obj, "vfio_pci_mmap_close", "list_del");
    auto& l = vdev.vma_list;
    l.erase(std::remove(l.begin(), l.end(), vma), l.end());
    vdev.vma_lock.unlock("mutex_unlock");
}

// drivers/vfio/pci/vfio_pci_core.c vfio_pci_zap_and_down_write_memory_lock: take memory_lock
// for write, then vfio_pci_zap_bars -> unmap_mapping_range over the device inode's mappings.
// In the vma_lock era: vfio_pci_zap_and_vma_lock() first, memory_lock under vma_lock.
void vfio_pci_zap_and_down_write_memory_lock(World& w, vfio_pci_core_device& vdev) {
    const sim::Call frame{"vfio_pci_zap_and_down_write_memory_lock"};
    if (vfio_vma_lock_era(w.sc.vfio_pci_mmap)) {
        vfio_pci_zap_and_vma_lock(w, vdev, false);
        might_sleep(w);
        vdev.memory_lock.down_write("down_write");
        mark_bar_gone(w);
        vdev.vma_lock.unlock("mutex_unlock");
        return;
    }
    might_sleep(w);
    vdev.memory_lock.down_write("vfio_pci_zap_and_down_write_memory_lock");
    // From here memory is as good as disabled for the calls in flight: the BAR is being
    // unmapped and no fault can map it again until memory_lock is released (oracle).
    mark_bar_gone(w);
    unmap_mapping_range(w, &vdev.inode_mapping);
}

// drivers/vfio/pci/vfio_pci_config.c vfio_basic_config_write clearing PCI_COMMAND_MEMORY.
int vfio_pci_memory_disable(World& w, vfio_pci_core_device& vdev) {
    const sim::Call frame{"vfio_pci_memory_disable"};
    const bool old = w.sc.vfio_pci_mmap == VfioPciMmapVariant::PreAbafbc551fdd;
    if (!old) {
        vfio_pci_zap_and_down_write_memory_lock(w, vdev);
    }
    // Before abafbc551fdd: the register write alone (no memory_lock, no zap).
    write_command_memory(w, vdev, false);
    // I-STALE from here on: memory is off (after the zap, where there is one).
    check_bar_unmapped(w, vdev, "with memory disabled", !old);
    if (!old) {
        vdev.memory_lock.up_write("up_write");
    }
    return 0;
}

// drivers/vfio/pci/vfio_pci_core.c vfio_pci_set_power_state(vdev, PCI_D3hot) from a PM_CTRL
// write: since 2b2c651baf1c the BARs are zapped under memory_lock (write) first; before it the
// power state changes and nothing else.
int vfio_pci_set_power_state_d3hot(World& w, vfio_pci_core_device& vdev) {
    const sim::Call frame{"vfio_pci_set_power_state"};
    const bool zaps = w.sc.vfio_memory_enabled == VfioMemoryEnabledVariant::Current;
    if (zaps) {
        vfio_pci_zap_and_down_write_memory_lock(w, vdev);
    }
    sim::point(sim::Op::Write, vdev.mem_obj, "pci_set_power_state", "D3hot");
    vdev.d3hot = true;
    mark_bar_gone(w);
    // I-STALE from here on: the BAR is inaccessible.
    check_bar_unmapped(w, vdev, "in D3hot", zaps);
    if (zaps) {
        vdev.memory_lock.up_write("up_write");
    }
    return 0;
}

// drivers/vfio/pci/vfio_pci_config.c vfio_basic_config_write setting PCI_COMMAND_MEMORY.
int vfio_pci_memory_enable(World& w, vfio_pci_core_device& vdev) {
    const sim::Call frame{"vfio_pci_memory_enable"};
    const bool old = w.sc.vfio_pci_mmap == VfioPciMmapVariant::PreAbafbc551fdd;
    if (!old) {
        vdev.memory_lock.down_write("down_write");
    }
    write_command_memory(w, vdev, true);
    vdev.zap_done_while_disabled = false;
    if (!old) {
        vdev.memory_lock.up_write("up_write");
    }
    return 0;
}

namespace {

// The BAR decodes again (D0, reset done, low power left): I-STALE no longer applies.
void bar_accessible_again(vfio_pci_core_device& vdev) {
    if (bar_accessible(vdev)) {
        vdev.zap_done_while_disabled = false;
    }
}

}  // namespace

// drivers/vfio/pci/vfio_pci_config.c vfio_pm_config_write -> vfio_lock_and_set_power_state(vdev,
// PCI_D0): memory_lock for write and no zap (the BAR becomes accessible); before 2b2c651baf1c
// the power state changed with no lock.
int vfio_pci_set_power_state_d0(World& w, vfio_pci_core_device& vdev) {
    const sim::Call frame{"vfio_pci_set_power_state"};
    const bool locks = w.sc.vfio_memory_enabled == VfioMemoryEnabledVariant::Current;
    if (locks) {
        might_sleep(w);
        vdev.memory_lock.down_write("down_write");
    }
    sim::point(sim::Op::Write, vdev.mem_obj, "pci_set_power_state", "D0");
    vdev.d3hot = false;
    bar_accessible_again(vdev);
    if (locks) {
        vdev.memory_lock.up_write("up_write");
    }
    return 0;
}

// drivers/vfio/pci/vfio_pci_core.c vfio_pci_ioctl_reset (VFIO_DEVICE_RESET): since abafbc551fdd
// the BARs are zapped and memory_lock is held for write across pci_try_reset_function() (which
// leaves the function in D0 with its config restored: the virtual memory bit is unchanged);
// before it the reset ran with the BAR still mapped. I-STALE while the reset is in progress.
int vfio_pci_ioctl_reset(World& w, vfio_pci_core_device& vdev) {
    const sim::Call frame{"vfio_pci_ioctl_reset"};
    const bool old = w.sc.vfio_pci_mmap == VfioPciMmapVariant::PreAbafbc551fdd;
    if (!old) {
        vfio_pci_zap_and_down_write_memory_lock(w, vdev);
    }
    sim::point(sim::Op::Write, vdev.mem_obj, "pci_try_reset_function", "reset in progress");
    vdev.resetting = true;
    mark_bar_gone(w);
    check_bar_unmapped(w, vdev, "during the reset", !old);
    sim::point(sim::Op::Write, vdev.mem_obj, "pci_try_reset_function", "reset done: D0");
    vdev.resetting = false;
    vdev.d3hot = false;
    bar_accessible_again(vdev);
    if (!old) {
        vdev.memory_lock.up_write("up_write");
    }
    return 0;
}

// drivers/vfio/pci/vfio_pci_core.c vfio_pci_runtime_pm_entry (VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY,
// v6.1): zap and memory_lock for write, -EINVAL if already engaged, else pm_runtime_engaged and
// pm_runtime_put_noidle(): the runtime suspend that may follow (D3cold) is taken at once.
int vfio_pci_runtime_pm_entry(World& w, vfio_pci_core_device& vdev) {
    const sim::Call frame{"vfio_pci_runtime_pm_entry"};
    vfio_pci_zap_and_down_write_memory_lock(w, vdev);
    sim::point(sim::Op::Write, vdev.mem_obj, "vfio_pci_runtime_pm_entry", "pm_runtime_engaged");
    if (vdev.pm_runtime_engaged) {
        vdev.memory_lock.up_write("up_write");
        return -EINVAL;
    }
    vdev.pm_runtime_engaged = true;
    vdev.d3cold = true;  // vfio_pci_core_runtime_suspend, then the PCI core's D3cold
    mark_bar_gone(w);
    check_bar_unmapped(w, vdev, "with low power engaged", true);
    vdev.memory_lock.up_write("up_write");
    return 0;
}

// drivers/vfio/pci/vfio_pci_core.c __vfio_pci_runtime_pm_exit under memory_lock for write
// (vfio_pci_runtime_pm_exit: VFIO_DEVICE_FEATURE_LOW_POWER_EXIT; vfio_pci_core_runtime_resume
// from any pm_runtime_resume_and_get()): the function is resumed (D0) and the flag cleared.
int vfio_pci_runtime_pm_exit(World& w, vfio_pci_core_device& vdev) {
    const sim::Call frame{"vfio_pci_runtime_pm_exit"};
    might_sleep(w);
    vdev.memory_lock.down_write("down_write");
    sim::point(sim::Op::Write, vdev.mem_obj, "__vfio_pci_runtime_pm_exit", "pm_runtime_engaged");
    if (vdev.pm_runtime_engaged) {
        vdev.pm_runtime_engaged = false;
        vdev.d3cold = false;
        bar_accessible_again(vdev);
    }
    vdev.memory_lock.up_write("up_write");
    return 0;
}

// drivers/vfio/pci/vfio_pci_core.c vfio_pci_zap_bars, memory_lock held for write: the calls in
// flight see the BAR gone from here.
void vfio_pci_zap_bars(World& w, vfio_pci_core_device& vdev) {
    const sim::Call frame{"vfio_pci_zap_bars"};
    mark_bar_gone(w);
    unmap_mapping_range(w, &vdev.inode_mapping);
}

void vfio_pci_bar_gone(World& w) {
    mark_bar_gone(w);
}

// A bus reset of the function begins (pci_bus_save_and_disable_locked): I-STALE until it is
// done, as for VFIO_DEVICE_RESET.
void vfio_pci_bar_reset_begin(World& w, vfio_pci_core_device& vdev, bool zapped) {
    sim::point(sim::Op::Write, vdev.mem_obj, "pci_bus_save_and_disable_locked",
               "reset in progress");
    vdev.resetting = true;
    mark_bar_gone(w);
    check_bar_unmapped(w, vdev, "during the bus reset", zapped);
}

void vfio_pci_bar_reset_done(vfio_pci_core_device& vdev) {
    vdev.resetting = false;
    vdev.d3hot = false;
    bar_accessible_again(vdev);
}

}  // namespace pfnsim::model
