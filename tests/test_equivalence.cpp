// The stateful sweep against the unreduced stateless sweep, on many generated scenarios of two
// to four actors: lazily faulted entries (never-faulted windows at PTE, PMD and PUD size),
// faults, pins, memory-disable zaps (rwsem writers) and enables, and splits. Caching states
// is sound only if every piece of state an execution can create or change is in the state's
// signature; where one is missing, the stateful sweep prunes a state it has not seen and misses
// a final state or a violation that the full enumeration reaches.
#include <fmt/format.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <memory>
#include <set>
#include <string>
#include <tuple>

#include "pfnsim/model/scenario.hpp"
#include "pfnsim/model/world.hpp"
#include "pfnsim/sim/prng.hpp"
#include "pfnsim/sim/sweep.hpp"
#include "sweep_sets.hpp"

using namespace pfnsim;

namespace {

// A scenario from `seed`: one device and one VMA, some windows pre-faulted at a level (the rest
// lazily faulted on first touch), and 2..4 one-shot actors on it.
std::string generate(std::uint64_t seed) {
    sim::Xoshiro256 rng(seed);
    auto pick = [&](std::uint64_t n) { return rng.next() % n; };
    const bool pud = pick(4) == 0;  // a 1 GiB-aligned 2 GiB BAR with PUD entries
    const std::uint64_t vstart = 0x40000000;
    const char* size = pud ? "2G" : "8M";
    std::string s = fmt::format(
        "name = \"gen-{}\"\npolicy = \"original\"\nstep_bound = 600\n"
        "[[device]]\nname = \"gpu\"\nbar_base = 0x4000000000\nbar_size = \"{}\"\n"
        "[[vma]]\nstart = {:#x}\nsize = \"{}\"\n"
        "flags = [\"VM_IO\", \"VM_PFNMAP\", \"VM_READ\", \"VM_WRITE\", \"VM_SHARED\"]\n"
        "device = \"gpu\"\n",
        seed, size, vstart, size);
    // Addresses the actors use: the start, a PTE inside the first PMD, the second PMD.
    const std::uint64_t addrs[] = {vstart, vstart + 0x100000, vstart + 0x400000};
    if (pick(2) == 0) {
        const char* level = pud ? "pud" : (pick(2) == 0 ? "pmd" : "pte");
        s += fmt::format("[[entry]]\nlevel = \"{}\"\naddr = {:#x}\n", level, vstart);
    }
    const int actors = 2 + static_cast<int>(pick(3));
    bool zap = false;
    for (int a = 0; a < actors; ++a) {
        // A fourth actor is a light one (a split or an enable): four heavy ones have more
        // interleavings than the full enumeration can take in a test.
        const std::uint64_t kind = a == 3 ? 2 + pick(2) : pick(zap ? 4 : 5);
        const std::uint64_t addr = addrs[pick(3)];
        s += fmt::format("[[actor]]\nname = \"a{}\"\n", a);
        switch (kind) {
            case 0:
                s += fmt::format(
                    "kind = \"fault\"\nvaddr = {:#x}\nwrite = {}\n"
                    "allowed = [\"0\", \"SIGBUS\"]\n",
                    addr, pick(2) == 0 ? "true" : "false");
                break;
            case 1:
                s += fmt::format("kind = \"pin\"\nvaddr = {:#x}\nsize = \"{}\"\n", vstart,
                                 pick(2) == 0 ? "4K" : "8K");
                break;
            case 2:
                s += "kind = \"split\"\n";
                break;
            case 3:
                s += "kind = \"enable\"\n";
                break;
            default:
                s += "kind = \"zap\"\n";
                zap = true;
                break;
        }
    }
    return s;
}

using Kinds = std::set<std::tuple<std::string, std::string, std::string>>;
using test::kinds;
using test::result_keys;

}  // namespace

