// The state hashes of the model, in one place. Each covers these fields (and only these: a
// field the code branches on that is missing from loop_state_hash or state_signature makes two
// different states one, which the stateful sweep's self-check reports):
//
// - state_hash, for comparing the final states of executions (values and addresses, never
//   object ids): the VMAs (start, end, flags); the present entries (level, kind, address, pfn,
//   writable, special); the IOMMU table (iova, pfn, npages); each device's mem_enabled and, for
//   a BO, its placement; each task's sigkill_pending and sigpending.
// - loop_state_hash, for cycle detection within an execution (lassos) and the loop-head
//   samples: the page-table digest pt_store keeps (the present entries as a set); every lock
//   of each_lock() below (kept state hashes); the VMA ids in tree order; with KVM registered,
//   mmu_invalidate_in_progress and each task's snapshot (none, current, stale); each device's
//   mem_enabled, zap_done_while_disabled, BO placement and i_mmap size; the IOMMU table; each
//   task's sigkill_pending, sigpending (a non-fatal signal), foll_tried (set under gup-loop
//   only), finished, in_pin, saw_mem_disabled, saw_vma_gone, saw_unmapped, result,
//   fault_retry_budget, retries (bounded policy only), looked-up VMA and whether
//   mmap_lock was dropped since.
// - state_signature, the stateful sweep's state cache: what loop_state_hash covers, and each
//   task's oracle facts (sigkill_injected, alloc_failed, signalled, saw_unpopulated,
//   saw_overlap).
// - audit_kept_digests, checking what loop_state_hash reads without a walk: the page-table
//   digest against a walk, and each lock of each_lock() against a recompute.
//
// loop_state_hash also covers the page table's shape: which slots and split locks exist (they
// are created lazily, and the zaps and walks take a step at each one that exists, empty or
// not); audit_kept_digests checks it against a walk as well.
//
// Each actor's continuation (its loop frames, what it observed since its innermost loop head, and
// its pending step: op, object, function, effect, argument) is the core's part of a signature
// (src/sim/observe.cpp), not the model's.
//
// Counters that only feed the oracles or statistics are left out unless the code under test
// reads them (the bounded policy's retry count).
#include <fmt/format.h>

#include <string_view>

#include "pfnsim/model/world.hpp"
#include "pfnsim/sim/execution.hpp"
#include "pfnsim/sim/prng.hpp"

namespace pfnsim::model {

namespace {

// The locks the hashes read, in one list, in the order loop_state_hash mixes them: the mm's
// (each split page-table lock by address, mmap_lock, page_table_lock), each device's (a BO's
// dma_resv lock, memory_lock, i_mmap_rwsem), and the IOMMU's. f(lock, what, address or 0).
template <class F>
void each_mm_lock(const World& w, F&& f) {
    for (const auto* m : {&w.mm.pgtable.pmd_ptl, &w.mm.pgtable.pte_ptl}) {
        for (const auto& [addr, lock] : *m) {
            f(lock, "the split page-table lock", addr);
        }
    }
    f(w.mm.mmap_lock, "mmap_lock", 0);
    f(w.mm.page_table_lock, "page_table_lock", 0);
}

template <class F>
void each_device_lock(const vfio_pci_core_device& d, F&& f) {
    if (d.ttm) {
        f(d.resv.lock, "a device's dma_resv lock", 0);  // never taken unless a BO
        f(d.resv.fence, "a BO's move fence", 0);
    }
    f(d.memory_lock, "a device's memory_lock", 0);
    f(d.inode_mapping.i_mmap_rwsem, "a device's i_mmap_rwsem", 0);
}

template <class F>
void each_iommu_lock(const World& w, F&& f) {
    f(w.iommu.lock, "the iommu lock", 0);
}

template <class F>
void each_lock(const World& w, F&& f) {
    each_mm_lock(w, f);
    for (const auto& d : w.devices) {
        each_device_lock(d, f);
    }
    each_iommu_lock(w, f);
}

}  // namespace

// The abstract state, canonically (the table above).
std::optional<std::uint64_t> World::loop_state_hash() const {
    using sim::hash_mix;
    if (audit_digests || sim::audit_kept_state()) {
        audit_kept_digests();
    }
    // The present entries as the digest pt_store keeps (a set: no walk of the tables).
    std::uint64_t h = hash_mix(0x243f6a8885a308d3ULL, mm.pgtable.digest);
    // Which slots and split locks exist (kept by pt_offset and pt_lockptr): the zaps and walks
    // take a step at every slot that exists, so two states that differ only there differ.
    h = hash_mix(h, mm.pgtable.shape);
    const auto mix_lock = [&h](const auto& lock, std::string_view /*what*/, std::uint64_t /*at*/) {
        h = hash_mix(h, lock.state_hash());
    };
    each_mm_lock(*this, mix_lock);
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
        }
        each_device_lock(d, mix_lock);
        h = hash_mix(h, d.inode_mapping.i_mmap.size());
    }
    each_iommu_lock(*this, mix_lock);
    for (const auto& [iova, m] : iommu.table) {
        h = hash_mix(h, iova);
        h = hash_mix(h, m.pfn ^ (m.npages << 40U));
    }
    for (const auto& t : tasks) {
        h = hash_mix(h, (t.sigkill_pending ? 1U : 0U) | (t.finished ? 2U : 0U) |
                            (t.in_pin ? 4U : 0U) | (t.saw_mem_disabled ? 8U : 0U) |
                            (t.saw_vma_gone ? 16U : 0U) | (t.saw_unmapped ? 32U : 0U) |
                            (t.sigpending ? 64U : 0U) | (t.foll_tried ? 128U : 0U));
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
    if (wrong.empty() && mm.pgtable.shape != pt_shape_walk(mm.pgtable)) {
        wrong =
            "the page-table shape kept by pt_offset and pt_lockptr differs from a walk of the "
            "tables (a slot or split lock was created elsewhere)";
    }
    const auto lock_ok = [&](const auto& lock, std::string_view what, std::uint64_t addr) {
        if (wrong.empty() && lock.state_hash() != lock.state_hash_walk()) {
            wrong = fmt::format("the kept state hash of {}{} differs from its recomputation", what,
                                addr != 0 ? fmt::format(" at {:#x}", addr) : "");
        }
    };
    each_lock(*this, lock_ok);
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
        h = sim::hash_mix(h, (t.sigkill_pending ? 1U : 0U) | (t.sigpending ? 2U : 0U));
    }
    return h;
}

}  // namespace pfnsim::model
