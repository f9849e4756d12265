// The callers of follow_pfnmap_start() named in the March 2026 thread, the API variant, the
// fault providers and the oracle corrections (issue 10).
#include <fmt/format.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <functional>
#include <map>
#include <set>
#include <string_view>

#include "pfnsim/model/world.hpp"
#include "pfnsim/sim/dfs_strategy.hpp"
#include "pfnsim/sim/explore.hpp"
#include "pfnsim/sim/random_strategy.hpp"
#include "pfnsim/sim/sweep.hpp"
#include "support.hpp"

using namespace pfnsim;
using namespace pfnsim::model;
using pfnsim::test::error_of;
using pfnsim::test::source_path;

namespace {

World world_for(const std::string& scenario, const std::string& policy) {
    World w(load_scenario(source_path("scenarios/" + scenario)));
    w.set_policy(*parse_policy(policy));
    return w;
}

sim::ExploreReport explore(World& w, std::uint64_t iterations) {
    sim::RandomStrategy r;
    sim::ExploreConfig cfg;
    cfg.iterations = iterations;
    cfg.seed = 1;
    cfg.exec.step_bound = w.sc.step_bound;
    return sim::explore(w, r, cfg);
}

std::set<std::string> results_of(const sim::ExploreReport& rep, std::size_t actor = 0) {
    std::set<std::string> s;
    for (const auto& [res, n] : rep.results[actor]) {
        s.insert(res);
    }
    return s;
}

bool has_violation(const sim::ExploreReport& rep, sim::ViolationKind kind,
                   const std::string& detail) {
    for (const auto& v : rep.violations) {
        if (v.violation.kind == kind && (detail.empty() || v.violation.detail == detail)) {
            return true;
        }
    }
    return false;
}

// A 2 GiB BAR (or VRAM) at 1 GiB, with `body` appended.
std::string bar(const std::string& kind, const std::string& flags, const std::string& body) {
    return "name = \"t\"\n[[device]]\nname = \"gpu\"\nkind = \"" + kind +
           "\"\nbar_base = 0x4000000000\nbar_size = \"2G\"\n[[vma]]\nstart = 0x40000000\n"
           "size = \"2G\"\nflags = [" +
           flags + "]\ndevice = \"gpu\"\n" + body;
}
const std::string kRw = R"("VM_IO", "VM_PFNMAP", "VM_READ", "VM_WRITE", "VM_SHARED")";
const std::string kRo = R"("VM_IO", "VM_PFNMAP", "VM_READ", "VM_SHARED")";
const std::string kPud = "[[entry]]\nlevel = \"pud\"\naddr = 0x40000000\n";

}  // namespace

TEST_CASE("the API variant is independent of the policy when it is set", "[callers][api]") {
    // Today's API with the enoent retry: the retry is never taken, -EINVAL leaks.
    auto w = world_for("seed-split-refault.toml", "enoent");
    w.set_follow_errno(FollowErrno::Einval);
    CHECK(has_violation(explore(w, 3000), sim::ViolationKind::WrongReturn, "pin returned -EINVAL"));
    // The API change alone: the same race now leaks -ENOENT, a new errno for MAP_DMA.
    auto a = world_for("seed-split-refault.toml", "original");
    a.set_follow_errno(FollowErrno::Enoent);
    CHECK(has_violation(explore(a, 3000), sim::ViolationKind::WrongReturn, "pin returned -ENOENT"));
    // Both: clean.
    auto b = world_for("seed-split-refault.toml", "enoent");
    b.set_follow_errno(FollowErrno::Enoent);
    CHECK(explore(b, 3000).violations.empty());
}

TEST_CASE("gup-style is accepted as return-to-user with a note", "[callers][policy]") {
    CHECK(parse_policy("gup-style")->name() == "return-to-user");
    CHECK(parse_policy("gup-loop")->kind == Policy::Kind::GupLoop);
    const auto sc = parse_scenario(
        "name = \"a\"\npolicy = \"gup-style\"\n[[actor]]\nname = \"z\"\nkind = \"split\"\n"
        "[expect.policies]\ngup-style = \"clean\"\n",
        "x.toml");
    CHECK(sc.policy.kind == Policy::Kind::ReturnToUser);
    REQUIRE(sc.notes.size() == 2);
    CHECK_THAT(sc.notes[0], Catch::StartsWith("x.toml:2:10: note: policy 'gup-style'"));
    CHECK(sc.expect_policies.count("return-to-user") == 1);
}

TEST_CASE("gup-loop keeps the retry inside and turns a lost vma into -EFAULT", "[callers][gup]") {
    // The munmap+RETRY race: the vfio loop leaks -EAGAIN, GUP's own loop does not.
    auto orig = world_for("pin-munmap-retry.toml", "original");
    CHECK(has_violation(explore(orig, 2000), sim::ViolationKind::WrongReturn,
                        "pin returned -EAGAIN"));
    auto gup = world_for("pin-munmap-retry.toml", "gup-loop");
    const auto rep = explore(gup, 2000);
    CHECK(rep.violations.empty());
    CHECK(results_of(rep) == std::set<std::string>{"0", "-EFAULT"});
    // Against the lockstep split it loops, killable and yielding (fatal_signal_pending and
    // cond_resched every round), never handing -EAGAIN to userspace.
    auto lock = world_for("lockstep-split.toml", "gup-loop");
    const auto l = explore(lock, 2000);
    REQUIRE_FALSE(l.violations.empty());
    REQUIRE(l.violations[0].lasso.has_value());
    CHECK(l.violations[0].lasso->killable);
    CHECK(l.violations[0].lasso->yielding);
    CHECK(results_of(l).count("-EAGAIN") == 0);
}

TEST_CASE("KVM: a read-only entry is RO_FAULT, and a signal ends KVM_RUN with -EINTR",
          "[callers][kvm]") {
    {
        World w(parse_scenario(
            bar("vfio-pci", kRo,
                kPud + "[[actor]]\nname = \"vcpu\"\nkind = \"kvm\"\nvaddr = 0x40000000\n"),
            "ro.toml"));
        const auto rep = explore(w, 20);
        CHECK(rep.violations.empty());
        CHECK(results_of(rep) == std::set<std::string>{"RO_FAULT"});
    }
    {
        // enoent-killable's fatal_signal_pending() -> -EINTR reaches hva_to_pfn(), which makes
        // it KVM_PFN_ERR_FAULT: -EFAULT (the kill justifies it). A RET_PF_RETRY goes back to
        // vcpu_run(), whose xfer_to_guest_mode_handle_work() ends KVM_RUN with -EINTR on the
        // pending signal (kvm_handle_signal_exit): the old model re-entered the fault without
        // looking and never returned -EINTR.
        World w(parse_scenario(
            bar("vfio-pci", kRw,
                kPud + "[kernel]\nfollow_pfnmap_errno = \"enoent\"\n"
                       "[[actor]]\nname = \"vcpu\"\nkind = \"kvm\"\nvaddr = 0x40000000\n"
                       "[[actor]]\nname = \"numa_maps\"\nkind = \"split\"\nforever = true\n"
                       "[[actor]]\nname = \"kill\"\nkind = \"signal\"\ntarget = \"vcpu\"\n"),
            "kill.toml"));
        w.set_policy(*parse_policy("enoent-killable"));
        const auto rep = explore(w, 3000);
        CHECK(rep.violations.empty());
        CHECK(results_of(rep).count("-EINTR") == 1);
        CHECK(results_of(rep).count("-EFAULT") == 1);
    }
}

namespace {

// Every reachable state of a scenario (a complete stateful sweep, as a matrix cell).
sim::SweepTotals every_state(const Scenario& sc) {
    sim::SweepConfig cfg;
    cfg.stateful = true;
    cfg.exec.step_bound = sc.step_bound;
    sim::SweepState state;
    const auto rep = sim::sweep([&] { return std::make_unique<World>(sc); }, cfg, state);
    REQUIRE(rep.complete);
    return rep.totals;
}

// Every reachable state of `scenario` under `policy`.
sim::SweepTotals certify(const std::string& scenario, const std::string& policy) {
    auto sc = load_scenario(source_path("scenarios/" + scenario));
    sc.policy = *parse_policy(policy);
    return every_state(sc);
}

// Every reachable state of a scenario text under kernel settings.
sim::SweepTotals every_schedule_of(const std::string& text, const model::KernelSettings& kernel) {
    return every_state(parse_scenario(text, "t.toml", kernel));
}

}  // namespace

TEST_CASE("KVM's RET_PF_RETRY returns to vcpu_run: its livelock yields under PREEMPT_NONE",
          "[callers][kvm][livelock]") {
    // arch/x86/kvm/x86.c vcpu_run -> kernel/entry/kvm.c xfer_to_guest_mode_handle_work:
    // schedule() on need_resched and -EINTR on a pending signal before the guest is entered
    // again. Under today's kernel (original) the vCPU's RET_PF_RETRY and numa_maps' goto again
    // loop in lockstep, killable and yielding; the old model re-entered the fault at once and
    // called the same cycle spinning.
    const auto t = certify("kvm-split-refault.toml", "original");
    int livelocks = 0;
    for (const auto& v : t.violations) {
        if (v.violation.kind == sim::ViolationKind::Livelock) {
            ++livelocks;
            REQUIRE(v.lasso.has_value());
            CHECK(v.lasso->killable);
            CHECK(v.lasso->yielding);
        }
    }
    CHECK(livelocks > 0);
}

TEST_CASE("KVM under return-to-user: the retry re-enters the guest, KVM_RUN has no new errno",
          "[callers][kvm][policy]") {
    // A return-to-user KVM hands -EAGAIN/-EBUSY back to the guest (RET_PF_RETRY), not to the
    // VMM: the old model returned -EAGAIN from KVM_RUN (a new errno in the zap race).
    for (const char* f : {"patchset/kvm-zap-einval.toml", "patchset/kvm-split-enoent.toml"}) {
        INFO(f);
        const auto t = certify(f, "return-to-user");
        for (const auto& [r, n] : t.results.at(0)) {
            CHECK(r != "-EAGAIN");
            CHECK(r != "-EBUSY");
        }
        for (const auto& v : t.violations) {
            CHECK(v.violation.kind != sim::ViolationKind::NewErrno);
        }
    }
}

