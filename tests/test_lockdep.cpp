// The lock-order graph (lock_graph.hpp) on small programs of its own: orders that close a cycle
// without ever being held at once, trylocks, recursion, classes and subclasses, and the union
// over executions, threads, shards and resumed sweeps.
#include <fmt/format.h>

#include <array>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "pfnsim/sim/explore.hpp"
#include "pfnsim/sim/lock_graph.hpp"
#include "pfnsim/sim/prng.hpp"
#include "pfnsim/sim/random_strategy.hpp"
#include "pfnsim/sim/self_check.hpp"
#include "pfnsim/sim/sweep.hpp"
#include "pfnsim/sim/sweep_checkpoint.hpp"
#include "pfnsim/sim/sync.hpp"
#include "sim_support.hpp"

using namespace pfnsim;
using pfnsim::test::LambdaProgram;

namespace {

// Four actors, each under the gate G, take two of the locks A, B, C, D: t0 A then B, t1 B then
// C, t2 C then D, t3 D then A, which closes a cycle; `reversed`: t3 takes A then D, which does
// not. The gate serialises them: no two of them hold A..D at once in any execution.
struct Ring : LambdaProgram {
    sim::Mutex gate;
    std::array<sim::Mutex, 4> locks;
    explicit Ring(bool reversed) {
        const auto g = table.intern("G");
        std::array<sim::ObjectId, 4> ids{};
        for (std::size_t i = 0; i < 4; ++i) {
            ids[i] = table.intern(std::string(1, static_cast<char>('A' + i)));
        }
        on_reset = [this, g, ids] {
            gate.init(g);
            for (std::size_t i = 0; i < 4; ++i) {
                locks[i].init(ids[i]);
            }
        };
        state = [this] {  // the locks are all of its state (a stateful sweep's signature)
            std::uint64_t h = gate.state_hash();
            for (const auto& l : locks) {
                h = sim::hash_mix(h, l.state_hash());
            }
            return h;
        };
        for (std::size_t i = 0; i < 4; ++i) {
            std::size_t first = i;
            std::size_t second = (i + 1) % 4;
            if (reversed && i == 3) {
                std::swap(first, second);
            }
            add(fmt::format("t{}", i), [this, first, second] {
                const sim::Call c("ring_actor");
                gate.lock("ring_actor");
                locks[first].lock("take_first");
                locks[second].lock("take_second");
                locks[second].unlock("ring_actor");
                locks[first].unlock("ring_actor");
                gate.unlock("ring_actor");
            });
        }
    }
};

sim::ProgramFactory ring(bool reversed) {
    return
        [reversed]() -> std::unique_ptr<sim::Program> { return std::make_unique<Ring>(reversed); };
}

std::vector<std::string> names_of(const sim::ProgramFactory& make) {
    std::vector<std::string> n;
    const auto program = make();
    for (const auto& a : program->actors()) {
        n.push_back(a.name);
    }
    return n;
}

std::vector<sim::Witness> of_kind(const sim::Tally& t, sim::ViolationKind k) {
    std::vector<sim::Witness> out;
    for (const auto& w : t.violations) {
        if (w.violation.kind == k) {
            out.push_back(w);
        }
    }
    return out;
}

sim::SweepConfig sweep_config(std::optional<unsigned> preemptions) {
    sim::SweepConfig cfg;
    cfg.max_preemptions = preemptions;
    cfg.exec.step_bound = 500;
    cfg.checkpoint_every = 7;
    return cfg;
}

// The edges of a graph as "X(m) -> Y(m)" texts.
std::vector<std::string> edge_texts(const sim::LockGraph& g) {
    std::vector<std::string> out;
    for (const auto& [k, _] : g.edges) {
        out.push_back(k.text());
    }
    return out;
}

constexpr const char* kRing =
    "possible circular locking dependency: A(mutex) -> B(mutex) -> C(mutex) -> D(mutex) -> A";

}  // namespace

