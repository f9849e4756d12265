// The state hashes of the model, in one place.
//
// - state_hash, for comparing the final states of executions (values and addresses, never
//   object ids): the VMAs (start, end, flags); the present entries (level, kind, address, pfn,
//   writable, special); the IOMMU table (iova, pfn, npages); each device's mem_enabled and, for
//   a BO, its placement; each task's sigkill_pending and sigpending.
// - loop_state_hash (cycle detection within an execution, loop-head samples), state_signature
//   (the stateful sweep's state cache), describe_state (the same fields, named, for the audit)
//   and audit_kept_digests (each kept value against its recomputation) are all derived from one
//   registry, visit_state below: every piece of model state an execution can create or change,
//   object by object, each field with its role (Future: the execution's future depends on it;
//   Verdict: only the oracles at the end read it). A field the code branches on that is missing
//   there makes two different states one, which the stateful sweep's audit reports, naming the
//   objects whose successors differ.
//
// Left out, each for a reason: what the scenario fixes (names, BAR base and size, vm_pgoff, a
// task's signal_target, the VMA bounds and flags, as VMAs are created by reset() and only
// detached later), object ids, the raw mmu_invalidate_seq and mmap_lock generation (only whether
// a snapshot is current is state, so that invalidations and relocks do not make them grow), and
// counters that only feed statistics (a task's retries unless the bounded policy reads them).
//
// Each actor's continuation (its loop frames, what it observed since its innermost loop head, and
// its pending step) is the core's part of a signature (src/sim/observe.cpp), not the model's.
#include <fmt/format.h>

#include <functional>
#include <string>
#include <string_view>

#include "pfnsim/model/world.hpp"
#include "pfnsim/sim/execution.hpp"
#include "pfnsim/sim/prng.hpp"