TEST_CASE("KVM re-checks mmu_invalidate_seq: a split after the pfn resolved is a retry",
          "[callers][kvm]") {
    auto w = world_for("patchset/kvm-split-enoent.toml", "eagain");
    sim::RandomStrategy r;
    sim::ExecutionConfig ec;
    ec.step_bound = w.sc.step_bound;
    int retried = 0;
    for (std::uint64_t seed = 1; seed <= 400; ++seed) {
        const auto out = sim::run_execution(w, r, seed, ec);
        if (out.status == sim::Status::Livelock) {
            continue;  // eagain's own retry in hva_to_pfn against the walker, in lockstep
        }
        REQUIRE(out.results[0] == "0");
        for (const auto& st : out.trace) {
            retried += std::string_view(st.effect.text) == "invalidated meanwhile: RET_PF_RETRY";
        }
    }
    CHECK(retried > 0);
    // Without a kvm actor there is no subscriber: splits take no notifier step.
    auto v = world_for("seed-split-refault.toml", "original");
    const auto out = sim::run_execution(v, r, 1, ec);
    for (const auto& st : out.trace) {
        CHECK(std::string_view(st.func.text) != "kvm_mmu_invalidate_begin");
    }
}

TEST_CASE(
    "s390 MMIO: the API change alone leaks -ENOENT and a retry that ignores the fixup "
    "result spins on a disabled BAR",
    "[callers][s390]") {
    // For a BAR that is gone, -ENOENT is today's -EINVAL under a new name: a new errno.
    auto api = world_for("patchset/s390w-zap-enoent.toml", "original");
    const auto a = explore(api, 3000);
    CHECK(has_violation(a, sim::ViolationKind::NewErrno, "s390w returned -ENOENT"));
    CHECK_FALSE(has_violation(a, sim::ViolationKind::WrongReturn, "s390w returned -ENOENT"));
    auto today = world_for("patchset/s390w-zap-einval.toml", "original");
    const auto t = explore(today, 3000);
    CHECK(t.violations.empty());
    // (Under arch = "s390" the refault is a PTE fault, long enough that random schedules
    // rarely let it finish before the zap: 0 is possible, -EINVAL is what they see.)
    CHECK(results_of(t).count("-EINVAL") == 1);
    for (const auto& r : results_of(t)) {
        CHECK((r == "0" || r == "-EINVAL"));
    }
    // fixup_user_fault() is called without `unlocked`: not killable, and its -EFAULT ignored.
    auto loop = world_for("patchset/s390w-zap-einval.toml", "eagain");
    const auto l = explore(loop, 300);
    REQUIRE_FALSE(l.violations.empty());
    REQUIRE(l.violations[0].lasso.has_value());
    CHECK_FALSE(l.violations[0].lasso->killable);
}

TEST_CASE("ACRN does not fault in: policies change nothing", "[callers][acrn]") {
    for (const char* p : {"original", "eagain", "gup-loop"}) {
        INFO(p);
        auto a = world_for("patchset/acrn-split-einval.toml", p);
        CHECK(has_violation(explore(a, 1000), sim::ViolationKind::WrongReturn,
                            "acrn returned -EINVAL"));
    }
}

namespace {

// Whether some step of `actor` in `out` was taken inside a call of `func` (its chain holds it).
bool called_in(const sim::Outcome& out, sim::ActorId actor, std::string_view func) {
    for (const auto& st : out.trace) {
        if (st.actor != actor || st.chain == sim::kNoChain) {
            continue;
        }
        for (const auto& f : out.chains[st.chain]) {
            if (std::string_view(f.func.text) == func) {
                return true;
            }
        }
    }
    return false;
}

// For `seeds` random executions of `w`: whether any step of `actor` ran inside `func`.
bool ever_called(World& w, sim::ActorId actor, std::string_view func, std::uint64_t seeds = 40) {
    sim::RandomStrategy r;
    sim::ExecutionConfig cfg;
    cfg.step_bound = w.sc.step_bound;
    for (std::uint64_t seed = 1; seed <= seeds; ++seed) {
        if (called_in(sim::run_execution(w, r, seed, cfg), actor, func)) {
            return true;
        }
    }
    return false;
}

// A 16K /dev/mem mapping of physical 0x4000000000 at 1 GiB (drivers/char/mem.c), with `body`.
std::string devmem(const std::string& body, const std::string& flags = kRw) {
    return "name = \"t\"\n[[device]]\nname = \"mem\"\nkind = \"devmem\"\n"
           "bar_base = 0x4000000000\nbar_size = \"16K\"\n[[vma]]\nstart = 0x40000000\n"
           "size = \"16K\"\nflags = [" +
           flags + "]\ndevice = \"mem\"\n" + body;
}

}  // namespace

TEST_CASE("vm_ops per device kind: the table", "[callers][vm_ops]") {
    // drivers/vfio/pci/vfio_pci_core.c vfio_pci_mmap_ops: no .access.
    const auto& vfio = vm_ops_of(DeviceKind::VfioPci);
    CHECK(vfio.fault == vfio_pci_mmap_page_fault);
    CHECK(vfio.huge_fault == vfio_pci_mmap_huge_fault);
    CHECK(vfio.access == nullptr);
    CHECK(vfio.map_pages == nullptr);
    CHECK((vfio.open == nullptr && vfio.close == nullptr));
    // drivers/gpu/drm/ttm/ttm_bo_vm.c ttm_bo_vm_ops.
    const auto& ttm = vm_ops_of(DeviceKind::TtmVram);
    CHECK(ttm.fault == ttm_bo_vm_fault);
    CHECK(ttm.huge_fault == nullptr);
    CHECK(ttm.access == ttm_bo_vm_access);
    CHECK((ttm.open == ttm_bo_vm_open && ttm.close == ttm_bo_vm_close));
    // drivers/char/mem.c mmap_mem_ops: .access = generic_access_phys and nothing else.
    const auto& mem = vm_ops_of(DeviceKind::DevMem);
    CHECK(mem.access == generic_access_phys);
    CHECK((mem.fault == nullptr && mem.huge_fault == nullptr && mem.map_pages == nullptr));
    CHECK((mem.open == nullptr && mem.close == nullptr));
    // Each device VMA carries its kind's row.
    World w(parse_scenario(
        devmem("[[actor]]\nname = \"p\"\nkind = \"access-phys\"\nvaddr = 0x40000000\n"), "x.toml"));
    CHECK(w.mm.mm_mt_list.front()->vm_ops == &mem);
}

TEST_CASE("access-phys of a vfio-pci BAR: no vm_ops->access, -EIO in every schedule",
          "[callers][phys][vm_ops]") {
    // __access_remote_vm() finds no ->access in vfio_pci_mmap_ops: nothing is copied, whatever
    // the page table holds (a PUD leaf here), and follow_pfnmap_start() is never called.
    for (const char* p : {"original", "eagain"}) {
        INFO(p);
        auto w = world_for("patchset/phys-vfio.toml", p);
        const auto rep = explore(w, 300);
        CHECK(rep.violations.empty());
        CHECK(results_of(rep) == std::set<std::string>{"-EIO"});
        CHECK_FALSE(ever_called(w, 0, "follow_pfnmap_start"));
        CHECK_FALSE(ever_called(w, 0, "generic_access_phys"));
    }
}

TEST_CASE("access-phys of a TTM BO: ttm_bo_vm_access under the reservation, never a follow",
          "[callers][phys][ttm][vm_ops]") {
    // The BO's reservation orders the access and the move: 0 in every schedule.
    auto m = world_for("patchset/phys-move.toml", "original");
    const auto rep = explore(m, 1000);
    CHECK(rep.violations.empty());
    CHECK(results_of(rep) == std::set<std::string>{"0"});
    CHECK(ever_called(m, 0, "ttm_bo_vm_access"));
    CHECK_FALSE(ever_called(m, 0, "follow_pfnmap_start"));
    // The access takes the reservation (the dma_resv lock's step inside ttm_bo_vm_access).
    sim::RandomStrategy r;
    sim::ExecutionConfig cfg;
    cfg.step_bound = m.sc.step_bound;
    const auto out = sim::run_execution(m, r, 1, cfg);
    bool reserved = false;
    for (const auto& st : out.trace) {
        reserved = reserved || (st.actor == 0 &&
                                std::string_view(st.func.text) == "dma_resv_lock_interruptible");
    }
    CHECK(reserved);
    // A signal interrupts the wait for a reservation the mover holds: -ERESTARTSYS, so ptrace
    // copies nothing (-EIO), which the signal justifies.
    World s(parse_scenario(
        "name = \"t\"\n[[device]]\nname = \"vram\"\nkind = \"ttm-vram\"\n"
        "bar_base = 0x4000000000\nbar_size = \"16M\"\n[[vma]]\nstart = 0x40000000\n"
        "size = \"2M\"\nflags = [" +
            kRw + "]\ndevice = \"vram\"\n" +
            std::string("[[entry]]\nlevel = \"pte\"\naddr = 0x40000000\n"
                        "[[actor]]\nname = \"ptrace\"\nkind = \"access-phys\"\nvaddr = 0x40000000\n"
                        "write = false\n[[actor]]\nname = \"move\"\nkind = \"bo-move\"\n"
                        "placement = \"8M\"\n[[actor]]\nname = \"sig\"\nkind = \"signal\"\n"
                        "target = \"ptrace\"\nsignal = \"SIGUSR1\"\n"),
        "sig.toml"));
    const auto srep = explore(s, 2000);
    CHECK(srep.violations.empty());
    CHECK(results_of(srep) == std::set<std::string>{"0", "-EIO"});
}

