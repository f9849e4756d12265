// The seed race and its neighbours under every retry policy (issue: the seed race end to end).
#include <toml++/toml.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "pfnsim/model/world.hpp"
#include "pfnsim/sim/explore.hpp"
#include "pfnsim/sim/random_strategy.hpp"
#include "pfnsim/sim/replay_strategy.hpp"
#include "pfnsim/sim/sweep.hpp"
#include "pfnsim/sim/trace.hpp"
#include "support.hpp"

using namespace pfnsim;
using pfnsim::test::source_path;

namespace {

model::World world_for(const std::string& scenario, const std::string& policy) {
    model::World w(model::load_scenario(source_path("scenarios/" + scenario)));
    w.set_policy(*model::parse_policy(policy));
    return w;
}

sim::ExploreReport explore(model::World& w, std::uint64_t iterations, std::uint64_t seed = 1) {
    sim::RandomStrategy r;
    sim::ExploreConfig cfg;
    cfg.iterations = iterations;
    cfg.seed = seed;
    cfg.exec.step_bound = w.sc.step_bound;
    return sim::explore(w, r, cfg);
}

const sim::Witness* find(const sim::ExploreReport& rep, sim::ViolationKind kind,
                         const std::string& detail) {
    for (const auto& v : rep.violations) {
        if (v.violation.kind == kind && v.violation.detail == detail) {
            return &v;
        }
    }
    return nullptr;
}

std::string render(model::World& w, const sim::Outcome& o) {
    return sim::render_trace(o, w);
}

}  // namespace

TEST_CASE("original: the seed race returns -EINVAL, and its seed replays identically",
          "[policy][seed-race]") {
    auto w = world_for("seed-split-refault.toml", "original");
    sim::RandomStrategy r;
    sim::ExploreConfig cfg;
    cfg.iterations = 10000;
    cfg.seed = 1;
    cfg.stop_on_first = true;
    const auto rep = sim::explore(w, r, cfg);
    const auto* v = find(rep, sim::ViolationKind::WrongReturn, "pin returned -EINVAL");
    REQUIRE(v != nullptr);
    CHECK(rep.executions <= 10000);

    sim::ExecutionConfig ec;
    ec.step_bound = w.sc.step_bound;
    const auto a = sim::run_execution(w, r, v->seed.value(), ec);
    const auto b = sim::run_execution(w, r, v->seed.value(), ec);
    REQUIRE(a.results[0] == "-EINVAL");
    CHECK(a.trace_hash == b.trace_hash);
    CHECK(render(w, a) == render(w, b));
    // The schedule reproduces it too.
    sim::ReplayStrategy replay(sim::decode_schedule(sim::encode_schedule(v->schedule)));
    const auto c = sim::run_execution(w, replay, 0, ec);
    CHECK(c.trace_hash == a.trace_hash);
    CHECK(render(w, c) == render(w, a));
}

TEST_CASE("eagain never returns -EINVAL on the seed race", "[policy][seed-race]") {
    auto w = world_for("seed-split-refault.toml", "eagain");
    const auto rep = explore(w, 3000);
    CHECK(rep.violations.empty());
    CHECK(rep.results[0].count("-EINVAL") == 0);
    CHECK(rep.results[0].at("0") == 3000);
}

TEST_CASE("bounded:3 always ends with 0 or -EBUSY, and does reach -EBUSY", "[policy]") {
    for (const char* sc : {"seed-split-refault.toml", "lockstep-split.toml"}) {
        auto w = world_for(sc, "bounded:3");
        const auto rep = explore(w, 3000);
        // -EBUSY is a new errno for MAP_DMA (userspace can retry), never a wrong return.
        for (const auto& v : rep.violations) {
            CHECK(v.violation.kind == sim::ViolationKind::NewErrno);
            CHECK(v.violation.detail == "pin returned -EBUSY");
        }
        for (const auto& [res, n] : rep.results[0]) {
            CHECK((res == "0" || res == "-EBUSY"));
        }
    }
    // Against a split that never stops, some executions exhaust the retries.
    auto w = world_for("lockstep-split.toml", "bounded:0");
    const auto rep = explore(w, 3000);
    CHECK(rep.results[0].count("-EBUSY") == 1);
}