TEST_CASE("four orders that close a cycle, never held at once, are a lock-order in 3 executions",
          "[sim][lockdep]") {
    Ring p(false);
    sim::RandomStrategy r;
    sim::ExploreConfig cfg;
    cfg.iterations = 3;
    const auto rep = sim::explore(p, r, cfg);
    REQUIRE(rep.violations.size() == 1);
    const sim::Witness& w = rep.violations.front();
    CHECK(w.violation.kind == sim::ViolationKind::LockOrder);
    CHECK(std::string(sim::kind_name(w.violation.kind)) == "lock-order");
    CHECK(w.violation.detail == kRing);
    const auto reports = sim::lock_reports(rep.lock_graph);
    REQUIRE(reports.size() == 1);
    const sim::LockReport& cycle = reports.front();
    CHECK_FALSE(cycle.recursive);
    REQUIRE(cycle.edges.size() == 4);
    CHECK(cycle.violation() == w.violation);
    // The gate is held at every edge: a deadlock would need distinct instances of it.
    REQUIRE(cycle.needs.size() == 1);
    CHECK(cycle.needs.front() ==
          "distinct instances of G (held at every edge, one instance serialises them)");
    // Every edge's witness replays, and shows the edge with its call chains.
    for (const auto& k : cycle.edges) {
        INFO(k.text());
        const sim::LockEdgeInfo& e = rep.lock_graph.edges.at(k);
        CHECK(e.count >= 1);
        CHECK(sim::self_check(p, cfg.exec, e.schedule, e.trace_hash).diff.empty());
        const auto chains = sim::lock_edge_chains(p, cfg.exec, k, e.schedule);
        CHECK(chains.found);
        CHECK(chains.acquire == "take_second <- ring_actor");
        CHECK(chains.held == "take_first <- ring_actor");
    }
    // The violation's witness is its first edge's.
    CHECK(w.schedule == rep.lock_graph.edges.at(cycle.edges.front()).schedule);
}

TEST_CASE("the ring never deadlocks, and a complete sweep still reports its order",
          "[sim][lockdep][sweep]") {
    sim::SweepState state;
    const auto rep = sim::sweep(ring(false), sweep_config(std::nullopt), state);
    REQUIRE(rep.complete);
    CHECK(of_kind(rep.totals, sim::ViolationKind::Deadlock).empty());
    const auto lo = of_kind(rep.totals, sim::ViolationKind::LockOrder);
    REQUIRE(lo.size() == 1);
    CHECK(lo.front().violation.detail == kRing);
}

TEST_CASE("the ring with one order reversed is certified free of cycles", "[sim][lockdep][sweep]") {
    sim::SweepState state;
    const auto rep = sim::sweep(ring(true), sweep_config(std::nullopt), state);
    REQUIRE(rep.complete);
    CHECK(rep.totals.violations.empty());
    CHECK(sim::lock_reports(rep.totals.lock_graph).empty());
    CHECK(edge_texts(rep.totals.lock_graph) ==
          std::vector<std::string>{"A(mutex) -> B(mutex)", "A(mutex) -> D(mutex)",
                                   "B(mutex) -> C(mutex)", "C(mutex) -> D(mutex)",
                                   "G(mutex) -> A(mutex)", "G(mutex) -> B(mutex)",
                                   "G(mutex) -> C(mutex)", "G(mutex) -> D(mutex)"});
}

