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
void bar_access(World& w, vfio_pci_core_device& vdev, std::uint64_t pos, bool iswrite) {
    sim::point(sim::Op::Read, vdev.mem_obj,
               iswrite ? sim::Name("vfio_iowrite64") : sim::Name("vfio_ioread64"),
               "BAR offset {:#x}", pos);
    if (!bar_accessible(vdev)) {
        sim::fail_invariant(
            w.current_name(),
            fmt::format("I-MMIO: vfio_pci_bar_rw() {} BAR offset {:#x} of {}, but {}",
                        iswrite ? "writes" : "reads", pos, vdev.name,
                        vdev.d3hot ? "the device is in D3hot" : "memory is disabled"));
    }
}

// drivers/vfio/pci/vfio_pci_rdwr.c vfio_pci_core_ioread64/iowrite64 (bc93b9ae0151): with
// test_mem, memory_lock (read) around the one access and -EIO while memory is disabled.
int vfio_pci_core_iorw64(World& w, vfio_pci_core_device& vdev, bool test_mem, std::uint64_t pos,
                         bool iswrite) {
    if (test_mem) {
        might_sleep(w);
        vdev.memory_lock.down_read("down_read");
        if (!vfio_pci_memory_enabled(w, vdev)) {
            vdev.memory_lock.up_read("up_read");
            return -EIO;
        }
    }
    bar_access(w, vdev, pos, iswrite);
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
        if (const int ret = vfio_pci_core_iorw64(w, vdev, test_mem, pos + off, iswrite); ret != 0) {
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

}  // namespace pfnsim::model
