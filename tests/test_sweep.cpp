// Exhaustive sweeps: sleep-set reduction against the full enumeration, fault sites, threads,
// shards and checkpoints against the plain sweep.
#include <fmt/format.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <set>

#include "pfnsim/app/sweep.hpp"
#include "pfnsim/model/world.hpp"
#include "pfnsim/sim/dfs_strategy.hpp"
#include "pfnsim/sim/prng.hpp"
#include "pfnsim/sim/random_strategy.hpp"
#include "pfnsim/sim/replay_strategy.hpp"
#include "pfnsim/sim/state_graph.hpp"
#include "pfnsim/sim/stateful_strategy.hpp"
#include "pfnsim/sim/sweep.hpp"
#include "pfnsim/sim/sweep_checkpoint.hpp"
#include "pfnsim/sim/sync.hpp"
#include "support.hpp"
#include "sweep_sets.hpp"

using namespace pfnsim;
using pfnsim::test::kinds;
using pfnsim::test::result_keys;
using pfnsim::test::source_path;

namespace {

// A small program made from a seed: each actor takes three steps, reads and writes over a few
// objects or one write under a lock (lock, write, unlock), and folds every value it reads into
// its result, so that any reordering of conflicting steps shows in the final state. Three steps
// for each of three actors keep the full enumeration at 9!/(3!3!3!) = 1680 interleavings.
class RandomProgram final : public sim::Program {
  public:
    RandomProgram(std::uint64_t seed, int actors, int objects) {
        sim::Xoshiro256 rng(seed);
        lock_obj_ = table_.intern("m");
        for (int o = 0; o < objects; ++o) {
            objs_.push_back(table_.intern("x" + std::to_string(o)));
        }
        for (int a = 0; a < actors; ++a) {
            decls_.push_back({"t" + std::to_string(a), false});
            std::vector<std::pair<int, int>> c;
            const auto obj = [&] {
                return static_cast<int>(rng.below(static_cast<std::uint32_t>(objects)));
            };
            if (rng.below(4) == 0) {
                c.emplace_back(2, obj());
            } else {
                for (int s = 0; s < 3; ++s) {
                    c.emplace_back(static_cast<int>(rng.below(2)), obj());
                }
            }
            code_.push_back(c);
        }
        reset();
    }
    const std::vector<sim::ActorDecl>& actors() const override { return decls_; }
    sim::ObjectTable& objects() override { return table_; }
    void reset() override {
        mem_.assign(objs_.size(), 0);
        local_.assign(decls_.size(), 0);
        done_.assign(decls_.size(), false);
        lock_.init(lock_obj_);
    }
    void run_actor(sim::ActorId id) override {
        std::uint64_t& l = local_[id];
        l = id + 1;
        for (const auto& [kind, o] : code_[id]) {
            if (kind == 0) {
                sim::point(sim::Op::Read, objs_[o], "read");
                l = sim::hash_mix(l, mem_[o]);
            } else if (kind == 1) {
                sim::point(sim::Op::Write, objs_[o], "write");
                mem_[o] = l;
            } else {
                lock_.lock("lock");
                sim::point(sim::Op::Write, objs_[o], "write");
                l = sim::hash_mix(l, mem_[o]);
                mem_[o] = l;
                lock_.unlock("unlock");
            }
        }
        done_[id] = true;
    }
    std::string result(sim::ActorId id) const override {
        return done_[id] ? std::to_string(local_[id]) : std::string();
    }
    void check_results(std::vector<sim::Violation>& /*out*/) const override {}
    std::uint64_t state_hash() const override {
        std::uint64_t h = 1;
        for (std::uint64_t v : mem_) {
            h = sim::hash_mix(h, v);
        }
        return h;
    }
    // For the stateful sweep: the shared values, each actor's local value and the lock.
    std::optional<std::uint64_t> loop_state_hash() const override {
        std::uint64_t h = state_hash();
        for (std::size_t a = 0; a < local_.size(); ++a) {
            h = sim::hash_mix(h, local_[a] ^ (done_[a] ? 1U : 0U));
        }
        return sim::hash_mix(h, lock_.state_hash());
    }

  private:
    std::vector<sim::ActorDecl> decls_;
    std::vector<std::vector<std::pair<int, int>>> code_;
    sim::ObjectTable table_;
    std::vector<sim::ObjectId> objs_;
    sim::ObjectId lock_obj_ = 0;
    sim::Mutex lock_;
    std::vector<std::uint64_t> mem_;
    std::vector<std::uint64_t> local_;
    std::vector<bool> done_;
};

// Lends one program to a sweep (which asks a factory for its own).
class ProxyProgram : public sim::Program {
  public:
    explicit ProxyProgram(sim::Program& p) : p_(p) {}
    const std::vector<sim::ActorDecl>& actors() const override { return p_.actors(); }
    sim::ObjectTable& objects() override { return p_.objects(); }
    void reset() override { p_.reset(); }
    void run_actor(sim::ActorId id) override { p_.run_actor(id); }
    std::string result(sim::ActorId id) const override { return p_.result(id); }
    void check_results(std::vector<sim::Violation>& out) const override { p_.check_results(out); }
    std::uint64_t state_hash() const override { return p_.state_hash(); }
    std::optional<std::uint64_t> loop_state_hash() const override { return p_.loop_state_hash(); }
    std::optional<std::uint64_t> state_signature() const override { return p_.state_signature(); }
    void describe_state(sim::StateFields& out) const override { p_.describe_state(out); }

  private:
    sim::Program& p_;
};

struct Run {
    std::optional<unsigned> preemptions = std::nullopt;
    bool reduce = true;
    unsigned jobs = 1;
    unsigned shard = 0;
    unsigned shards = 1;
    std::optional<unsigned> faults = std::nullopt;
    std::uint64_t max_executions = 0;
    bool stop_on_first = false;
};

sim::SweepReport sweep(const sim::ProgramFactory& make, const Run& r, std::uint64_t step_bound,
                       sim::SweepState* state = nullptr, const sim::SweepHooks& hooks = {}) {
    sim::SweepConfig cfg;
    cfg.max_preemptions = r.preemptions;
    cfg.reduce = r.reduce;
    cfg.jobs = r.jobs;
    cfg.shard = r.shard;
    cfg.shards = r.shards;
    cfg.exec.max_faults = r.faults;
    cfg.exec.step_bound = step_bound;
    cfg.max_executions = r.max_executions;
    cfg.stop_on_first = r.stop_on_first;
    cfg.checkpoint_every = 97;
    sim::SweepState fresh;
    return sim::sweep(make, cfg, state != nullptr ? *state : fresh, hooks);
}

sim::ProgramFactory scenario(const std::string& file, const std::string& policy = "original") {
    auto sc =
        std::make_shared<model::Scenario>(model::load_scenario(source_path("scenarios/" + file)));
    const model::Policy p = *model::parse_policy(policy);
    return [sc, p]() -> std::unique_ptr<sim::Program> {
        auto w = std::make_unique<model::World>(*sc);
        w->set_policy(p);
        return w;
    };
}

std::vector<std::string> actor_names(const sim::ProgramFactory& make) {
    std::vector<std::string> names;
    const auto program = make();
    for (const auto& a : program->actors()) {
        names.push_back(a.name);
    }
    return names;
}

}  // namespace

TEST_CASE("sleep sets keep every final state of small random programs, bounded or not",
          "[sweep][reduction]") {
    std::uint64_t reduced = 0;
    std::uint64_t full = 0;
    for (std::uint64_t seed = 1; seed <= 25; ++seed) {
        const sim::ProgramFactory make = [seed]() -> std::unique_ptr<sim::Program> {
            return std::make_unique<RandomProgram>(seed, 3, 2);
        };
        for (const std::optional<unsigned> p :
             {std::optional<unsigned>(0), std::optional<unsigned>(1), std::optional<unsigned>(2),
              std::optional<unsigned>()}) {
            const auto r = sweep(make, {p, true}, 1000);
            const auto u = sweep(make, {p, false}, 1000);
            INFO("seed " << seed << ", preemptions " << (p ? std::to_string(*p) : "all"));
            REQUIRE(r.complete);
            REQUIRE(u.complete);
            CHECK(r.totals.final_states == u.totals.final_states);
            CHECK(r.totals.executions <= u.totals.executions);
            CHECK(u.totals.pruned == 0);
            reduced += r.totals.executions;
            full += u.totals.executions;
        }
    }
    CHECK(reduced * 2 < full);  // and it is worth it
}