TEST_CASE("a trylock adds no edge into the lock it takes, and edges out of it once held",
          "[sim][lockdep]") {
    LambdaProgram p;
    sim::Mutex a;
    sim::SpinLock b;
    sim::RwSemaphore c;
    const auto ia = p.table.intern("A");
    const auto ib = p.table.intern("B");
    const auto ic = p.table.intern("C");
    p.on_reset = [&] {
        a.init(ia);
        b.init(ib);
        c.init(ic);
    };
    p.add("t", [&] {
        a.lock("t");
        REQUIRE(b.try_lock("t"));
        REQUIRE(c.down_read_trylock("t"));
        c.up_read("t");
        c.down_write("t");
        c.up_write("t");
        b.unlock("t");
        a.unlock("t");
    });
    sim::RandomStrategy r;
    sim::Tally t;
    t.add(sim::run_execution(p, r, 1, {}), true);
    CHECK(edge_texts(t.lock_graph) ==
          std::vector<std::string>{"A(mutex) -> C(write)", "B(spin) -> C(write)"});
    CHECK(t.violations.empty());
}

TEST_CASE("a class taken again while held is possible recursive locking, also for a read",
          "[sim][lockdep]") {
    LambdaProgram p;
    sim::RwSemaphore s;
    sim::Mutex m1;
    sim::Mutex m2;
    const auto is = p.table.intern("S");
    const auto i1 = p.table.intern("dev0.lock");
    const auto i2 = p.table.intern("dev1.lock");
    bool nested = false;
    p.on_reset = [&] {
        s.init(is);
        m1.init(i1);
        m2.init(i2);
        p.table.set_class(i1, "dev.lock");
        p.table.set_class(i2, "dev.lock");
    };
    p.add("t", [&] {
        s.down_read("t");
        s.down_read("t");
        s.up_read("t");
        s.up_read("t");
        m1.lock("t");
        if (nested) {
            m2.lock_nested("t", 1);
        } else {
            m2.lock("t");
        }
        m2.unlock("t");
        m1.unlock("t");
    });
    CHECK(p.table.class_name(is) == "S");
    sim::RandomStrategy r;
    sim::Tally t;
    t.add(sim::run_execution(p, r, 1, {}), true);
    REQUIRE(t.violations.size() == 2);
    CHECK(t.violations[0].violation.detail ==
          "possible recursive locking: S(read) taken while holding S(read)");
    CHECK(t.violations[1].violation.detail ==
          "possible recursive locking: dev.lock(mutex) taken while holding dev.lock(mutex)");
    const auto reports = sim::lock_reports(t.lock_graph);
    REQUIRE(reports.size() == 2);
    CHECK(reports[0].recursive);
    REQUIRE(reports[0].needs.size() == 1);
    CHECK(reports[0].needs[0] == "a writer queued on S (read at both ends) between the two");
    // A deliberate nesting: its own node, no report.
    nested = true;
    sim::Tally n;
    n.add(sim::run_execution(p, r, 1, {}), true);
    REQUIRE(n.violations.size() == 1);
    CHECK(edge_texts(n.lock_graph) ==
          std::vector<std::string>{"S(read) -> S(read)", "dev.lock(mutex) -> dev.lock/1(mutex)"});
}

TEST_CASE("downgrade_write keeps the subclass the write was taken with", "[sim][lockdep]") {
    // lockdep's lock_downgrade re-acquires the held lock with its own subclass: edges out of
    // the downgraded (read) hold start at S/1, even after another lock (subclass 0) was taken
    // and released in between.
    LambdaProgram p;
    sim::RwSemaphore s;
    sim::Mutex m;
    sim::Mutex n;
    const auto is = p.table.intern("S");
    const auto im = p.table.intern("M");
    const auto in = p.table.intern("N");
    p.on_reset = [&] {
        s.init(is);
        m.init(im);
        n.init(in);
    };
    p.add("t", [&] {
        s.down_write_nested("t", 1);
        m.lock("t");
        m.unlock("t");
        s.downgrade_write("t");
        n.lock("t");
        n.unlock("t");
        s.up_read("t");
    });
    sim::RandomStrategy r;
    sim::Tally t;
    const auto o = sim::run_execution(p, r, 1, {});
    CHECK(o.status == sim::Status::Completed);
    t.add(o, true);
    CHECK(edge_texts(t.lock_graph) ==
          std::vector<std::string>{"S/1(read) -> N(mutex)", "S/1(write) -> M(mutex)"});
    CHECK(t.violations.empty());
}

