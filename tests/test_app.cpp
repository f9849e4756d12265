// The application layer on its own: plans and their overrides, the one replay-command builder,
// expectation matching and judging, and the rules by which shards merge.
#include <stdlib.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "pfnsim/app/error.hpp"
#include "pfnsim/app/files.hpp"
#include "pfnsim/app/findings.hpp"
#include "pfnsim/app/matrix.hpp"
#include "pfnsim/app/plan.hpp"
#include "pfnsim/app/result.hpp"
#include "pfnsim/app/sweep.hpp"
#include "support.hpp"

using namespace pfnsim;
using pfnsim::test::source_path;

namespace {

const std::string kZap = source_path("scenarios/pin-zap-race.toml");

std::string input_error(const std::function<void()>& f) {
    try {
        f();
    } catch (const app::InputError& e) {
        return e.message;
    }
    return "(no error)";
}

sim::Witness witness_of(sim::ViolationKind k) {
    sim::Witness w;
    w.violation = {k, "pin", "pin returned -EBUSY"};
    return w;
}

}  // namespace

TEST_CASE("a plan applies the command line's overrides once", "[app][plan]") {
    const app::Plan base = app::make_plan(kZap, {});
    CHECK(base.policy.name() == "original");
    CHECK(base.exec.step_bound == 2000);
    CHECK_FALSE(base.step_bound_given);
    CHECK(base.iterations == 3000);
    CHECK(base.seed == 1);
    CHECK_FALSE(base.exec.max_faults);
    CHECK(base.notes.empty());

    app::Overrides o;
    o.policy = "bounded:3";
    o.step_bound = 2000;  // the scenario's own: not an override a replay must repeat
    o.iterations = 10;
    o.seed = 99;
    o.faults = 2;
    const app::Plan p = app::make_plan(kZap, o);
    CHECK(p.policy.name() == "bounded:3");
    CHECK_FALSE(p.step_bound_given);
    CHECK(p.iterations == 10);
    CHECK(p.seed == 99);
    CHECK(p.exec.max_faults == 2U);
    // The policy and the fault bound shape executions: the schedule key follows them.
    CHECK(p.schedule_key() != base.schedule_key());
    CHECK(base.with_policy(p.policy).schedule_key() != base.schedule_key());

    o.step_bound = 500;
    CHECK(app::make_plan(kZap, o).step_bound_given);

    SECTION("an old policy name is a note, once") {
        app::Overrides old;
        old.policy = "gup-style";
        const app::Plan q = app::make_plan(kZap, old);
        CHECK(q.policy.name() == "return-to-user");
        REQUIRE(q.notes.size() == 1);
        CHECK(q.notes.front().rfind("--policy: note: ", 0) == 0);
    }
    SECTION("--policy is read once, with its note") {
        CHECK(app::policy_option("", base.scenario).policy == base.scenario.policy);
        CHECK(app::policy_option("", base.scenario).note.empty());
        CHECK(app::policy_option("bounded:3", base.scenario).note.empty());
        const app::PolicyChoice old = app::policy_option("gup-style", base.scenario);
        CHECK(old.policy.name() == "return-to-user");
        CHECK(old.note.rfind("--policy: note: policy 'gup-style'", 0) == 0);
    }
    SECTION("bad overrides are one-line input errors") {
        app::Overrides bad;
        bad.policy = "eagian";
        CHECK(input_error([&] { app::make_plan(kZap, bad); }).rfind("unknown policy 'eagian'", 0) ==
              0);
        app::Overrides depth;
        depth.depth = 2;
        CHECK(input_error([&] { app::make_plan(kZap, depth); }) == "--depth needs --strategy pct");
        CHECK(input_error([&] {
                  app::make_plan(kZap + ".missing", {});
              }).find("cannot read the file") != std::string::npos);
    }
}