TEST_CASE("access-phys of /dev/mem: generic_access_phys on remap_pfn_range()'s PTEs",
          "[callers][phys][devmem][vm_ops]") {
    // remap_pfn_range() at mmap: every page has its PTE from the start, PTEs only.
    World w0(parse_scenario(devmem("[[actor]]\nname = \"p\"\nkind = \"access-phys\"\n"
                                   "vaddr = 0x40002000\n"),
                            "x.toml"));
    CHECK(w0.mm.pgtable.pte.size() == 4);
    for (const auto& [addr, slot] : w0.mm.pgtable.pte) {
        CHECK(entry_leaf(slot.e));
        CHECK(slot.e.pfn == (0x4000000000ULL >> PAGE_SHIFT) + ((addr - 0x40000000) >> PAGE_SHIFT));
    }
    CHECK(w0.mm.pgtable.pud.at(0x40000000).e.kind == pt_entry::Kind::table);
    // Against a driver's request_mem_region() (revoke_iomem) and against munmap: 0 before,
    // -EIO after, never wrong; the access is generic_access_phys().
    for (const char* f : {"patchset/phys-zap-einval.toml", "patchset/phys-munmap-enoent.toml"}) {
        for (const char* p : {"original", "eagain"}) {
            INFO(f << " " << p);
            auto w = world_for(f, p);
            const auto rep = explore(w, 1000);
            CHECK(rep.violations.empty());
            CHECK(results_of(rep) == std::set<std::string>{"0", "-EIO"});
            CHECK(ever_called(w, 0, "generic_access_phys"));
        }
    }
    // No .fault: a CPU access after the revoke finds no PTE and SIGBUSes (justified), one
    // before it finds the PTE remap_pfn_range() made (0).
    World f(
        parse_scenario(devmem("[[actor]]\nname = \"drv\"\nkind = \"request-region\"\n"
                              "[[actor]]\nname = \"cpu\"\nkind = \"fault\"\nvaddr = 0x40001000\n"
                              "after = [\"drv\"]\n[[actor]]\nname = \"early\"\nkind = \"fault\"\n"
                              "vaddr = 0x40001000\n"),
                       "sigbus.toml"));
    const auto frep = explore(f, 500);
    CHECK(frep.violations.empty());
    CHECK(results_of(frep, 1) == std::set<std::string>{"SIGBUS"});
    CHECK(results_of(frep, 2) == std::set<std::string>{"0", "SIGBUS"});
}

TEST_CASE("devmem: the loader refuses what remap_pfn_range() and mmap_mem_ops cannot make",
          "[callers][devmem][scenario]") {
    const std::string phys =
        "[[actor]]\nname = \"p\"\nkind = \"access-phys\"\nvaddr = 0x40000000\n";
    // A huge entry: remap_pfn_range() maps PTEs only (as a huge entry under s390's arch).
    CHECK(error_of(devmem("[[entry]]\nlevel = \"pmd\"\naddr = 0x40000000\n" + phys)) ==
          "x.toml:13:9: impossible state: a pmd entry in a vma mmap filled with "
          "remap_pfn_range() (mem): it maps PTEs only (valid: pte)");
    // One PTE slot per page of a vma filled at mmap: at most 2M of it (a 4M one is refused,
    // and so is a vfio-pci BAR of the pre-abafbc551fdd form; today's vfio-pci faults lazily).
    std::string big = devmem(phys);
    big.replace(big.find("bar_size = \"16K\""), 16, "bar_size = \"4M\"");
    big.replace(big.find("\nsize = \"16K\""), 13, "\nsize = \"4M\"");
    CHECK(error_of(big) ==
          "x.toml:9:8: a vma that remap_pfn_range() fills (mem) has one PTE per page: "
          "the model takes at most 2M of it (valid: size up to 0x200000)");
    const std::string vfio_bar =
        "name = \"t\"\n[[device]]\nname = \"gpu\"\nbar_base = 0x4000000000\n"
        "bar_size = \"4M\"\n[[vma]]\nstart = 0x40000000\nsize = \"4M\"\nflags = [" +
        std::string(kRw) + "]\ndevice = \"gpu\"\n[[actor]]\nname = \"z\"\nkind = \"zap\"\n";
    CHECK_NOTHROW(parse_scenario(vfio_bar, "x.toml"));
    CHECK(error_of(vfio_bar, {{"vfio_pci_mmap", "pre-abafbc551fdd"}}) ==
          "x.toml:8:8: a vma that remap_pfn_range() fills (gpu) has one PTE per page: "
          "the model takes at most 2M of it (valid: size up to 0x200000)");
    CHECK_NOTHROW(
        parse_scenario(devmem("[[entry]]\nlevel = \"pte\"\naddr = 0x40000000\n" + phys), "x.toml"));
    // remap_pfn_range() sets VM_IO and VM_PFNMAP.
    CHECK(error_of(devmem(phys, R"("VM_IO", "VM_READ")")) ==
          "x.toml:10:9: impossible state: a devmem vma (mem) is mapped by remap_pfn_range(), "
          "which sets VM_IO and VM_PFNMAP (valid: both)");
    // No PCI_COMMAND: neither the memory-disable zap nor mem_enabled.
    CHECK(error_of(devmem("[[actor]]\nname = \"z\"\nkind = \"zap\"\n")) ==
          "x.toml:14:8: impossible state: a zap actor on a devmem range (mem): it has no "
          "PCI_COMMAND (valid: a vfio-pci device; a devmem range is taken away by a "
          "request-region actor)");
    CHECK_THAT(error_of(devmem(phys).insert(std::string("name = \"t\"\n[[device]]\n").size(),
                                            "mem_enabled = false\n")),
               Catch::Contains("x.toml:3:15: impossible state: 'mem_enabled' on a devmem range"));
    // No fault handler: no VM_FAULT_RETRY either.
    CHECK(error_of(devmem("[[actor]]\nname = \"f\"\nkind = \"fault\"\nvaddr = 0x40000000\n"
                          "fault_retry = 1\n")) ==
          "x.toml:16:15: impossible state: 'fault_retry' on a devmem mapping (mem): mmap_mem_ops "
          "has no fault handler (valid: a ttm-vram device)");
    // request-region claims a /dev/mem range only.
    CHECK_THAT(
        error_of(bar("vfio-pci", kRw, "[[actor]]\nname = \"r\"\nkind = \"request-region\"\n")),
        Catch::Contains("a request-region actor needs a devmem [[device]] ('device')"));
    CHECK_THAT(error_of(bar("gpu-ish", kRw, phys)),
               Catch::Contains("(valid: vfio-pci, ttm-vram, devmem)"));
}

TEST_CASE("providers: vfio-pci refuses fault_retry and ttm-vram drops mmap_lock on contention",
          "[callers][ttm]") {
    const std::string pin =
        "[[actor]]\nname = \"p\"\nkind = \"pin\"\nvaddr = 0x40000000\nsize = \"4K\"\n"
        "fault_retry = 1\n";
    CHECK(error_of(bar("vfio-pci", kRw, pin)) ==
          "x.toml:17:15: impossible state: 'fault_retry' on a vfio-pci mapping (gpu): "
          "vfio_pci_mmap_huge_fault() never returns VM_FAULT_RETRY (valid: a ttm-vram device)");
    CHECK_NOTHROW(parse_scenario(bar("ttm-vram", kRw, pin), "x.toml"));
    CHECK_THAT(
        error_of(bar("gpu-ish", kRw, pin)),
        Catch::Contains("unknown device kind 'gpu-ish' (valid: vfio-pci, ttm-vram, devmem)"));
    CHECK_THAT(error_of(bar("vfio-pci", kRw,
                            "[[actor]]\nname = \"m\"\nkind = \"bo-move\"\nplacement = \"1M\"\n")),
               Catch::Contains("a bo-move actor needs a ttm-vram [[device]]"));
    CHECK_THAT(error_of(bar("vfio-pci", kRw,
                            "[kernel]\nfollow_pfnmap_errno = \"EINVAL\"\n[[actor]]\nname = \"z\"\n"
                            "kind = \"zap\"\n")),
               Catch::Contains("unknown follow_pfnmap_errno 'EINVAL' (valid: einval, enoent)"));
    // The real contention: the pin's fault finds the mover holding the reservation.
    auto w = world_for("patchset/ttm-move-munmap.toml", "original");
    const auto rep = explore(w, 2000);
    CHECK(has_violation(rep, sim::ViolationKind::WrongReturn, "pin returned -EAGAIN"));
}

TEST_CASE("two MAP_DMAs of one iova: the second is -EEXIST", "[callers][vfio]") {
    World w(parse_scenario(
        bar("vfio-pci", kRw,
            kPud + "[[actor]]\nname = \"a\"\nkind = \"pin\"\nvaddr = 0x40000000\nsize = \"4K\"\n"
                   "[[actor]]\nname = \"b\"\nkind = \"pin\"\nvaddr = 0x40000000\nsize = \"4K\"\n"),
        "eexist.toml"));
    const auto rep = explore(w, 200);
    CHECK(rep.violations.empty());
    CHECK(results_of(rep, 0) == std::set<std::string>{"0", "-EEXIST"});
    CHECK(results_of(rep, 1) == std::set<std::string>{"0", "-EEXIST"});
}

TEST_CASE("oracle: memory counts as disabled from the zap's down_write and -EBUSY is wrong then",
          "[callers][oracle]") {
    pfnsim::test::ModelHarness h(pfnsim::test::bar_scenario(""));
    bool during = false;
    h.bodies = {[&](World& w) {
        w.current().in_pin = true;
        vfio_pci_zap_and_down_write_memory_lock(w, w.devices.front());
        during = w.current().saw_mem_disabled && w.devices.front().mem_enabled;
        w.devices.front().memory_lock.up_write("up_write");
    }};
    sim::RandomStrategy r;
    sim::run_execution(h, r, 1, {});
    CHECK(during);  // before PCI_COMMAND is written
    // bounded:0 gives up after the zap's race where -EFAULT is the answer.
    auto w = world_for("pin-zap-race.toml", "bounded:0");
    CHECK(has_violation(explore(w, 3000), sim::ViolationKind::WrongReturn, "pin returned -EBUSY"));
    // ...but not against a split, where the BAR stays enabled.
    auto s = world_for("seed-split-refault.toml", "bounded:0");
    const auto sr = explore(s, 3000);
    CHECK_FALSE(has_violation(sr, sim::ViolationKind::WrongReturn, "pin returned -EBUSY"));
    CHECK(has_violation(sr, sim::ViolationKind::NewErrno, "pin returned -EBUSY"));
    CHECK(results_of(sr).count("-EBUSY") == 1);
}

