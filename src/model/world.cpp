// The model as a sim::Program: initial state from the scenario, actors, result oracles.
#include "pfnsim/model/world.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "pfnsim/sim/execution.hpp"
#include "pfnsim/sim/prng.hpp"

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

void World::reset() {
    // [kernel] rwsem: kernel/locking/rwsem.c semantics or strict FIFO hand-off.
    const sim::RwFlavour rw =
        sc.rwsem == RwsemVariant::Linux ? sim::RwFlavour::Linux : sim::RwFlavour::Fifo;
    mm.mmap_lock.init(mmap_lock_obj_, rw);
    mm.page_table_lock.init(page_table_lock_obj_);
    mm.mm_mt = vmas_obj_;
    mm.mm_mt_list.clear();
    mm.pgtable = page_table{};
    iommu.lock.init(iommu_lock_obj_);
    iommu.obj = iommu_obj_;
    iommu.table.clear();
    mm.kvm = kvm_mmu_invalidate{};
    mm.kvm.obj = kvm_seq_obj_;
    for (const auto& a : sc.actors) {
        mm.kvm.registered = mm.kvm.registered || a.kind == ActorKind::Kvm;
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
        v.bo_placement_pfn = 0;
        v.resv.lock.init(derived_object(Derived::Resv, i, [&] { return d.name + ".resv"; }));
        v.bar_base_pfn = d.bar_base >> PAGE_SHIFT;
        v.bar_size = d.bar_size;
        v.memory_lock.init(
            derived_object(Derived::MemoryLock, i, [&] { return d.name + ".memory_lock"; }), rw);
        v.mem_enabled = d.mem_enabled;
        v.mem_obj = derived_object(Derived::PciCommand, i, [&] { return d.name + ".PCI_COMMAND"; });
        v.inode_mapping.i_mmap_rwsem.init(
            derived_object(Derived::IMmapRwsem, i, [&] { return d.name + ".i_mmap_rwsem"; }), rw);
        v.inode_mapping.i_mmap.clear();
        v.zap_done_while_disabled = false;
    }
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
        for (auto& d : devices) {
            if (d.name == vs.device) {
                v.vm_private_data = &d;
                v.mapping = &d.inode_mapping;
                d.inode_mapping.i_mmap.push_back(&v);
            }
        }
        mm.mm_mt_list.push_back(&v);
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

    tasks.assign(sc.actors.size(), task_struct{});
    for (std::size_t i = 0; i < sc.actors.size(); ++i) {
        tasks[i].comm = sc.actors[i].name;
        tasks[i].pending_obj =
            derived_object(Derived::Signal, i, [&] { return sc.actors[i].name + ".signal"; });
        tasks[i].fault_retry_budget = sc.actors[i].fault_retry;
    }
}

task_struct& World::current() {
    return tasks[sim::current_actor()];
}

const std::string& World::current_name() const {
    return decls_[sim::current_actor()].name;
}

// Opens the oracle's window for a call that may fail with -EFAULT or SIGBUS: what holds when
// it starts (memory off, range not mapped) justifies such a result.
task_struct& World::begin_call() {
    task_struct& t = current();
    t.in_pin = true;
    t.saw_mem_disabled = false;  // each call of a repeated actor has its own window
    for (const auto& d : devices) {
        t.saw_mem_disabled = t.saw_mem_disabled || !d.mem_enabled;
    }
    t.saw_vma_gone = !range_mappable(static_cast<std::size_t>(sim::current_actor()));
    t.saw_unpopulated = !range_populated(static_cast<std::size_t>(sim::current_actor()));
    t.saw_unmapped = false;
    return t;
}

vfio_pci_core_device& World::device_of(const ActorSpec& a) {
    for (auto& d : devices) {
        if (d.name == a.device) {
            return d;
        }
    }
    return devices.front();
}