TEST_CASE("on generated scenarios the stateful sweep equals the unreduced stateless sweep",
          "[sweep][stateful][generated]") {
    std::size_t compared = 0;
    std::size_t three_or_more = 0;
    std::size_t reduced = 0;
    std::size_t cyclic = 0;
    std::size_t contained = 0;
    for (std::uint64_t seed = 1; seed <= 60; ++seed) {
        const std::string text = generate(seed);
        INFO(text);
        auto sc = std::make_shared<model::Scenario>(
            model::parse_scenario(text, fmt::format("gen-{}.toml", seed)));
        const sim::ProgramFactory make = [sc]() -> std::unique_ptr<sim::Program> {
            return std::make_unique<model::World>(*sc);
        };
        sim::SweepConfig cached;
        cached.stateful = true;
        cached.exec.step_bound = sc->step_bound;
        sim::SweepState s2;
        cached.max_states = 100000;
        const auto stateful = sim::sweep(make, cached, s2);
        if (!stateful.complete) {
            WARN(fmt::format("seed {}: skipped, more than 100000 states\n{}", seed, text));
            continue;
        }
        // A scenario with a cycle (a livelock, or an execution that reaches the step bound) has
        // no finite full enumeration to compare with.
        const Kinds found = kinds(stateful.totals);
        if (std::any_of(found.begin(), found.end(), [](const auto& k) {
                return std::get<0>(k) == "livelock" || std::get<0>(k) == "step-bound";
            })) {
            ++cyclic;
            continue;
        }
        // The full enumeration where it is small; else the sleep-set reduced one (sound for
        // final states and violations of terminating programs, and checked against the full
        // enumeration in test_sweep.cpp).
        sim::SweepConfig full;
        full.reduce = false;
        full.exec.step_bound = sc->step_bound;
        full.max_executions = 20000;
        sim::SweepState s1;
        auto stateless = sim::sweep(make, full, s1);
        if (!stateless.complete) {
            full.reduce = true;
            full.max_executions = 100000;
            sim::SweepState s1r;
            stateless = sim::sweep(make, full, s1r);
            if (!stateless.complete) {
                // Too many for either: what a sweep of at most two preemptions reaches must be
                // among what the stateful sweep reached (a state wrongly taken as seen loses
                // results, never adds them).
                full.max_preemptions = 2;
                sim::SweepState s1b;
                const auto bounded = sim::sweep(make, full, s1b);
                if (bounded.complete) {
                    const Kinds a = kinds(bounded.totals);
                    const auto r = result_keys(bounded.totals);
                    const auto rs = result_keys(stateful.totals);
                    CHECK(std::includes(found.begin(), found.end(), a.begin(), a.end()));
                    CHECK(std::includes(rs.begin(), rs.end(), r.begin(), r.end()));
                    for (const auto h : bounded.totals.final_states) {
                        CHECK(stateful.totals.final_states.count(h) == 1);
                    }
                    ++contained;
                } else {
                    WARN(fmt::format("seed {}: skipped, more than 100000 bounded executions\n{}",
                                     seed, text));
                }
                continue;
            }
            ++reduced;
        }
        CHECK(kinds(stateful.totals) == kinds(stateless.totals));
        CHECK(stateful.totals.final_states == stateless.totals.final_states);
        CHECK(result_keys(stateful.totals) == result_keys(stateless.totals));
        ++compared;
        three_or_more += sc->actors.size() >= 3 ? 1 : 0;
    }
    // Most of them are compared, three- and four-actor ones among them, most of them against
    // the full enumeration; the larger ones contain a bounded sweep.
    INFO(
        fmt::format("{} compared ({} with three or more actors, {} against the reduced sweep), "
                    "{} contain a bounded sweep, {} with a cycle",
                    compared, three_or_more, reduced, contained, cyclic));
    CHECK(compared >= 25);
    CHECK(three_or_more >= 8);
    CHECK(reduced * 2 <= compared);
    CHECK(contained >= 10);
}