TEST_CASE("munmap downgrades mmap_lock: a reader gets in during the zap", "[callers][munmap]") {
    pfnsim::test::ModelHarness h(pfnsim::test::bar_scenario(kPud, 2));
    bool reader_during_zap = false;
    bool zapping = false;
    h.bodies = {[&](World& w) {
                    zapping = true;
                    do_munmap(w, 0x40000000, 2ULL << 30U);
                    zapping = false;
                },
                [&](World& w) {
                    mmap_read_lock(w);
                    reader_during_zap = reader_during_zap || zapping;
                    mmap_read_unlock(w);
                }};
    sim::RandomStrategy r;
    for (std::uint64_t seed = 1; seed <= 200 && !reader_during_zap; ++seed) {
        sim::run_execution(h, r, seed, {});
    }
    CHECK(reader_during_zap);
}

TEST_CASE("preemption: one lockstep cycle names the models it spins and yields under",
          "[callers][preempt]") {
    // The retry loop's only scheduling points are might_sleep() sites (down_read of mmap_lock
    // and memory_lock): it spins under PREEMPT_NONE and yields under VOLUNTARY and FULL. The
    // class comes from the cycle's steps, so a sweep under any model names all three, and
    // the same: the voluntary run's might_resched() step and the none run's marked site agree.
    for (const auto m : {PreemptModel::None, PreemptModel::Voluntary, PreemptModel::Full}) {
        INFO(preempt_name(m));
        Scenario sc = load_scenario(source_path("scenarios/lockstep-split.toml"));
        sc.preempt = m;
        World w(sc);
        w.set_policy(*parse_policy("eagain"));
        const auto rep = explore(w, 2000);
        REQUIRE_FALSE(rep.violations.empty());
        REQUIRE(rep.violations[0].lasso.has_value());
        const LivelockClass cls = livelock_class(*rep.violations[0].lasso);
        CHECK(cls.killable);
        CHECK(cls.spins_under(PreemptModel::None));
        CHECK_FALSE(cls.spins_under(PreemptModel::Voluntary));
        CHECK_FALSE(cls.spins_under(PreemptModel::Full));
        CHECK(cls.yield_text() == "spins under none; yields under voluntary, full");
    }
    // enoent-killable calls cond_resched() every round: it yields under every model.
    auto k = world_for("lockstep-split-voluntary.toml", "enoent-killable");
    const auto rk = explore(k, 2000);
    REQUIRE_FALSE(rk.violations.empty());
    REQUIRE(rk.violations[0].lasso.has_value());
    CHECK(livelock_class(*rk.violations[0].lasso).spins == 0);
}

TEST_CASE(
    "verdict classes: a retry handed to userspace is a new errno, a misnamed failure is wrong",
    "[callers][oracle]") {
    // return-to-user: -EAGAIN or -EBUSY from MAP_DMA whenever the race hits; never wrong.
    auto ru = world_for("seed-split-refault.toml", "return-to-user");
    const auto r = explore(ru, 3000);
    REQUIRE_FALSE(r.violations.empty());
    for (const auto& v : r.violations) {
        CHECK(v.violation.kind == sim::ViolationKind::NewErrno);
    }
    // ACRN under the API change: -ENOENT for a zapped BAR is today's -EINVAL renamed...
    auto zap = world_for("patchset/acrn-zap-enoent.toml", "original");
    const auto z = explore(zap, 3000);
    CHECK(has_violation(z, sim::ViolationKind::NewErrno, "acrn returned -ENOENT"));
    CHECK_FALSE(has_violation(z, sim::ViolationKind::WrongReturn, "acrn returned -ENOENT"));
    // ...and for a page a split cleared for a moment, wrong.
    auto split = world_for("patchset/acrn-split-enoent.toml", "original");
    CHECK(has_violation(explore(split, 3000), sim::ViolationKind::WrongReturn,
                        "acrn returned -ENOENT"));
    CHECK(sim::parse_kind("new-errno") == sim::ViolationKind::NewErrno);
    CHECK(sim::severity(sim::ViolationKind::NewErrno) <
          sim::severity(sim::ViolationKind::WrongReturn));
}

TEST_CASE("acrn_vm_ram_map refuses a write mapping of a read-only entry, its old form maps it",
          "[callers][acrn]") {
    // drivers/virt/acrn/mm.c acrn_vm_ram_map sets follow_pfnmap_args.write from
    // ACRN_MEM_ACCESS_WRITE: follow_pfnmap_start() (pfnmap_args_setup) fails a read-only entry
    // with -EFAULT. Before 3d6586008f7b nothing checked it: the EPT maps it writable (I-PROT).
    const std::string text = bar("vfio-pci", kRo,
                                 "[[entry]]\nlevel = \"pud\"\naddr = 0x40000000\n"
                                 "[[actor]]\nname = \"acrn\"\nkind = \"acrn-map\"\n"
                                 "vaddr = 0x40000000\nsize = \"16K\"\nwrite = true\n");
    World now(parse_scenario(text, "t.toml"));
    const auto rep = explore(now, 1);
    CHECK(results_of(rep) == std::set<std::string>{"-EFAULT"});
    CHECK(rep.violations.empty());
    CHECK(now.iommu.table.empty());
    World old(parse_scenario(text, "t.toml", {{"acrn_vm_ram_map", "pre-3d6586008f7b"}}));
    const auto bad = explore(old, 1);
    REQUIRE(bad.violations.size() == 1);
    CHECK(bad.violations[0].violation.detail.find("I-PROT: hcall_set_memory_regions() maps pfn") ==
          0);
    // A read mapping of the same entry is fine in both forms.
    std::string read = text;
    read.replace(read.find("write = true"), 12, "write = false");
    for (const char* form : {"current", "pre-3d6586008f7b"}) {
        World w(parse_scenario(read, "t.toml", {{"acrn_vm_ram_map", form}}));
        const auto r = explore(w, 1);
        CHECK(results_of(r) == std::set<std::string>{"0"});
        CHECK(r.violations.empty());
    }
}

namespace {

// The violations the oracle finds for actor 0 of `toml` having returned `r`, with or without
// an injected allocation failure behind it.
std::vector<sim::Violation> judged(const std::string& toml, int r, bool alloc_failed) {
    World w(parse_scenario(toml, "t.toml"));
    w.tasks[0].finished = true;
    w.tasks[0].result = r;
    w.tasks[0].alloc_failed = alloc_failed;
    std::vector<sim::Violation> out;
    w.check_results(out);
    return out;
}

}  // namespace

TEST_CASE("the KVM oracle: -EFAULT from an injected allocation failure is right",
          "[callers][kvm][oracle]") {
    // virt/kvm/kvm_main.c hva_to_pfn: fixup_user_fault()'s -ENOMEM (VM_FAULT_OOM) is not
    // -EAGAIN, so it becomes KVM_PFN_ERR_FAULT: -EFAULT, rightly.
    const std::string toml =
        bar("vfio-pci", kRw, "[[actor]]\nname = \"vcpu\"\nkind = \"kvm\"\nvaddr = 0x40000000\n");
    CHECK(judged(toml, -EFAULT, true).empty());
    CHECK_FALSE(judged(toml, -EFAULT, false).empty());  // nothing justifies it
}

TEST_CASE("the CPU-fault oracle: -ENOMEM only with an allocation failure behind it",
          "[callers][fault][oracle]") {
    const std::string toml =
        bar("vfio-pci", kRw, "[[actor]]\nname = \"cpu\"\nkind = \"fault\"\nvaddr = 0x40000000\n");
    CHECK(judged(toml, -ENOMEM, true).empty());
    const auto v = judged(toml, -ENOMEM, false);
    REQUIRE(v.size() == 1);
    CHECK(v[0].kind == sim::ViolationKind::WrongReturn);
    CHECK(judged(toml, 0, false).empty());
}

namespace {

// A ttm-vram BO of 2 GiB at 1 GiB, with one pin actor (fault_retry as given) and `body`.
std::string ttm_pin(std::uint64_t fault_retry, const std::string& body = "") {
    return bar("ttm-vram", kRw,
               "[[actor]]\nname = \"p\"\nkind = \"pin\"\nvaddr = 0x40000000\nsize = \"4K\"\n"
               "fault_retry = " +
                   std::to_string(fault_retry) + "\n" + body);
}

}  // namespace

TEST_CASE("issue 25: s390 under gup-loop stops with fixup_user_fault()'s -EFAULT",
          "[callers][gup][s390]") {
    // mm/gup.c faultin_page: VM_FAULT_SIGBUS (the disabled BAR's refault) is -EFAULT and
    // __get_user_pages stops; the old model ignored the result and looped while memory was off.
    const std::string toml = R"(name = "t"
[kernel]
arch = "s390"
[[device]]
name = "gpu"
bar_base = 0x4000000000
bar_size = "2G"
mem_enabled = false
[[vma]]
start = 0x40000000
size = "2G"
flags = ["VM_IO", "VM_PFNMAP", "VM_READ", "VM_WRITE", "VM_SHARED"]
device = "gpu"
[[actor]]
name = "w"
kind = "s390-mmio-write"
vaddr = 0x40000000
)";
    World w(parse_scenario(toml, "x.toml"));
    w.set_policy(*parse_policy("gup-loop"));
    const auto rep = explore(w, 50);
    CHECK(results_of(rep) == std::set<std::string>{"-EFAULT"});
    REQUIRE(rep.violations.size() == 1);
    CHECK_FALSE(rep.violations[0].lasso.has_value());
    CHECK(has_violation(rep, sim::ViolationKind::NewErrno, "w returned -EFAULT"));
    // Today's syscall (no loop) ignores the result: the second follow's -EINVAL.
    World o(parse_scenario(toml, "x.toml"));
    o.set_policy(*parse_policy("original"));
    CHECK(results_of(explore(o, 50)) == std::set<std::string>{"-EINVAL"});
}

