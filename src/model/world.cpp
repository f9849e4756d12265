// The model as a sim::Program: the initial state from the scenario, and each actor run by its
// kind's driver (actors.cpp); the oracle is in oracle.cpp.
#include "pfnsim/model/world.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "actor_kinds.hpp"
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

void World::run_actor(sim::ActorId id) {
    const ActorSpec& a = sc.actors[id];
    const int r = actor_kind_row(a.kind).driver(*this, a);
    task_struct& t = tasks[id];
    t.result = r;
    t.finished = true;
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
