// arch/s390/pci/pci_mmio.c: the s390_pci_mmio_write/read syscalls on a machine without MIO
// (the path that walks the page table): follow_pfnmap_start() under mmap_lock; on failure
// fixup_user_fault() (its result ignored, no `unlocked`) and follow again; the MMIO access is
// done under the entry's lock. The retry policies add a loop around the second follow, as the
// thread's patchset would; under gup-loop the loop is GUP's, so fixup_user_fault()'s error
// (-EFAULT for VM_FAULT_SIGBUS, -ENOMEM) ends it.
#include "pfnsim/model/world.hpp"
#include "pfnsim/sim/execution.hpp"

namespace pfnsim::model {

namespace {

// SYSCALL_DEFINE3(s390_pci_mmio_write / s390_pci_mmio_read) after the argument checks and the
// copy_from_user of the buffer.
int s390_pci_mmio_access(World& w, std::uint64_t mmio_addr, bool write) {
    mmap_read_lock(w);
    long ret = 0;
    sim::Loop retry_loop(write ? sim::Name("s390_pci_mmio_write: retry")
                               : sim::Name("s390_pci_mmio_read: retry"));
    for (;;) {  // retry: (the policy's loop; today there is none)
        retry_loop.head(static_cast<std::uint64_t>(ret));
        ret = -EINVAL;
        vm_area_struct* vma =
            vma_lookup(w, mmio_addr,
                       write ? sim::Name("s390_pci_mmio_write") : sim::Name("s390_pci_mmio_read"));
        if (vma == nullptr || (vma->vm_flags & (VM_IO | VM_PFNMAP)) == 0) {
            break;
        }
        ret = -EACCES;
        if ((vma->vm_flags & (write ? VM_WRITE : VM_READ)) == 0) {
            break;
        }
        follow_pfnmap_args args{vma, mmio_addr};
        ret = follow_pfnmap_start(w, args);
        if (ret != 0) {
            const int fixup = fixup_user_fault(w, mmio_addr, write ? FAULT_FLAG_WRITE : 0, nullptr);
            if (fixup != 0 && w.policy.kind == Policy::Kind::GupLoop) {
                // gup-loop is __get_user_pages' own loop: faultin_page() turns VM_FAULT_SIGBUS
                // into -EFAULT (VM_FAULT_OOM into -ENOMEM) and the loop stops there.
                ret = fixup;
                break;
            }
            ret = follow_pfnmap_start(w, args);
            if (ret != 0) {
                ret = policy_second_follow_error(w, static_cast<int>(ret));
                if (ret == -EAGAIN && policy_retry(w, ret)) {
                    continue;
                }
                break;
            }
        }
        // io_addr = pfn << PAGE_SHIFT | offset; zpci_memcpy_toio/fromio under the entry lock.
        check_mmio_access(w, args,
                          write ? sim::Name("zpci_memcpy_toio") : sim::Name("zpci_memcpy_fromio"));
        sim::point(write ? sim::Op::Write : sim::Op::Read, args.entry->obj,
                   write ? sim::Name("zpci_memcpy_toio") : sim::Name("zpci_memcpy_fromio"),
                   "pfn={:#x}", args.pfn);
        ret = 0;
        follow_pfnmap_end(w, args);
        break;
    }
    mmap_read_unlock(w);
    return static_cast<int>(ret);
}

}  // namespace

// arch/s390/pci/pci_mmio.c SYSCALL_DEFINE3(s390_pci_mmio_write, ...)
int s390_pci_mmio_write(World& w, std::uint64_t mmio_addr) {
    const sim::Call frame{"s390_pci_mmio_write"};
    return s390_pci_mmio_access(w, mmio_addr, true);
}

// arch/s390/pci/pci_mmio.c SYSCALL_DEFINE3(s390_pci_mmio_read, ...)
int s390_pci_mmio_read(World& w, std::uint64_t mmio_addr) {
    const sim::Call frame{"s390_pci_mmio_read"};
    return s390_pci_mmio_access(w, mmio_addr, false);
}

}  // namespace pfnsim::model