TEST_CASE("issue 25: after a dropped mmap_lock gup-loop faults with FAULT_FLAG_TRIED",
          "[callers][gup][ttm]") {
    // Two follow_fault_pfn() calls of one task on two pages of a TTM BO, each fault allowed an
    // injected VM_FAULT_RETRY (ttm_bo_vm_reserve on contention): when the first dropped the
    // lock, gup-loop's second is the FOLL_TRIED pass and never drops it; the vfio loop's may.
    const auto run = [](const std::string& policy, bool& second_dropped) {
        pfnsim::test::ModelHarness h(ttm_pin(2));
        h.world.set_policy(*parse_policy(policy));
        bool first_dropped = false;
        second_dropped = false;
        bool seen = false;
        for (std::uint64_t seed = 1; seed <= 64; ++seed) {
            int r1 = 1;
            int r2 = 1;
            h.bodies = {[&](World& w) {
                std::uint64_t pfn = 0;
                std::uint64_t mask = 0;
                mmap_read_lock(w);
                r1 = follow_fault_pfn(w, vma_lookup(w, 0x40000000, "test"), 0x40000000, &pfn, &mask,
                                      true);
                r2 = follow_fault_pfn(w, vma_lookup(w, 0x40001000, "test"), 0x40001000, &pfn, &mask,
                                      true);
                mmap_read_unlock(w);
            }};
            sim::RandomStrategy r;
            sim::run_execution(h, r, seed, {});
            first_dropped = r1 == -EAGAIN;
            seen = seen || first_dropped;
            second_dropped = second_dropped || (first_dropped && r2 == -EAGAIN);
        }
        return seen;
    };
    bool dropped_again = true;
    CHECK(run("gup-loop", dropped_again));
    CHECK_FALSE(dropped_again);
    CHECK(run("eagain", dropped_again));
    CHECK(dropped_again);  // without FOLL_TRIED the next round drops the lock again
}

TEST_CASE("issue 25: TTM's interruptible waits: a non-fatal signal makes the TRIED pass NOPAGE",
          "[callers][ttm][signal]") {
    CHECK_THAT(error_of(ttm_pin(0,
                                "[[actor]]\nname = \"s\"\nkind = \"signal\"\ntarget = \"p\"\n"
                                "signal = \"SIGHUP\"\n")),
               Catch::Contains("unknown signal 'SIGHUP' (valid: SIGKILL, SIGUSR1)"));
    // drivers/gpu/drm/ttm/ttm_bo_vm.c ttm_bo_vm_reserve: the reservation is held elsewhere and
    // the fault is a TRIED pass: dma_resv_lock_interruptible() returns -EINTR for the pending
    // SIGUSR1, the fault is VM_FAULT_NOPAGE with mmap_lock held, and fixup_user_fault() returns
    // 0 with nothing mapped: the second follow fails and the caller's policy retries.
    pfnsim::test::ModelHarness h(ttm_pin(
        0, "[[actor]]\nname = \"s\"\nkind = \"signal\"\ntarget = \"p\"\nsignal = \"SIGUSR1\"\n"));
    vm_fault_t f = 0;
    int fixup = 1;
    int second = 0;
    bool unlocked = true;
    h.bodies = {
        [&](World& w) {
            vfio_pci_core_device& bo = w.devices.front();
            dma_resv_lock(w, bo.resv, "ttm_bo_reserve");  // the mover's reservation
            send_sig(w, w.current());
            CHECK_FALSE(fatal_signal_pending(w));
            mmap_read_lock(w);
            vm_area_struct* vma = vma_lookup(w, 0x40000000, "test");
            f = handle_mm_fault(w, vma, 0x40000000,
                                FAULT_FLAG_ALLOW_RETRY | FAULT_FLAG_TRIED | FAULT_FLAG_WRITE);
            unlocked = false;
            fixup = fixup_user_fault(w, 0x40000000, FAULT_FLAG_TRIED | FAULT_FLAG_WRITE, &unlocked);
            follow_pfnmap_args args{vma, 0x40000000};
            second = follow_pfnmap_start(w, args);
            mmap_read_unlock(w);
            dma_resv_unlock(w, bo.resv);
        },
        [](World&) {}};  // the signal actor's task slot
    sim::RandomStrategy r;
    const auto out = sim::run_execution(h, r, 1, {});
    CHECK(out.violations.empty());
    CHECK(f == VM_FAULT_NOPAGE);
    CHECK(fixup == 0);
    CHECK_FALSE(unlocked);
    CHECK(second == -EINVAL);
}

TEST_CASE("issue 25: a non-fatal signal while the mover holds the BO: the pin retries",
          "[callers][ttm][signal]") {
    // pin || bo-move || SIGUSR1 to the pin: no result changes (the signal is not fatal, so no
    // -EINTR), but some execution has the pin's TRIED pass interrupted and the loop go round.
    World w(
        parse_scenario(ttm_pin(0,
                               "[[actor]]\nname = \"m\"\nkind = \"bo-move\"\nplacement = \"0\"\n"
                               "[[actor]]\nname = \"s\"\nkind = \"signal\"\ntarget = \"p\"\n"
                               "signal = \"SIGUSR1\"\n"),
                       "x.toml"));
    w.set_policy(*parse_policy("eagain"));
    // One preemption suffices: the mover takes the reservation, then the pin runs.
    sim::DfsStrategy dfs(1U, true);
    bool nopage_then_retry = false;
    std::uint64_t runs = 0;
    do {
        const auto out = sim::run_execution(w, dfs, 0, {});
        ++runs;
        // A run that keeps the mover preempted (the bound) is the busy loop: no result.
        CHECK((out.status != sim::Status::Completed || out.results.at(0) == "0"));
        bool interrupted = false;
        for (const auto& st : out.trace) {
            interrupted =
                interrupted || std::string_view(st.effect.text) == "interrupted: VM_FAULT_NOPAGE";
        }
        nopage_then_retry = interrupted && w.tasks[0].retries > 0;
    } while (!nopage_then_retry && runs < 20000 && dfs.advance());
    CHECK(nopage_then_retry);
}

TEST_CASE("issue 25: TTM's failed first insert is VM_FAULT_NOPAGE, not an error",
          "[callers][ttm]") {
    // The BO's PUD already has a PMD table (an entry 2M further on), so the one allocation the
    // fault can fail is vmf_insert_pfn's pte table: ttm_bo_vm_fault_reserved makes it NOPAGE.
    pfnsim::test::ModelHarness h(ttm_pin(0, "[[entry]]\nlevel = \"pmd\"\naddr = 0x40200000\n"));
    bool failed = false;
    for (std::uint64_t seed = 1; seed <= 64 && !failed; ++seed) {
        vm_fault_t f = 0;
        h.bodies = {[&](World& w) {
            mmap_read_lock(w);
            f = handle_mm_fault(w, vma_lookup(w, 0x40000000, "test"), 0x40000000, FAULT_FLAG_WRITE);
            mmap_read_unlock(w);
        }};
        sim::RandomStrategy r;
        sim::ExecutionConfig cfg;
        cfg.max_faults = 1;
        sim::run_execution(h, r, seed, cfg);
        failed = h.world.tasks[0].alloc_failed;
        CHECK(f == VM_FAULT_NOPAGE);
    }
    CHECK(failed);
}

namespace {

std::string vf(const std::string& device_extra, const std::string& body) {
    return "name = \"t\"\n[[device]]\nname = \"vf\"\nbar_base = 0x4000000000\nbar_size = "
           "\"16K\"\n" +
           device_extra + "[[vma]]\nstart = 0x40000000\nsize = \"16K\"\nflags = [" + kRw +
           "]\ndevice = \"vf\"\n" + body;
}

const std::string kFault = "[[actor]]\nname = \"cpu\"\nkind = \"fault\"\nvaddr = 0x40000000\n";

}  // namespace

TEST_CASE("device state: a VF's memory bit and D3hot in __vfio_pci_memory_enabled and the oracle",
          "[callers][device-state]") {
    // A VF (no_command_memory): today its BAR faults in although PCI_COMMAND_MEMORY reads 0;
    // before ebfa440ce38b the fault read the bit alone and SIGBUSed on a usable BAR: wrong.
    const std::string vf_fault = vf("virtfn = true\n", kFault);
    World now(parse_scenario(vf_fault, "t.toml"));
    CHECK(now.devices[0].no_command_memory);
    CHECK_FALSE(now.devices[0].mem_enabled);
    const auto ok = explore(now, 1);
    CHECK(results_of(ok) == std::set<std::string>{"0"});
    CHECK(ok.violations.empty());
    World old(
        parse_scenario(vf_fault, "t.toml", {{"vfio_pci_memory_enabled", "pre-ebfa440ce38b"}}));
    const auto bad = explore(old, 1);
    REQUIRE(bad.violations.size() == 1);
    CHECK(bad.violations[0].violation.kind == sim::ViolationKind::WrongReturn);
    CHECK(bad.violations[0].violation.detail == "cpu returned SIGBUS");

    // D3hot: today the zap comes first and a later fault SIGBUSes (justified); before
    // 2b2c651baf1c nothing zaps and the fault maps the BAR in D3hot (I-STALE).
    const std::string d3 = vf("", kFault + "[[actor]]\nname = \"pm\"\nkind = \"d3hot\"\n");
    // (Every state: the fault's path is long beside the power-state change, and random
    // schedules seldom let it finish first.)
    const auto clean = every_schedule_of(d3, {});
    std::set<std::string> clean_results;
    for (const auto& [res, n] : clean.results.at(0)) {
        clean_results.insert(res);
    }
    CHECK(clean_results == std::set<std::string>{"0", "SIGBUS"});
    CHECK(clean.violations.empty());
    const auto stale = every_schedule_of(d3, {{"vfio_pci_memory_enabled", "pre-2b2c651baf1c"}});
    REQUIRE_FALSE(stale.violations.empty());
    CHECK(stale.violations[0].violation.detail.find("I-STALE") == 0);
}

TEST_CASE("device state: the loader refuses what a VF and D3hot cannot be",
          "[callers][device-state][scenario]") {
    CHECK(error_of(vf("virtfn = true\nmem_enabled = true\n", kFault)) ==
          "x.toml:7:15: impossible state: 'mem_enabled' on a VF: its PCI_COMMAND_MEMORY reads 0 "
          "(valid: leave it out)");
    CHECK(error_of(vf("virtfn = true\n", kFault + "[[actor]]\nname = \"z\"\nkind = \"zap\"\n")) ==
          "x.toml:18:8: impossible state: a zap actor on a VF (vf): PCI_COMMAND_MEMORY does not "
          "gate its BARs (valid: a physical function; a d3hot actor)");
    CHECK(error_of(vf("kind = \"devmem\"\nvirtfn = true\n", kFault)) ==
          "x.toml:7:10: impossible state: 'virtfn' on a device that is not vfio-pci (valid: a "
          "vfio-pci device)");
    const std::string mem = devmem("[[actor]]\nname = \"p\"\nkind = \"d3hot\"\n");
    CHECK(error_of(mem) ==
          "x.toml:14:8: impossible state: a d3hot actor on a devmem range (mem): only a vfio-pci "
          "device's power state is the user's to set (valid: a vfio-pci device)");
}

