// Unit tests of the kernel model: follow, fault at each order, split, zap, and the invariants.
#include <fmt/format.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <set>

#include "pfnsim/model/world.hpp"
#include "pfnsim/sim/dfs_strategy.hpp"
#include "pfnsim/sim/explore.hpp"
#include "pfnsim/sim/random_strategy.hpp"
#include "support.hpp"

using namespace pfnsim;
using namespace pfnsim::model;
using pfnsim::test::bar_scenario;
using pfnsim::test::ModelHarness;

namespace {

constexpr std::uint64_t kBase = 0x40000000;   // vma start
constexpr std::uint64_t kBarPfn = 0x4000000;  // 0x4000000000 >> 12

sim::Outcome run1(ModelHarness& h, std::function<void(World&)> body) {
    h.bodies = {std::move(body)};
    sim::RandomStrategy r;
    return sim::run_execution(h, r, 1, {});
}

struct FollowResult {
    int ret = 1;
    std::uint64_t pfn = 0;
    std::uint64_t mask = 0;
    bool locked = false;
    bool unlocked_after = false;
};

FollowResult follow(ModelHarness& h, std::uint64_t addr) {
    FollowResult fr;
    run1(h, [&](World& w) {
        follow_pfnmap_args args{w.mm.mm_mt_list.front(), addr};
        mmap_read_lock(w);
        vma_lookup(w, addr, "test");
        fr.ret = follow_pfnmap_start(w, args);
        if (fr.ret == 0) {
            fr.pfn = args.pfn;
            fr.mask = args.addr_mask;
            fr.locked = args.lock->held_by(sim::current_actor());
            sim::SpinLock* l = args.lock;
            follow_pfnmap_end(w, args);
            fr.unlocked_after = !l->held_by(sim::current_actor());
        }
        mmap_read_unlock(w);
    });
    return fr;
}

}  // namespace

TEST_CASE("follow_pfnmap_start on a none entry fails, then -ENOENT only under the proposal",
          "[model][follow]") {
    ModelHarness h(bar_scenario(""));
    CHECK(follow(h, kBase).ret == -EINVAL);
    h.world.set_policy(*parse_policy("enoent"));
    CHECK(follow(h, kBase).ret == -ENOENT);
}