// The callers added for the patchset: each runs one call and closes its oracle window in the
// finish step, as the pin does.
void World::run_call(const ActorSpec& a) {
    task_struct& t = begin_call();
    int r = 0;
    sim::Name fn;
    switch (a.kind) {
        case ActorKind::S390MmioWrite:
            r = s390_pci_mmio_write(*this, a.vaddr);
            fn = "s390_pci_mmio_write";
            break;
        case ActorKind::S390MmioRead:
            r = s390_pci_mmio_read(*this, a.vaddr);
            fn = "s390_pci_mmio_read";
            break;
        case ActorKind::AcrnMap:
            r = acrn_vm_ram_map(*this, a.vaddr, a.size, a.write);
            fn = "ACRN_IOCTL_SET_MEMSEG";
            break;
        case ActorKind::AccessPhys: {
            // ptrace(PTRACE_PEEKDATA / POKEDATA): access_process_vm of one word; 0 bytes is -EIO
            const int bytes = access_process_vm(*this, a.vaddr, 8, a.write);
            r = bytes == 8 ? 0 : -EIO;
            fn = "ptrace";
            break;
        }
        case ActorKind::Kvm:
            r = kvm_mmu_faultin_pfn(*this, a.vaddr, a.write);
            fn = "kvm_mmu_faultin_pfn";
            break;
        default:
            break;
    }
    sim::point(sim::Op::Finish, sim::kNoObject, fn, returns_effect(r));
    t.in_pin = false;
    t.result = r;
}

void World::run_pin(const ActorSpec& a) {
    task_struct& t = begin_call();
    const int r = vfio_dma_do_map(*this, a.vaddr, a.vaddr, a.size, a.write);
    sim::point(sim::Op::Finish, sim::kNoObject, "VFIO_IOMMU_MAP_DMA", returns_effect(r));
    // The ioctl is in progress until it returns: the oracle window closes in the finish step,
    // which conflicts with every step (the reduction must not reorder it).
    t.in_pin = false;
    t.result = r;
}

// A vCPU fault on a memslot backed by the BAR mapping (kvm_mmu_faultin_pfn -> hva_to_pfn).
void World::run_kvm(const ActorSpec& a) {
    run_call(a);
}

void World::run_split(const ActorSpec& a) {
    sim::Loop walks("numa_maps: cat loop");
    for (std::uint64_t i = 0; a.forever || i < a.repeat; ++i) {
        walks.head(a.forever ? 0 : i);  // a finite walker's count is loop-carried
        show_numa_maps(*this);
    }
    sim::point(sim::Op::Finish, sim::kNoObject, "numa_maps", returns_effect(0));
    current().result = 0;
}

// `repeat` PCI_COMMAND writes clearing (zap) or setting (enable) the memory bit: userspace
// writing the command register again. vfio_basic_config_write zaps on every write with the bit
// clear, whatever it was before. The count is the loop's carried value.
int World::run_command_writes(const ActorSpec& a) {
    vfio_pci_core_device& vdev = device_of(a);
    const auto write = [&] {
        return a.kind == ActorKind::Zap ? vfio_pci_memory_disable(*this, vdev)
                                        : vfio_pci_memory_enable(*this, vdev);
    };
    if (a.repeat == 1) {
        return write();  // no loop frame: the states and schedules of a single write
    }
    sim::Loop writes(a.kind == ActorKind::Zap ? sim::Name("memory disable: PCI_COMMAND loop")
                                              : sim::Name("memory enable: PCI_COMMAND loop"));
    int r = 0;
    for (std::uint64_t i = 0; i < a.repeat && r == 0; ++i) {
        writes.head(i);
        r = write();
    }
    return r;
}

// `repeat` CPU accesses by the task, one fault each; the first that fails (a fatal signal, or
// -ENOMEM) ends the task with its result. The count is the loop's carried value; the task's
// fault_retry budget is shared by all of them.
void World::run_fault(const ActorSpec& a) {
    if (a.repeat == 1) {
        fault_once(a);  // no loop frame: the states and schedules of a single access
        return;
    }
    sim::Loop accesses("user access loop");
    for (std::uint64_t i = 0; i < a.repeat; ++i) {
        accesses.head(i);
        if (fault_once(a) != 0) {
            return;
        }
    }
}

// arch/x86/mm/fault.c do_user_addr_fault: a CPU access by the task.
int World::fault_once(const ActorSpec& a) {
    task_struct& t = begin_call();  // memory disable justifies SIGBUS
    unsigned flags = FAULT_FLAG_ALLOW_RETRY | FAULT_FLAG_KILLABLE | FAULT_FLAG_USER |
                     (a.write ? FAULT_FLAG_WRITE : 0);
    int r = 0;
    for (;;) {                  // retry:
        mmap_read_lock(*this);  // lock_mm_and_find_vma
        vm_area_struct* vma = vma_lookup(*this, a.vaddr, "lock_mm_and_find_vma");
        if (vma == nullptr) {
            mmap_read_unlock(*this);
            r = kSigbus;  // bad_area: SIGSEGV in the kernel; reported as a fatal signal
            break;
        }
        const vm_fault_t f = handle_mm_fault(*this, vma, a.vaddr, flags);
        if ((f & VM_FAULT_RETRY) != 0) {
            flags |= FAULT_FLAG_TRIED;
            continue;
        }
        mmap_read_unlock(*this);
        // mm_fault_error: VM_FAULT_OOM goes to pagefault_out_of_memory(), reported as -ENOMEM;
        // SIGBUS and SIGSEGV are delivered to the task.
        r = (f & VM_FAULT_OOM) != 0 ? -ENOMEM : (f & VM_FAULT_ERROR) != 0 ? kSigbus : 0;
        break;
    }
    sim::point(sim::Op::Finish, sim::kNoObject, "do_user_addr_fault", returns_effect(r));
    t.in_pin = false;
    t.result = r;
    return r;
}