TEST_CASE("replay commands carry every option that shapes the execution", "[app][replay]") {
    app::Plan plan = app::make_plan(kZap, {});
    sim::Witness w;
    w.seed = 7;
    const std::string file = plan.file();
    CHECK(app::replay_command(plan, w, true) ==
          "pfnsim replay " + file + " --policy original --seed 7");

    app::Overrides o;
    o.policy = "eagain";
    o.step_bound = 300;
    o.faults = 1;
    plan = app::make_plan(kZap, o);
    CHECK(app::replay_command(plan, w, true) ==
          "pfnsim replay " + file + " --policy eagain --step-bound 300 --faults 1 --seed 7");

    // Without the seed (or not asked to use it) the schedule, keyed to the plan.
    w.schedule.choices = {0, 1, 1, 0};
    const std::string by_schedule = app::replay_command(plan, w, false);
    CHECK(by_schedule == "pfnsim replay " + file +
                             " --policy eagain --step-bound 300 --faults 1 --schedule " +
                             app::schedule_text(plan, w.schedule));
    CHECK(app::schedule_text(plan, w.schedule).rfind("2.", 0) == 0);
    // The schedule decodes under its own plan and is refused under another policy.
    CHECK(app::decode_for(plan, app::schedule_text(plan, w.schedule)).choices ==
          w.schedule.choices);
    CHECK(input_error([&] {
              app::decode_for(plan.with_policy(*model::parse_policy("original")),
                              app::schedule_text(plan, w.schedule));
          }).find("recorded for") != std::string::npos);

    // A path that is not a plain shell word is quoted.
    app::Plan odd = plan;
    odd.scenario.path = "my scenarios/it's.toml";
    CHECK(
        app::replay_command(odd, w, true).rfind("pfnsim replay 'my scenarios/it'\\''s.toml' ", 0) ==
        0);
}

TEST_CASE("verdicts meet expectations exactly, lesser findings are shown", "[app][expect]") {
    app::Verdict clean;
    CHECK(app::meets(clean, ""));
    CHECK(app::meets(clean, "clean"));
    CHECK_FALSE(app::meets(clean, "wrong-return"));

    const app::Verdict wrong = app::verdict_of(
        {witness_of(sim::ViolationKind::NewErrno), witness_of(sim::ViolationKind::WrongReturn)});
    CHECK(wrong.name() == "wrong-return");
    CHECK(app::meets(wrong, "wrong-return"));
    CHECK_FALSE(app::meets(wrong, ""));

    sim::Witness live = witness_of(sim::ViolationKind::Livelock);
    live.lasso = sim::Lasso{};
    live.lasso->killable = true;
    live.lasso->voluntary = true;  // a might_sleep() site: spins under PREEMPT_NONE only
    const app::Verdict lv = app::verdict_of({live});
    CHECK(lv.full() == "livelock (killable, spins under none; yields under voluntary, full)");
    CHECK(app::meets(lv, "livelock"));
    CHECK(app::meets(lv, "livelock (killable, spins under none; yields under voluntary, full)"));
    CHECK_FALSE(
        app::meets(lv, "livelock (unkillable, spins under none; yields under voluntary, full)"));
    CHECK_FALSE(app::meets(lv, "livelock (killable, yields under none, voluntary, full)"));

    // A new errno beside a more severe expected kind is not a surprise; another kind is.
    CHECK_FALSE(app::unexpected(
        {witness_of(sim::ViolationKind::NewErrno), witness_of(sim::ViolationKind::WrongReturn)},
        "wrong-return"));
    CHECK(app::unexpected({witness_of(sim::ViolationKind::NewErrno)}, "clean"));
    CHECK(app::unexpected({witness_of(sim::ViolationKind::Deadlock)}, "wrong-return"));

    SECTION("judge decides once, for every kind of result") {
        app::Result r;
        r.expected = "wrong-return";
        app::judge(r);
        CHECK(r.verdict.name() == "clean");
        CHECK_FALSE(r.as_expected);  // expected, not found
        CHECK_FALSE(r.unexpected_found);

        app::Finding f;
        f.witness = witness_of(sim::ViolationKind::WrongReturn);
        r.findings.push_back(f);
        app::judge(r);
        CHECK(r.as_expected);
        CHECK_FALSE(r.unexpected_found);

        // A certificate's witnesses count even without findings (a merge that could not
        // minimise them).
        app::Result merged;
        merged.certificate.emplace();
        merged.certificate->totals.violations.push_back(witness_of(sim::ViolationKind::Deadlock));
        app::judge(merged);
        CHECK(merged.verdict.name() == "deadlock");
        CHECK(merged.unexpected_found);
        CHECK_FALSE(merged.as_expected);
    }
}

