// drivers/vfio/pci/vfio_pci_rdwr.c: read and write of a BAR through the device fd
// (vfio_pci_core_read/write -> vfio_pci_rw -> vfio_pci_bar_rw), in its forms since abafbc551fdd.
#include <fmt/format.h>

#include <cerrno>

#include "pfnsim/model/world.hpp"
#include "pfnsim/sim/execution.hpp"

namespace pfnsim::model {

namespace {

// The MMIO access itself (vfio_ioread64/vfio_iowrite64 of the barmap): I-MMIO if the device
// does not decode it now, the Unsupported Request of CVE-2020-12888. A read of the device's
// memory state, which memory disable and D3hot write.
void bar_access(World& w, vfio_pci_core_device& vdev, std::uint64_t pos, bool iswrite,
                sim::Name caller) {
    sim::point(sim::Op::Read, vdev.mem_obj,
               iswrite ? sim::Name("vfio_iowrite64") : sim::Name("vfio_ioread64"),
               "BAR offset {:#x}", pos);
    if (!bar_accessible(vdev)) {
        sim::fail_invariant(
            w.current_name(),
            fmt::format("I-MMIO: {}() {} BAR offset {:#x} of {}, but {}", caller.text,
                        iswrite ? "writes" : "reads", pos, vdev.name, bar_inaccessible_why(vdev)));
    }
}

// drivers/vfio/pci/vfio_pci_rdwr.c vfio_pci_core_ioread64/iowrite64 (bc93b9ae0151): with
// test_mem, memory_lock (read) around the one access and -EIO while memory is disabled.
int vfio_pci_core_iorw64(World& w, vfio_pci_core_device& vdev, bool test_mem, std::uint64_t pos,
                         bool iswrite, sim::Name caller) {
    if (test_mem) {
        might_sleep(w);
        vdev.memory_lock.down_read("down_read");
        if (!vfio_pci_memory_enabled(w, vdev)) {
            vdev.memory_lock.up_read("up_read");
            return -EIO;
        }
    }
    bar_access(w, vdev, pos, iswrite, caller);
    if (test_mem) {
        vdev.memory_lock.up_read("up_read");
    }
    return 0;
}

// drivers/vfio/pci/vfio_pci_rdwr.c vfio_pci_core_do_io_rw, one 8-byte access per step of
// `count`: a write copies from the user buffer first, a read copies to it after the access.
// Since bc93b9ae0151 the access tests memory under memory_lock itself (test_mem) and the
// copies run with no lock; before it the caller held memory_lock across the whole loop.
long vfio_pci_core_do_io_rw(World& w, vfio_pci_core_device& vdev, bool test_mem, std::uint64_t buf,
                            std::uint64_t pos, std::uint64_t count, bool iswrite) {
    const sim::Call frame{"vfio_pci_core_do_io_rw"};
    long done = 0;
    for (std::uint64_t off = 0; off + 8 <= count; off += 8) {  // vfio_pci_iordwr64
        if (iswrite && copy_from_user(w, buf + off, 8) != 0) {
            return -EFAULT;
        }
        if (const int ret =
                vfio_pci_core_iorw64(w, vdev, test_mem, pos + off, iswrite, "vfio_pci_bar_rw");
            ret != 0) {
            return ret;
        }
        if (!iswrite && copy_to_user(w, buf + off, 8) != 0) {
            return -EFAULT;
        }
        done += 8;
    }
    return done;
}

}  // namespace

// drivers/vfio/pci/vfio_pci_rdwr.c vfio_pci_bar_rw of a memory BAR. abafbc551fdd took
// memory_lock (read) around vfio_pci_core_do_io_rw() and its user copies, so a copy whose
// buffer is an mmap of the same device faults into the fault handler's own down_read of
// memory_lock: a recursive read that a queued writer (a memory disable) deadlocks, and that
// lockdep reports ("possible recursive locking"). bc93b9ae0151 moved the lock into each access.
// Before abafbc551fdd nothing tested memory at all.
long vfio_pci_bar_rw(World& w, vfio_pci_core_device& vdev, std::uint64_t buf, std::uint64_t count,
                     std::uint64_t pos, bool iswrite) {
    const sim::Call frame{"vfio_pci_bar_rw"};
    if (w.sc.vfio_pci_mmap == VfioPciMmapVariant::PreAbafbc551fdd) {
        return vfio_pci_core_do_io_rw(w, vdev, false, buf, pos, count, iswrite);
    }
    if (w.sc.vfio_pci_rdwr == VfioPciRdwrVariant::Current) {
        // vfio_pci_rw: pm_runtime_resume_and_get() (v6.1) resumes a device in low power first
        // (vfio_pci_core_runtime_resume).
        sim::point(sim::Op::Read, vdev.mem_obj, "pm_runtime_resume_and_get", "runtime active");
        if (vdev.pm_runtime_engaged) {
            vfio_pci_runtime_pm_exit(w, vdev);
        }
    }
    if (w.sc.vfio_pci_rdwr != VfioPciRdwrVariant::PreBc93b9ae0151) {
        return vfio_pci_core_do_io_rw(w, vdev, true, buf, pos, count, iswrite);
    }
    might_sleep(w);
    vdev.memory_lock.down_read("down_read");
    if (!vfio_pci_memory_enabled(w, vdev)) {
        vdev.memory_lock.up_read("up_read");
        return -EIO;
    }
    const long done = vfio_pci_core_do_io_rw(w, vdev, false, buf, pos, count, iswrite);
    vdev.memory_lock.up_read("up_read");
    return done;
}

namespace {

// drivers/vfio/pci/vfio_pci_rdwr.c vfio_pci_ioeventfd_handler, the virqfd's handler (called
// under the eventfd's wait-queue lock): nonzero asks virqfd_wakeup() to run the thread. Since
// 38565c93c8a1 memory_lock is only trylocked here (contended: the thread does the write) and
// the write is dropped while memory is disabled; bc93b9ae0151's form wrote through
// vfio_pci_core_iowrite with test_mem, whose down_read() may sleep in atomic context; before
// bc93b9ae0151 the write was not tested at all (v4.17 to v5.9-rc1).
int vfio_pci_ioeventfd_handler(World& w, vfio_pci_core_device& vdev) {
    const sim::Call frame{"vfio_pci_ioeventfd_handler"};
    switch (w.sc.vfio_pci_rdwr) {
        case VfioPciRdwrVariant::PreBc93b9ae0151:
            bar_access(
                w, vdev, 0, true,
                "vfio_pci_ioeventfd_handler");  // vfio_iowrite32(ioeventfd->data, ioeventfd->addr)
            return 0;
        case VfioPciRdwrVariant::Pre38565c93c8a1:
            vfio_pci_core_iorw64(w, vdev, true, 0, true, "vfio_pci_ioeventfd_handler");
            return 0;
        case VfioPciRdwrVariant::Current:
            break;
    }
    if (!vdev.memory_lock.down_read_trylock("down_read_trylock")) {
        return 1;  // lock contended, use thread
    }
    if (vfio_pci_memory_enabled(w, vdev)) {
        bar_access(w, vdev, 0, true,
                   "vfio_pci_ioeventfd_handler");  // vfio_pci_ioeventfd_do_write(ioeventfd, false)
    }
    vdev.memory_lock.up_read("up_read");
    return 0;
}

}  // namespace

// fs/eventfd.c eventfd_signal -> wake_up_locked_poll under spin_lock_irqsave(&ctx->wqh.lock)
// -> drivers/vfio/virqfd.c virqfd_wakeup: the handler, then, if it asks, schedule_work() of
// virqfd_inject -> vfio_pci_ioeventfd_thread (process context, after the lock is dropped:
// the model runs the work on the signalling actor).
int eventfd_signal(World& w, vfio_pci_core_device& vdev) {
    const sim::Call frame{"eventfd_signal"};
    vdev.ioeventfd_wqh.lock("spin_lock_irqsave");
    const int thread = vfio_pci_ioeventfd_handler(w, vdev);
    vdev.ioeventfd_wqh.unlock("spin_unlock_irqrestore");
    if (thread != 0) {
        const sim::Call work{"vfio_pci_ioeventfd_thread"};
        vfio_pci_core_iorw64(w, vdev, true, 0, true, "vfio_pci_ioeventfd_thread");
    }
    return 0;
}

}  // namespace pfnsim::model
