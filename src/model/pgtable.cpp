// The page table: PUD (1 GiB), PMD (2 MiB) and PTE (4 KiB) entries and their locks.
#include <fmt/format.h>

#include "pfnsim/model/world.hpp"
#include "pfnsim/sim/execution.hpp"
#include "pfnsim/sim/prng.hpp"

namespace pfnsim::model {

namespace {

std::map<std::uint64_t, pt_slot>& level_map(World& w, Level l) {
    switch (l) {
        case Level::PUD:
            return w.mm.pgtable.pud;
        case Level::PMD:
            return w.mm.pgtable.pmd;
        case Level::PTE:
            break;
    }
    return w.mm.pgtable.pte;
}

// Effects are static texts (hashed at compile time), one set per level.
struct LevelEffects {
    sim::Name read_none, read_table, read_leaf, set_table, set_leaf, clear;
};
constexpr LevelEffects kEffects[3] = {
    {"pud_none", "pud -> pmd table", "pud leaf pfn={:#x}", "pud_populate(pmd table)",
     "set_pud_at(pfn={:#x})", "pud_clear()"},
    {"pmd_none", "pmd -> pte table", "pmd leaf pfn={:#x}", "pmd_populate(pte table)",
     "set_pmd_at(pfn={:#x})", "pmd_clear()"},
    {"pte_none", "pte -> ?", "pte pfn={:#x}", "?", "set_pte_at(pfn={:#x})", "pte_clear()"},
};

const LevelEffects& effects(Level l) {
    return kEffects[static_cast<int>(l)];
}

// A slot's or split lock's term of page_table::shape: its key (level and aligned address; a
// lock's with kShapeLock set), strongly mixed so that the XOR identifies the set.
constexpr std::uint64_t kShapeLock = 8;
std::uint64_t shape_term(std::uint64_t kind_key) {
    return sim::mix64(kind_key ^ 0x13198a2e03707344ULL);
}

// I-STALE: while the BAR is inaccessible (memory off, D3hot) after the zap completed (or the
// state change, in forms without one), nothing may map it.
void check_stale(World& w, const pt_entry& e, std::uint64_t addr, Level l) {
    if (!entry_leaf(e)) {
        return;
    }
    for (const auto& d : w.devices) {
        if (bar_contains(d, e.pfn) && !bar_accessible(d) && d.zap_done_while_disabled) {
            sim::fail_invariant(
                w.current_name(),
                fmt::format("I-STALE: {} entry at {:#x} maps BAR pfn {:#x} of {} while {}",
                            level_name(l), addr, e.pfn, d.name, bar_inaccessible_why(d)));
        }
    }
}

}  // namespace

const char* level_name(Level l) {
    switch (l) {
        case Level::PUD:
            return "pud";
        case Level::PMD:
            return "pmd";
        case Level::PTE:
            break;
    }
    return "pte";
}

std::uint64_t level_size(Level l) {
    switch (l) {
        case Level::PUD:
            return PUD_SIZE;
        case Level::PMD:
            return PMD_SIZE;
        case Level::PTE:
            break;
    }
    return PAGE_SIZE;
}

// include/linux/pgtable.h pud_offset/pmd_offset/pte_offset_map: the slot for `addr`.
pt_slot& pt_offset(World& w, Level l, std::uint64_t addr) {
    const std::uint64_t key = addr & ~(level_size(l) - 1);
    auto& m = level_map(w, l);
    auto it = m.find(key);
    if (it == m.end()) {
        it = m.emplace(key, pt_slot{}).first;
        const auto kind_key = key | static_cast<std::uint64_t>(l);  // page-aligned: low bits free
        w.mm.pgtable.shape ^= shape_term(kind_key);
        it->second.key = kind_key;
        it->second.obj = w.derived_object(World::Derived::Slot, kind_key, [&] {
            return fmt::format("{}[{:#x}]", level_name(l), key);
        });
    }
    return it->second;
}

// include/linux/pgtable.h pudp_get/pmdp_get/ptep_get: one read of the entry.
pt_entry pt_get(World& /*w*/, Level l, pt_slot& s, sim::Name func) {
    sim::point(sim::Op::Read, s.obj, func);
    const pt_entry e = s.e;
    const auto& fx = effects(l);
    switch (e.kind) {
        case pt_entry::Kind::none:
            sim::annotate(fx.read_none);
            break;
        case pt_entry::Kind::table:
            sim::annotate(fx.read_table);
            break;
        case pt_entry::Kind::leaf:
            sim::annotate(fx.read_leaf, e.pfn);
            break;
    }
    return e;
}

// arch/x86/include/asm/pgtable.h set_pud_at/set_pmd_at/set_pte_at and the *_populate helpers.
void pt_set(World& w, Level l, std::uint64_t addr, pt_slot& s, const pt_entry& e, sim::Name func) {
    const auto& fx = effects(l);
    if (entry_leaf(e)) {
        sim::point(sim::Op::Write, s.obj, func, fx.set_leaf, e.pfn);
    } else if (e.kind == pt_entry::Kind::table) {
        sim::point(sim::Op::Write, s.obj, func, fx.set_table);
    } else {
        sim::point(sim::Op::Write, s.obj, func, fx.clear);
    }
    check_stale(w, e, addr, l);
    pt_store(w.mm.pgtable, s, e);
}

// include/linux/pgtable.h pudp_huge_get_and_clear / pmdp_huge_get_and_clear / ptep_get_and_clear
pt_entry pt_get_and_clear(World& w, Level l, pt_slot& s, sim::Name func) {
    sim::point(sim::Op::Write, s.obj, func, effects(l).clear);
    const pt_entry old = s.e;
    pt_store(w.mm.pgtable, s, pt_entry{});
    return old;
}

namespace {
// A slot's term of the digest: none for an empty slot (an untouched slot and a cleared one are
// the same state), else a strong mix of its place and its entry, so that the XOR of the terms
// identifies the set of present entries.
std::uint64_t digest_term(const pt_slot& s) {
    if (!entry_present(s.e)) {
        return 0;
    }
    const std::uint64_t bits = (s.e.pfn << 4U) | (static_cast<std::uint64_t>(s.e.kind) << 2U) |
                               (s.e.writable ? 2U : 0U) | (s.e.special ? 1U : 0U);
    return sim::mix64(sim::mix64(s.key ^ 0x243f6a8885a308d3ULL) ^ bits);
}
}  // namespace

void pt_store(page_table& pt, pt_slot& s, const pt_entry& e) {
    pt.digest ^= digest_term(s);
    s.e = e;
    pt.digest ^= digest_term(s);
}

std::uint64_t pt_shape_walk(const page_table& pt) {
    std::uint64_t d = 0;
    for (const auto* m : {&pt.pud, &pt.pmd, &pt.pte}) {
        for (const auto& [addr, slot] : *m) {
            d ^= shape_term(slot.key);
        }
    }
    const std::pair<const std::map<std::uint64_t, sim::SpinLock>*, Level> locks[] = {
        {&pt.pmd_ptl, Level::PMD}, {&pt.pte_ptl, Level::PTE}};
    for (const auto& [m, l] : locks) {
        for (const auto& [key, lock] : *m) {
            d ^= shape_term(key | static_cast<std::uint64_t>(l) | kShapeLock);
        }
    }
    return d;
}

std::uint64_t pt_digest_walk(const page_table& pt) {
    std::uint64_t d = 0;
    for (const auto* m : {&pt.pud, &pt.pmd, &pt.pte}) {
        for (const auto& [addr, slot] : *m) {
            d ^= digest_term(slot);
        }
    }
    return d;
}

// include/linux/mm.h pud_lockptr (mm->page_table_lock), pmd_lockptr (split PMD ptlock of the
// PMD table page), pte_lockptr (split PTE ptlock of the PTE table page).
sim::SpinLock& pt_lockptr(World& w, Level l, std::uint64_t addr) {
    if (l == Level::PUD) {
        return w.mm.page_table_lock;
    }
    auto& m = l == Level::PMD ? w.mm.pgtable.pmd_ptl : w.mm.pgtable.pte_ptl;
    const std::uint64_t key = addr & (l == Level::PMD ? PUD_MASK : PMD_MASK);
    auto it = m.find(key);
    if (it == m.end()) {
        it = m.emplace(key, sim::SpinLock{}).first;
        const auto kind_key = key | static_cast<std::uint64_t>(l);
        w.mm.pgtable.shape ^= shape_term(kind_key | kShapeLock);
        it->second.init(w.derived_object(World::Derived::Ptl, kind_key, [&] {
            return fmt::format("{}_ptl[{:#x}]", level_name(l), key);
        }));
        w.objects().set_class(it->second.id(), "ptlock");
    }
    return it->second;
}

}  // namespace pfnsim::model