TEST_CASE("shards merge into one certificate by their rules", "[app][merge]") {
    const app::Plan plan = app::make_plan(kZap, {});
    std::vector<app::Result> parts;
    std::vector<std::string> files;
    for (unsigned i = 0; i < 2; ++i) {
        app::SweepRequest rq;
        rq.preemptions = 1;
        rq.shard = std::pair{i, 2U};
        const app::Result s = app::run_sweep(plan, rq);
        REQUIRE(s.certificate);
        CHECK(s.certificate->complete);
        CHECK(s.findings.empty() == s.certificate->totals.violations.empty());
        // Through the JSON that `pfnsim merge` reads.
        parts.push_back(app::certificate_from_json(app::certificate_json(s, true)));
        files.push_back("shard" + std::to_string(i) + ".json");
    }
    app::SweepRequest whole_rq;
    whole_rq.preemptions = 1;
    whole_rq.minimize = false;
    const app::Result whole = app::run_sweep(plan, whole_rq);

    const app::Result m = app::merge_shards(parts, files, false);
    REQUIRE(m.certificate);
    CHECK(m.certificate->complete);
    CHECK_FALSE(m.certificate->shard);
    CHECK(m.certificate->totals.executions == whole.certificate->totals.executions);
    CHECK(m.certificate->line() == whole.certificate->line());
    CHECK(m.verdict.full() == whole.verdict.full());
    CHECK(m.as_expected == whole.as_expected);
    CHECK(m.findings.size() == whole.findings.size());
    CHECK(m.not_minimized.empty());

    SECTION("a missing shard makes it incomplete, and says which") {
        const app::Result half = app::merge_shards({parts[1]}, {files[1]}, false);
        CHECK_FALSE(half.certificate->complete);
        CHECK(half.certificate->missing_shards == std::vector<unsigned>{0});
        CHECK_FALSE(half.complete());
    }
    SECTION("a shard given twice, or of another sweep, is refused") {
        CHECK(input_error([&] {
                  app::merge_shards({parts[0], parts[0]}, {files[0], "again.json"}, false);
              }) == "again.json: shard 0/2 given twice");
        std::vector<app::Result> other = parts;
        other[1].certificate->policy = "eagain";
        CHECK(input_error([&] {
                  app::merge_shards(other, files, false);
              }).rfind("shard1.json: a shard of another sweep", 0) == 0);
        CHECK(input_error([&] { app::merge_shards({}, {}, false); }) ==
              "merge needs at least one shard");
    }
    SECTION("totals that overflow when added are refused, naming the file and the field") {
        std::vector<app::Result> forged = parts;
        forged[1].certificate->totals.executions = ~std::uint64_t{0};
        CHECK(input_error([&] {
                  app::merge_shards(forged, files, false);
              }).rfind("shard1.json: executions: the sum with the shards before it overflows", 0) ==
              0);
        forged = parts;
        forged[1].certificate->totals.steps = ~std::uint64_t{0} - 1;
        CHECK(input_error([&] {
                  app::merge_shards(forged, files, false);
              }).rfind("shard1.json: steps:", 0) == 0);
    }
    SECTION("a merge is audited only when every shard is") {
        std::vector<app::Result> mixed = parts;
        for (auto& p : mixed) {
            p.certificate->stateful = true;
        }
        for (const bool first : {true, false}) {
            mixed[0].certificate->audited = first;
            mixed[1].certificate->audited = !first;
            CHECK_FALSE(app::merge_shards(mixed, files, false).certificate->audited);
        }
        mixed[0].certificate->audited = true;
        mixed[1].certificate->audited = true;
        CHECK(app::merge_shards(mixed, files, false).certificate->audited);
    }
    SECTION("witnesses are not minimised when the scenario file cannot be read") {
        std::vector<app::Result> moved = parts;
        for (auto& p : moved) {
            p.certificate->file = "no/such/file.toml";
        }
        const app::Result n = app::merge_shards(moved, files, true);
        CHECK_FALSE(n.not_minimized.empty());
        CHECK(n.findings.empty());
        CHECK(n.verdict.full() == whole.verdict.full());  // judged from the shards' witnesses
    }
}