TEST_CASE(
    "reduced sweeps of the seed race and the zap race: same states and violations, fewer "
    "executions",
    "[sweep][reduction]") {
    struct Case {
        const char* file;
        std::optional<unsigned> preemptions;
    };
    for (const Case& c :
         {Case{"seed-split-refault.toml", 1}, Case{"seed-split-refault.toml", 2},
          Case{"pin-zap-race.toml", 2}, Case{"pin-munmap-retry.toml", std::nullopt}}) {
        INFO(c.file << " at " << (c.preemptions ? std::to_string(*c.preemptions) : "all"));
        const auto make = scenario(c.file);
        const auto r = sweep(make, {c.preemptions, true}, 2000);
        const auto u = sweep(make, {c.preemptions, false}, 2000);
        REQUIRE(r.complete);
        REQUIRE(u.complete);
        CHECK(r.totals.final_states == u.totals.final_states);
        CHECK(kinds(r.totals) == kinds(u.totals));
        CHECK(r.totals.executions <= u.totals.executions);
        if (c.preemptions != 1U) {
            CHECK(r.totals.executions < u.totals.executions);
            CHECK(r.totals.pruned > 0);
        }
    }
    // The seed race needs two preemptions: the certificate at one says it is not there.
    const auto p1 = sweep(scenario("seed-split-refault.toml"), {1U}, 2000);
    CHECK(p1.totals.violations.empty());
    const auto p2 = sweep(scenario("seed-split-refault.toml"), {2U}, 2000);
    REQUIRE(p2.totals.violations.size() == 1);
    CHECK(p2.totals.violations[0].violation.detail == "pin returned -EINVAL");
    CHECK(p2.totals.violations[0].preemptions == 2);
    const auto zap = sweep(scenario("pin-zap-race.toml"), {std::nullopt}, 2000);
    CHECK(zap.totals.executions < 10000);  // 149,472 interleavings without reduction
}

TEST_CASE("a sweep covers every policy's behaviour of the seed race", "[sweep]") {
    for (const char* policy : {"original", "eagain", "bounded:3", "enoent", "enoent-killable"}) {
        const auto r = sweep(scenario("seed-split-refault.toml", policy), {2U}, 2000);
        INFO(policy);
        CHECK(r.complete);
        CHECK(kinds(r.totals).size() == (std::string(policy) == "original" ? 1U : 0U));
        CHECK(r.totals.results[0].count("-EINVAL") ==
              (std::string(policy) == "original" ? 1U : 0U));
    }
}

TEST_CASE("fault sites: budgets by default, a sweep-wide bound with --faults", "[sweep][faults]") {
    // pin-munmap-retry budgets two VM_FAULT_RETRY for the pin; the bug needs one.
    const auto make = scenario("pin-munmap-retry.toml");
    const auto budget = sweep(make, {1U}, 2000);
    CHECK(kinds(budget.totals).size() == 1);
    const auto none = sweep(make, {1U, true, 1, 0, 1, 0U}, 2000);
    CHECK(none.totals.violations.empty());  // no fault, no bug
    const auto one = sweep(make, {1U, true, 1, 0, 1, 1U}, 2000);
    // Any one fault: the munmap race of the budgeted VM_FAULT_RETRY, and an allocation failure
    // of the BO's first insert, which ttm_bo_vm_fault_reserved() makes VM_FAULT_NOPAGE: the
    // fixup succeeds, the second follow fails and the original pin returns -EINVAL.
    auto expected = kinds(budget.totals);
    expected.emplace(sim::kind_name(sim::ViolationKind::WrongReturn), "pin",
                     "pin returned -EINVAL");
    REQUIRE(kinds(one.totals) == expected);
    for (const auto& w : one.totals.violations) {
        CHECK(w.faults == 1);
    }

    // The zap race with one fault: a SIGKILL may arrive in fixup_user_fault(), and -EINTR is then
    // a right answer even though the scenario does not list it.
    const auto zap = sweep(scenario("pin-zap-race.toml"), {1U, true, 1, 0, 1, 1U}, 2000);
    CHECK(zap.totals.results[0].count("-EINTR") == 1);
    for (const auto& w : zap.totals.violations) {
        CHECK(w.violation.detail != "pin returned -EINTR");
        CHECK(w.violation.kind != sim::ViolationKind::Nondeterminism);
    }

    // Under random exploration the sites keep their old schedules: no choice without a budget.
    auto w = scenario("seed-split-refault.toml")();
    sim::DfsStrategy dfs(0);
    sim::ExecutionConfig ec;
    const auto out = sim::run_execution(*w, dfs, 0, ec);
    for (const auto& c : out.choices) {
        CHECK_FALSE(c.fault);
    }
    ec.max_faults = 1;
    sim::DfsStrategy dfs1(0);
    unsigned most = 0;
    do {
        most = std::max(most, sim::run_execution(*w, dfs1, 0, ec).faults);
    } while (dfs1.advance());
    CHECK(most == 1);
}

TEST_CASE("threads (--jobs) give the same totals and witnesses as one thread", "[sweep][jobs]") {
    const auto make = scenario("pin-zap-race.toml");
    const auto one = sweep(make, {std::nullopt}, 2000);
    const auto three = sweep(make, {std::nullopt, true, 3}, 2000);
    CHECK(one.complete);
    CHECK(three.complete);
    CHECK(one.totals == three.totals);
    const auto seed = scenario("seed-split-refault.toml");
    CHECK(sweep(seed, {2U, false}, 2000).totals == sweep(seed, {2U, false, 2}, 2000).totals);
}

TEST_CASE("four shards merged equal the unsharded sweep", "[sweep][shards]") {
    for (const std::optional<unsigned> p :
         {std::optional<unsigned>(2), std::optional<unsigned>()}) {
        const auto make = scenario("pin-zap-race.toml");
        const auto whole = sweep(make, {p}, 2000);
        const auto names = actor_names(make);
        sim::SweepTotals merged;
        for (unsigned i = 0; i < 4; ++i) {
            const auto part = sweep(make, {p, true, 1, i, 4}, 2000);
            CHECK(part.complete);
            CHECK(part.totals.executions > 0);
            CHECK(part.totals.executions < whole.totals.executions);
            // Through the JSON that `pfnsim merge` reads.
            app::Result r;
            app::Certificate& s = r.certificate.emplace();
            s.scenario = "pin-zap-race";
            s.file = "scenarios/pin-zap-race.toml";
            s.policy = "original";
            s.actors = names;
            s.preemptions = p;
            s.complete = part.complete;
            s.shard = std::pair{i, 4U};
            s.totals = part.totals;
            merged.merge(
                app::certificate_from_json(app::certificate_json(r, true)).certificate->totals);
        }
        CHECK(merged.executions == whole.totals.executions);
        CHECK(kinds(merged) == kinds(whole.totals));
        CHECK(merged == whole.totals);
    }
}

