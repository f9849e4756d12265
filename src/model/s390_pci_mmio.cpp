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

// arch/s390/pci/pci_mmio.c before a67a88b0b8de: get_pfn() resolves the pfn with follow_pfn()
// under mmap_lock and drops every lock; the syscall then does the MMIO access with none held
// (a zap between the two is not seen). VM_READ/VM_WRITE is the only check.
int s390_pci_mmio_access_pre_a67a88b0b8de(World& w, std::uint64_t mmio_addr, bool write) {
    const sim::Call frame{"get_pfn"};
    mmap_read_lock(w);
    int ret = -EINVAL;
    vm_area_struct* vma = vma_lookup(w, mmio_addr, "get_pfn");
    std::uint64_t pfn = 0;
    // The device the access will reach, noted while the vma is still ours to read (only the
    // pfn crosses mmap_read_unlock in the kernel).
    const vfio_pci_core_device* d = vma != nullptr ? vma->vm_private_data : nullptr;
    if (vma != nullptr) {
        ret = -EACCES;
        if ((vma->vm_flags & (write ? VM_WRITE : VM_READ)) != 0) {
            follow_pfnmap_args args{vma, mmio_addr};
            ret = follow_pfnmap_start(w, args);  // follow_pfn
            if (ret == 0) {
                pfn = args.pfn;
                follow_pfnmap_end(w, args);
            }
        }
    }
    mmap_read_unlock(w);
    if (ret != 0) {
        return ret;
    }
    // io_addr = pfn << PAGE_SHIFT | offset; zpci_memcpy_toio/fromio with no lock held: the
    // access reads the device (its memory enable), and is checked as it happens.
    sim::point(sim::Op::Read, d != nullptr ? d->mem_obj : sim::kNoObject,
               write ? sim::Name("zpci_memcpy_toio") : sim::Name("zpci_memcpy_fromio"),
               "pfn={:#x}, no lock held", pfn);
    check_unlocked_mmio_access(
        w, d, mmio_addr, pfn,
        write ? sim::Name("zpci_memcpy_toio") : sim::Name("zpci_memcpy_fromio"));
    return 0;
}

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
        // Until 41a0926e82f4 the read syscall checked VM_WRITE as well (its "VM_READ vs
        // VM_WRITE mixup").
        const bool needs_write = write || w.sc.s390_mmio == S390MmioVariant::Pre41a0926e82f4;
        if ((vma->vm_flags & (needs_write ? VM_WRITE : VM_READ)) == 0) {
            break;
        }
        follow_pfnmap_args args{vma, mmio_addr};
        ret = follow_pfnmap_start(w, args);
        if (ret != 0 && w.sc.s390_mmio == S390MmioVariant::Pre41a0926e82f4) {
            break;  // a67a88b0b8de until 41a0926e82f4: no fault-in, follow's -EINVAL
        }
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
    if (w.sc.s390_mmio == S390MmioVariant::PreA67a88b0b8de) {
        return s390_pci_mmio_access_pre_a67a88b0b8de(w, mmio_addr, true);
    }
    return s390_pci_mmio_access(w, mmio_addr, true);
}

// arch/s390/pci/pci_mmio.c SYSCALL_DEFINE3(s390_pci_mmio_read, ...)
int s390_pci_mmio_read(World& w, std::uint64_t mmio_addr) {
    const sim::Call frame{"s390_pci_mmio_read"};
    if (w.sc.s390_mmio == S390MmioVariant::PreA67a88b0b8de) {
        return s390_pci_mmio_access_pre_a67a88b0b8de(w, mmio_addr, false);
    }
    return s390_pci_mmio_access(w, mmio_addr, false);
}

}  // namespace pfnsim::model