void World::run_actor(sim::ActorId id) {
    const ActorSpec& a = sc.actors[id];
    int r = 0;
    switch (a.kind) {
        case ActorKind::Pin:
            run_pin(a);
            break;
        case ActorKind::Split:
            run_split(a);
            break;
        case ActorKind::Fault:
            run_fault(a);
            break;
        case ActorKind::Kvm:
            run_kvm(a);
            break;
        case ActorKind::Zap:
        case ActorKind::Enable:
            r = run_command_writes(a);
            break;
        case ActorKind::BoMove:
            r = ttm_bo_validate(*this, device_of(a), a.placement);
            break;
        case ActorKind::S390MmioWrite:
        case ActorKind::S390MmioRead:
        case ActorKind::AcrnMap:
        case ActorKind::AccessPhys:
            run_call(a);
            break;
        case ActorKind::Munmap:
            r = do_munmap(*this, a.vaddr, a.size);
            break;
        case ActorKind::Signal:
            for (std::size_t i = 0; i < sc.actors.size(); ++i) {
                if (sc.actors[i].name == a.target) {
                    send_sig_kill(*this, tasks[i]);
                }
            }
            break;
    }
    task_struct& t = tasks[id];
    if (a.kind == ActorKind::Zap || a.kind == ActorKind::Enable || a.kind == ActorKind::BoMove ||
        a.kind == ActorKind::Munmap || a.kind == ActorKind::Signal) {
        t.result = r;
    }
    t.finished = true;
}

// Whether the actor's range is covered, now, by live device PFNMAP VMAs that permit the
// access: if not, -EFAULT (or SIGBUS) is the right answer. Oracle bookkeeping: no steps.
bool World::range_mappable(std::size_t actor) const {
    const ActorSpec& a = sc.actors[actor];
    const std::uint64_t end = a.vaddr + std::max<std::uint64_t>(a.size, PAGE_SIZE);
    std::uint64_t at = a.vaddr;
    while (at < end) {
        const vm_area_struct* hit = nullptr;
        for (const vm_area_struct* v : mm.mm_mt_list) {
            if (at >= v->vm_start && at < v->vm_end) {
                hit = v;
            }
        }
        if (hit == nullptr || (hit->vm_flags & VM_PFNMAP) == 0 || hit->vm_private_data == nullptr ||
            (a.write && (hit->vm_flags & VM_WRITE) == 0)) {
            return false;
        }
        at = hit->vm_end;
    }
    return true;
}

// Whether every page of the actor's range has a present entry now (oracle bookkeeping).
bool World::range_populated(std::size_t actor) const {
    const ActorSpec& a = sc.actors[actor];
    const std::uint64_t end = a.vaddr + std::max<std::uint64_t>(a.size, PAGE_SIZE);
    // A leaf covers its whole PUD or PMD: step to the next one instead of page by page.
    std::uint64_t at = a.vaddr & PAGE_MASK;
    while (at < end) {
        const auto pud = mm.pgtable.pud.find(at & PUD_MASK);
        if (pud == mm.pgtable.pud.end() || pud->second.e.kind == pt_entry::Kind::none) {
            return false;
        }
        if (pud->second.e.kind == pt_entry::Kind::leaf) {
            at = (at & PUD_MASK) + PUD_SIZE;
            continue;
        }
        const auto pmd = mm.pgtable.pmd.find(at & PMD_MASK);
        if (pmd == mm.pgtable.pmd.end() || pmd->second.e.kind == pt_entry::Kind::none) {
            return false;
        }
        if (pmd->second.e.kind == pt_entry::Kind::leaf) {
            at = (at & PMD_MASK) + PMD_SIZE;
            continue;
        }
        const auto pte = mm.pgtable.pte.find(at);
        if (pte == mm.pgtable.pte.end() || !entry_leaf(pte->second.e)) {
            return false;
        }
        at += PAGE_SIZE;
    }
    return true;
}