namespace pfnsim::model {

namespace {

enum class Role : std::uint8_t {
    Future,   // the execution's future depends on it: loop_state_hash and state_signature
    Verdict,  // only the oracles at the end read it: state_signature
};

// Every lock of the model state, in the registry's order: the mm's (each split page-table lock
// by address, mmap_lock, page_table_lock, each VMA's per-VMA lock), each device's (a BO's
// dma_resv lock and move fence, memory_lock, i_mmap_rwsem), and the IOMMU's. f(lock, name()) with
// name() the object's name.
template <class F>
void each_mm_lock(const World& w, F&& f) {
    // (Keys copied out: clang 14 cannot capture a structured binding.)
    for (const auto& kv : w.mm.pgtable.pmd_ptl) {
        const std::uint64_t addr = kv.first;
        f(kv.second, [addr] { return fmt::format("pmd_ptl[{:#x}]", addr); });
    }
    for (const auto& kv : w.mm.pgtable.pte_ptl) {
        const std::uint64_t addr = kv.first;
        f(kv.second, [addr] { return fmt::format("pte_ptl[{:#x}]", addr); });
    }
    f(w.mm.mmap_lock, [] { return std::string("mm.mmap_lock"); });
    f(w.mm.page_table_lock, [] { return std::string("mm.page_table_lock"); });
    for (const vm_area_struct& v : w.mm.vma_storage) {  // detached ones too: a writer may hold it
        const std::uint64_t start = v.vm_start;
        f(v.vm_lock, [start] { return fmt::format("vma[{:#x}].vm_lock", start); });
    }
}

template <class F>
void each_device_lock(const vfio_pci_core_device& d, F&& f) {
    if (d.ttm) {
        f(d.resv.lock, [&d] { return d.name + ".resv"; });  // never taken unless a BO
        f(d.resv.fence, [&d] { return d.name + ".resv.fence"; });
    }
    f(d.memory_lock, [&d] { return d.name + ".memory_lock"; });
    if (d.vma_list_obj != sim::kNoObject) {  // the vma_lock era
        f(d.vma_lock, [&d] { return d.name + ".vma_lock"; });
    }
    f(d.inode_mapping.i_mmap_rwsem, [&d] { return d.name + ".i_mmap_rwsem"; });
    if (d.has_ioeventfd) {
        f(d.ioeventfd_wqh, [&d] { return d.name + ".ioeventfd.wqh.lock"; });
    }
}

// The registry of model state (see the top of this file). v is one of the visitors below:
//   v.object(name)                   the next fields are this object's (name() builds its name)
//   v.field(role, "field", value)
//   v.flag(role, "field", bool)
//   v.kept(role, "field", kept, recompute, what_a_mismatch_means)   a value kept as it changes
// and V::kDetailed asks for what a kept digest stands for as well (the page table's slots).
template <class V>
void visit_state(const World& w, V& v) {
    const page_table& pt = w.mm.pgtable;
    v.object([] { return std::string("page table"); });
    // The present entries as the digest pt_store keeps (a set: no walk of the tables).
    v.kept(
        Role::Future, "present entries", pt.digest, [&pt] { return pt_digest_walk(pt); },
        "an entry was written without pt_store");
    // Which slots and split locks exist (kept by pt_offset and pt_lockptr): the zaps and walks
    // take a step at every slot that exists, so two states that differ only there differ.
    v.kept(
        Role::Future, "slots and split locks", pt.shape, [&pt] { return pt_shape_walk(pt); },
        "a slot or split lock was created elsewhere");
    if constexpr (V::kDetailed) {
        const std::map<std::uint64_t, pt_slot>* levels[] = {&pt.pud, &pt.pmd, &pt.pte};
        for (std::size_t l = 0; l < 3; ++l) {
            for (const auto& [addr, slot] : *levels[l]) {
                v.object([l, addr = addr] {
                    return fmt::format("{}[{:#x}]", level_name(static_cast<Level>(l)), addr);
                });
                v.field(Role::Future, "entry kind", static_cast<std::uint64_t>(slot.e.kind));
                if (entry_present(slot.e)) {
                    v.field(Role::Future, "pfn", slot.e.pfn);
                    v.flag(Role::Future, "writable", slot.e.writable);
                    v.flag(Role::Future, "special", slot.e.special);
                }
            }
        }
    }
    const auto lock = [&v](const auto& l, auto name) {
        v.object(name);
        v.kept(
            Role::Future, "state", l.state_hash(), [&l] { return l.state_hash_walk(); },
            "a lock's state was changed without its kept hash");
    };
    each_mm_lock(w, lock);
    v.object([] { return std::string("mm.mm_mt"); });
    v.field(Role::Future, "vmas", w.mm.mm_mt_list.size());
    for (const vm_area_struct* vma : w.mm.mm_mt_list) {
        v.field(Role::Future, "vma id", static_cast<std::uint64_t>(vma->id));
    }
    if (w.mm.kvm.registered) {
        v.object([] { return std::string("kvm"); });
        v.field(Role::Future, "mmu_invalidate_in_progress", w.mm.kvm.in_progress);
    }
    for (const auto& d : w.devices) {
        v.object([&d] { return "device " + d.name; });
        v.flag(Role::Future, "mem_enabled", d.mem_enabled);
        v.flag(Role::Future, "d3hot", d.d3hot);
        v.flag(Role::Future, "resetting", d.resetting);
        v.flag(Role::Future, "pm_runtime_engaged", d.pm_runtime_engaged);
        v.flag(Role::Future, "d3cold", d.d3cold);
        v.flag(Role::Future, "zap_done_while_disabled", d.zap_done_while_disabled);
        if (d.ttm) {
            v.field(Role::Future, "bo placement", d.bo_placement_pfn);
        }
        v.field(Role::Future, "i_mmap vmas", d.inode_mapping.i_mmap.size());
        if (d.vma_list_obj != sim::kNoObject) {  // vdev->vma_list, in list order
            v.field(Role::Future, "vma_list entries", d.vma_list.size());
            for (const vm_area_struct* vma : d.vma_list) {
                v.field(Role::Future, "vma_list vma id", static_cast<std::uint64_t>(vma->id));
            }
        }
        each_device_lock(d, lock);
    }
    if (w.pci_bus_layer) {  // drivers/pci and the vfio device sets
        lock(w.pci_bus_sem, [] { return std::string("pci_bus_sem"); });
        lock(w.pci_rescan_remove_lock, [] { return std::string("pci_rescan_remove_lock"); });
        for (const pci_bus& b : w.buses) {
            v.object([&b] { return "bus " + b.name; });
            v.field(Role::Future, "other functions", static_cast<std::uint64_t>(b.other_functions));
            lock(b.dev_set_lock, [&b] { return b.name + ".dev_set.lock"; });
        }
    }
    lock(w.iommu.lock, [] { return std::string("iommu.lock"); });
    v.object([] { return std::string("iommu"); });
    v.field(Role::Future, "mappings", w.iommu.table.size());
    for (const auto& [iova, m] : w.iommu.table) {
        v.field(Role::Future, "iova", iova);
        v.field(Role::Future, "pfn", m.pfn);
        v.field(Role::Future, "npages", m.npages);
        v.flag(Role::Future, "writable", m.writable);
    }
    for (const auto& t : w.tasks) {
        v.object([&t] { return "task " + t.comm; });
        v.flag(Role::Future, "sigkill_pending", t.sigkill_pending);
        v.flag(Role::Future, "finished", t.finished);
        v.flag(Role::Future, "in_pin", t.in_pin);
        v.flag(Role::Future, "saw_mem_disabled", t.saw_mem_disabled);
        v.flag(Role::Future, "saw_vma_gone", t.saw_vma_gone);
        v.flag(Role::Future, "saw_unmapped", t.saw_unmapped);
        v.flag(Role::Future, "sigpending", t.sigpending);
        v.flag(Role::Future, "foll_tried", t.foll_tried);
        v.field(Role::Future, "result",
                static_cast<std::uint64_t>(static_cast<std::int64_t>(t.result)));
        v.field(Role::Future, "fault_retry_budget", t.fault_retry_budget);
        if (w.policy.kind == Policy::Kind::Bounded) {
            v.field(Role::Future, "retries", t.retries);
        }
        if (w.mm.kvm.registered) {
            // kvm_mmu_faultin_pfn's snapshot only as moved or not: 0 none, 1 current, 2 stale.
            v.field(Role::Future, "mmu_seq",
                    !t.mmu_seq_taken            ? 0U
                    : t.mmu_seq == w.mm.kvm.seq ? 1U
                                                : 2U);
        }
        // I-VMA bookkeeping: which vma (0 none), and whether mmap_lock was dropped since.
        v.field(
            Role::Future, "looked-up vma",
            t.looked_up_vma == nullptr ? 0U : static_cast<std::uint64_t>(t.looked_up_vma->id + 1));
        v.flag(Role::Future, "vma looked up under this mmap_lock",
               t.looked_up_vma != nullptr && t.looked_up_gen == t.mmap_lock_gen);
        v.flag(Role::Verdict, "sigkill_injected", t.sigkill_injected);
        v.flag(Role::Verdict, "alloc_failed", t.alloc_failed);
        v.flag(Role::Verdict, "signalled", t.signalled);
        v.flag(Role::Verdict, "saw_unpopulated", t.saw_unpopulated);
        v.flag(Role::Verdict, "saw_overlap", t.saw_overlap);
    }
}

// The hashes: the Future fields into one accumulator, the Verdict fields into another; the
// loop hash is the first, the signature both (each field is mixed once). Flags are packed per
// role into one word (with a marker bit), mixed before that role's next field or object.
struct Hasher {
    static constexpr bool kDetailed = false;
    std::uint64_t acc[2] = {0x243f6a8885a308d3ULL, 0x13198a2e03707344ULL};
    std::uint64_t bits[2] = {0, 0};
    unsigned nbits[2] = {0, 0};