TEST_CASE("enoent-killable with a SIGKILL always ends with 0 or -EINTR", "[policy][signal]") {
    auto w = world_for("seed-split-signal.toml", "enoent-killable");
    const auto rep = explore(w, 3000);
    CHECK(rep.violations.empty());
    CHECK(rep.results[0].count("0") == 1);
    CHECK(rep.results[0].count("-EINTR") == 1);
    CHECK(rep.results[0].size() == 2);
}

TEST_CASE("with memory disabled before the pin every policy returns -EFAULT", "[policy]") {
    for (const char* p : {"original", "eagain", "bounded:3", "enoent", "enoent-killable"}) {
        auto w = world_for("pin-mem-disabled.toml", p);
        const auto rep = explore(w, 200);
        CHECK(rep.violations.empty());
        REQUIRE(rep.results[0].size() == 1);
        CHECK(rep.results[0].begin()->first == "-EFAULT");
    }
}

TEST_CASE("racing a zap, original can return -EINVAL where -EFAULT is right, then others cannot",
          "[policy][zap]") {
    auto orig = world_for("pin-zap-race.toml", "original");
    CHECK(find(explore(orig, 3000), sim::ViolationKind::WrongReturn, "pin returned -EINVAL") !=
          nullptr);
    for (const char* p : {"eagain", "bounded:3", "enoent", "enoent-killable"}) {
        auto w = world_for("pin-zap-race.toml", p);
        const auto rep = explore(w, 3000);
        CHECK(rep.violations.empty());
        CHECK(rep.results[0].count("-EINVAL") == 0);
        CHECK(rep.results[0].count("-EFAULT") == 1);
        CHECK(rep.results[0].count("0") == 1);
    }
}

TEST_CASE("every recorded schedule replays to its recorded verdict", "[policy][recorded]") {
    const auto root = toml::parse_file(source_path("tests/data/recorded.toml"));
    const auto* arr = root["recorded"].as_array();
    REQUIRE(arr != nullptr);
    REQUIRE(arr->size() >= 3);
    for (const auto& node : *arr) {
        const auto& t = *node.as_table();
        const std::string scenario = t["scenario"].value_or(std::string());
        const std::string policy = t["policy"].value_or(std::string());
        const std::string schedule = t["schedule"].value_or(std::string());
        const std::string verdict = t["verdict"].value_or(std::string());
        const std::string detail = t["detail"].value_or(std::string());
        INFO(scenario << " under " << policy);
        model::World w(model::load_scenario(source_path(scenario)));
        w.set_policy(*model::parse_policy(policy));
        const sim::Schedule sched = sim::decode_schedule(schedule);
        sim::ReplayStrategy replay(sched);
        sim::ExecutionConfig ec;
        ec.step_bound = w.sc.step_bound;
        // As `pfnsim replay` runs it: a cyclic schedule's cycle is checked as a cycle.
        const auto out = sim::run_execution(w, replay, 0, sim::replay_config(ec, sched));
        CHECK(out.strategy_error.empty());
        const std::string got =
            out.violations.empty() ? "clean" : sim::kind_name(out.violations[0].kind);
        CHECK(got == verdict);
        if (!detail.empty()) {
            REQUIRE_FALSE(out.violations.empty());
            CHECK(out.violations[0].detail == detail);
        }
    }
}