TEST_CASE("an interrupted sweep resumes from its checkpoint to the same certificate",
          "[sweep][checkpoint]") {
    const auto make = scenario("seed-split-refault.toml");
    const auto names = actor_names(make);
    const auto whole = sweep(make, {3U}, 2000);
    REQUIRE(whole.complete);
    for (const unsigned jobs : {1U, 2U}) {
        INFO(jobs << " thread(s)");
        nlohmann::json saved;
        sim::SweepHooks hooks;
        hooks.save = [&](const sim::SweepState& st) { saved = sim::state_json(st, names); };
        std::uint64_t limit = 1000;
        sim::SweepState state;
        sim::SweepReport rep;
        int runs = 0;
        for (;; limit += 1000, ++runs) {
            REQUIRE(runs < 10);
            // Every run starts from the file, as `pfnsim sweep --checkpoint` does.
            if (!saved.is_null()) {
                state = sim::state_from_json(nlohmann::json::parse(saved.dump()), names);
                sim::StateLimits l;
                l.actors = names.size();
                l.preemptions = 3U;
                l.step_bound = 2000;
                CHECK_NOTHROW(sim::check_state(state, l));  // a saved sweep passes its checks
            }
            rep = sweep(make, {3U, true, jobs, 0, 1, std::nullopt, limit}, 2000, &state, hooks);
            if (rep.complete) {
                break;
            }
            CHECK(rep.stopped == "max-executions");
            if (jobs == 1) {
                CHECK(rep.totals.executions == limit);
            }
        }
        CHECK(runs >= 3);
        CHECK(rep.totals == whole.totals);
    }
}

TEST_CASE("an error of a save hook on a sweep thread reaches the caller as it was thrown",
          "[sweep][jobs]") {
    struct HookError {
        std::string what;
    };
    const auto make = scenario("seed-split-refault.toml");
    for (const unsigned jobs : {1U, 2U}) {
        INFO(jobs << " thread(s)");
        sim::SweepHooks hooks;
        hooks.save = [](const sim::SweepState& /*st*/) { throw HookError{"cannot save"}; };
        std::string caught;
        try {
            sweep(make, {2U, true, jobs}, 2000, nullptr, hooks);
        } catch (const HookError& e) {
            caught = e.what;  // not std::terminate (once exit 134 under --jobs 2)
        }
        CHECK(caught == "cannot save");
    }
}

TEST_CASE("stopping early says so", "[sweep]") {
    const auto make = scenario("seed-split-refault.toml");
    const auto first = sweep(make, {3U, true, 1, 0, 1, std::nullopt, 0, true}, 2000);
    CHECK_FALSE(first.complete);
    CHECK(first.stopped == "stop-on-first");
    CHECK(first.totals.violations.size() == 1);
    app::Result r;
    app::Certificate& s = r.certificate.emplace();
    s.scenario = "seed-split-refault";
    s.policy = "original";
    s.preemptions = 3;
    s.faults = 1;
    s.totals = first.totals;
    s.complete = false;
    s.stopped = first.stopped;
    CHECK_THAT(s.line(), Catch::StartsWith("INCOMPLETE"));
    CHECK(app::certificate_json(r, false)["complete"] == false);
    s.complete = true;
    s.stopped.clear();
    CHECK(
        s.line() ==
        fmt::format("all schedules of seed-split-refault (policy original) with ≤3 preemptions "
                    "and ≤1 faults explored: {} executions ({} pruned by reduction); 1 violation; "
                    "no fair cycle (livelock) within the bound",
                    first.totals.executions, first.totals.pruned));
    const auto j = app::certificate_json(r, false);
    CHECK(j["bound"]["preemptions"] == 3);
    CHECK(j["bound"]["faults"] == 1);
    CHECK_FALSE(j["violations"][0].contains("seed"));
    CHECK(j["violations"][0]["kind"] == "wrong-return");
}

TEST_CASE("sweeps cut paths at repeated states and certify the absence of fair cycles",
          "[sweep][livelock]") {
    // The numa_maps loop runs for ever: without cutting at a repeated state, every path on
    // which it runs alone would go to the step bound.
    auto sc = model::load_scenario(pfnsim::test::source_path("scenarios/lockstep-split.toml"));
    sc.policy = *model::parse_policy("eagain");
    auto run = [&](unsigned p) {
        sim::SweepConfig cfg;
        cfg.max_preemptions = p;
        cfg.exec.step_bound = sc.step_bound;
        sim::SweepState state;
        return sim::sweep([&] { return std::make_unique<model::World>(sc); }, cfg, state);
    };
    const auto two = run(2);
    CHECK(two.complete);
    for (const auto& v : two.totals.violations) {
        CHECK(v.violation.kind !=
              sim::ViolationKind::StepBound);  // every path ended: finished or cut
        CHECK(v.violation.kind !=
              sim::ViolationKind::Livelock);  // the lockstep needs more preemptions
    }
}

namespace {

sim::SweepReport stateful(const sim::ProgramFactory& make, std::uint64_t step_bound,
                          unsigned audit = 0, unsigned jobs = 1) {
    sim::SweepConfig cfg;
    cfg.stateful = true;
    cfg.exec.step_bound = step_bound;
    cfg.audit_points = audit;
    cfg.jobs = jobs;
    sim::SweepState state;
    return sim::sweep(make, cfg, state);
}

// What `sweep` prints after an unaudited stateful sweep of `make` stops as inconsistent (exit 4).
std::string diagnosis(const sim::ProgramFactory& make, std::uint64_t step_bound) {
    sim::SweepConfig cfg;
    cfg.stateful = true;
    cfg.exec.step_bound = step_bound;
    return app::audited_diagnosis(make, cfg);
}

// The unreduced stateless sweep of `make` and its stateful sweep, both complete.
std::pair<sim::SweepReport, sim::SweepReport> both_sweeps(const sim::ProgramFactory& make,
                                                          std::uint64_t step_bound) {
    Run all;
    all.reduce = false;
    auto stateless = sweep(make, all, step_bound);
    auto st = stateful(make, step_bound);
    REQUIRE(stateless.complete);
    REQUIRE(st.complete);
    return {std::move(stateless), std::move(st)};
}

std::string refusal(const sim::SweepState& s, const sim::StateLimits& l) {
    try {
        sim::check_state(s, l);
    } catch (const sim::SweepError& e) {
        return e.what();
    }
    return "accepted";
}

}  // namespace

TEST_CASE("the stateful sweep reaches the final states of the full enumeration",
          "[sweep][stateful]") {
    for (std::uint64_t seed = 1; seed <= 40; ++seed) {
        const sim::ProgramFactory make = [seed] {
            return std::make_unique<RandomProgram>(seed, 3, 2);
        };
        INFO("seed " << seed);
        const auto [all, st] = both_sweeps(make, 1000);
        CHECK(st.totals.final_states == all.totals.final_states);
        CHECK(result_keys(st.totals) == result_keys(all.totals));
        CHECK(st.totals.states > 0);
        CHECK(st.totals.executions <= all.totals.executions);
    }
}

namespace {

// Two readers and a writer on a Linux rwsem: the order they got it in is the final state, so
// the stealing and handoff orders must be reached by both sweeps.
struct LinuxRwProgram : pfnsim::test::LambdaProgram {
    sim::RwSemaphore sem;
    std::string order;
    sim::ObjectId id = 0;
    LinuxRwProgram() {
        id = table.intern("sem");
        on_reset = [this] {
            sem.init(id, sim::RwFlavour::Linux);
            order.clear();
        };
        state = [this] { return hash(); };
        add("r1", [this] {
            sem.down_read("r1");
            sim::point(sim::Op::Yield, sim::kNoObject, "r1");
            order += 'a';
            sem.up_read("r1");
        });
        add("w", [this] {
            sem.down_write("w");
            order += 'W';
            sem.up_write("w");
        });
        add("r2", [this] {
            sim::point(sim::Op::Yield, sim::kNoObject, "r2");
            sem.down_read("r2");
            order += 'b';
            sem.up_read("r2");
        });
    }
    std::uint64_t hash() const {
        std::uint64_t h = sem.state_hash();
        for (char c : order) {
            h = sim::hash_mix(h, static_cast<std::uint64_t>(c));
        }
        return h;
    }
    std::uint64_t state_hash() const override { return hash(); }
};

}  // namespace