    static constexpr std::size_t index(Role r) { return r == Role::Future ? 0 : 1; }
    void flush(std::size_t i) {
        if (nbits[i] > 0) {
            acc[i] = sim::hash_mix(acc[i], bits[i] | (std::uint64_t{1} << 63U));
            bits[i] = 0;
            nbits[i] = 0;
        }
    }
    void flush() {
        flush(0);
        flush(1);
    }
    std::uint64_t loop() const { return acc[0]; }
    std::uint64_t signature() const { return sim::hash_mix(acc[0], acc[1]); }

    template <class N>
    void object(N&& /*name*/) {
        flush();
    }
    void field(Role r, std::string_view /*field*/, std::uint64_t value) {
        const std::size_t i = index(r);
        flush(i);
        acc[i] = sim::hash_mix(acc[i], value);
    }
    void flag(Role r, std::string_view /*field*/, bool value) {
        const std::size_t i = index(r);
        bits[i] |= static_cast<std::uint64_t>(value ? 1U : 0U) << nbits[i]++;
    }
    template <class F>
    void kept(Role r, std::string_view field_name, std::uint64_t value, F&& /*recompute*/,
              std::string_view /*bypass*/) {
        field(r, field_name, value);
    }
};

// The same fields, named, with what the kept digests stand for.
struct Namer {
    static constexpr bool kDetailed = true;
    sim::StateFields& out;
    std::string current;