TEST_CASE("the vma_lock era: a fault fills and lists the whole vma, the zap empties the list",
          "[callers][vma-lock-era]") {
    const std::string fault_zap =
        vf("", kFault + "allowed = [\"0\", \"SIGBUS\"]\n[[actor]]\nname = \"z\"\nkind = \"zap\"\n");
    // 6a45ece4c9af's form: vma_lock and memory_lock across the fill; the zap's mmap_lock dance
    // zaps whatever a fault filled before memory_lock is taken for write: clean.
    const auto era = every_schedule_of(
        fault_zap, {{"vfio_pci_mmap", "pre-aac6db75a9fc"}, {"vm_flags_set", "pre-bc292ab00f6c"}});
    CHECK(era.violations.empty());
    std::set<std::string> results;
    for (const auto& [r, n] : era.results.at(0)) {
        results.insert(r);
    }
    CHECK(results == std::set<std::string>{"0", "SIGBUS"});
    // v5.8's: the fill runs with vma_lock dropped, so the zap can empty the list mid-fill and
    // the rest of the fill outlives the memory bit.
    const auto v58 = every_schedule_of(
        fault_zap, {{"vfio_pci_mmap", "pre-6a45ece4c9af"}, {"vm_flags_set", "pre-bc292ab00f6c"}});
    REQUIRE_FALSE(v58.violations.empty());
    CHECK(v58.violations[0].violation.detail.find("I-STALE") == 0);
    // From v6.3 the same fill WARNs in vm_flags_set(): mmap_lock is held for read only.
    const auto v63 = every_schedule_of(fault_zap, {{"vfio_pci_mmap", "pre-aac6db75a9fc"}});
    REQUIRE_FALSE(v63.violations.empty());
    CHECK(v63.violations[0].violation.detail.find("I-LOCK: vm_flags_set()") == 0);
}

TEST_CASE("the vma_lock era: the loader refuses entries no fault made and vmas over 2M",
          "[callers][vma-lock-era][scenario]") {
    const model::KernelSettings era = {{"vfio_pci_mmap", "pre-aac6db75a9fc"}};
    CHECK(error_of(vf("", "[[entry]]\nlevel = \"pte\"\naddr = 0x40000000\n" + kFault), era) ==
          "x.toml:11:1: impossible state: an entry in a vfio-pci vma (vf) under vfio_pci_mmap = "
          "\"pre-aac6db75a9fc\": only the fault fills it, listing the vma in vma_list (valid: no "
          "entry)");
    CHECK(error_of(bar("vfio-pci", kRw, kFault), era) ==
          "x.toml:9:8: a vma that remap_pfn_range() fills (gpu) has one PTE per page: the model "
          "takes at most 2M of it (valid: size up to 0x200000)");
    CHECK(error_of(vf("", kFault), era) == "no error");
}

TEST_CASE("an mmap actor maps an unmapped vma once the range is free, under mmap_lock",
          "[callers][mmap]") {
    // munmap, then mmap of another vma at the same address; a CPU fault races both.
    const std::string two =
        "name = \"t\"\n[[device]]\nname = \"a\"\nbar_base = 0x4000000000\nbar_size = \"16K\"\n"
        "[[device]]\nname = \"b\"\nbar_base = 0x5000000000\nbar_size = \"16K\"\n"
        "[[vma]]\nstart = 0x40000000\nsize = \"16K\"\nflags = [" +
        kRw + "]\ndevice = \"a\"\n[[vma]]\nstart = 0x40000000\nsize = \"16K\"\nflags = [" + kRw +
        "]\ndevice = \"b\"\nmapped = false\n" + kFault +
        "[[actor]]\nname = \"un\"\nkind = \"munmap\"\nvaddr = 0x40000000\nsize = \"16K\"\n"
        "[[actor]]\nname = \"mm\"\nkind = \"mmap\"\nvaddr = 0x40000000\n";
    World w(parse_scenario(two, "t.toml"));
    CHECK(w.mm.mm_mt_list.size() == 1);
    CHECK(w.devices[1].inode_mapping.i_mmap.empty());
    const auto t = every_schedule_of(two, {});
    CHECK(t.violations.empty());
    std::set<std::string> mm_results;
    for (const auto& [r, n] : t.results.at(2)) {
        mm_results.insert(r);
    }
    // Before the munmap the range is taken; after it, the new vma is linked.
    CHECK(mm_results == std::set<std::string>{"0", "-EEXIST"});
    std::set<std::string> cpu;
    for (const auto& [r, n] : t.results.at(0)) {
        cpu.insert(r);
    }
    CHECK(cpu == std::set<std::string>{"0", "SIGBUS"});  // mapped (either BAR), or no vma
}

TEST_CASE("the loader refuses an mmap actor without its unmapped vma",
          "[callers][mmap][scenario]") {
    const std::string base =
        "name = \"t\"\n[[device]]\nname = \"a\"\nbar_base = 0x4000000000\nbar_size = \"16K\"\n"
        "[[vma]]\nstart = 0x40000000\nsize = \"16K\"\nflags = [" +
        kRw + "]\ndevice = \"a\"\n";
    CHECK(error_of(base + "[[actor]]\nname = \"mm\"\nkind = \"mmap\"\nvaddr = 0x40000000\n") ==
          "x.toml:14:9: an mmap actor maps a [[vma]] with mapped = false that starts at its "
          "vaddr; none starts at 0x40000000 (valid: such a vma's start)");
    CHECK(error_of(base + "[[vma]]\nstart = 0x50000000\nsize = \"16K\"\nflags = [" + kRw +
                   "]\nmapped = false\n" + kFault) ==
          "x.toml:15:10: an unmapped vma needs a 'device' to be mmapped from (valid: give its "
          "device)");
    const std::string unmapped = "[[vma]]\nstart = 0x40000000\nsize = \"16K\"\nflags = [" + kRw +
                                 "]\ndevice = \"a\"\nmapped = false\n";
    CHECK(error_of(base + unmapped + kFault) == "no error");
    CHECK(error_of(base + unmapped + unmapped + kFault) ==
          "x.toml:17:1: unmapped vmas overlap: one mmap actor maps each");
}

namespace {
std::string bar_rw(std::uint64_t buf, bool write) {
    return fmt::format(
        "[[actor]]\nname = \"rw\"\nkind = \"bar-rw\"\ndevice = \"vf\"\nvaddr = {:#x}\n"
        "write = {}\n",
        buf, write ? "true" : "false");
}
const std::string kZapVf = "[[actor]]\nname = \"z\"\nkind = \"zap\"\ndevice = \"vf\"\n";
}  // namespace

TEST_CASE("bar-rw: the copy faults the buffer in place, -EFAULT where nothing maps it",
          "[callers][bar-rw]") {
    // pread into the device's own never-faulted mapping: copy_to_user() faults it in (a
    // kernel-mode fault under mmap_lock) and the read completes.
    const auto own = every_schedule_of(vf("", bar_rw(0x40000000, false)), {});
    CHECK(own.violations.empty());
    REQUIRE(own.results.at(0).size() == 1);
    CHECK(own.results.at(0).begin()->first == "0");
    // A buffer in no vma: the fault is a bad area, fixed up to -EFAULT in every schedule.
    const auto none = every_schedule_of(vf("", bar_rw(0x80000000, true)), {});
    CHECK(none.violations.empty());
    REQUIRE(none.results.at(0).size() == 1);
    CHECK(none.results.at(0).begin()->first == "-EFAULT");
}

TEST_CASE("bar-rw: memory_lock across the copies (pre-bc93b9ae0151) deadlocks with a zap",
          "[callers][bar-rw]") {
    const std::string text = vf("", bar_rw(0x40000000, false) + kZapVf);
    // Today: the copy runs with no lock (no lock order either); results are 0 or -EIO.
    const auto now = every_schedule_of(text, {});
    CHECK(now.violations.empty());
    std::set<std::string> results;
    for (const auto& [r, n] : now.results.at(0)) {
        results.insert(r);
    }
    CHECK(results.count("0") == 1);
    CHECK(results.count("-EIO") == 1);
    // abafbc551fdd's form: the copy's fault takes memory_lock for read again behind the
    // zap's queued down_write.
    // Lockdep's view of the same: the copy's might_fault() orders memory_lock before
    // mmap_lock, the fault the other way, and memory_lock is read recursively.
    const auto old = every_schedule_of(text, {{"vfio_pci_rdwr", "pre-bc93b9ae0151"}});
    std::map<sim::ViolationKind, std::vector<std::string>> found;
    for (const auto& v : old.violations) {
        found[v.violation.kind].push_back(v.violation.detail);
    }
    REQUIRE(found[sim::ViolationKind::Deadlock].size() == 1);
    CHECK(found[sim::ViolationKind::Deadlock][0].find("rw waits for vf.memory_lock (read) held "
                                                      "by rw (read)") != std::string::npos);
    CHECK(found[sim::ViolationKind::LockOrder] ==
          std::vector<std::string>{
              "possible circular locking dependency: mm_struct.mmap_lock(read) -> "
              "vfio_pci_core_device.memory_lock(read) -> mm_struct.mmap_lock",
              "possible recursive locking: vfio_pci_core_device.memory_lock(read) taken while "
              "holding vfio_pci_core_device.memory_lock(read)"});
    CHECK(found.size() == 2);
    // Before abafbc551fdd nothing tests memory: the access reaches a disabled BAR.
    // (No mapping of the BAR: v5.7's filled one would break I-STALE at the disable first.)
    const std::string no_vma =
        "name = \"t\"\n[[device]]\nname = \"vf\"\nbar_base = 0x4000000000\nbar_size = "
        "\"16K\"\n" +
        bar_rw(0x80000000, false) + kZapVf;
    const auto v57 = every_schedule_of(no_vma, {{"vfio_pci_mmap", "pre-abafbc551fdd"}});
    REQUIRE(v57.violations.size() == 1);
    CHECK(v57.violations[0].violation.detail ==
          "I-MMIO: vfio_pci_bar_rw() reads BAR offset 0x0 of vf, but its memory is disabled");
    CHECK(every_schedule_of(no_vma, {}).violations.empty());
}