TEST_CASE("the recorded lockstep schedule is a proven livelock under eagain, not bounded:3",
          "[policy][lockstep][livelock]") {
    const auto sched = sim::decode_schedule("1.b8a15b6a(a12b6a)");
    {
        auto w = world_for("lockstep-split.toml", "eagain");
        sim::ReplayStrategy replay(sched);
        sim::ExecutionConfig ec;
        ec.step_bound = w.sc.step_bound;
        const auto out = sim::run_execution(w, replay, 0, sim::replay_config(ec, sched));
        REQUIRE(out.status == sim::Status::Livelock);
        REQUIRE(out.lasso.has_value());
        CHECK(out.steps < 200);               // found in the first round, long before the bound
        CHECK(out.lasso->cycle_steps == 19);  // one round: 12 + 6 + 1 steps
        REQUIRE(out.lasso->stuck.size() == 1);
        CHECK(w.actors()[out.lasso->stuck[0]].name == "pin");
        // The fault path checks fatal_signal_pending() (FAULT_FLAG_KILLABLE) every round;
        // nothing in the loop calls cond_resched() or sleeps: only its might_sleep() sites
        // (mmap_lock, memory_lock) reschedule, under voluntary and full.
        CHECK(out.lasso->killable);
        CHECK_FALSE(out.lasso->yielding);
        CHECK(out.lasso->voluntary);
        CHECK(std::find(out.lasso->locks_held.begin(), out.lasso->locks_held.end(),
                        "mm.mmap_lock (read)") != out.lasso->locks_held.end());
        REQUIRE(out.violations.size() == 1);
        CHECK(out.violations[0].kind == sim::ViolationKind::Livelock);
        CHECK(out.violations[0].actor == "pin");
    }
    {
        // Without cycle detection the same schedule only reaches the step bound.
        auto w = world_for("lockstep-split.toml", "eagain");
        sim::ReplayStrategy replay(sched);
        sim::ExecutionConfig ec;
        ec.step_bound = w.sc.step_bound;
        ec.detect_cycles = false;
        const auto out = sim::run_execution(w, replay, 0, ec);
        CHECK(out.status == sim::Status::StepBound);
        CHECK(out.steps == w.sc.step_bound);
        REQUIRE(out.violations.size() == 1);
        CHECK(out.violations[0].kind == sim::ViolationKind::StepBound);
        CHECK_THAT(out.violations[0].detail, Catch::Contains("possible livelock"));
    }
    {
        // enoent-killable: killable and yielding (cond_resched() every round).
        auto w = world_for("lockstep-split.toml", "enoent-killable");
        const auto rep = explore(w, 2000);
        REQUIRE_FALSE(rep.violations.empty());
        const auto& wit = rep.violations[0];
        CHECK(wit.violation.kind == sim::ViolationKind::Livelock);
        REQUIRE(wit.lasso.has_value());
        CHECK(wit.lasso->killable);
        CHECK(wit.lasso->yielding);
    }
    for (const char* p : {"bounded:3", "gup-style", "original"}) {
        // No retry loop that can go round for ever: the same adversary gets no cycle.
        auto w = world_for("lockstep-split.toml", p);
        const auto rep = explore(w, 2000);
        for (const auto& v : rep.violations) {
            CHECK(v.violation.kind != sim::ViolationKind::Livelock);
            CHECK(v.violation.kind != sim::ViolationKind::StepBound);
        }
    }
}

TEST_CASE("a lasso replays: its cyclic schedule proves the same livelock", "[livelock]") {
    auto w = world_for("lockstep-split.toml", "eagain");
    const auto rep = explore(w, 2000);
    REQUIRE_FALSE(rep.violations.empty());
    const auto& wit = rep.violations[0];
    REQUIRE(wit.lasso.has_value());
    sim::RandomStrategy r;
    sim::ExecutionConfig ec;
    ec.step_bound = w.sc.step_bound;
    const auto original = sim::run_execution(w, r, wit.seed.value(), ec);
    REQUIRE(original.lasso.has_value());
    sim::Schedule lasso;
    lasso.choices.assign(original.schedule.choices.begin(),
                         original.schedule.choices.begin() +
                             static_cast<std::ptrdiff_t>(original.lasso->prefix_choices +
                                                         original.lasso->cycle_choices));
    lasso.cycle_start = original.lasso->prefix_choices;
    sim::ReplayStrategy replay(sim::decode_schedule(sim::encode_schedule(lasso)));
    const auto again = sim::run_execution(w, replay, 0, ec);
    CHECK(again.status == sim::Status::Livelock);
    CHECK(again.trace_hash == original.trace_hash);
}