TEST_CASE("a kernel setting sets a [kernel] variant as the file's key does", "[app][kernel]") {
    // The same table checks the file and the option: the same keys, values and messages.
    model::Scenario sc;
    CHECK(model::set_kernel(sc, "preempt", "voluntary").empty());
    CHECK(sc.preempt == model::PreemptModel::Voluntary);
    CHECK(model::kernel_value(sc, "preempt") == "voluntary");
    CHECK(model::set_kernel(sc, "preempt", "lazy") ==
          "unknown preempt model 'lazy' (valid: none, voluntary, full)");
    CHECK(model::set_kernel(sc, "preemt", "none") ==
          "unknown key 'preemt' in [kernel] (valid: pagewalk, follow_pfnmap, "
          "follow_pfnmap_errno, preempt, rwsem, arch, vaddr_get_pfn, hva_to_pfn_remapped, "
          "s390_pci_mmio, generic_access_phys, acrn_vm_ram_map, vfio_pci_mmap_huge_fault, "
          "vfio_pci_mmap, vfio_pci_memory_enabled, lock_vma_under_rcu, vm_flags_set, "
          "vfio_pci_rdwr, vfio_pci_hot_reset, vfio_pci_hot_reset_info)");
    CHECK(model::set_kernel(sc, "follow_pfnmap_errno", "enoent").empty());
    CHECK(model::set_kernel(sc, "follow_pfnmap_errno", "").empty());
    CHECK(!sc.follow_errno);
    // Every key's default in the table is the default of its Scenario field.
    const model::Scenario defaults;
    for (const auto key : model::kernel_keys()) {
        model::Scenario s;
        const std::string_view first = model::kernel_values(key).front();
        CHECK(model::set_kernel(s, key, first).empty());
        CHECK(model::kernel_value(s, key) == first);
        CHECK((!model::kernel_value(defaults, key).empty() ||
               key == std::string_view("follow_pfnmap_errno")));
    }
    // A file's bad value gives the same message as the option, at its line and column.
    const std::string file_error = [] {
        try {
            model::parse_scenario("name = \"x\"\n[kernel]\npreempt = \"lazy\"\n", "k.toml");
        } catch (const model::ScenarioError& e) {
            return std::string(e.what());
        }
        return std::string("(no error)");
    }();
    CHECK(file_error == "k.toml:3:11: unknown preempt model 'lazy' (valid: none, voluntary, full)");

    CHECK(input_error([] { app::kernel_option({"preempt=lazy"}); }) ==
          "--kernel preempt=lazy: unknown preempt model 'lazy' (valid: none, voluntary, full)");
    CHECK(input_error([] {
              app::kernel_option({"preempt"});
          }).rfind("--kernel 'preempt': expected KEY=VALUE (keys: pagewalk,", 0) == 0);
}

TEST_CASE("a kernel setting overrides the file, in the schedule key and the replay command",
          "[app][kernel]") {
    const app::Plan base = app::make_plan(kZap, {});
    CHECK(base.scenario.preempt == model::PreemptModel::None);
    CHECK(base.kernel.empty());

    app::Overrides o;
    o.kernel = {"rwsem=fifo", "preempt=full", "preempt=voluntary"};  // the last one wins
    const app::Plan plan = app::make_plan(kZap, o);
    CHECK(plan.scenario.preempt == model::PreemptModel::Voluntary);
    CHECK(plan.scenario.rwsem == model::RwsemVariant::Fifo);
    // In the table's order, whatever the order given.
    CHECK(plan.kernel == model::KernelSettings{{"preempt", "voluntary"}, {"rwsem", "fifo"}});
    CHECK(plan.schedule_key() != base.schedule_key());

    // A setting equal to the file's value changes nothing: not the key, not the command.
    app::Overrides same;
    same.kernel = {"preempt=none", "rwsem=linux"};
    const app::Plan unchanged = app::make_plan(kZap, same);
    CHECK(unchanged.kernel.empty());
    CHECK(unchanged.schedule_key() == base.schedule_key());

    sim::Witness w = witness_of(sim::ViolationKind::WrongReturn);
    w.seed = 7;
    CHECK(app::replay_command(plan, w, true) ==
          "pfnsim replay " + plan.file() +
              " --policy original --kernel preempt=voluntary --kernel rwsem=fifo --seed 7");
    w.schedule.choices = {0, 1, 1, 0};
    const std::string text = app::schedule_text(plan, w.schedule);
    CHECK(app::decode_for(plan, text).choices == w.schedule.choices);
    // Refused under the file's own variants, naming the options it was recorded under.
    CHECK(input_error([&] { app::decode_for(base, text); }) ==
          "the schedule was recorded for " + plan.file() +
              " under --policy original --kernel preempt=voluntary --kernel rwsem=fifo, not "
              "--policy original (add those options to replay it)");
    CHECK(input_error([&] { app::decode_for(plan, app::schedule_text(base, w.schedule)); })
              .find("under --policy original, not --policy original --kernel "
                    "preempt=voluntary") != std::string::npos);
}