// The oracle: the class of result r for this caller, from what happened during the call.
// ok: today's interface gives it in this situation; new_errno: a return the caller's
// interface never gave before the policy or the API change, given where the caller could
// retry (a bounded retry gave up, the retry was handed to userspace, or -ENOENT for a failure
// today's kernel reports as -EINVAL); wrong: a return no caller should get.
World::ResultClass World::classify_result(const ActorSpec& a, const task_struct& t, int r) const {
    using C = ResultClass;
    const bool gone = t.saw_mem_disabled || t.saw_vma_gone;
    // A caller without a fault-in fails rightly when the range was not populated or a zap,
    // BO move or munmap removed entries; a split does not justify it (the kernel's own
    // transient clearing of an entry it would refault).
    const bool no_entry = gone || t.saw_unpopulated || t.saw_unmapped;
    const bool to_user = policy.returns_to_user();
    const bool bounded = policy.kind == Policy::Kind::Bounded;
    auto when = [](bool justified) { return justified ? C::ok : C::wrong; };
    auto new_when = [](bool justified) { return justified ? C::new_errno : C::wrong; };
    switch (a.kind) {
        case ActorKind::Pin:
            switch (r) {
                case 0:
                    return C::ok;
                case -EFAULT:
                    return when(gone);
                case -EINTR:
                    return when(t.sigkill_pending);
                case -ENOMEM:  // fixup_user_fault's VM_FAULT_OOM after an injected failure
                    return when(t.alloc_failed);
                case -EEXIST:
                    return when(t.saw_overlap);
                case -EBUSY:  // bounded gives up; but a disabled BAR or lost vma is -EFAULT
                    return new_when((bounded && !gone) || to_user);
                case -EAGAIN:
                    return new_when(to_user);
                default:
                    // -EINVAL, and -ENOENT: a disabled BAR is -EFAULT (the refault SIGBUSes)
                    return C::wrong;
            }
        case ActorKind::Kvm:
            switch (r) {
                case 0:
                    return C::ok;
                case -EFAULT:  // KVM_PFN_ERR_FAULT: "KVM run failed Bad address"
                    return when(gone || t.sigkill_pending);
                case kKvmRoFault:
                    return when(a.write);  // only a write fault can see a read-only entry
                case -ENOMEM:
                    return when(t.alloc_failed);
                case -EAGAIN:
                case -EBUSY:
                    return new_when(to_user);
                default:
                    return C::wrong;
            }
        case ActorKind::S390MmioWrite:
        case ActorKind::S390MmioRead:
            switch (r) {
                case 0:
                    return C::ok;
                case -EINVAL:  // no usable vma, or the fault could not map it
                    return when(gone);
                case -EACCES:
                    return C::ok;  // static: the vma's permission (checked by `allowed`)
                case -EINTR:
                    return when(t.sigkill_pending);
                case -EBUSY:
                    return new_when((bounded && !gone) || to_user);
                case -EAGAIN:
                    return new_when(to_user);
                case -ENOENT:  // the API change: today's -EINVAL for a BAR that is gone
                    return new_when(gone);
                default:
                    return C::wrong;
            }
        case ActorKind::AcrnMap:
            switch (r) {
                case 0:
                    return C::ok;
                case -EINVAL:  // a page without an entry (ACRN never faults) or not contiguous
                    return when(no_entry);
                case -EFAULT:
                    return C::ok;  // static: read-only entry, or not VM_PFNMAP
                case -ENOENT:      // the API change: today's -EINVAL for a page without an entry
                    return new_when(no_entry);
                default:
                    return C::wrong;
            }
        case ActorKind::AccessPhys:
            return when(r == 0 || (r == -EIO && no_entry));
        case ActorKind::Fault:
            return when(r != kSigbus || gone);
        default:
            return C::ok;
    }
}

std::string World::result(sim::ActorId id) const {
    return tasks[id].finished ? result_name(tasks[id].result) : std::string();
}