TEST_CASE("a lasso of two stuck actors names each lock once, with its holders", "[livelock]") {
    // The vCPU and numa_maps both hold mmap_lock for read across the cycle: one entry. (The
    // lockstep is rare for random executions since the vCPU's round goes through vcpu_run:
    // the stateful sweep finds it.)
    auto sc = model::load_scenario(pfnsim::test::source_path("scenarios/kvm-split-refault.toml"));
    sc.policy = *model::parse_policy("eagain");
    sim::SweepConfig cfg;
    cfg.stateful = true;
    cfg.exec.step_bound = sc.step_bound;
    sim::SweepState state;
    const auto rep = sim::sweep([&] { return std::make_unique<model::World>(sc); }, cfg, state);
    REQUIRE(rep.complete);
    const sim::Witness* wit = nullptr;
    for (const auto& v : rep.totals.violations) {
        if (v.lasso && v.lasso->stuck.size() > 1) {
            wit = &v;
        }
    }
    REQUIRE(wit != nullptr);
    const auto& held = wit->lasso->locks_held;
    REQUIRE_FALSE(held.empty());
    std::vector<std::string> locks;  // "object (mode", each once
    for (const auto& h : held) {
        INFO(h);
        const std::size_t by = h.find(" by ");
        REQUIRE(by != std::string::npos);
        CHECK(std::find(locks.begin(), locks.end(), h.substr(0, by)) == locks.end());
        locks.push_back(h.substr(0, by));
    }
}

TEST_CASE("finite adversaries give no cycle: the split's count is part of the state",
          "[livelock]") {
    for (const char* p : {"eagain", "enoent", "enoent-killable"}) {
        auto w = world_for("seed-split-refault.toml", p);
        CHECK(explore(w, 3000).violations.empty());
    }
}

TEST_CASE("every step records its call chain and model line, and frames end with their functions",
          "[trace][callchain]") {
    auto w = world_for("seed-split-refault.toml", "original");
    sim::RandomStrategy r;
    sim::ExecutionConfig ec;
    ec.step_bound = w.sc.step_bound;
    const auto o = sim::run_execution(w, r, 1, ec);
    REQUIRE_FALSE(o.trace.empty());
    bool follow = false;
    bool walk = false;
    for (const auto& st : o.trace) {
        const auto chain = sim::call_chain(o, st);
        REQUIRE_FALSE(chain.empty());
        CHECK(chain.front() == std::string(st.func.text));
        const std::string name = w.actors()[st.actor].name;
        if (name == "pin" && chain.front() == "follow_pfnmap_start") {
            follow = true;
            CHECK(chain == std::vector<std::string>{"follow_pfnmap_start", "follow_fault_pfn",
                                                    "vaddr_get_pfns", "vfio_pin_pages_remote",
                                                    "vfio_dma_do_map"});
            CHECK(sim::call_chain_text(o, st) ==
                  "follow_pfnmap_start <- follow_fault_pfn <- vaddr_get_pfns <- "
                  "vfio_pin_pages_remote <- vfio_dma_do_map");
        }
        if (name == "numa_maps" && chain.front() == "walk_pud_range") {
            walk = true;
            CHECK(chain.back() == "show_numa_maps");
        }
        if (name == "pin" && st.op == sim::Op::Finish) {
            // Every frame of the call has ended by the time the actor returns.
            CHECK(chain.size() <= 2);
        }
        const std::string at = sim::step_location(o, st);
        CHECK(at.rfind("src/", 0) == 0);
        CHECK(at.find(':') != std::string::npos);
    }
    CHECK(follow);
    CHECK(walk);
    // The same execution replayed records the same chains.
    const auto again = sim::run_execution(w, r, 1, ec);
    REQUIRE(again.trace.size() == o.trace.size());
    for (std::size_t i = 0; i < o.trace.size(); ++i) {
        CHECK(sim::call_chain(again, again.trace[i]) == sim::call_chain(o, o.trace[i]));
    }
}