TEST_CASE("stateful and stateless sweeps agree on a Linux rw_semaphore",
          "[sweep][stateful][rwsem]") {
    const sim::ProgramFactory make = [] { return std::make_unique<LinuxRwProgram>(); };
    const auto [all, st] = both_sweeps(make, 200);
    CHECK(st.totals.final_states == all.totals.final_states);
    CHECK(result_keys(st.totals) == result_keys(all.totals));
    CHECK(all.totals.final_states.size() > 1);
    CHECK(st.totals.executions <= all.totals.executions);
}

TEST_CASE("stateful and stateless sweeps of the shipped scenarios find the same violations",
          "[sweep][stateful]") {
    // The scenarios whose unbounded stateless sweep finishes quickly.
    for (const char* file : {"pin-zap-race.toml", "pin-outside-vma.toml", "pin-munmap-retry.toml",
                             "pin-mem-disabled.toml", "seed-split-refault.toml",
                             "pin-zap-enable.toml", "patchset/vfio-zap-einval.toml",
                             "patchset/acrn-zap-enoent.toml", "patchset/s390r-zap-enoent.toml"}) {
        INFO(file);
        const auto make = scenario(file);
        const auto sc = model::load_scenario(source_path(std::string("scenarios/") + file));
        Run all;
        const auto stateless = sweep(make, all, sc.step_bound);
        const auto st = stateful(make, sc.step_bound);
        REQUIRE(stateless.complete);
        REQUIRE(st.complete);
        std::set<std::pair<std::string, std::string>> a;
        std::set<std::pair<std::string, std::string>> b;
        for (const auto& w : stateless.totals.violations) {
            a.emplace(sim::kind_name(w.violation.kind), w.violation.detail);
        }
        for (const auto& w : st.totals.violations) {
            b.emplace(sim::kind_name(w.violation.kind), w.violation.detail);
        }
        CHECK(a == b);
        CHECK(st.totals.final_states == stateless.totals.final_states);
    }
}

TEST_CASE("a stateful sweep's witnesses have the fewest preemptions of any execution",
          "[sweep][stateful][witness]") {
    // The unreduced stateless sweep runs every execution, so its witness of each violation
    // has the fewest preemptions any execution has. The stateful sweep runs far fewer, in an
    // order its state hits and moves decide, and rebuilds each witness from the graph.
    std::size_t compared = 0;
    for (const char* file : {"pin-zap-race.toml", "pin-munmap-retry.toml", "pin-mem-disabled.toml",
                             "pin-zap-enable.toml", "patchset/vfio-zap-einval.toml",
                             "patchset/acrn-zap-enoent.toml"}) {
        INFO(file);
        const auto make = scenario(file);
        const auto sc = model::load_scenario(source_path(std::string("scenarios/") + file));
        Run all;
        all.reduce = false;
        const auto stateless = sweep(make, all, sc.step_bound);
        const auto st = stateful(make, sc.step_bound);
        REQUIRE(stateless.complete);
        REQUIRE(st.complete);
        for (const auto& w : st.totals.violations) {
            if (w.violation.kind == sim::ViolationKind::Livelock) {
                continue;  // a lasso, not an execution
            }
            for (const auto& v : stateless.totals.violations) {
                if (v.violation == w.violation) {
                    INFO(w.violation.detail);
                    CHECK(w.preemptions == v.preemptions);
                    ++compared;
                }
            }
        }
    }
    CHECK(compared >= 4);
}

TEST_CASE("the stateful sweep proves the lockstep livelock with a lasso that replays",
          "[sweep][stateful][livelock]") {
    const auto make = scenario("lockstep-split.toml", "eagain");
    const auto sc = model::load_scenario(source_path("scenarios/lockstep-split.toml"));
    const auto rep = stateful(make, sc.step_bound);
    REQUIRE(rep.complete);
    const sim::Witness* lasso = nullptr;
    for (const auto& w : rep.totals.violations) {
        if (w.violation.kind == sim::ViolationKind::Livelock) {
            lasso = &w;
        }
    }
    REQUIRE(lasso != nullptr);
    REQUIRE(lasso->schedule.cycle_start.has_value());
    // The cyclic schedule alone replays into the same livelock, with the same trace.
    const auto program = make();
    sim::ExecutionConfig exec;
    exec.step_bound = sc.step_bound;
    sim::ReplayStrategy replay(lasso->schedule);
    const auto o =
        sim::run_execution(*program, replay, 0, sim::replay_config(exec, lasso->schedule));
    CHECK(o.status == sim::Status::Livelock);
    CHECK(o.trace_hash == lasso->trace_hash);
    // Under bounded:3 the same race has no fair cycle.
    const auto bounded = stateful(scenario("lockstep-split.toml", "bounded:3"), sc.step_bound);
    REQUIRE(bounded.complete);
    for (const auto& w : bounded.totals.violations) {
        CHECK(w.violation.kind != sim::ViolationKind::Livelock);
    }
}

TEST_CASE("the state audit finds a value the signature does not capture", "[sweep][audit]") {
    // Actor r reads x into a local; w writes x. Unless the read records the value it read (as
    // the model's reads annotate it), whether r read before or after the write, the state
    // afterwards has one signature, but r then writes what it read: the successors differ.
    std::uint64_t vx = 0;
    std::uint64_t vy = 0;
    const auto program = [&](test::LambdaProgram& p, bool record_value) {
        const sim::ObjectId x = p.table.intern("x");
        const sim::ObjectId y = p.table.intern("y");
        p.on_reset = [&] { vx = vy = 0; };
        p.state = [&] { return sim::hash_mix(vx, vy); };
        p.describe = [&](sim::StateFields& out) {
            out.push_back({"shared", "x", vx});
            out.push_back({"shared", "y", vy});
        };
        p.add("r", [&, x, y, record_value] {
            sim::point(sim::Op::Read, x, "read");
            const std::uint64_t seen = vx;
            if (record_value) {
                sim::annotate("read {}", seen);
            }
            sim::point(sim::Op::Yield, sim::kNoObject, "think");
            sim::point(sim::Op::Write, y, "write");
            vy = seen + 1;
            sim::point(sim::Op::Yield, sim::kNoObject, "after");
        });
        p.add("w", [&, x] {
            sim::point(sim::Op::Write, x, "write");
            vx = 1;
        });
    };
    const auto audit = [&](bool record_value, unsigned points) {
        test::LambdaProgram p;
        program(p, record_value);
        const sim::ProgramFactory make = [&p] {
            return std::unique_ptr<sim::Program>(new ProxyProgram(p));
        };
        return stateful(make, 100, points);
    };
    const auto mismatch = [](const sim::SweepReport& r) -> std::optional<std::string> {
        for (const auto& w : r.totals.violations) {
            if (w.violation.kind == sim::ViolationKind::StateMismatch) {
                return w.violation.detail;
            }
        }
        return std::nullopt;
    };
    const auto has_mismatch = [&](const sim::SweepReport& r) { return mismatch(r).has_value(); };
    CHECK_FALSE(has_mismatch(audit(false, 0)));  // without the audit the gap goes unseen
    const auto audited = audit(false, 8);
    CHECK(audited.totals.audited > 0);
    REQUIRE(has_mismatch(audited));
    // It names what differs between the two successors: the value r wrote from what it read,
    // and r's location (what it observed since its loop head is the same, so the step it is
    // at) is the same in both.
    CHECK_THAT(*mismatch(audited), Catch::Contains("it differs in: shared: y 1 -> 2") ||
                                       Catch::Contains("it differs in: shared: y 2 -> 1"));
    CHECK_FALSE(has_mismatch(audit(true, 8)));
    // What `sweep` prints when an unaudited sweep stops as inconsistent (exit 4): the audited
    // rerun names the mismatch.
    test::LambdaProgram p;
    program(p, false);
    const sim::ProgramFactory make = [&p] {
        return std::unique_ptr<sim::Program>(new ProxyProgram(p));
    };
    CHECK_THAT(diagnosis(make, 100), Catch::StartsWith("; audited, the same sweep finds: ") &&
                                         Catch::Contains("it differs in: shared: y"));
}

