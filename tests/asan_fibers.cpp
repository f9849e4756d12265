// ASan builds only: whether AddressSanitizer can be believed on actor stacks. `bad` makes an
// actor read a local whose scope has ended, across a fiber switch: ASan must report a
// stack-use-after-scope (the test expects the report). `clean` runs executions that unwind
// actor frames by forced unwind (step-bound and deadlock aborts) on reused pooled stacks, then a
// shipped scenario at random (the model's frames are dropped, not unwound): nothing may be
// reported.
#include <cstdio>
#include <cstring>
#include <memory>

#include "pfnsim/model/scenario.hpp"
#include "pfnsim/model/world.hpp"
#include "pfnsim/sim/execution.hpp"
#include "pfnsim/sim/random_strategy.hpp"
#include "pfnsim/sim/sync.hpp"
#include "support.hpp"

using namespace pfnsim;

namespace {

volatile int* escaped = nullptr;

[[gnu::noinline]] void keep(volatile int* p) {
    escaped = p;
}

// Deep frames with locals (poisoned redzones), a switch in the middle, then an abort that
// unwinds them when the step bound is hit.
[[gnu::noinline]] int deep(int n, sim::ObjectId obj) {
    volatile int frame[16] = {};
    frame[n % 16] = n;
    sim::point(sim::Op::Yield, obj, "deep");
    return n == 0 ? frame[0] : frame[n % 16] + deep(n - 1, obj);
}

int bad() {
    test::LambdaProgram p;
    const auto obj = p.table.intern("x");
    p.add("a", [obj] {
        {
            volatile int local = 42;
            keep(&local);
        }
        sim::point(sim::Op::Yield, obj, "after-scope");  // another actor runs meanwhile
        std::printf("read %d\n", *escaped);              // use after scope: ASan reports here
    });
    p.add("b", [obj] { sim::point(sim::Op::Yield, obj, "other"); });
    sim::RandomStrategy r;
    sim::run_execution(p, r, 1, {});
    return 0;
}

int clean() {
    test::LambdaProgram p;
    const auto obj = p.table.intern("x");
    p.add("deep1", [obj] { deep(40, obj); });
    p.add("deep2", [obj] { deep(40, obj); });
    p.add("spin", [obj] {
        for (;;) {
            sim::point(sim::Op::Yield, obj, "spin");
        }
    });
    sim::RandomStrategy r;
    sim::ExecutionConfig cfg;
    cfg.detect_cycles = false;
    for (std::uint64_t seed = 1; seed <= 300; ++seed) {
        cfg.step_bound = 5 + seed % 90;  // aborts at every depth of the recursion
        sim::run_execution(p, r, seed, cfg);
    }
    const auto sc = model::load_scenario(test::source_path("scenarios/seed-split-refault.toml"));
    model::World w(sc);
    for (std::uint64_t seed = 1; seed <= 300; ++seed) {
        sim::run_execution(w, r, seed, {});
    }
    std::puts("clean: no report");
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc == 2 && std::strcmp(argv[1], "bad") == 0) {
        return bad();
    }
    if (argc == 2 && std::strcmp(argv[1], "clean") == 0) {
        return clean();
    }
    std::fputs("usage: asan-fibers bad|clean\n", stderr);
    return 2;
}