TEST_CASE("follow_pfnmap_start on leaves at each level returns the pfn with the lock held",
          "[model][follow]") {
    ModelHarness h(bar_scenario(R"(
[[entry]]
level = "pud"
addr = 0x40000000
[[entry]]
level = "pmd"
addr = 0x80200000
[[entry]]
level = "pte"
addr = 0x80403000
)"));
    const auto pud = follow(h, kBase + 0x123000);
    CHECK(pud.ret == 0);
    CHECK(pud.pfn == kBarPfn + 0x123);
    CHECK(pud.mask == PUD_MASK);
    CHECK(pud.locked);
    CHECK(pud.unlocked_after);

    const auto pmd = follow(h, 0x80200000 + 0x5000);
    CHECK(pmd.ret == 0);
    CHECK(pmd.pfn == kBarPfn + ((0x80200000 - kBase) >> 12) + 5);
    CHECK(pmd.mask == PMD_MASK);
    CHECK(pmd.locked);

    const auto pte = follow(h, 0x80403000);
    CHECK(pte.ret == 0);
    CHECK(pte.pfn == kBarPfn + ((0x80403000 - kBase) >> 12));
    CHECK(pte.mask == PAGE_MASK);

    // A PUD that is a table with no PMD below, and a PMD table with no PTE.
    CHECK(follow(h, 0x80000000).ret == -EINVAL);
    CHECK(follow(h, 0x80404000).ret == -EINVAL);
    // Outside the vma: bad argument.
    CHECK(follow(h, kBase + 0x80000000).ret == -EINVAL);
}

namespace {

// A 1 GiB BAR mapped by one vma.
std::string one_vma(const std::string& vma) {
    return "name = \"t\"\n[[device]]\nname = \"gpu\"\nbar_base = 0x4000000000\n"
           "bar_size = \"1G\"\n[[vma]]\ndevice = \"gpu\"\n" +
           vma + "[[actor]]\nname = \"a\"\nkind = \"zap\"\n";
}

// handle_mm_fault() at addr under mmap_lock, as a user fault would.
vm_fault_t fault_in(ModelHarness& h, std::uint64_t addr) {
    vm_fault_t f = 0;
    run1(h, [&](World& w) {
        mmap_read_lock(w);
        f = handle_mm_fault(w, vma_lookup(w, addr, "t"), addr, 0);
        mmap_read_unlock(w);
    });
    return f;
}

}  // namespace

TEST_CASE("a fault inserts a leaf of the largest order that fits", "[model][fault]") {
    SECTION("1 GiB-aligned vma and BAR: PUD leaf") {
        ModelHarness h(bar_scenario(""));
        CHECK(fault_in(h, kBase + 0x5000) == VM_FAULT_NOPAGE);
        const auto& pud = h.world.mm.pgtable.pud.at(kBase).e;
        CHECK(pud.kind == pt_entry::Kind::leaf);
        CHECK(pud.pfn == kBarPfn);
        CHECK(pud.writable);
        CHECK(pud.special);
    }
    SECTION("2 MiB-aligned vma: PUD falls back, PMD leaf") {
        ModelHarness h(one_vma(R"(start = 0x7fe00000
size = "4M"
flags = ["VM_IO", "VM_PFNMAP", "VM_READ", "VM_SHARED"]
)"));
        CHECK(fault_in(h, 0x80000000) == VM_FAULT_NOPAGE);
        CHECK(h.world.mm.pgtable.pud.at(0x80000000).e.kind == pt_entry::Kind::table);
        const auto& pmd = h.world.mm.pgtable.pmd.at(0x80000000).e;
        CHECK(pmd.kind == pt_entry::Kind::leaf);
        CHECK(pmd.pfn == kBarPfn + 512);
        CHECK_FALSE(pmd.writable);  // no VM_WRITE
    }
    SECTION("BAR offset not 2 MiB-aligned: PTE") {
        ModelHarness h(one_vma(R"(start = 0x90000000
size = "16K"
pgoff = 1
flags = ["VM_IO", "VM_PFNMAP", "VM_READ", "VM_WRITE", "VM_SHARED"]
)"));
        CHECK(fault_in(h, 0x90002000) == VM_FAULT_NOPAGE);
        CHECK(h.world.mm.pgtable.pmd.at(0x90000000).e.kind == pt_entry::Kind::table);
        const auto& pte = h.world.mm.pgtable.pte.at(0x90002000).e;
        CHECK(pte.kind == pt_entry::Kind::leaf);
        CHECK(pte.pfn == kBarPfn + 1 + 2);
    }
}

TEST_CASE("fault with memory disabled is SIGBUS and inserts nothing", "[model][fault]") {
    ModelHarness h(bar_scenario("", 1, false));
    CHECK(fault_in(h, kBase) == VM_FAULT_SIGBUS);
    CHECK(h.world.mm.pgtable.pud.at(kBase).e.kind == pt_entry::Kind::none);
}

TEST_CASE("split_huge_pud clears a pfnmap PUD leaf and leaves a table alone", "[model][split]") {
    ModelHarness h(bar_scenario(R"(
[[entry]]
level = "pud"
addr = 0x40000000
[[entry]]
level = "pmd"
addr = 0x80000000
)"));
    run1(h, [&](World& w) {
        for (const std::uint64_t a : {kBase, std::uint64_t{0x80000000}}) {
            pt_slot& pud = pt_offset(w, Level::PUD, a);
            split_huge_pud(w, w.mm.mm_mt_list.front(), a, pt_get(w, Level::PUD, pud, "test"));
        }
    });
    CHECK(h.world.mm.pgtable.pud.at(kBase).e.kind == pt_entry::Kind::none);
    CHECK(h.world.mm.pgtable.pud.at(0x80000000).e.kind == pt_entry::Kind::table);
    CHECK(h.world.mm.pgtable.pmd.at(0x80000000).e.kind == pt_entry::Kind::leaf);
}

TEST_CASE("the split notifier runs for a huge entry only, as the split macros test",
          "[model][split][kvm]") {
    // include/linux/huge_mm.h: split_huge_pud()/split_huge_pmd() call __split_huge_*(), and with
    // it mmu_notifier_invalidate_range_start/end, only when pud/pmd_trans_huge() holds. With
    // KVM's notifier registered, a PUD that points to a table (and a PMD that points to a PTE
    // table) moves no mmu_invalidate_seq; a PUD leaf does.
    ModelHarness h(bar_scenario(R"(
[[entry]]
level = "pud"
addr = 0x40000000
[[entry]]
level = "pte"
addr = 0x80000000
)",
                                0) +
                   "[[actor]]\nname = \"vcpu\"\nkind = \"kvm\"\nvaddr = 0x40000000\n");
    REQUIRE(h.world.mm.kvm.registered);
    std::uint64_t after_tables = 99;
    const auto out = run1(h, [&](World& w) {
        vm_area_struct* vma = w.mm.mm_mt_list.front();
        pt_slot& pud = pt_offset(w, Level::PUD, 0x80000000);
        split_huge_pud(w, vma, 0x80000000, pt_get(w, Level::PUD, pud, "test"));
        pt_slot& pmd = pt_offset(w, Level::PMD, 0x80000000);
        split_huge_pmd(w, vma, 0x80000000, pt_get(w, Level::PMD, pmd, "test"));
        after_tables = w.mm.kvm.seq;
        pt_slot& leaf = pt_offset(w, Level::PUD, kBase);
        split_huge_pud(w, vma, kBase, pt_get(w, Level::PUD, leaf, "test"));
    });
    CHECK(after_tables == 0);
    CHECK(h.world.mm.kvm.seq == 1);
    int begins = 0;
    for (const auto& st : out.trace) {
        begins += std::string_view(st.func.text) == "kvm_mmu_invalidate_begin";
    }
    CHECK(begins == 1);
    CHECK(h.world.mm.pgtable.pud.at(0x80000000).e.kind == pt_entry::Kind::table);
    CHECK(h.world.mm.pgtable.pud.at(kBase).e.kind == pt_entry::Kind::none);
}

TEST_CASE("the memory-disable zap clears every level and disables memory", "[model][zap]") {
    ModelHarness h(bar_scenario(R"(
[[entry]]
level = "pud"
addr = 0x40000000
[[entry]]
level = "pmd"
addr = 0x80200000
[[entry]]
level = "pte"
addr = 0x80403000
)"));
    const auto out = run1(h, [&](World& w) { vfio_pci_memory_disable(w, w.devices.front()); });
    CHECK(out.status == sim::Status::Completed);
    CHECK(out.violations.empty());
    CHECK_FALSE(h.world.devices.front().mem_enabled);
    for (const auto* m :
         {&h.world.mm.pgtable.pud, &h.world.mm.pgtable.pmd, &h.world.mm.pgtable.pte}) {
        for (const auto& [addr, slot] : *m) {
            CHECK(slot.e.kind != pt_entry::Kind::leaf);
        }
    }
}

TEST_CASE("the pre-ffef67b93aa3 follow pins a pfn the zap already removed (B24)",
          "[model][invariant]") {
    const std::string toml = R"(name = "b24"
iterations = 3000
[kernel]
follow_pfnmap = "VARIANT"
[[device]]
name = "gpu"
bar_base = 0x4000000000
bar_size = "2G"
[[vma]]
start = 0x40000000
size = "2G"
flags = ["VM_IO", "VM_PFNMAP", "VM_READ", "VM_WRITE", "VM_SHARED"]
device = "gpu"
[[entry]]
level = "pud"
addr = 0x40000000
[[actor]]
name = "pin"
kind = "pin"
vaddr = 0x40000000
size = "1G"
[[actor]]
name = "zap"
kind = "zap"
)";
    auto run = [&](const std::string& variant) {
        std::string t = toml;
        t.replace(t.find("VARIANT"), 7, variant);
        World w(parse_scenario(t, "b24.toml"));
        sim::RandomStrategy r;
        sim::ExploreConfig cfg;
        cfg.iterations = 3000;
        return sim::explore(w, r, cfg);
    };
    const auto old = run("pre-ffef67b93aa3");
    bool found = false;
    for (const auto& v : old.violations) {
        found = found || (v.violation.kind == sim::ViolationKind::Invariant &&
                          v.violation.detail.find("I-PFN") != std::string::npos);
    }
    CHECK(found);
    CHECK(run("current").violations.empty());
}

TEST_CASE("the pre-3b89863c3fa4 page walk descends into a refaulted PUD leaf (B26)",
          "[model][invariant]") {
    const std::string toml = R"(name = "b26"
[kernel]
pagewalk = "VARIANT"
[[device]]
name = "gpu"
bar_base = 0x4000000000
bar_size = "2G"
[[vma]]
start = 0x40000000
size = "2G"
flags = ["VM_IO", "VM_PFNMAP", "VM_READ", "VM_WRITE", "VM_SHARED"]
device = "gpu"
[[entry]]
level = "pud"
addr = 0x40000000
[[actor]]
name = "numa_maps"
kind = "split"
repeat = 2
[[actor]]
name = "cpu"
kind = "fault"
vaddr = 0x40000000
)";
    auto run = [&](const std::string& variant) {
        std::string t = toml;
        t.replace(t.find("VARIANT"), 7, variant);
        World w(parse_scenario(t, "b26.toml"));
        sim::RandomStrategy r;
        sim::ExploreConfig cfg;
        cfg.iterations = 3000;
        return sim::explore(w, r, cfg);
    };
    const auto old = run("pre-3b89863c3fa4");
    REQUIRE_FALSE(old.violations.empty());
    CHECK(old.violations[0].violation.kind == sim::ViolationKind::Invariant);
    CHECK_THAT(old.violations[0].violation.detail, Catch::Contains("walk_pmd_range"));
    CHECK(run("current").violations.empty());
}

TEST_CASE("munmap while the fault dropped mmap_lock: no stale vma use, but -EAGAIN leaks (B04)",
          "[model][invariant]") {
    World w(load_scenario(pfnsim::test::source_path("scenarios/pin-munmap-retry.toml")));
    sim::RandomStrategy r;
    sim::ExploreConfig cfg;
    cfg.iterations = 2000;
    const auto rep = sim::explore(w, r, cfg);
    // I-VMA holds: the unlocked path looks the vma up again instead of reusing it.
    for (const auto& v : rep.violations) {
        CHECK(v.violation.kind == sim::ViolationKind::WrongReturn);
    }
    // ...but when the lookup finds nothing, the -EAGAIN still in `ret` reaches userspace.
    REQUIRE(rep.violations.size() == 1);
    CHECK(rep.violations[0].violation.detail == "pin returned -EAGAIN");
    CHECK(rep.results[0].count("-EFAULT") == 1);
    CHECK(rep.results[0].count("0") == 1);
}

TEST_CASE("the state hash is canonical: the same state by different paths, same hash",
          "[model][state-hash]") {
    // Two CPUs fault different 1 GiB halves in: whatever the interleaving, the final state is
    // the same, although slots, locks and objects were created in different orders.
    ModelHarness h(bar_scenario("", 2));
    auto fault = [](std::uint64_t addr) {
        return [addr](World& w) {
            mmap_read_lock(w);
            handle_mm_fault(w, vma_lookup(w, addr, "t"), addr, 0);
            mmap_read_unlock(w);
        };
    };
    h.bodies = {fault(kBase), fault(kBase + PUD_SIZE)};
    sim::RandomStrategy r;
    std::set<std::uint64_t> finals;
    std::set<std::uint64_t> traces;
    for (std::uint64_t seed = 1; seed <= 40; ++seed) {
        const auto out = sim::run_execution(h, r, seed, {});
        finals.insert(*h.world.loop_state_hash());
        traces.insert(out.trace_hash);
    }
    CHECK(traces.size() > 5);   // many different paths...
    CHECK(finals.size() == 1);  // ...to one state
    // A different state hashes differently: only one half mapped.
    h.bodies = {fault(kBase), [](World&) {}};
    sim::run_execution(h, r, 1, {});
    CHECK(finals.count(*h.world.loop_state_hash()) == 0);
    // And the initial state after reset() is the same every time.
    h.world.reset();
    const auto initial = *h.world.loop_state_hash();
    h.world.reset();
    CHECK(*h.world.loop_state_hash() == initial);
    CHECK(finals.count(initial) == 0);
}

TEST_CASE("a PTE insert that loses the PMD to a huge insert fails with VM_FAULT_OOM",
          "[model][fault]") {
    // insert_pfn(): get_locked_pte() finds no PTE table under a PMD leaf and returns NULL. Every
    // interleaving of a PTE-order and a PMD-order insert at one address: the PTE insert either
    // populates the table first (the PMD insert then finds it there) or loses with OOM.
    ModelHarness h(bar_scenario("", 2));
    vm_fault_t pte_ret = 0;
    vm_fault_t pmd_ret = 0;
    h.bodies = {[&](World& w) {
                    mmap_read_lock(w);
                    vm_fault vmf{vma_lookup(w, kBase, "t"), kBase, 0};
                    pte_ret = vmf_insert_pfn(w, vmf, kBarPfn);
                    mmap_read_unlock(w);
                },
                [&](World& w) {
                    mmap_read_lock(w);
                    vm_fault vmf{vma_lookup(w, kBase, "t"), kBase, 0};
                    pmd_ret = vmf_insert_pfn_pmd(w, vmf, kBarPfn, false);
                    mmap_read_unlock(w);
                }};
    std::set<std::pair<vm_fault_t, pt_entry::Kind>> seen;  // (PTE insert's result, the PMD)
    sim::DfsStrategy dfs(std::nullopt);
    do {
        sim::run_execution(h, dfs, 0, {});
        CHECK(pmd_ret == VM_FAULT_NOPAGE);
        seen.insert({pte_ret, h.world.mm.pgtable.pmd.at(kBase).e.kind});
    } while (dfs.advance());
    CHECK(seen ==
          std::set<std::pair<vm_fault_t, pt_entry::Kind>>{{VM_FAULT_NOPAGE, pt_entry::Kind::table},
                                                          {VM_FAULT_OOM, pt_entry::Kind::leaf}});
}

TEST_CASE("numa_maps takes the PMD lock only for a PMD leaf", "[model][pagewalk]") {
    // pmd_trans_huge_lock(): a PTE table is read without the PMD lock, a leaf under it.
    auto pmd_locks = [](const std::string& entries) {
        ModelHarness h(bar_scenario(entries));
        const auto out = run1(h, [](World& w) { show_numa_maps(w); });
        int n = 0;
        for (const auto& st : out.trace) {
            n += st.op == sim::Op::Acquire &&
                 h.world.objects().name(st.object).rfind("pmd_ptl", 0) == 0;
        }
        return n;
    };
    CHECK(pmd_locks("[[entry]]\nlevel = \"pte\"\naddr = 0x40000000\n") == 0);
    CHECK(pmd_locks("[[entry]]\nlevel = \"pmd\"\naddr = 0x40000000\n") == 1);
}

TEST_CASE("smaps and smaps_rollup split a PUD leaf as numa_maps does, and smaps reschedules",
          "[model][pagewalk][walker]") {
    // fs/proc/task_mmu.c: smap_gather_stats -> walk_page_vma with smaps_walk_ops, whose
    // pmd_entry (smaps_pte_range) and no pud_entry make walk_pud_range() split the leaf.
    for (const auto show : {show_numa_maps, show_smaps, show_smaps_rollup}) {
        ModelHarness h(bar_scenario("[[entry]]\nlevel = \"pud\"\naddr = 0x40000000\n"));
        run1(h, [&](World& w) { show(w); });
        CHECK_FALSE(entry_present(h.world.mm.pgtable.pud.at(kBase).e));
    }
    // smaps_pte_range() ends in cond_resched() after a PMD leaf; gather_pte_stats() does not.
    auto yields = [](int (*show)(World&)) {
        ModelHarness h(bar_scenario("[[entry]]\nlevel = \"pmd\"\naddr = 0x40000000\n"));
        const auto out = run1(h, [&](World& w) { show(w); });
        return std::count_if(out.trace.begin(), out.trace.end(),
                             [](const sim::Step& st) { return st.op == sim::Op::Yield; });
    };
    CHECK(yields(show_numa_maps) == 0);
    CHECK(yields(show_smaps) == 1);
    CHECK(yields(show_smaps_rollup) == 1);
}

TEST_CASE("the seed race with an smaps or smaps_rollup walker gives the same -EINVAL",
          "[model][walker]") {
    // scenarios/seed-split-refault.toml with `walker` set: the split between the refault and
    // the second follow_pfnmap_start() is the same whichever /proc file splits.
    for (const char* walker : {"smaps", "smaps_rollup"}) {
        INFO(walker);
        std::string text =
            bar_scenario("[[entry]]\nlevel = \"pud\"\naddr = 0x40000000\n", 0) +
            "[[actor]]\nname = \"pin\"\nkind = \"pin\"\nvaddr = 0x40000000\nsize = \"1G\"\n"
            "[[actor]]\nname = \"walker\"\nkind = \"split\"\nrepeat = 3\nwalker = \"" +
            walker + "\"\n";
        World w(parse_scenario(text, "walker.toml"));
        sim::RandomStrategy r;
        sim::ExploreConfig cfg;
        cfg.iterations = 3000;
        cfg.seed = 1;
        cfg.exec.step_bound = 2000;
        const auto rep = sim::explore(w, r, cfg);
        bool einval = false;
        for (const auto& v : rep.violations) {
            einval = einval || (v.violation.kind == sim::ViolationKind::WrongReturn &&
                                v.violation.detail == "pin returned -EINVAL");
        }
        CHECK(einval);
    }
}

namespace {
// The steps of `actor` in `out` whose function is `func`.
std::size_t steps_of(const sim::Outcome& out, sim::ActorId actor, std::string_view func) {
    return static_cast<std::size_t>(
        std::count_if(out.trace.begin(), out.trace.end(), [&](const sim::Step& s) {
            return s.actor == actor && std::string_view(s.func.text) == func;
        }));
}
}  // namespace

TEST_CASE("repeat on zap, enable and fault runs the call that many times", "[model][repeat]") {
    const auto run = [](const std::string& toml) {
        World w(parse_scenario(toml, "inline.toml"));
        sim::RandomStrategy r;
        return sim::run_execution(w, r, 1, {});
    };
    const std::string bar = bar_scenario("[[entry]]\nlevel = \"pud\"\naddr = 0x40000000\n", 0);
    for (const std::uint64_t n : {1U, 3U}) {
        INFO("repeat " << n);
        const auto zap = run(
            bar + "[[actor]]\nname = \"z\"\nkind = \"zap\"\nrepeat = " + std::to_string(n) + "\n");
        REQUIRE(zap.status == sim::Status::Completed);
        // Each round: memory_lock for write and the zap, then the PCI_COMMAND write.
        CHECK(steps_of(zap, 0, "vfio_pci_zap_and_down_write_memory_lock") == n);
        CHECK(steps_of(zap, 0, "i_mmap_lock_read") == n);
        CHECK(steps_of(zap, 0, "vfio_default_config_write") == n);
        CHECK(steps_of(zap, 0, "up_write") == n);
        CHECK(zap.results == std::vector<std::string>{"0"});
        const auto enable =
            run(bar + "[[actor]]\nname = \"e\"\nkind = \"enable\"\nrepeat = " + std::to_string(n) +
                "\n");
        CHECK(steps_of(enable, 0, "vfio_default_config_write") == n);
        CHECK(steps_of(enable, 0, "down_write") == n);
        const auto fault = run(bar +
                               "[[actor]]\nname = \"f\"\nkind = \"fault\"\n"
                               "vaddr = 0x40000000\nrepeat = " +
                               std::to_string(n) + "\n");
        CHECK(steps_of(fault, 0, "do_user_addr_fault") == n);  // one finish per access
        CHECK(fault.results == std::vector<std::string>{"0"});
    }
    // A zap that runs twice zaps again: the second round finds the entry the first cleared.
    const auto twice = run(bar + "[[actor]]\nname = \"z\"\nkind = \"zap\"\nrepeat = 2\n");
    std::vector<std::string> pud_reads;
    for (const auto& s : twice.trace) {
        if (std::string_view(s.func.text) == "zap_pud_range") {
            pud_reads.emplace_back(s.effect.text);
        }
    }
    REQUIRE(pud_reads.size() >= 2);
    CHECK(pud_reads.front() == "pud leaf pfn={:#x}");
    CHECK(pud_reads.back() == "pud_none");
    // The first access that fails ends the task: with memory off, one SIGBUS, not three.
    const auto off = run(bar_scenario("", 0, false) +
                         "[[actor]]\nname = \"f\"\nkind = \"fault\"\nvaddr = 0x40000000\n"
                         "repeat = 3\n");
    CHECK(steps_of(off, 0, "do_user_addr_fault") == 1);
    CHECK(off.results == std::vector<std::string>{"SIGBUS"});
}

TEST_CASE("pin || zap, then enable: the enable starts after the zap in every schedule",
          "[model][after]") {
    World w(load_scenario(pfnsim::test::source_path("scenarios/pin-zap-enable.toml")));
    REQUIRE(w.actors().at(2).after == 1U << 1U);
    sim::DfsStrategy dfs(std::nullopt);
    std::set<std::string> pin_results;
    bool enable_before_pin_returns = false;
    std::uint64_t runs = 0;
    do {
        const auto out = sim::run_execution(w, dfs, 0, {});
        REQUIRE(out.status == sim::Status::Completed);
        ++runs;
        std::size_t zap_last = 0;
        std::size_t enable_first = out.trace.size();
        std::size_t pin_finish = 0;
        for (std::size_t i = 0; i < out.trace.size(); ++i) {
            const auto& s = out.trace[i];
            zap_last = s.actor == 1 ? i : zap_last;
            enable_first = s.actor == 2 ? std::min(enable_first, i) : enable_first;
            pin_finish = s.actor == 0 && s.op == sim::Op::Finish ? i : pin_finish;
        }
        REQUIRE(enable_first < out.trace.size());
        CHECK(zap_last < enable_first);
        enable_before_pin_returns = enable_before_pin_returns || enable_first < pin_finish;
        pin_results.insert(out.results.at(0));
        CHECK(out.results.at(1) == "0");
        CHECK(out.results.at(2) == "0");
        CHECK(w.devices.front().mem_enabled);  // the enable always ran last of the two
    } while (dfs.advance());
    CHECK(runs > 100);
    CHECK(enable_before_pin_returns);  // it races the pin
    // The pin faults before the zap, after the enable, or meets memory off between them; the
    // original code's -EINVAL is the zap between the refault and the second follow.
    CHECK(pin_results == std::set<std::string>{"0", "-EFAULT", "-EINVAL"});
}

TEST_CASE("walk_pud_range goes to walk_pmd_range after the split, reading the PUD once a round",
          "[model][pagewalk]") {
    // mm/pagewalk.c walk_pud_range since 3b89863c3fa4: split_huge_pud(), then walk_pmd_range(),
    // whose snapshot of the PUD sends the walk round again; the re-read after the split (goto
    // again if none) is gone. A PUD leaf: read, split, walk_pmd_range (none: again), read (hole).
    // Before: read, split, read (none: again), read (hole), and no walk_pmd_range.
    auto pud_reads = [](const std::string& variant) {
        ModelHarness h(bar_scenario("[kernel]\npagewalk = \"" + variant +
                                    "\"\n[[entry]]\nlevel = \"pud\"\naddr = 0x40000000\n"));
        const auto out = run1(h, [](World& w) { show_numa_maps(w); });
        int reads = 0;
        int pmd_walks = 0;
        for (const auto& st : out.trace) {
            reads += std::string_view(st.func.text) == "walk_pud_range";
            pmd_walks += std::string_view(st.func.text) == "walk_pmd_range";
        }
        return std::pair{reads, pmd_walks};
    };
    const auto cur = pud_reads("current");
    const auto old = pud_reads("pre-3b89863c3fa4");
    CHECK(cur.second == 1);             // the snapshot in walk_pmd_range sends it round again
    CHECK(old.second == 0);             // the re-read did, before walk_pmd_range
    CHECK(old.first == cur.first + 1);  // one look at the PUD more per split
}

TEST_CASE("handle_pte_fault returns 0 when the PMD became a leaf: no do_fault", "[model][fault]") {
    // mm/memory.c handle_pte_fault: pte_offset_map_rw_nolock() finds no PTE table under a PMD
    // that a huge insert filled after __handle_mm_fault() read it none; the fault returns 0 and
    // the access retries. With memory disabled, do_fault() would SIGBUS. The vma is smaller than
    // a PMD, so the PUD and PMD orders fall back and the PMD leaf comes from a direct insert (of
    // the pfn at the vma's offset, 2M into the BAR: I-MAP holds).
    ModelHarness h(R"(name = "t"
[[device]]
name = "gpu"
bar_base = 0x4000000000
bar_size = "1G"
mem_enabled = false
[[vma]]
device = "gpu"
start = 0x90000000
size = "16K"
pgoff = 512
flags = ["VM_IO", "VM_PFNMAP", "VM_READ", "VM_WRITE", "VM_SHARED"]
[[actor]]
name = "a"
kind = "zap"
[[actor]]
name = "b"
kind = "zap"
)");
    constexpr std::uint64_t kAddr = 0x90000000;
    vm_fault_t fault_ret = 0;
    h.bodies = {[&](World& w) {
                    mmap_read_lock(w);
                    fault_ret = handle_mm_fault(w, vma_lookup(w, kAddr, "t"), kAddr, 0);
                    mmap_read_unlock(w);
                },
                [&](World& w) {
                    mmap_read_lock(w);
                    vm_fault vmf{vma_lookup(w, kAddr, "t"), kAddr, 0};
                    vmf_insert_pfn_pmd(w, vmf, kBarPfn + 512, false);
                    mmap_read_unlock(w);
                }};
    int raced = 0;  // executions where the leaf came between the two reads of the PMD
    sim::DfsStrategy dfs(std::nullopt);
    do {
        const auto out = sim::run_execution(h, dfs, 0, {});
        long first_read = -1;
        long pte_read = -1;
        long insert = -1;
        for (std::size_t i = 0; i < out.trace.size(); ++i) {
            const auto& st = out.trace[i];
            const std::string_view f = st.func.text;
            if (st.actor == 0 && f == "__handle_mm_fault") {
                first_read = static_cast<long>(i);  // the last one: the PMD's
            } else if (st.actor == 0 && f == "handle_pte_fault" && pte_read < 0) {
                pte_read = static_cast<long>(i);
            } else if (st.actor == 1 && f == "insert_pfn_pmd" && st.op == sim::Op::Write) {
                insert = static_cast<long>(i);
            }
        }
        if (pte_read >= 0 && insert > first_read && insert < pte_read) {
            ++raced;
            CHECK(fault_ret == 0);
        }
    } while (dfs.advance());
    CHECK(raced > 0);
}

TEST_CASE("the fault inserts only the leaves the architecture has", "[model][fault][arch]") {
    // create_huge_pud() calls ->huge_fault only with HAVE_ARCH_TRANSPARENT_HUGEPAGE_PUD, and
    // vfio_pci_mmap_ops has .huge_fault only under ARCH_SUPPORTS_HUGE_PFNMAP.
    const auto after_fault = [](const std::string& arch) {
        ModelHarness h(bar_scenario("[kernel]\narch = \"" + arch + "\"\n"));
        CHECK(fault_in(h, kBase + 0x5000) == VM_FAULT_NOPAGE);
        const auto& pt = h.world.mm.pgtable;
        return pt.pud.at(kBase).e.kind == pt_entry::Kind::leaf            ? "pud"
               : pt.pmd.at(kBase).e.kind == pt_entry::Kind::leaf          ? "pmd"
               : pt.pte.at(kBase + 0x5000).e.kind == pt_entry::Kind::leaf ? "pte"
                                                                          : "none";
    };
    CHECK(std::string(after_fault("x86_64")) == "pud");
    CHECK(std::string(after_fault("arm64")) == "pmd");
    CHECK(std::string(after_fault("s390")) == "pte");
}

TEST_CASE("the state registry derives the hashes and the audit's names from one list",
          "[model][signature]") {
    World w(load_scenario(pfnsim::test::source_path("scenarios/seed-split-refault.toml")));
    w.reset();
    sim::StateFields before;
    w.describe_state(before);
    const std::uint64_t sig = *w.state_signature();
    const std::uint64_t loop = *w.loop_state_hash();
    // Each task flag, flipped alone: the signature changes, the loop hash only for what the
    // future depends on, and the audit names exactly that field of that task.
    struct Flag {
        const char* name;
        bool task_struct::*member;
        bool future;
    };
    const Flag flags[] = {
        {"sigkill_pending", &task_struct::sigkill_pending, true},
        {"finished", &task_struct::finished, true},
        {"in_pin", &task_struct::in_pin, true},
        {"saw_mem_disabled", &task_struct::saw_mem_disabled, true},
        {"saw_vma_gone", &task_struct::saw_vma_gone, true},
        {"saw_unmapped", &task_struct::saw_unmapped, true},
        {"sigpending", &task_struct::sigpending, true},
        {"foll_tried", &task_struct::foll_tried, true},
        {"sigkill_injected", &task_struct::sigkill_injected, false},
        {"alloc_failed", &task_struct::alloc_failed, false},
        {"signalled", &task_struct::signalled, false},
        {"saw_unpopulated", &task_struct::saw_unpopulated, false},
        {"saw_overlap", &task_struct::saw_overlap, false},
    };
    for (std::size_t t = 0; t < w.tasks.size(); ++t) {
        for (const Flag& f : flags) {
            INFO(w.tasks[t].comm << " " << f.name);
            bool& b = w.tasks[t].*f.member;
            b = !b;
            sim::StateFields after;
            w.describe_state(after);
            CHECK(*w.state_signature() != sig);
            CHECK((*w.loop_state_hash() != loop) == f.future);
            CHECK(sim::state_difference(before, after) == fmt::format("task {}: {} {} -> {}",
                                                                      w.tasks[t].comm, f.name,
                                                                      b ? 0 : 1, b ? 1 : 0));
            b = !b;
        }
    }
    CHECK(*w.state_signature() == sig);
    // A device's memory enable bit, and a page-table entry named by its level and address.
    w.devices[0].mem_enabled = !w.devices[0].mem_enabled;
    sim::StateFields after;
    w.describe_state(after);
    CHECK(*w.loop_state_hash() != loop);
    CHECK(sim::state_difference(before, after) ==
          fmt::format("device {}: mem_enabled 1 -> 0", w.devices[0].name));
    w.devices[0].mem_enabled = !w.devices[0].mem_enabled;
    REQUIRE_FALSE(w.mm.pgtable.pud.empty());
    const std::uint64_t pud = w.mm.pgtable.pud.begin()->first;
    w.mm.pgtable.pud.begin()->second.e = pt_entry{};  // bypasses pt_store
    after.clear();
    w.describe_state(after);
    CHECK_THAT(sim::state_difference(before, after),
               Catch::StartsWith(fmt::format("pud[{:#x}]: entry kind 2 -> 0", pud)));
    // The audit recomputes each kept value and names the one a bypass left stale.
    w.audit_digests = true;
    const auto mismatches = w.digest_mismatches;
    w.loop_state_hash();
    CHECK(w.digest_mismatches == mismatches + 1);
}

namespace {

// The index of the first step of `actor` whose function is `func` (the trace's size if none).
std::size_t first_step(const sim::Outcome& out, sim::ActorId actor, std::string_view func) {
    for (std::size_t i = 0; i < out.trace.size(); ++i) {
        if (out.trace[i].actor == actor && std::string_view(out.trace[i].func.text) == func) {
            return i;
        }
    }
    return out.trace.size();
}

// A 1 GiB BAR mapped 1 GiB-aligned (so the fault is a PUD-order huge fault), of `kind`.
std::string vma_lock_scenario(const std::string& kind, const std::string& actors) {
    return "name = \"t\"\n[[device]]\nname = \"gpu\"\nkind = \"" + kind +
           "\"\nbar_base = 0x4000000000\nbar_size = \"1G\"\n[[vma]]\nstart = 0x40000000\n"
           "size = \"1G\"\nflags = [\"VM_IO\", \"VM_PFNMAP\", \"VM_READ\", \"VM_WRITE\", "
           "\"VM_SHARED\"]\ndevice = \"gpu\"\n[[actor]]\nname = \"cpu\"\nkind = \"fault\"\n"
           "vaddr = 0x40000000\n" +
           actors;
}

}  // namespace

TEST_CASE("a CPU fault tries the per-VMA lock first, and only ->huge_fault runs under it alone",
          "[model][fault][vma-lock]") {
    auto steps = [](const std::string& kind, const model::KernelSettings& kernel) {
        World w(parse_scenario(vma_lock_scenario(kind, ""), "t.toml", kernel));
        sim::RandomStrategy r;
        const auto out = sim::run_execution(w, r, 1, {});
        REQUIRE(out.status == sim::Status::Completed);
        CHECK(out.results.at(0) == "0");
        return std::tuple{first_step(out, 0, "vma_start_read"), first_step(out, 0, "vma_end_read"),
                          first_step(out, 0, "mmap_read_lock"), out.trace.size()};
    };
    // vfio-pci: vfio_pci_mmap_huge_fault inserts the PUD leaf with no mmap_lock taken at all.
    const auto [vread, vend, vmmap, vsize] = steps("vfio-pci", {});
    CHECK(vread < vend);
    CHECK(vend < vsize);
    CHECK(vmmap == vsize);
    // TTM has ->fault alone (no ->map_pages): vmf_can_call_fault() drops the VMA lock and the
    // fault goes round again under mmap_lock.
    const auto [tread, tend, tmmap, tsize] = steps("ttm-vram", {});
    CHECK(tread < tend);
    CHECK(tend < tmmap);
    CHECK(tmmap < tsize);
    // Before 350f6bbca1de lock_vma_under_rcu() refused these VMAs: mmap_lock only.
    const auto [oread, oend, ommap, osize] =
        steps("vfio-pci", {{"lock_vma_under_rcu", "pre-350f6bbca1de"}});
    CHECK(oread == osize);
    CHECK(oend == osize);
    CHECK(ommap < osize);
}

TEST_CASE("munmap write-locks the VMA: a fault under its lock finishes before the VMA is detached",
          "[model][fault][vma-lock][munmap]") {
    World w(parse_scenario(vma_lock_scenario("vfio-pci",
                                             "[[actor]]\nname = \"unmap\"\nkind = \"munmap\"\n"
                                             "vaddr = 0x40000000\nsize = \"1G\"\n"),
                           "t.toml"));
    sim::DfsStrategy dfs(std::nullopt);
    std::uint64_t under_vma_lock = 0;
    std::uint64_t fell_back = 0;
    std::uint64_t writer_waited = 0;
    std::set<std::string> results;
    do {
        const auto out = sim::run_execution(w, dfs, 0, {});
        REQUIRE(out.status == sim::Status::Completed);
        CHECK(out.violations.empty());
        results.insert(out.results.at(0));
        const std::size_t n = out.trace.size();
        const std::size_t detach = first_step(out, 1, "vma_iter_clear_gfp");
        REQUIRE(detach < n);
        if (first_step(out, 0, "mmap_read_lock") == n) {
            // The whole fault ran under the VMA lock: vma_start_write waited for it.
            ++under_vma_lock;
            const std::size_t end_read = first_step(out, 0, "vma_end_read");
            CHECK(end_read < detach);
            const std::size_t start_write = first_step(out, 1, "vma_start_write");
            REQUIRE(start_write < n);
            if (start_write < end_read) {
                CHECK(out.trace[start_write].blocked);  // it slept until the reader left
                ++writer_waited;
            }
        } else {
            ++fell_back;  // no VMA, write-locked, or detached: lock_mmap
        }
    } while (dfs.advance());
    CHECK(under_vma_lock > 0);
    CHECK(fell_back > 0);
    CHECK(writer_waited > 0);
    // Mapped, or gone (bad_area: SIGSEGV, reported as SIGBUS).
    CHECK(results == std::set<std::string>{"0", "SIGBUS"});
}