TEST_CASE("a replay that does not reach the state it recorded stops the stateful sweep",
          "[sweep][determinism]") {
    // The replay of a recorded path trusts the states on the way and checks the state at its
    // end. A program that behaves differently from its second execution on (it counts its
    // executions outside its state) reaches other states: the sweep must stop, not certify.
    std::uint64_t vx = 0;
    unsigned runs = 0;
    test::LambdaProgram p;
    const sim::ObjectId x = p.table.intern("x");
    p.on_reset = [&] {
        vx = 0;
        ++runs;
    };
    p.state = [&] { return vx; };
    p.add("a", [&, x] {
        sim::point(sim::Op::Write, x, "write");
        vx = runs == 1 ? 1 : 2;
        sim::point(sim::Op::Yield, sim::kNoObject, "think");
        sim::point(sim::Op::Yield, sim::kNoObject, "think again");
    });
    p.add("b", [&, x] {
        sim::point(sim::Op::Write, x, "write");
        vx += 10;
        sim::point(sim::Op::Yield, sim::kNoObject, "think");
    });
    const sim::ProgramFactory make = [&p] {
        return std::unique_ptr<sim::Program>(new ProxyProgram(p));
    };
    REQUIRE_THROWS_WITH(stateful(make, 100),
                        Catch::Contains("not deterministic, or its signature misses"));
    // An inconsistency of the program, not of the input: its own exception (exit 4, not 2).
    runs = 0;
    CHECK_THROWS_AS(stateful(make, 100), sim::SweepInconsistency);
    // Audited, each state of a replay is checked, and the execution that recorded the state
    // where it went astray is replayed again: it does not reach it either.
    runs = 0;
    REQUIRE_THROWS_WITH(stateful(make, 100, 8),
                        Catch::Contains("replaying the execution that recorded the state reaches "
                                        "another state as well: the program is not "
                                        "deterministic"));
    // What `sweep` then prints (exit 4): the audited rerun of the same sweep stops at the
    // state it cannot reach, with the same words.
    runs = 0;
    CHECK_THAT(diagnosis(make, 100), Catch::StartsWith("; audited, the same sweep stops with: ") &&
                                         Catch::Contains("the program is not deterministic"));
    // The same program with the count reset every time is swept to a certificate.
    p.on_reset = [&] {
        vx = 0;
        runs = 1;
    };
    const auto r = stateful(make, 100);
    CHECK(r.complete);
    CHECK(r.totals.states > 0);
}

TEST_CASE("taking queued options at state hits explores the same graph in fewer executions",
          "[sweep][stateful]") {
    std::uint64_t fewer = 0;
    for (const char* file : {"scenarios/lockstep-split.toml", "scenarios/seed-split-refault.toml",
                             "scenarios/seed-split-signal.toml", "scenarios/pin-zap-race.toml"}) {
        for (const char* policy : {"original", "eagain", "enoent"}) {
            INFO(file << " " << policy);
            const model::Scenario sc = model::load_scenario(source_path(file));
            const model::Policy pol = *model::parse_policy(policy);
            const sim::ProgramFactory make = [&] {
                auto w = std::make_unique<model::World>(sc);
                w->set_policy(pol);
                return std::unique_ptr<sim::Program>(std::move(w));
            };
            const auto run = [&](bool take) {
                sim::SweepConfig cfg;
                cfg.stateful = true;
                cfg.exec.step_bound = sc.step_bound;
                cfg.take_at_hits = take;
                sim::SweepState state;
                return sim::sweep(make, cfg, state);
            };
            const auto taking = run(true);
            const auto stopping = run(false);
            REQUIRE(taking.complete);
            REQUIRE(stopping.complete);
            CHECK(taking.totals.states == stopping.totals.states);
            CHECK(taking.totals.transitions == stopping.totals.transitions);
            CHECK(taking.totals.final_states == stopping.totals.final_states);
            CHECK(kinds(taking.totals) == kinds(stopping.totals));
            CHECK(taking.totals.executions <= stopping.totals.executions);
            fewer += stopping.totals.executions - taking.totals.executions;
        }
    }
    CHECK(fewer > 0);
}

TEST_CASE("a state hit with no queued option moves along recorded transitions to one",
          "[sweep][stateful]") {
    // The strategy alone, as a stateful task drives it: with moves, the same states and
    // transitions in fewer executions than stopping at every hit, and some moves taken.
    const model::Scenario sc = model::load_scenario(source_path("scenarios/lockstep-split.toml"));
    const auto run = [&](std::uint64_t continue_points, std::uint64_t& moves) {
        sim::StateGraph graph;
        sim::StatefulStrategy st(graph, {0, 0, continue_points});
        model::World w(sc);
        sim::ExecutionConfig cfg;
        cfg.step_bound = sc.step_bound;
        std::uint64_t executions = 0;
        do {
            const sim::Outcome o = sim::run_execution(w, st, 0, cfg);
            REQUIRE(st.error().empty());
            ++executions;
        } while (st.advance());
        moves = st.moves();
        return std::tuple{graph.states(), graph.transitions(), executions};
    };
    std::uint64_t moved = 0;
    std::uint64_t none = 0;
    const auto [s1, t1, e1] = run(sc.step_bound / 4, moved);
    const auto [s0, t0, e0] = run(0, none);
    CHECK(s1 == s0);
    CHECK(t1 == t0);
    CHECK(none == 0);
    CHECK(moved > 0);
    CHECK(e1 < e0);
}

TEST_CASE("a stateful sweep's self-check replays its execution as it ran, without loop heads",
          "[sweep][stateful][determinism]") {
    // The loop's head repeats the loop-state sample (shared state and location), while the
    // signature, which also has `round` (as World's has task flags the sample lacks), does
    // not repeat. The stateful execution sees every point and is not cut; a replay that sampled
    // loop heads would stop at the second head (a repeated state, or a one-actor livelock) and
    // report its own violation's schedule as nondeterministic.
    struct Program final : test::LambdaProgram {
        std::uint64_t round = 0;
        std::optional<std::uint64_t> state_signature() const override {
            return sim::hash_mix(*loop_state_hash(), round);
        }
    };
    const sim::ProgramFactory make = [] {
        auto p = std::make_unique<Program>();
        Program* const q = p.get();
        const sim::ObjectId x = q->table.intern("x");
        q->on_reset = [q] { q->round = 0; };
        q->state = [] { return std::uint64_t{7}; };
        q->add("a", [q, x] {
            sim::Loop loop("rounds");
            for (std::uint64_t i = 0; i < 3; ++i) {
                loop.head();
                sim::point(sim::Op::Write, x, "next round");
                q->round = i + 1;
            }
            sim::fail_invariant("a", "three rounds");
        });
        return std::unique_ptr<sim::Program>(std::move(p));
    };
    const auto r = stateful(make, 100);
    REQUIRE(r.complete);
    const auto found = kinds(r.totals);
    CHECK(found.count({"invariant", "a", "three rounds"}) == 1);
    for (const auto& [kind, actor, detail] : found) {
        CHECK(kind != "nondeterminism");
    }
}

