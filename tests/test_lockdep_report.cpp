// The lock-order reports as people and tools read them: lockdep's words and shape within 80
// columns, the graph as JSON and DOT, and `lock-order` as an expectation.
#include <catch2/catch.hpp>
#include <sstream>
#include <string>

#include "cli/render.hpp"
#include "pfnsim/model/expectation.hpp"
#include "pfnsim/sim/random_strategy.hpp"
#include "pfnsim/sim/schedule.hpp"
#include "pfnsim/sim/sync.hpp"
#include "pfnsim/sim/witness.hpp"
#include "sim_support.hpp"

using namespace pfnsim;
using pfnsim::test::LambdaProgram;

namespace {

// Two actors one after the other (`after`), each under the gate: t0 takes A then B; t1 takes
// B then S for read, lets B go, reads S again and takes A. Never a deadlock; the cycle
// B -> S -> A -> B and a recursive read of S.
struct Orders : LambdaProgram {
    sim::Mutex gate;
    sim::Mutex a;
    sim::SpinLock b;
    sim::RwSemaphore s;
    Orders() {
        const auto ig = table.intern("gate");
        const auto ia = table.intern("dev0.lock_a");
        const auto ib = table.intern("b");
        const auto is = table.intern("mm.mmap_lock");
        on_reset = [=, this] {
            gate.init(ig);
            a.init(ia);
            b.init(ib);
            s.init(is);
            table.set_class(ia, "vfio_pci_core_device.memory_lock");
            table.set_class(is, "mm_struct.mmap_lock");
        };
        add("t0", [this] {
            const sim::Call c("first_path");
            gate.lock("first_path");
            a.lock("take_a");
            b.lock("take_b");
            b.unlock("first_path");
            a.unlock("first_path");
            gate.unlock("first_path");
        });
        add("t1", [this] {
            const sim::Call c("second_path");
            gate.lock("second_path");
            b.lock("take_b");
            s.down_read("read_mm");
            b.unlock("second_path");
            s.down_read("read_mm_again");
            a.lock("take_a");
            a.unlock("second_path");
            s.up_read("second_path");
            s.up_read("second_path");
            gate.unlock("second_path");
        });
        decls[1].after = 1U;
    }
};

app::LockOrderView view_of(sim::Program& p, const sim::LockGraph& g) {
    app::LockOrderView v;
    for (const auto& [k, e] : g.edges) {
        app::LockOrderEdge x;
        x.key = k;
        x.info = e;
        const auto c = sim::lock_edge_chains(p, {}, k, e.schedule);
        x.acquire = c.acquire;
        x.held = c.held;
        x.replay = "pfnsim replay orders.toml --policy original --schedule " +
                   sim::encode_schedule(e.schedule);
        v.edges.push_back(x);
    }
    for (const auto& r : sim::lock_reports(g)) {
        app::LockOrderReport lr;
        lr.report = r;
        lr.violation = r.violation();
        for (const auto& k : r.edges) {
            for (std::size_t i = 0; i < v.edges.size(); ++i) {
                if (v.edges[i].key == k) {
                    lr.edges.push_back(i);
                }
            }
        }
        v.reports.push_back(lr);
    }
    v.classes = 4;
    v.graph = g;
    return v;
}

void fits_80(const std::string& text) {
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        INFO(line);
        CHECK(line.size() <= 80);
    }
}

}  // namespace

TEST_CASE("a cycle and a recursive read are reported as lockdep reports them, in 80 columns",
          "[cli][lockdep]") {
    Orders p;
    sim::RandomStrategy r;
    sim::Tally t;
    t.add(sim::run_execution(p, r, 1, {}), false);
    REQUIRE(t.violations.size() == 2);
    const app::LockOrderView v = view_of(p, t.lock_graph);
    const std::string circular = cli::lock_report_text(v, t.violations[0].violation, 1);
    const std::string recursive = cli::lock_report_text(v, t.violations[1].violation, 1);
    INFO(recursive << circular);
    CHECK_THAT(recursive, Catch::Contains("WARNING: possible recursive locking detected"));
    CHECK_THAT(recursive, Catch::Contains("    rlock(mm_struct.mmap_lock);\n"
                                          "    rlock(mm_struct.mmap_lock);\n"));
    CHECK_THAT(recursive, Catch::Contains("May be due to missing lock nesting notation"));
    CHECK_THAT(recursive,
               Catch::Contains("- a writer queued on mm_struct.mmap_lock (read at both"));
    CHECK_THAT(circular, Catch::Contains("WARNING: possible circular locking dependency detected"));
    CHECK_THAT(circular, Catch::Contains("Chain exists of:"));
    CHECK_THAT(circular, Catch::Contains("Possible unsafe locking scenario:"));
    CHECK_THAT(circular, Catch::Contains("         CPU0                    CPU1\n"
                                         "         ----                    ----\n"));
    CHECK_THAT(circular, Catch::Contains("*** DEADLOCK ***"));
    CHECK_THAT(circular, Catch::Contains("held      take_b <- second_path"));
    CHECK_THAT(circular, Catch::Contains("acquired  take_a <- second_path"));
    CHECK_THAT(circular, Catch::Contains("replay    pfnsim replay orders.toml"));
    CHECK_THAT(circular, Catch::Contains("- distinct instances of gate (held at every edge"));
    fits_80(recursive);
    fits_80(circular);
    const std::string graph = cli::lock_graph_text(v, 1);
    CHECK_THAT(graph, Catch::StartsWith("lock order  7 edges between 4 classes"));
    fits_80(graph);
    const auto j = cli::lock_order_json(v);
    CHECK(j["edges"].size() == 7);
    CHECK(j["reports"].size() == 2);
    CHECK(j["reports"][1]["kind"] == "circular");
    CHECK(j["reports"][1]["edges"].size() == 3);
    const std::string dot = sim::lock_graph_dot(t.lock_graph, sim::lock_reports(t.lock_graph), "o");
    CHECK_THAT(dot, Catch::StartsWith("digraph \"o\" {"));
    CHECK_THAT(dot, Catch::Contains("color=red"));
    // The same program run again gives the same text: nothing in it depends on memory or time.
    sim::Tally again;
    again.add(sim::run_execution(p, r, 2, {}), false);
    CHECK(cli::lock_report_text(view_of(p, again.lock_graph), again.violations[0].violation, 1) ==
          circular);
}

TEST_CASE("lock-order is a kind a scenario may expect", "[cli][lockdep]") {
    const auto e = model::parse_expectation("lock-order");
    REQUIRE(e);
    CHECK(e->kind == sim::ViolationKind::LockOrder);
    CHECK(e->name() == "lock-order");
    CHECK(sim::parse_kind("lock-order") == sim::ViolationKind::LockOrder);
    CHECK(sim::severity(sim::ViolationKind::LockOrder) >
          sim::severity(sim::ViolationKind::StepBound));
    CHECK(sim::severity(sim::ViolationKind::LockOrder) <
          sim::severity(sim::ViolationKind::Livelock));
    CHECK(sim::severity(sim::ViolationKind::LockOrder) <
          sim::severity(sim::ViolationKind::Deadlock));
}