void World::check_results(std::vector<sim::Violation>& out) const {
    for (std::size_t i = 0; i < sc.actors.size(); ++i) {
        const ActorSpec& a = sc.actors[i];
        const task_struct& t = tasks[i];
        if (!t.finished) {
            continue;
        }
        const int r = t.result;
        // A SIGKILL injected by a fault site is beyond what the scenario planned for: -EINTR is
        // then allowed (the oracle below still requires the signal).
        // The oracle decides the class; `allowed` can only narrow what is ok (a result the
        // scenario's author rules out), never make a new errno or a wrong return ok.
        ResultClass c = classify_result(a, t, r);
        const bool listed = a.allowed.empty() ||
                            std::find(a.allowed.begin(), a.allowed.end(), r) != a.allowed.end() ||
                            (r == -EINTR && t.sigkill_injected) || (r == -ENOMEM && t.alloc_failed);
        if (c == ResultClass::ok && !listed) {
            c = ResultClass::wrong;
        }
        if (c == ResultClass::new_errno) {
            out.push_back({sim::ViolationKind::NewErrno, a.name,
                           fmt::format("{} returned {}", a.name, result_name(r))});
        } else if (c == ResultClass::wrong) {
            out.push_back({sim::ViolationKind::WrongReturn, a.name,
                           fmt::format("{} returned {}", a.name, result_name(r))});
        }
    }
}

// The abstract state, canonically: the present entries as a set, lock states, VMAs,
// devices, the IOMMU table and the per-task fields the code branches on. Counters that only
// feed the oracles or statistics are left out unless the code under test reads them (the
// bounded policy's retry count).
std::optional<std::uint64_t> World::loop_state_hash() const {
    using sim::hash_mix;
    if (audit_digests || sim::audit_kept_state()) {
        audit_kept_digests();
    }
    // The present entries as the digest pt_store keeps (a set: no walk of the tables).
    std::uint64_t h = hash_mix(0x243f6a8885a308d3ULL, mm.pgtable.digest);
    for (const auto* m : {&mm.pgtable.pmd_ptl, &mm.pgtable.pte_ptl}) {
        for (const auto& [addr, lock] : *m) {
            h = hash_mix(h, lock.state_hash());
        }
    }
    h = hash_mix(h, mm.mmap_lock.state_hash());
    h = hash_mix(h, mm.page_table_lock.state_hash());
    for (const vm_area_struct* v : mm.mm_mt_list) {
        h = hash_mix(h, static_cast<std::uint64_t>(v->id));
    }
    if (mm.kvm.registered) {
        // The sequence count only as each snapshot sees it: moved or not.
        h = hash_mix(h, mm.kvm.in_progress);
        for (const auto& t : tasks) {
            h = hash_mix(h, !t.mmu_seq_taken ? 1U : t.mmu_seq == mm.kvm.seq ? 2U : 3U);
        }
    }
    for (const auto& d : devices) {
        h = hash_mix(h, (d.mem_enabled ? 1U : 0U) | (d.zap_done_while_disabled ? 2U : 0U));
        if (d.ttm) {
            h = hash_mix(h, d.bo_placement_pfn);
            h = hash_mix(h, d.resv.lock.state_hash());
        }
        h = hash_mix(h, d.memory_lock.state_hash());
        h = hash_mix(h, d.inode_mapping.i_mmap_rwsem.state_hash());
        h = hash_mix(h, d.inode_mapping.i_mmap.size());
    }
    h = hash_mix(h, iommu.lock.state_hash());
    for (const auto& [iova, m] : iommu.table) {
        h = hash_mix(h, iova);
        h = hash_mix(h, m.pfn ^ (m.npages << 40U));
    }
    for (const auto& t : tasks) {
        h = hash_mix(h, (t.sigkill_pending ? 1U : 0U) | (t.finished ? 2U : 0U) |
                            (t.in_pin ? 4U : 0U) | (t.saw_mem_disabled ? 8U : 0U) |
                            (t.saw_vma_gone ? 16U : 0U) | (t.saw_unmapped ? 32U : 0U));
        h = hash_mix(h, static_cast<std::uint64_t>(static_cast<std::int64_t>(t.result)));
        h = hash_mix(h, t.fault_retry_budget);
        if (policy.kind == Policy::Kind::Bounded) {
            h = hash_mix(h, t.retries);
        }
        // I-VMA bookkeeping, canonically: which vma, and whether the lock was dropped since.
        h = hash_mix(h, t.looked_up_vma == nullptr
                            ? 0U
                            : (static_cast<std::uint64_t>(t.looked_up_vma->id + 1) << 1U) |
                                  (t.looked_up_gen == t.mmap_lock_gen ? 1U : 0U));
    }
    return h;
}