TEST_CASE("bar-rw: only a vfio-pci device fd reads a BAR", "[callers][bar-rw][scenario]") {
    const std::string text =
        "name = \"t\"\n[[device]]\nname = \"mem\"\nkind = \"devmem\"\nbar_base = 0x4000000000\n"
        "bar_size = \"16K\"\n[[vma]]\nstart = 0x40000000\nsize = \"16K\"\nflags = [" +
        kRw +
        "]\ndevice = \"mem\"\n[[actor]]\nname = \"rw\"\nkind = \"bar-rw\"\ndevice = \"mem\"\n"
        "vaddr = 0x40000000\n";
    CHECK(error_of(text, {}).find("impossible state: a bar-rw actor on a devmem range (mem): only "
                                  "a vfio-pci device fd reads and writes a BAR") !=
          std::string::npos);
}

TEST_CASE("ioeventfd: the handler under the eventfd's spin lock, in its three forms",
          "[callers][ioeventfd]") {
    const std::string no_vma =
        "name = \"t\"\n[[device]]\nname = \"vf\"\nbar_base = 0x4000000000\nbar_size = \"16K\"\n"
        "[[actor]]\nname = \"guest\"\nkind = \"ioeventfd\"\ndevice = \"vf\"\n" +
        kZapVf;
    // Today: a trylock; while the zap holds memory_lock the write goes to the thread, which
    // waits for it and drops the write once memory is off. Some schedule takes that path.
    World w(parse_scenario(no_vma, "t.toml"));
    sim::DfsStrategy dfs(2U, true);
    bool thread = false;
    std::uint64_t runs = 0;
    do {
        const auto out = sim::run_execution(w, dfs, 0, {});
        ++runs;
        CHECK(out.status == sim::Status::Completed);
        for (const auto& st : out.trace) {
            thread =
                thread || (std::string_view(st.func.text) == "down_read_trylock" &&
                           std::string_view(st.effect.text).find("fail") != std::string_view::npos);
        }
    } while (runs < 5000 && dfs.advance());
    CHECK(thread);
    CHECK(every_schedule_of(no_vma, {}).violations.empty());
    // bc93b9ae0151's handler: down_read() under the wait-queue lock, in every schedule.
    const auto atomic = every_schedule_of(no_vma, {{"vfio_pci_rdwr", "pre-38565c93c8a1"}});
    REQUIRE(atomic.violations.size() == 1);
    CHECK(atomic.violations[0].violation.detail.find("I-SLEEP: BUG: sleeping function called "
                                                     "from invalid context") == 0);
    // Before bc93b9ae0151 the write was not tested: it reaches a disabled BAR.
    const auto untested = every_schedule_of(no_vma, {{"vfio_pci_rdwr", "pre-bc93b9ae0151"}});
    REQUIRE(untested.violations.size() == 1);
    CHECK(untested.violations[0].violation.detail ==
          "I-MMIO: vfio_pci_ioeventfd_handler() writes BAR offset 0x0 of vf, but its memory is "
          "disabled");
}

namespace {
std::string device_actor(const std::string& name, const std::string& kind,
                         const std::string& after = "") {
    return "[[actor]]\nname = \"" + name + "\"\nkind = \"" + kind + "\"\ndevice = \"vf\"\n" +
           (after.empty() ? "" : "after = [\"" + after + "\"]\n");
}
std::set<std::string> results_at(const sim::SweepTotals& t, std::size_t actor) {
    std::set<std::string> r;
    for (const auto& [res, n] : t.results.at(actor)) {
        r.insert(res);
    }
    return r;
}
}  // namespace

TEST_CASE("every zapper: VFIO_DEVICE_RESET zaps under memory_lock, the v5.7 reset did not",
          "[callers][device-state][reset]") {
    const std::string text = vf("", kFault + device_actor("r", "reset"));
    const auto now = every_schedule_of(text, {});
    CHECK(now.violations.empty());
    // The reset runs under memory_lock (write): a fault waits for it and then maps the BAR,
    // which decodes again (the virtual memory bit is untouched).
    CHECK(results_at(now, 0) == std::set<std::string>{"0"});
    // v5.7: the mapping filled at mmap stays across the reset.
    const auto v57 = every_schedule_of(vf("", device_actor("r", "reset")),
                                       {{"vfio_pci_mmap", "pre-abafbc551fdd"}});
    REQUIRE(v57.violations.size() == 1);
    CHECK(v57.violations[0].violation.detail.find("I-STALE") == 0);
    CHECK(v57.violations[0].violation.detail.find("during the reset (nothing zapped it)") !=
          std::string::npos);
    // After the reset the BAR decodes again: a later fault maps it.
    const auto later = every_schedule_of(
        vf("", device_actor("r", "reset") +
                   "[[actor]]\nname = \"cpu\"\nkind = \"fault\"\nvaddr = 0x40000000\nafter = "
                   "[\"r\"]\n"),
        {});
    CHECK(later.violations.empty());
    CHECK(results_at(later, 1) == std::set<std::string>{"0"});
}

TEST_CASE("every zapper: D3hot then D0, and low power entry and exit",
          "[callers][device-state][low-power]") {
    const std::string fault_after_d0 =
        device_actor("sleep", "d3hot") + device_actor("wake", "d0", "sleep") +
        "[[actor]]\nname = \"cpu\"\nkind = \"fault\"\nvaddr = 0x40000000\nafter = [\"wake\"]\n";
    const auto d0 = every_schedule_of(vf("", fault_after_d0), {});
    CHECK(d0.violations.empty());
    CHECK(results_at(d0, 2) == std::set<std::string>{"0"});
    // Low power engaged: the fault SIGBUSes (pm_runtime_engaged), never maps a suspended BAR.
    const auto lp = every_schedule_of(vf("", kFault + device_actor("lp", "low-power")), {});
    CHECK(lp.violations.empty());
    CHECK(results_at(lp, 0) == std::set<std::string>{"0", "SIGBUS"});
    // A read through the fd resumes the device first (pm_runtime_resume_and_get).
    const auto rw = every_schedule_of(
        vf("", device_actor("lp", "low-power") +
                   "[[actor]]\nname = \"rw\"\nkind = \"bar-rw\"\ndevice = \"vf\"\nvaddr = "
                   "0x40000000\nwrite = false\nafter = [\"lp\"]\n"),
        {});
    CHECK(rw.violations.empty());
    CHECK(results_at(rw, 1) == std::set<std::string>{"0"});
    // Entering twice: the second is -EINVAL; the exit makes it accessible again.
    const auto twice = every_schedule_of(
        vf("", device_actor("a", "low-power") + device_actor("b", "low-power", "a") +
                   device_actor("x", "low-power-exit", "b")),
        {});
    CHECK(results_at(twice, 1) == std::set<std::string>{"-EINVAL"});
    CHECK(error_of(vf("", device_actor("lp", "low-power")),
                   {{"vfio_pci_memory_enabled", "pre-2b2c651baf1c"}})
              .find("the low power feature came in v6.1") != std::string::npos);
}

namespace {
// Two vfio-pci functions on one bus (one device set), gpu's BAR mmapped at 0x40000000, and
// `actors`.
std::string pci_set(const std::string& actors) {
    return "name = \"t\"\n"
           "[[device]]\nname = \"gpu\"\nbar_base = 0x4000000000\nbar_size = \"16K\"\n"
           "bus = \"b1\"\n"
           "[[device]]\nname = \"nic\"\nbar_base = 0x5000000000\nbar_size = \"16K\"\n"
           "bus = \"b1\"\n"
           "[[vma]]\nstart = 0x40000000\nsize = \"16K\"\nflags = [\"VM_IO\", \"VM_PFNMAP\", "
           "\"VM_READ\", \"VM_WRITE\", \"VM_SHARED\"]\ndevice = \"gpu\"\n" +
           actors;
}
std::string actor(const std::string& name, const std::string& kind, const std::string& rest) {
    return "[[actor]]\nname = \"" + name + "\"\nkind = \"" + kind + "\"\n" + rest;
}
bool has_edge(const sim::LockGraph& g, const std::string& from, const std::string& to) {
    return std::any_of(g.edges.begin(), g.edges.end(), [&](const auto& kv) {
        return kv.first.from.cls == from && kv.first.to.cls == to;
    });
}
}  // namespace

TEST_CASE("the PCI bus layer: a hot reset of the set trylocks each memory_lock and zaps first",
          "[callers][pci][hot-reset]") {
    const std::string fault = actor("cpu", "fault", "vaddr = 0x40000000\n");
    const std::string reset = actor("r", "hot-reset", "device = \"nic\"\n");
    const auto now = every_schedule_of(pci_set(fault + reset), {});
    CHECK(now.violations.empty());
    // The fault holds gpu's memory_lock (read) across its insert: the reset through nic finds
    // it taken (-EBUSY), or it resets both functions and the fault waits, then maps the BAR.
    CHECK(results_at(now, 1) == std::set<std::string>{"0", "-EBUSY"});
    CHECK(results_at(now, 0) == std::set<std::string>{"0"});
    CHECK(has_edge(now.lock_graph, "vfio_device_set.lock", "pci_bus_sem"));
    CHECK(has_edge(now.lock_graph, "vfio_device_set.lock", "address_space.i_mmap_rwsem"));
    // A trylock adds no edge into memory_lock from the set's lock.
    CHECK(!has_edge(now.lock_graph, "vfio_device_set.lock", "vfio_pci_core_device.memory_lock"));
    CHECK(sim::lock_reports(now.lock_graph).empty());
    // A function hot-added to the bus is in no set: -EINVAL while it is there.
    const auto plug =
        every_schedule_of(pci_set(reset + actor("p", "hotplug", "device = \"gpu\"\n")), {});
    CHECK(plug.violations.empty());
    CHECK(results_at(plug, 0) == std::set<std::string>{"0", "-EINVAL"});
    CHECK(has_edge(plug.lock_graph, "pci_rescan_remove_lock", "pci_bus_sem"));
    // v5.7: the bus reset with gpu's BAR still mapped (filled at mmap).
    const auto v57 = every_schedule_of(
        pci_set(reset),
        {{"vfio_pci_mmap", "pre-abafbc551fdd"}, {"vfio_pci_hot_reset", "pre-db44c17458fb"}});
    REQUIRE(v57.violations.size() == 1);
    CHECK(v57.violations[0].violation.detail.find("during the bus reset (nothing zapped it)") !=
          std::string::npos);
    // v5.12 to v5.14 (vma_lock era, the zaps inside the bus walk under pci_bus_sem): clean,
    // and the zap's locks order after pci_bus_sem.
    const auto v512 =
        every_schedule_of(pci_set(fault + reset), {{"vfio_pci_mmap", "pre-aac6db75a9fc"},
                                                   {"vfio_pci_hot_reset", "pre-db44c17458fb"},
                                                   {"lock_vma_under_rcu", "pre-350f6bbca1de"},
                                                   {"vm_flags_set", "pre-bc292ab00f6c"}});
    CHECK(v512.violations.empty());
    CHECK(results_at(v512, 1) == std::set<std::string>{"0", "-EBUSY"});
    CHECK(has_edge(v512.lock_graph, "pci_bus_sem", "ptlock"));
    CHECK(!has_edge(v512.lock_graph, "pci_bus_sem", "vfio_pci_core_device.vma_lock"));
    // Forms of no one kernel are refused.
    CHECK(error_of(pci_set(reset), {{"vfio_pci_hot_reset", "pre-db44c17458fb"}})
              .find("forms of no one kernel") != std::string::npos);
    CHECK(error_of(pci_set(reset), {{"vfio_pci_mmap", "pre-abafbc551fdd"}})
              .find("forms of no one kernel") != std::string::npos);
}