TEST_CASE("might_lock and might_lock_read add edges without taking the lock", "[sim][lockdep]") {
    LambdaProgram p;
    sim::Mutex a;
    sim::RwSemaphore mm;
    const auto ia = p.table.intern("A");
    const auto im = p.table.intern("mm");
    p.on_reset = [&] {
        a.init(ia);
        mm.init(im);
    };
    p.add("t", [&] {
        a.lock("t");
        sim::might_lock_read(mm);
        sim::might_lock(mm);
        a.unlock("t");
        mm.down_write("t");  // not held by the annotations
        sim::might_lock(a);
        mm.up_write("t");
    });
    sim::might_lock(a);  // outside an execution: nothing
    sim::RandomStrategy r;
    sim::Tally t;
    const auto o = sim::run_execution(p, r, 1, {});
    CHECK(o.status == sim::Status::Completed);
    t.add(o, true);
    CHECK(edge_texts(t.lock_graph) == std::vector<std::string>{"A(mutex) -> mm(read)",
                                                               "A(mutex) -> mm(write)",
                                                               "mm(write) -> A(mutex)"});
    REQUIRE(t.violations.size() == 1);
    CHECK(t.violations[0].violation.detail ==
          "possible circular locking dependency: A(mutex) -> mm(read/write) -> A");
}

TEST_CASE("shards and a resumed sweep give the graph and reports of an uninterrupted one",
          "[sim][lockdep][sweep][shards][checkpoint]") {
    for (const bool stateful : {false, true}) {
        INFO("stateful " << stateful);
        const auto make = ring(false);
        const auto names = names_of(make);
        sim::SweepConfig cfg = sweep_config(2U);
        cfg.stateful = stateful;
        sim::SweepState fresh;
        const auto whole = sim::sweep(make, cfg, fresh);
        REQUIRE(whole.complete);
        REQUIRE(!whole.totals.lock_graph.edges.empty());
        // Shards, through the JSON their files hold, merged in reverse order.
        sim::SweepTotals merged;
        for (unsigned i = 3; i-- > 0;) {
            sim::SweepConfig c = cfg;
            c.shard = i;
            c.shards = 3;
            sim::SweepState st;
            const auto part = sim::sweep(make, c, st);
            REQUIRE(part.complete);
            merged.merge(sim::totals_from_json(
                nlohmann::json::parse(sim::totals_json(part.totals, names, true).dump()), names));
        }
        if (!stateful) {  // stateful shards repeat each other's states: counts differ
            CHECK(merged == whole.totals);
        }
        CHECK(edge_texts(merged.lock_graph) == edge_texts(whole.totals.lock_graph));
        CHECK(merged.violations.size() == whole.totals.violations.size());
        CHECK(sim::lock_reports(merged.lock_graph).front().edges ==
              sim::lock_reports(whole.totals.lock_graph).front().edges);
        // Stopped every few executions and resumed from the saved file.
        std::string saved;
        sim::SweepHooks hooks;
        hooks.save = [&](const sim::SweepState& st) { saved = sim::state_json(st, names).dump(); };
        sim::SweepReport rep;
        for (std::uint64_t limit = 5;; limit += 5) {
            REQUIRE(limit < 100000);
            sim::SweepState st;
            if (!saved.empty()) {
                st = sim::state_from_json(nlohmann::json::parse(saved), names);
            }
            sim::SweepConfig c = cfg;
            c.max_executions = limit;
            rep = sim::sweep(make, c, st, hooks);
            if (rep.complete) {
                break;
            }
        }
        CHECK(rep.totals == whole.totals);
        CHECK(rep.totals.violations.front().violation.detail == kRing);
    }
}