// The audit of what loop_state_hash reads without a walk: the page-table digest and every
// lock's kept hash, each against its recomputation.
void World::audit_kept_digests() const {
    ++digest_audits;
    std::string wrong;  // the first kept value that differs
    // Without values: one wrong write gives one witness, whatever the state it is found in.
    if (mm.pgtable.digest != pt_digest_walk(mm.pgtable)) {
        wrong =
            "the page-table digest kept by pt_store differs from a walk of the tables (an "
            "entry was written without pt_store)";
    }
    auto lock_ok = [&](const auto& lock, std::string_view what, std::uint64_t addr = 0) {
        if (wrong.empty() && lock.state_hash() != lock.state_hash_walk()) {
            wrong = fmt::format("the kept state hash of {}{} differs from its recomputation", what,
                                addr != 0 ? fmt::format(" at {:#x}", addr) : "");
        }
    };
    for (const auto* m : {&mm.pgtable.pmd_ptl, &mm.pgtable.pte_ptl}) {
        for (const auto& [addr, lock] : *m) {
            lock_ok(lock, "the split page-table lock", addr);
        }
    }
    lock_ok(mm.mmap_lock, "mmap_lock");
    lock_ok(mm.page_table_lock, "page_table_lock");
    for (const auto& d : devices) {
        lock_ok(d.resv.lock, "a device's dma_resv lock");
        lock_ok(d.memory_lock, "a device's memory_lock");
        lock_ok(d.inode_mapping.i_mmap_rwsem, "a device's i_mmap_rwsem");
    }
    lock_ok(iommu.lock, "the iommu lock");
    if (!wrong.empty()) {
        ++digest_mismatches;
        if (sim::audit_kept_state()) {
            sim::report_state_mismatch(std::move(wrong));
        }
    }
}

// loop_state_hash() and the facts the oracles read when the execution ends, so that two
// states with one signature have the same futures and the same verdicts.
std::optional<std::uint64_t> World::state_signature() const {
    std::uint64_t h = *loop_state_hash();
    for (const auto& t : tasks) {
        h = sim::hash_mix(h, (t.sigkill_injected ? 1U : 0U) | (t.alloc_failed ? 2U : 0U) |
                                 (t.signalled ? 4U : 0U) | (t.saw_unpopulated ? 8U : 0U) |
                                 (t.saw_overlap ? 16U : 0U));
    }
    return h;
}

// Values and addresses only: object ids depend on the order objects were first touched, and
// slots that exist but are empty depend on who looked first, so neither may enter the hash.
std::uint64_t World::state_hash() const {
    std::uint64_t h = sim::fnv1a("pfnsim.world");
    for (const vm_area_struct* v : mm.mm_mt_list) {
        h = sim::hash_mix(h, v->vm_start);
        h = sim::hash_mix(h, v->vm_end);
        h = sim::hash_mix(h, v->vm_flags);
    }
    const std::map<std::uint64_t, pt_slot>* levels[] = {&mm.pgtable.pud, &mm.pgtable.pmd,
                                                        &mm.pgtable.pte};
    for (std::size_t l = 0; l < 3; ++l) {
        for (const auto& [addr, slot] : *levels[l]) {
            if (!entry_present(slot.e)) {
                continue;
            }
            h = sim::hash_mix(h, (l << 8U) | static_cast<std::uint64_t>(slot.e.kind));
            h = sim::hash_mix(h, addr);
            h = sim::hash_mix(h, slot.e.pfn);
            h = sim::hash_mix(h, (slot.e.writable ? 1U : 0U) | (slot.e.special ? 2U : 0U));
        }
    }
    h = sim::hash_mix(h, sim::fnv1a("iommu"));
    for (const auto& [iova, m] : iommu.table) {
        h = sim::hash_mix(h, iova);
        h = sim::hash_mix(h, m.pfn);
        h = sim::hash_mix(h, m.npages);
    }
    for (const auto& d : devices) {
        h = sim::hash_mix(h, d.mem_enabled ? 1 : 0);
        if (d.ttm) {
            h = sim::hash_mix(h, d.bo_placement_pfn);
        }
    }
    for (const auto& t : tasks) {
        h = sim::hash_mix(h, t.sigkill_pending ? 1 : 0);
    }
    return h;
}

bool World::is_kill_check(sim::ActorId actor, const sim::Step& step) const {
    return step.op == sim::Op::Read && step.object == tasks[actor].pending_obj;
}

}  // namespace pfnsim::model