TEST_CASE("a saved sweep is range-checked before it is resumed", "[sweep][checkpoint]") {
    const auto make = scenario("seed-split-refault.toml");
    const auto names = actor_names(make);
    sim::SweepState saved;
    sim::SweepHooks hooks;
    hooks.save = [&](const sim::SweepState& st) { saved = st; };
    sim::SweepState state;
    const auto rep = sweep(make, {3U, true, 1, 0, 1, std::nullopt, 500}, 2000, &state, hooks);
    REQUIRE(!rep.complete);
    REQUIRE(saved.active.size() == 1);
    sim::StateLimits l;
    l.actors = names.size();
    l.preemptions = 3U;
    l.step_bound = 2000;
    REQUIRE(refusal(saved, l) == "accepted");
    auto& path = saved.active[0].frontier;
    std::size_t k = path.size();
    while (k-- > 0 && path[k].data) {
    }
    REQUIRE(k < path.size());  // an actor choice to edit

    auto s = saved;
    s.active[0].frontier[k].sleep = 1ULL << 5;  // names an actor that is not enabled there
    CHECK_THAT(refusal(s, l), Catch::Contains("sleep set 0x20 names an actor that is not"));
    s = saved;
    s.active[0].frontier[k].current = 100;  // once a shift overflow in DfsStrategy
    CHECK_THAT(refusal(s, l), Catch::Contains("current actor 100"));
    s = saved;
    s.active[0].frontier[k].chosen = 9;
    CHECK_THAT(refusal(s, l), Catch::Contains("chosen option 9 of"));
    s = saved;
    s.active[0].frontier[k].preemptions_before += 1;
    CHECK_THAT(refusal(s, l), Catch::Contains("the path above gives"));
    s = saved;
    s.done.assign(s.tasks.size(), true);
    s.active.clear();  // the hand edit that certified "0 executions"
    CHECK_THAT(refusal(s, l), Catch::Contains("cannot finish 1 tasks"));
    s = saved;
    s.active[0].totals.executions += 1;
    CHECK_THAT(refusal(s, l), Catch::Contains("add up to"));
    sim::StateLimits other = l;
    other.shards = 2;
    other.shard = 1;
    CHECK_THAT(refusal(saved, other), Catch::Contains("is not one of shard 1/2"));

    // A sleep set that passes the static checks but is not the one its path gives is found
    // when the path is replayed: a SweepError, never a different count.
    bool tried = false;
    for (std::size_t d = 0; d < path.size() && !tried; ++d) {
        const auto& n = path[d];
        for (std::uint32_t i = n.chosen + 1; i < n.options.size() && !n.data; ++i) {
            if ((n.explorable & (1ULL << i)) == 0) {
                continue;
            }
            s = saved;
            auto& m = s.active[0].frontier[d];
            m.sleep |= 1ULL << m.options[i];
            m.explorable &= ~(1ULL << i);
            REQUIRE(refusal(s, l) == "accepted");
            CHECK_THROWS_AS(sweep(make, {3U}, 2000, &s), sim::SweepError);
            tried = true;
            break;
        }
    }
    CHECK(tried);
}

TEST_CASE("stateful shards merge to the unsharded sweep's verdicts, and threads change nothing",
          "[sweep][stateful][shards]") {
    const auto make = scenario("lockstep-split.toml", "eagain");
    const auto sc = model::load_scenario(source_path("scenarios/lockstep-split.toml"));
    const auto whole = stateful(make, sc.step_bound);
    const auto threads = stateful(make, sc.step_bound, 0, 2);
    CHECK(threads.totals == whole.totals);  // one task per shard: the threads do not split it
    sim::SweepTotals merged;
    for (unsigned i = 0; i < 3; ++i) {
        sim::SweepConfig cfg;
        cfg.stateful = true;
        cfg.exec.step_bound = sc.step_bound;
        cfg.shard = i;
        cfg.shards = 3;
        sim::SweepState state;
        const auto part = sim::sweep(make, cfg, state);
        REQUIRE(part.complete);
        merged.merge(part.totals);
    }
    CHECK(kinds(merged) == kinds(whole.totals));
    CHECK(merged.final_states == whole.totals.final_states);
    CHECK(merged.states >= whole.totals.states);  // a state two tasks reach counts in each
}

namespace {

// A small program with retry loops, made from a seed: each actor either waits in a declared
// loop until a shared value is set (reading it each round, as the model's retry loops read an
// entry) and then writes, or takes a few reads and writes. An actor can wait for ever, so the
// searches must agree on livelocks as well as on final states.
class LoopProgram final : public sim::Program {
  public:
    LoopProgram(std::uint64_t seed, int actors) {
        sim::Xoshiro256 rng(seed);
        for (int o = 0; o < 2; ++o) {
            objs_.push_back(table_.intern("x" + std::to_string(o)));
        }
        for (int a = 0; a < actors; ++a) {
            decls_.push_back({"t" + std::to_string(a), false});
            waits_.push_back(rng.below(2) == 0 ? static_cast<int>(rng.below(2)) : -1);
            writes_.push_back(static_cast<int>(rng.below(2)));
            values_.push_back(rng.below(3));
        }
        reset();
    }
    const std::vector<sim::ActorDecl>& actors() const override { return decls_; }
    sim::ObjectTable& objects() override { return table_; }
    void reset() override {
        mem_.assign(objs_.size(), 0);
        done_.assign(decls_.size(), false);
    }
    void run_actor(sim::ActorId id) override {
        if (const int w = waits_[id]; w >= 0) {
            sim::Loop retry("wait");
            for (;;) {
                retry.head(0);
                sim::point(sim::Op::Read, objs_[w], "read");
                const std::uint64_t v = mem_[w];
                sim::annotate("read {}", v);
                if (v != 0) {
                    break;
                }
            }
        }
        sim::point(sim::Op::Write, objs_[writes_[id]], "write", "write {}", values_[id]);
        mem_[writes_[id]] = values_[id];
        sim::point(sim::Op::Read, objs_[1 - writes_[id]], "read");
        sim::annotate("read {}", mem_[1 - writes_[id]]);
        done_[id] = true;
    }
    std::string result(sim::ActorId id) const override { return done_[id] ? "done" : ""; }
    void check_results(std::vector<sim::Violation>& /*out*/) const override {}
    std::uint64_t state_hash() const override { return sim::hash_mix(mem_[0] + 1, mem_[1] + 7); }
    std::optional<std::uint64_t> loop_state_hash() const override {
        std::uint64_t h = state_hash();
        for (bool d : done_) {
            h = sim::hash_mix(h, d ? 1 : 0);
        }
        return h;
    }

  private:
    std::vector<sim::ActorDecl> decls_;
    sim::ObjectTable table_;
    std::vector<sim::ObjectId> objs_;
    std::vector<int> waits_;
    std::vector<int> writes_;
    std::vector<std::uint64_t> values_;
    std::vector<std::uint64_t> mem_;
    std::vector<bool> done_;
};

std::set<std::string> violation_kinds(const sim::SweepTotals& t) {
    std::set<std::string> s;
    for (const auto& w : t.violations) {
        s.insert(sim::kind_name(w.violation.kind));
    }
    return s;
}

}  // namespace

TEST_CASE("stateful and stateless sweeps agree on small random programs with retry loops",
          "[sweep][stateful][livelock]") {
    int livelocks = 0;
    for (std::uint64_t seed = 1; seed <= 40; ++seed) {
        const sim::ProgramFactory make = [seed] { return std::make_unique<LoopProgram>(seed, 3); };
        INFO("seed " << seed);
        const auto [stateless, st] = both_sweeps(make, 400);
        CHECK(violation_kinds(st.totals) == violation_kinds(stateless.totals));
        if (violation_kinds(st.totals).count("livelock") > 0) {
            // The stateless search also counts the state where it cut each livelocked run;
            // the stateful one reports the cycle from its graph instead.
            ++livelocks;
            continue;
        }
        CHECK(st.totals.final_states == stateless.totals.final_states);
        CHECK(result_keys(st.totals) == result_keys(stateless.totals));
    }
    CHECK(livelocks > 0);  // some programs wait for a value nobody writes
}