TEST_CASE("the lock-order graph does not depend on the order executions are added",
          "[sim][lockdep][determinism]") {
    Ring p(false);
    sim::RandomStrategy r;
    std::vector<sim::Outcome> outs;
    for (std::uint64_t seed = 1; seed <= 12; ++seed) {
        outs.push_back(sim::run_execution(p, r, seed, {}));
    }
    sim::Tally forward;
    sim::Tally backward;
    for (std::size_t i = 0; i < outs.size(); ++i) {
        forward.add(outs[i], false);
        backward.add(outs[outs.size() - 1 - i], false);
    }
    CHECK(forward.lock_graph == backward.lock_graph);
    REQUIRE(forward.violations.size() == 1);
    CHECK(forward.violations.front().violation == backward.violations.front().violation);
    CHECK(forward.violations.front().schedule == backward.violations.front().schedule);
    sim::Tally halves_ab;
    sim::Tally halves_ba;
    sim::Tally a;
    sim::Tally b;
    for (std::size_t i = 0; i < outs.size(); ++i) {
        (i % 2 == 0 ? a : b).add(outs[i], false);
    }
    halves_ab.merge(a);
    halves_ab.merge(b);
    halves_ba.merge(b);
    halves_ba.merge(a);
    CHECK(halves_ab.lock_graph == forward.lock_graph);
    CHECK(halves_ba.lock_graph == forward.lock_graph);
    CHECK(sim::lock_graph_dot(halves_ab.lock_graph, sim::lock_reports(halves_ab.lock_graph), "r") ==
          sim::lock_graph_dot(forward.lock_graph, sim::lock_reports(forward.lock_graph), "r"));
}

TEST_CASE("a bad lock graph in saved totals is refused with the field named", "[sim][lockdep]") {
    const auto make = ring(false);
    const auto names = names_of(make);
    sim::SweepState st;
    const auto rep = sim::sweep(make, sweep_config(1U), st);
    const nlohmann::json good = sim::totals_json(rep.totals, names, true);
    CHECK_NOTHROW(sim::totals_from_json(good, names));
    auto refusal = [&](const std::function<void(nlohmann::json&)>& spoil) {
        nlohmann::json j = good;
        spoil(j);
        try {
            (void)sim::totals_from_json(j, names);
        } catch (const sim::SweepError& e) {
            return std::string(e.what());
        }
        return std::string("accepted");
    };
    CHECK_THAT(refusal([](auto& j) { j["lock_graph"][0]["from_mode"] = "sideways"; }),
               Catch::Contains("lock_graph[0].from_mode: 'sideways' is not a lock mode"));
    CHECK_THAT(refusal([](auto& j) { j["lock_graph"][0]["to"] = ""; }),
               Catch::Contains("lock_graph[0].to: is empty"));
    CHECK_THAT(refusal([](auto& j) { j["lock_graph"][1] = j["lock_graph"][0]; }),
               Catch::Contains("edges are not distinct and in order"));
    CHECK_THAT(refusal([](auto& j) { j["lock_graph"][0]["to"] = "Z"; }),
               Catch::Contains("does not witness the edge"));
    CHECK_THAT(refusal([](auto& j) { j["violations"] = nlohmann::json::array(); }),
               Catch::Contains("do not follow from lock_graph"));
    CHECK_THAT(refusal([](auto& j) { j["lock_graph"] = 3; }),
               Catch::Contains("lock_graph: is not an array"));
    sim::SweepTotals t = sim::totals_from_json(good, names);
    t.lock_graph.edges.begin()->second.count = t.executions + 1;
    sim::StateLimits l;
    l.actors = names.size();
    CHECK_NOTHROW(sim::check_totals(t, l, "totals"));
    CHECK_THROWS_WITH(sim::check_lock_graph(t, l, "totals"),
                      Catch::Contains("totals: lock-order edge 'A(mutex) -> B(mutex)' seen"));
}