TEST_CASE("a matrix cell's livelock is compared with original's: today, keeps, adds",
          "[app][matrix][livelock]") {
    // KVM's own RET_PF_RETRY loop against numa_maps is today's kernel (original, beside its
    // wrong return); eagain keeps that livelock. VFIO has none today: eagain adds one.
    const std::vector<std::string> files = {
        source_path("scenarios/patchset/kvm-split-einval.toml"),
        source_path("scenarios/patchset/vfio-split-einval.toml")};
    app::MatrixSelection only;
    only.policies = {"original", "eagain"};
    const app::Matrix m = app::run_matrix(files, {}, {}, {}, only);
    REQUIRE(m.cells.size() == 2);
    REQUIRE(m.cells[0].size() == 2);
    CHECK(m.cells[0][0].livelock_vs_original == "today");
    CHECK(m.cells[1][0].livelock_vs_original == "keeps");
    CHECK(m.cells[0][1].livelock_vs_original.empty());
    CHECK(m.cells[1][1].livelock_vs_original == "adds");
    // Without the original row there is nothing to compare with.
    only.policies = {"eagain"};
    const app::Matrix e = app::run_matrix(files, {}, {}, {}, only);
    CHECK(e.cells[0][0].livelock_vs_original.empty());
    CHECK(e.cells[0][1].livelock_vs_original.empty());
}

TEST_CASE("matrix --policy and --caller choose rows and columns, in the given order",
          "[app][matrix]") {
    const auto files = app::scenario_files({source_path("scenarios/patchset")});
    app::Overrides o;
    o.iterations = 3;
    app::CellMode random;
    random.random = true;
    app::MatrixSelection only;
    only.policies = {"eagain", "original"};
    only.callers = {"KVM", "VFIO"};
    const app::Matrix m = app::run_matrix(files, o, {}, random, only);
    REQUIRE(m.rows.size() == 2);
    CHECK(m.rows[0].name() == "eagain");
    CHECK(m.rows[1].name() == "original");
    CHECK(m.columns.size() == 8);
    for (const auto& c : m.columns) {
        CHECK((c.scenario.matrix_caller == "KVM" || c.scenario.matrix_caller == "VFIO"));
    }
    const auto views = app::matrix_views(m);
    REQUIRE(views.size() == 1);
    CHECK(views[0].columns == std::vector<std::string>{"KVM", "VFIO"});

    only.policies = {"eagain", "nope"};
    CHECK(input_error([&] {
              app::run_matrix(files, o, {}, random, only);
          }).rfind("unknown policy 'nope' (valid: ", 0) == 0);
    only.policies = {"eagain", "eagain"};
    CHECK(input_error([&] { app::run_matrix(files, o, {}, random, only); }) ==
          "--policy: 'eagain' is given twice");
    only.policies = {};
    only.callers = {"XEN"};
    CHECK(input_error([&] { app::run_matrix(files, o, {}, random, only); }) ==
          "--caller: unknown caller 'XEN' (valid: ACRN, KVM, access_phys, s390-read, "
          "s390-write, VFIO)");
}

TEST_CASE("outputs are checked before the work and written through an exclusive temporary file",
          "[app][files]") {
    char dir_template[] = "/tmp/pfnsim-files-XXXXXX";
    REQUIRE(::mkdtemp(dir_template) != nullptr);
    const std::string dir = dir_template;
    const std::string target = dir + "/out.json";
    const std::string victim = dir + "/victim";
    app::write_output(victim, "precious");
    // A planted link at the old fixed temporary name is never followed.
    REQUIRE(::symlink(victim.c_str(), (target + ".tmp").c_str()) == 0);
    app::check_output(target);
    app::write_output(target, "first");
    app::write_output(target, "second");
    CHECK(app::read_input(target, 100, "test") == "second");
    CHECK(app::read_input(victim, 100, "test") == "precious");

    CHECK(input_error([&] { app::check_output(dir); }) ==
          dir + ": is a directory (valid: a file to write)");
    CHECK(input_error([&] {
              app::check_output(dir + "/none/x");
          }).find("No such file or directory") != std::string::npos);
    CHECK(input_error([&] { app::check_output(""); }).find("empty") != std::string::npos);
    CHECK(input_error([&] { app::write_output("/dev/full", "x"); }) ==
          "/dev/full: cannot write: No space left on device");
    app::write_output("/dev/null", "x");  // a device is written in place

    for (const char* name : {"/out.json.tmp", "/out.json", "/victim"}) {
        ::unlink((dir + name).c_str());
    }
    CHECK(::rmdir(dir.c_str()) == 0);  // nothing else left behind
}