    template <class N>
    void object(N&& name) {
        current = name();
    }
    void field(Role /*r*/, std::string_view field_name, std::uint64_t value) {
        out.push_back({current, std::string(field_name), value});
    }
    void flag(Role r, std::string_view field_name, bool value) {
        field(r, field_name, value ? 1U : 0U);
    }
    template <class F>
    void kept(Role r, std::string_view field_name, std::uint64_t value, F&& /*recompute*/,
              std::string_view /*bypass*/) {
        field(r, field_name, value);
    }
};

// Each kept value against its recomputation; the first that differs, named.
struct Auditor {
    static constexpr bool kDetailed = false;
    std::function<std::string()> name;
    std::string wrong;

    template <class N>
    void object(N&& n) {
        name = n;
    }
    void field(Role /*r*/, std::string_view /*field*/, std::uint64_t /*value*/) {}
    void flag(Role /*r*/, std::string_view /*field*/, bool /*value*/) {}
    template <class F>
    void kept(Role /*r*/, std::string_view field_name, std::uint64_t value, F&& recompute,
              std::string_view bypass) {
        if (wrong.empty() && value != recompute()) {
            wrong = fmt::format("{}: the kept {} differs from its recomputation ({})", name(),
                                field_name, bypass);
        }
    }
};

}  // namespace

std::optional<std::uint64_t> World::loop_state_hash() const {
    if (audit_digests || sim::audit_kept_state()) {
        audit_kept_digests();
    }
    Hasher h;
    visit_state(*this, h);
    h.flush();
    return h.loop();
}

// loop_state_hash()'s fields and the facts the oracles read when the execution ends, so that
// two states with one signature have the same futures and the same verdicts.
std::optional<std::uint64_t> World::state_signature() const {
    if (audit_digests || sim::audit_kept_state()) {
        audit_kept_digests();
    }
    Hasher h;
    visit_state(*this, h);
    h.flush();
    return h.signature();
}

void World::describe_state(sim::StateFields& out) const {
    Namer n{out, {}};
    visit_state(*this, n);
}

// The audit of what the signatures read without a walk: every kept value of the registry.
void World::audit_kept_digests() const {
    ++digest_audits;
    Auditor a;
    visit_state(*this, a);
    if (!a.wrong.empty()) {
        ++digest_mismatches;
        if (sim::audit_kept_state()) {
            sim::report_state_mismatch(std::move(a.wrong));
        }
    }
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
        h = sim::hash_mix(h, m.writable ? 1 : 0);
    }
    for (const auto& d : devices) {
        h = sim::hash_mix(h, (d.mem_enabled ? 1 : 0) | (d.d3hot ? 2 : 0) | (d.resetting ? 4 : 0) |
                                 (d.pm_runtime_engaged ? 8 : 0) | (d.d3cold ? 16 : 0));
        if (d.ttm) {
            h = sim::hash_mix(h, d.bo_placement_pfn);
        }
    }
    for (const auto& b : buses) {
        if (pci_bus_layer) {
            h = sim::hash_mix(h, static_cast<std::uint64_t>(b.other_functions));
        }
    }
    for (const auto& t : tasks) {
        h = sim::hash_mix(h, (t.sigkill_pending ? 1U : 0U) | (t.sigpending ? 2U : 0U));
    }
    return h;
}

}  // namespace pfnsim::model