TEST_CASE("stateful = stateless on repeated zaps and enables ordered by after",
          "[sweep][stateful]") {
    // Each PCI_COMMAND loop declares its count; an enable that has not started (blocked by
    // `after`) is a different state from one that has. Against the stateless sweep with
    // sleep sets: unreduced, the four PCI_COMMAND writes' interleavings with the pin run to
    // millions of executions.
    const auto sc = std::make_shared<model::Scenario>(model::parse_scenario(
        R"(name = "t"
[[device]]
name = "gpu"
bar_base = 0x4000000000
bar_size = "2G"
[[vma]]
start = 0x40000000
size = "2G"
flags = ["VM_IO", "VM_PFNMAP", "VM_READ", "VM_WRITE", "VM_SHARED"]
device = "gpu"
[[actor]]
name = "pin"
kind = "pin"
vaddr = 0x40000000
size = "1G"
[[actor]]
name = "zap"
kind = "zap"
repeat = 2
[[actor]]
name = "enable"
kind = "enable"
repeat = 2
after = ["zap"]
)",
        "inline.toml"));
    const sim::ProgramFactory make = [sc]() -> std::unique_ptr<sim::Program> {
        return std::make_unique<model::World>(*sc);
    };
    const Run reduced;  // sleep sets
    const auto all = sweep(make, reduced, 2000);
    const auto st = stateful(make, 2000);
    REQUIRE(all.complete);
    REQUIRE(st.complete);
    CHECK(st.totals.final_states == all.totals.final_states);
    CHECK(result_keys(st.totals) == result_keys(all.totals));
    CHECK(kinds(st.totals) == kinds(all.totals));
    CHECK(st.totals.states > 0);
    CHECK(st.totals.executions < all.totals.executions);
}

// What the state signature reads without walking (page_table::digest kept by pt_store, each
// lock's kept hash) equals its recomputation at every loop head of every shipped scenario.
TEST_CASE("the kept page-table digest and lock hashes match their recomputation",
          "[sweep][stateful][digest]") {
    std::vector<std::filesystem::path> files;
    for (const char* dir : {"scenarios", "scenarios/patchset"}) {
        for (const auto& e : std::filesystem::directory_iterator(source_path(dir))) {
            if (e.path().extension() == ".toml") {
                files.push_back(e.path());
            }
        }
    }
    std::sort(files.begin(), files.end());
    REQUIRE(files.size() > 20);
    for (const auto& f : files) {
        INFO(f.filename().string());
        for (const char* policy : {"original", "eagain", "enoent"}) {
            model::World w(model::load_scenario(f.string()));
            w.set_policy(*model::parse_policy(policy));
            w.audit_digests = true;
            sim::ExecutionConfig cfg;
            cfg.step_bound = w.sc.step_bound;
            cfg.record_trace = false;
            sim::RandomStrategy random;
            for (std::uint64_t i = 0; i < 40; ++i) {
                sim::run_execution(w, random, sim::derive_seed(7, i), cfg);
            }
            sim::DfsStrategy dfs(2);
            std::uint64_t n = 0;
            do {
                sim::run_execution(w, dfs, n, cfg);
            } while (dfs.advance() && ++n < 200);
            CHECK(w.digest_mismatches == 0);
            CHECK(w.digest_audits > 0);
        }
    }
    // The audit sees a write that bypasses pt_store.
    model::World w(model::load_scenario(source_path("scenarios/seed-split-refault.toml")));
    w.audit_digests = true;
    REQUIRE(!w.mm.pgtable.pud.empty());
    (void)w.loop_state_hash();
    CHECK(w.digest_mismatches == 0);
    w.mm.pgtable.pud.begin()->second.e = model::pt_entry{};
    (void)w.loop_state_hash();
    CHECK(w.digest_mismatches == 1);
}

namespace {

// The seed race, where the first actor's first step clears a PUD entry without pt_store.
class BypassingWorld final : public ProxyProgram {
  public:
    explicit BypassingWorld(model::World& w) : ProxyProgram(w), w_(w) {}
    void run_actor(sim::ActorId id) override {
        if (id == 0) {
            sim::point(sim::Op::Write, sim::kNoObject, "bypass");
            w_.mm.pgtable.pud.begin()->second.e = model::pt_entry{};
        }
        ProxyProgram::run_actor(id);
    }

  private:
    model::World& w_;
};

}  // namespace

TEST_CASE("the state audit reports a kept signature value that differs from its recomputation",
          "[sweep][stateful][digest][audit]") {
    model::World w(model::load_scenario(source_path("scenarios/seed-split-refault.toml")));
    const auto run = [&](bool audit) {
        sim::SweepConfig cfg;
        cfg.stateful = true;
        cfg.exec.step_bound = w.sc.step_bound;
        cfg.exec.audit_kept_state = audit;
        sim::SweepState state;
        const sim::ProgramFactory make = [&w] {
            return std::unique_ptr<sim::Program>(new BypassingWorld(w));
        };
        return sim::sweep(make, cfg, state);
    };
    const auto mismatches = [](const sim::SweepReport& r) {
        std::vector<std::string> found;
        for (const auto& v : r.totals.violations) {
            if (v.violation.kind == sim::ViolationKind::StateMismatch) {
                found.push_back(v.violation.detail);
            }
        }
        return found;
    };
    // Unaudited, the bypass is no state-mismatch: the sweep misses it, or stops because a replay
    // or a move along recorded transitions did not reach the state it recorded (the signature
    // missed the cleared entry).
    try {
        const auto unaudited = run(false);
        CHECK(mismatches(unaudited).empty());
    } catch (const sim::SweepError& e) {
        CHECK_THAT(e.what(), Catch::Contains("its signature misses part of its state"));
    }
    const auto found = mismatches(run(true));
    REQUIRE(found.size() == 1);
    CHECK_THAT(found[0], Catch::Contains("page table: the kept present entries differs from its "
                                         "recomputation (an entry was written without pt_store)"));
    CHECK(w.digest_mismatches > 0);
}

namespace {

struct Resumed {
    sim::SweepReport rep;
    int runs = 0;
    std::uint64_t saves = 0;
};

// A stateful sweep stopped after `first` executions and then every `step` more (0: not again),
// each run resumed from the JSON text of the last checkpoint, read and checked as
// `pfnsim sweep --checkpoint` reads it.
Resumed stateful_resumed(const sim::ProgramFactory& make, const sim::SweepConfig& base,
                         std::uint64_t first, std::uint64_t step) {
    const auto names = actor_names(make);
    Resumed out;
    std::string saved;
    sim::SweepHooks hooks;
    hooks.save = [&](const sim::SweepState& st) {
        saved = sim::state_json(st, names).dump();
        ++out.saves;
    };
    std::uint64_t limit = first;
    for (;; ++out.runs) {
        REQUIRE(out.runs < 64);
        sim::SweepState state;
        if (!saved.empty()) {
            state = sim::state_from_json(nlohmann::json::parse(saved), names);
            sim::StateLimits l;
            l.actors = names.size();
            l.step_bound = base.exec.step_bound;
            l.reduce = false;
            l.stateful = true;
            REQUIRE_NOTHROW(sim::check_state(state, l));  // a saved search passes its checks
        }
        sim::SweepConfig cfg = base;
        cfg.max_executions = limit;
        out.rep = sim::sweep(make, cfg, state, hooks);
        if (out.rep.complete || out.rep.stopped != "max-executions") {
            return out;
        }
        CHECK(out.rep.totals.executions == limit);
        CHECK(out.rep.totals.states > 0);  // a stopped task reports its graph so far
        limit = step == 0 ? 0 : limit + step;
    }
}

void same_certificate(const sim::SweepReport& a, const sim::SweepReport& b) {
    CHECK(a.complete == b.complete);
    CHECK(a.stopped == b.stopped);
    CHECK(a.totals == b.totals);  // executions, steps, results, final states, violations
    CHECK(a.totals.states == b.totals.states);
    CHECK(a.totals.transitions == b.totals.transitions);
    CHECK(a.totals.state_hits == b.totals.state_hits);
    CHECK(a.totals.revisited == b.totals.revisited);
    CHECK(a.totals.audited == b.totals.audited);
    CHECK(kinds(a.totals) == kinds(b.totals));
}

}  // namespace