TEST_CASE("the PCI bus layer: hot reset info is -EAGAIN when a function appears mid-walk",
          "[callers][pci][hot-reset-info]") {
    const auto t = every_schedule_of(
        pci_set(actor("info", "hot-reset-info", "device = \"gpu\"\nvaddr = 0x40000000\n") +
                actor("p", "hotplug", "device = \"gpu\"\n")),
        {});
    CHECK(t.violations.empty());
    CHECK(results_at(t, 0) == std::set<std::string>{"0", "-EAGAIN"});
    CHECK(has_edge(t.lock_graph, "vfio_device_set.lock", "pci_bus_sem"));
    // Before 9062ff405b49 the fill walk ran without the set's lock: the same results.
    const auto old = every_schedule_of(
        pci_set(actor("info", "hot-reset-info", "device = \"gpu\"\nvaddr = 0x40000000\n") +
                actor("p", "hotplug", "device = \"gpu\"\n")),
        {{"vfio_pci_hot_reset_info", "pre-9062ff405b49"}});
    CHECK(results_at(old, 0) == std::set<std::string>{"0", "-EAGAIN"});
    CHECK(!has_edge(old.lock_graph, "vfio_device_set.lock", "pci_bus_sem"));
    // A buffer nothing maps: the copy's fault fails, -EFAULT.
    const auto efault = every_schedule_of(
        pci_set(actor("info", "hot-reset-info", "device = \"gpu\"\nvaddr = 0x70000000\n")), {});
    CHECK(results_at(efault, 0) == std::set<std::string>{"-EFAULT"});
    CHECK(error_of(pci_set("") + "[[device]]\nname = \"vram\"\nkind = \"ttm-vram\"\n"
                                 "bar_base = 0x6000000000\nbar_size = \"16K\"\nbus = \"b1\"\n")
              .find("'bus' on a device that is not vfio-pci") != std::string::npos);
}

TEST_CASE("anonymous memory: the zero page on a read, a new page on a write or after it",
          "[callers][anon]") {
    const std::string anon =
        "name = \"t\"\n[[device]]\nname = \"gpu\"\nbar_base = 0x4000000000\nbar_size = "
        "\"16K\"\n[[vma]]\nstart = 0x40000000\nsize = \"16K\"\nflags = [\"VM_IO\", "
        "\"VM_PFNMAP\", \"VM_READ\", \"VM_WRITE\", \"VM_SHARED\"]\ndevice = \"gpu\"\n"
        "[[vma]]\nstart = 0x10000000\nsize = \"8K\"\nflags = [\"VM_READ\", \"VM_WRITE\"]\n";
    const auto pte_at = [](World& w, std::uint64_t addr) {
        const auto it = w.mm.pgtable.pte.find(addr);
        return it == w.mm.pgtable.pte.end() ? pt_entry{} : it->second.e;
    };
    // A read fault maps the shared zero page read-only; a later write copies it (do_wp_page).
    World w(parse_scenario(anon + actor("rd", "fault", "vaddr = 0x10000000\nwrite = false\n") +
                               actor("wr", "fault", "vaddr = 0x10000000\nafter = [\"rd\"]\n"),
                           "t.toml"));
    sim::DfsStrategy one(0U, false);
    auto out = sim::run_execution(w, one, 0, {});
    REQUIRE(out.status == sim::Status::Completed);
    CHECK(pte_at(w, 0x10000000) ==
          pt_entry{pt_entry::Kind::leaf, anon_page_pfn(0x10000000), true, false});
    bool zero = false;
    bool copied = false;
    for (const auto& st : out.trace) {
        zero = zero || std::string_view(st.func.text) == "set_pte_at: zero page";
        copied = copied || std::string_view(st.func.text) == "wp_page_copy";
    }
    CHECK(zero);
    CHECK(copied);
    // pread of the BAR into anonymous memory: copy_to_user faults the buffer in for a store.
    World r(parse_scenario(
        anon + actor("pread", "bar-rw", "device = \"gpu\"\nvaddr = 0x10001000\nwrite = false\n"),
        "t.toml"));
    sim::DfsStrategy first(0U, false);
    out = sim::run_execution(r, first, 0, {});
    REQUIRE(out.status == sim::Status::Completed);
    CHECK(r.result(0) == "0");
    CHECK(pte_at(r, 0x10001000).pfn == anon_page_pfn(0x10001000));
    CHECK(pte_at(r, 0x10001000).writable);
    // Racing faults of one page and a munmap: every schedule clean.
    const auto race =
        every_schedule_of(anon + actor("a", "fault", "vaddr = 0x10000000\nwrite = false\n") +
                              actor("b", "fault", "vaddr = 0x10000000\n") +
                              actor("m", "munmap", "vaddr = 0x10000000\nsize = \"8K\"\n"),
                          {});
    CHECK(race.violations.empty());
    // The loader: GUP of anonymous pages is not modelled; shmem is not; a device needs the flags.
    CHECK(error_of(anon + actor("p", "pin", "vaddr = 0x10000000\nsize = \"4K\"\n"))
              .find("GUP of anonymous pages is not modelled") != std::string::npos);
    CHECK(error_of("name = \"t\"\n[[vma]]\nstart = 0x10000000\nsize = \"8K\"\nflags = "
                   "[\"VM_READ\", \"VM_SHARED\"]\n")
              .find("shared anonymous memory (shmem) is not modelled") != std::string::npos);
}

namespace {
// A World whose one actor runs `body` in place of its kind's driver: a kernel path called with
// the locks a caller might (wrongly) hold, for the lock-context assertions.
class Probe final : public sim::Program {
  public:
    Probe(Scenario sc, std::function<void(World&)> body)
        : w_(std::move(sc)), body_(std::move(body)) {}
    const std::vector<sim::ActorDecl>& actors() const override { return w_.actors(); }
    sim::ObjectTable& objects() override { return w_.objects(); }
    void reset() override { w_.reset(); }
    void run_actor(sim::ActorId /*id*/) override { body_(w_); }
    std::string result(sim::ActorId /*id*/) const override { return "0"; }
    void check_results(std::vector<sim::Violation>& /*out*/) const override {}

  private:
    World w_;
    std::function<void(World&)> body_;
};

std::string probe_violation(const std::function<void(World&)>& body) {
    Probe p(parse_scenario(vf("", kFault), "t.toml"), body);
    sim::RandomStrategy r;
    const auto out = sim::run_execution(p, r, 1, {});
    return out.violations.empty() ? std::string() : out.violations[0].detail;
}
}  // namespace

TEST_CASE("lock-context assertions: pfnmap_lockdep_assert, mmap_assert_(write_)locked",
          "[callers][lockdep-assert]") {
    const auto follow = [](World& w) {
        follow_pfnmap_args args{&w.mm.vma_storage[0], 0x40000000};
        (void)follow_pfnmap_start(w, args);
    };
    // No lock at all: the WARN of pfnmap_lockdep_assert (a vma with a file mapping).
    CHECK(probe_violation(follow) ==
          "I-LOCK: follow_pfnmap_start() without i_mmap_rwsem or mmap_lock held: "
          "pfnmap_lockdep_assert() WARNs");
    // mmap_lock for read, or the file's i_mmap_rwsem alone (the zap path), satisfies it.
    CHECK(probe_violation([&](World& w) {
              mmap_read_lock(w);
              follow(w);
          }) == "");
    CHECK(probe_violation([&](World& w) {
              w.mm.vma_storage[0].mapping->i_mmap_rwsem.down_read("i_mmap_lock_read");
              follow(w);
          }) == "");
    // vma_start_write() asserts mmap_lock held for write: a reader is not enough.
    CHECK(probe_violation([](World& w) {
              mmap_read_lock(w);
              vma_start_write(w, &w.mm.vma_storage[0]);
          }) ==
          "I-LOCK: vma_start_write() without mmap_lock held for write: "
          "mmap_assert_write_locked() WARNs");
    CHECK(probe_violation([](World& w) { (void)pin_user_pages_remote(w, 0x40000000); }) ==
          "I-LOCK: __get_user_pages() without mmap_lock held: mmap_assert_locked() WARNs");
}

TEST_CASE("I-SLEEP: a sleeping lock taken with a spin lock held", "[callers][lockdep-assert]") {
    CHECK(probe_violation([](World& w) {
              w.mm.page_table_lock.lock("spin_lock");
              might_sleep(w);
          }).find("I-SLEEP: BUG: sleeping function called from invalid context") == 0);
    CHECK(probe_violation([](World& w) {
              w.mm.page_table_lock.lock("spin_lock");
              w.mm.page_table_lock.unlock("spin_unlock");
              might_sleep(w);
          }) == "");
}