TEST_CASE("an interrupted stateful sweep resumes from its checkpoint to the same certificate",
          "[sweep][stateful][checkpoint]") {
    struct Case {
        const char* file;
        const char* policy;
        unsigned audit;
        std::uint64_t every;  // executions between saves
    };
    // nonclose: three actors, some 10^5 executions and states.
    for (const Case& c : {Case{"seed-split-refault.toml", "original", 0, 5},
                          Case{"../tests/data/nonclose.toml", "original", 0, 20000},
                          Case{"lockstep-split.toml", "eagain", 0, 5},
                          Case{"seed-split-refault.toml", "original", 8, 5}}) {
        INFO(c.file << " --policy " << c.policy << " audit " << c.audit);
        const auto make = scenario(c.file, c.policy);
        const auto sc = model::load_scenario(source_path(std::string("scenarios/") + c.file));
        sim::SweepConfig cfg;
        cfg.stateful = true;
        cfg.exec.step_bound = sc.step_bound;
        cfg.audit_points = c.audit;
        cfg.checkpoint_every = c.every;  // saves between executions too, not only at the stop
        sim::SweepState fresh;
        const auto whole = sim::sweep(make, cfg, fresh);
        REQUIRE(whole.complete);
        const std::uint64_t n = whole.totals.executions;
        REQUIRE(n > 4);
        // Stopped once after K executions for several K, then run to the end.
        for (const std::uint64_t k :
             {std::uint64_t{1}, std::uint64_t{2}, std::uint64_t{7}, n / 3, n / 2 + 1, n - 1}) {
            INFO("stopped after " << k << " of " << n << " executions");
            const Resumed r = stateful_resumed(make, cfg, k, 0);
            CHECK(r.runs == 1);
            same_certificate(r.rep, whole);
        }
        // Stopped again and again.
        const Resumed chain = stateful_resumed(make, cfg, n / 5 + 1, n / 5 + 1);
        CHECK(chain.runs >= 3);
        same_certificate(chain.rep, whole);
    }
}

TEST_CASE("a stateful sweep stopped by --max-states resumes to the same stop",
          "[sweep][stateful][checkpoint]") {
    const auto make = scenario("seed-split-refault.toml");
    const auto sc = model::load_scenario(source_path("scenarios/seed-split-refault.toml"));
    sim::SweepConfig cfg;
    cfg.stateful = true;
    cfg.exec.step_bound = sc.step_bound;
    cfg.max_states = 200;
    sim::SweepState fresh;
    const auto whole = sim::sweep(make, cfg, fresh);
    REQUIRE_FALSE(whole.complete);
    REQUIRE(whole.stopped == "max-states");
    const Resumed r = stateful_resumed(make, cfg, whole.totals.executions / 2, 0);
    same_certificate(r.rep, whole);
    // Resumed once more from the search that reached the limit: it stops at once, unchanged.
    const Resumed again = stateful_resumed(make, cfg, whole.totals.executions / 2, 1);
    same_certificate(again.rep, whole);
}

TEST_CASE("a saved stateful search is range-checked before it is resumed",
          "[sweep][stateful][checkpoint]") {
    const auto make = scenario("seed-split-refault.toml");
    const auto names = actor_names(make);
    const auto sc = model::load_scenario(source_path("scenarios/seed-split-refault.toml"));
    sim::SweepConfig cfg;
    cfg.stateful = true;
    cfg.exec.step_bound = sc.step_bound;
    cfg.max_executions = 40;
    sim::SweepState state;
    const auto rep = sim::sweep(make, cfg, state);
    REQUIRE(rep.stopped == "max-executions");
    REQUIRE(state.active.size() == 1);
    const std::string search = state.active[0].search;
    REQUIRE(!search.empty());
    sim::StateLimits l;
    l.actors = names.size();
    l.step_bound = sc.step_bound;
    l.stateful = true;
    CHECK_NOTHROW(sim::check_state(state, l));
    const auto fails = [&](const sim::SweepState& s, const std::string& what) {
        INFO(what);
        CHECK_THROWS_WITH(sim::check_state(s, l), Catch::Contains(what));
    };
    {
        sim::SweepState s = state;
        s.active[0].search.clear();
        fails(s, "active[0].search: is missing");
    }
    {
        sim::StateLimits stateless = l;
        stateless.stateful = false;
        CHECK_THROWS_WITH(sim::check_state(state, stateless),
                          Catch::Contains("active[0].search: a stateless sweep saves no search"));
    }
    {
        sim::SweepState s = state;
        s.active[0].totals.states += 1;
        fails(s, "active[0].totals.states");
    }
    {
        sim::SweepState s = state;
        s.active[0].search.push_back('\0');
        fails(s, "active[0].search: 1 bytes after the end");
    }
    {
        // A search saved before the violations' ends were kept (format pfsg1).
        sim::SweepState s = state;
        REQUIRE(s.active[0].search.rfind("pfsg2", 0) == 0);
        s.active[0].search[4] = '1';
        fails(s, "active[0].search: a saved search of an older pfnsim (format pfsg1");
    }
    // Every truncation and every one-byte change is refused with a message naming a field, or
    // is a search that resumes (checked again by the sweep's own replay, which stops with a
    // SweepInconsistency rather than a wrong certificate).
    const auto whole = [&] {
        sim::SweepConfig c = cfg;
        c.max_executions = 0;
        sim::SweepState s;
        return sim::sweep(make, c, s);
    }();
    std::size_t refused = 0;
    std::size_t accepted = 0;
    const std::size_t stride = std::max<std::size_t>(1, search.size() / 1500);
    for (std::size_t i = 0; i < search.size(); i += stride) {
        for (const int change : {-1, 1, 0x80}) {
            sim::SweepState s = state;
            if (change == -1) {
                s.active[0].search.resize(i);
            } else {
                s.active[0].search[i] = static_cast<char>(s.active[0].search[i] ^ change);
            }
            try {
                sim::check_state(s, l);
            } catch (const sim::SweepError& e) {
                CHECK(std::string(e.what()).find("active[0]") == 0);
                ++refused;
                continue;
            }
            if (++accepted > 24) {
                continue;  // enough resumed: each is a whole sweep
            }
            sim::SweepConfig c = cfg;
            c.max_executions = 0;
            try {
                const auto r = sim::sweep(make, c, s);
                // A changed signature of a state never reached again, or a count the search
                // does not depend on: it may finish, and then it is a certificate of the
                // same exploration or one that says what differs.
                if (r.complete && r.totals.states == whole.totals.states) {
                    CHECK(kinds(r.totals) == kinds(whole.totals));
                }
            } catch (const sim::SweepError&) {
            }
        }
    }
    CHECK(refused > 0);
    INFO(accepted << " of " << refused + accepted << " changes pass the field checks");
}

TEST_CASE("a lasso's cycle takes each actor's nearest step, not its first recorded one",
          "[sweep][livelock]") {
    // Six states in a ring of actor 0's steps (choice 0); actor 1 (choice 1) steps from 3 to 4,
    // recorded first, and from 1 back to 0, recorded last. Both actors are enabled and
    // unfinished everywhere, so a fair round steps both. From the first state the shortest
    // such round is 0 -> 1 (actor 0), 1 -> 0 (actor 1); through 3 -> 4 it would be six steps.
    using G = sim::StateGraph;
    std::vector<std::uint64_t> keys;
    std::vector<G::Info> infos;
    for (std::uint32_t i = 0; i < 6; ++i) {
        keys.push_back(100 + i);
        infos.push_back({0b11, 0b11, i == 0 ? G::kNone : i - 1, i == 0 ? G::kNone : 0});
    }
    std::vector<G::Edge> edges{{3, 4, 1, 1}};
    for (std::uint32_t i = 0; i < 6; ++i) {
        edges.push_back({i, (i + 1) % 6, 0, 0});
    }
    edges.push_back({1, 0, 1, 1});
    G g;
    REQUIRE(g.restore(keys, infos, edges).empty());
    const std::vector<G::Lasso> found = g.fair_cycles(0, 4);
    REQUIRE(found.size() == 1);
    CHECK(found[0].prefix.empty());
    CHECK(found[0].state == 100);
    CHECK(found[0].cycle == std::vector<std::uint32_t>{0, 1});
}
