// Scenario files: every shipped file loads; bad ones fail with file:line:column.
#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>

#include "pfnsim/model/limits.hpp"
#include "pfnsim/model/scenario.hpp"
#include "pfnsim/sim/lasso.hpp"
#include "support.hpp"

using namespace pfnsim::model;
using pfnsim::test::error_of;

namespace {
const std::string kDevice = R"(
[[device]]
name = "gpu"
bar_base = 0x4000000000
bar_size = "2G"
[[vma]]
start = 0x40000000
size = "1G"
flags = ["VM_IO", "VM_PFNMAP", "VM_READ", "VM_WRITE", "VM_SHARED"]
device = "gpu"
)";
const std::string kActor = "[[actor]]\nname = \"z\"\nkind = \"split\"\n";
}  // namespace

TEST_CASE("every shipped scenario loads", "[scenario]") {
    int n = 0;
    for (const auto& e :
         std::filesystem::recursive_directory_iterator(pfnsim::test::source_path("scenarios"))) {
        if (e.path().extension() != ".toml") {
            continue;
        }
        INFO(e.path().string());
        CHECK_NOTHROW(load_scenario(e.path().string()));
        ++n;
    }
    CHECK(n >= 30);
}

TEST_CASE("scenario errors are one line naming file:line:column and the valid choices",
          "[scenario]") {
    CHECK(error_of("name = \"a\"\n" + kActor + "colour = 1\n") ==
          "x.toml:5:10: unknown key 'colour' in [[actor]] (valid: name, kind, after, allowed, "
          "vaddr, size, write, repeat, forever, target, fault_retry, device, placement, "
          "walker, signal)");
    CHECK_THAT(error_of("name = \"a\"\npolicy = \"sometimes\"\n" + kActor),
               Catch::StartsWith("x.toml:2:10: unknown policy 'sometimes' (valid: original"));
    CHECK_THAT(error_of("name = \"a\"\n[[actor]]\nname = \"p\"\nkind = \"teleport\"\n"),
               Catch::StartsWith("x.toml:4:8: unknown actor kind 'teleport' (valid: pin, split"));
    CHECK_THAT(error_of("name = \"a\"\n[[actor]\n"), Catch::StartsWith("x.toml:2:"));
    CHECK(error_of("name = \"a\"\n" + kActor + "[explore]\nstrategy = \"dfs\"\n") ==
          "x.toml:6:12: unknown explore strategy 'dfs' (valid: random, pct, sweep)");
    CHECK_THAT(error_of("name = \"a\"\n" + kActor + "[explore]\nmode = \"dfs\"\n"),
               Catch::Contains("x.toml:6:8: unknown explore strategy 'dfs'"));
    CHECK_THAT(
        error_of("name = \"a\"\n" + kActor + "[explore]\nstrategy = \"sweep\"\nfaults = 5000\n"),
        Catch::Contains("'faults' = 5000 is out of range (valid: 0..1000 faults"));
    CHECK_THAT(error_of("name = \"a\"" + kDevice +
                        "[[entry]]\nlevel = \"pud\"\naddr = 0x80000000\n" + kActor),
               Catch::Contains("outside every device vma"));
    CHECK_THAT(error_of("name = \"a\"" + kDevice +
                        "[[entry]]\nlevel = \"pmd\"\naddr = 0x40001000\n" + kActor),
               Catch::Contains("2M-aligned"));
    CHECK_THAT(error_of("name = \"a\"" + kDevice +
                        "[[actor]]\nname = \"p\"\nkind = \"pin\"\n"
                        "vaddr = 0x40000000\nsize = \"4K\"\n"
                        "allowed = [\"-EWHATEVER\"]\n"),
               Catch::Contains("unknown result '-EWHATEVER' (valid: 0, -ENOENT"));
    CHECK_THAT(
        error_of("name = \"a\"\n[[actor]]\nname = \"s\"\nkind = \"split\"\nforever = true\n"),
        Catch::Contains("every actor runs forever"));
    CHECK_THAT(
        error_of("name = \"a\"\n[[actor]]\nname = \"k\"\nkind = \"signal\"\ntarget = \"x\"\n"),
        Catch::Contains("targets unknown actor 'x'"));
    CHECK_THAT(error_of("name = \"a\"\n" + kActor + "[expect]\nverdict = \"fine\"\n"),
               Catch::Contains("unknown verdict 'fine'"));
    CHECK_THAT(error_of("name = \"a\"\nstep_bound = \"lots\"\n" + kActor),
               Catch::Contains("is not a size"));
    CHECK(error_of(kActor) == "x.toml:1:1: missing key 'name'");
}

TEST_CASE("numbers in files are range-checked: no negative, zero, overflow or user-space overrun",
          "[scenario]") {
    CHECK(error_of("name = \"a\"\niterations = 0\n" + kActor) ==
          "x.toml:2:14: 'iterations' = 0 is out of range (valid: 1..1000000000 executions)");
    CHECK_THAT(error_of("name = \"a\"\nseed = -1\n" + kActor),
               Catch::Contains("'seed' = -1 is out of range (valid: 0..2^64-1)"));
    CHECK_THAT(error_of("name = \"a\"\nstep_bound = 0\n" + kActor),
               Catch::Contains("'step_bound' = 0 is out of range (valid: 1..10000000"));
    // 17179869186G is 2^64 + 2G: refused, not wrapped to 2G.
    CHECK_THAT(error_of("name = \"a\"\n" + kDevice +
                        "[[actor]]\nname = \"p\"\nkind = \"pin\"\n"
                        "vaddr = 0x40000000\nsize = \"17179869186G\"\n"),
               Catch::Contains("'size' = \"17179869186G\" is not a size"));
    CHECK_THAT(
        error_of("name = \"a\"\n" + kDevice +
                 "[[actor]]\nname = \"p\"\nkind = \"pin\"\n"
                 "vaddr = 0x800000000000\nsize = \"2M\"\n"),
        Catch::Contains("'vaddr' = 140737488355328 is out of range (valid: 0..0x7ffffffff000"));
    CHECK_THAT(error_of("name = \"a\"\n" + kDevice +
                        "[[actor]]\nname = \"p\"\nkind = \"pin\"\n"
                        "vaddr = 0x7fffffe00000\nsize = \"4M\"\n"),
               Catch::Contains("range must end within the user address space"));
    CHECK_THAT(error_of("name = \"a\"\n[[actor]]\nname = \"z\"\nkind = \"split\"\nrepeat = 0\n"),
               Catch::Contains("'repeat' = 0 is out of range (valid: 1..1000000 rounds)"));
}

TEST_CASE("one parser for numbers on the command line and in files", "[scenario]") {
    using pfnsim::model::parse_number;
    namespace L = pfnsim::model::limits;
    CHECK(parse_number(L::kSeed, "18446744073709551615") == UINT64_MAX);
    CHECK_FALSE(parse_number(L::kSeed, "18446744073709551616"));
    CHECK_FALSE(parse_number(L::kSeed, "-1"));
    CHECK_FALSE(parse_number(L::kSeed, "+1"));
    CHECK_FALSE(parse_number(L::kSeed, " 1"));
    CHECK_FALSE(parse_number(L::kSeed, ""));
    CHECK(parse_number(L::kSeed, "0x10") == 16);
    CHECK(parse_number(L::kSize, "2M") == 2U << 20U);
    CHECK_FALSE(parse_number(L::kSize, "17179869186G"));
    CHECK_FALSE(parse_number(L::kIterations, "0"));
    CHECK(parse_number(L::kJobs, "1024") == 1024);
    CHECK_FALSE(parse_number(L::kJobs, "1025"));
}

TEST_CASE("[kernel] rwsem is linux unless fifo is asked for", "[scenario][rwsem]") {
    CHECK(parse_scenario("name = \"a\"\n" + kActor, "x.toml").rwsem == RwsemVariant::Linux);
    CHECK(parse_scenario("name = \"a\"\n" + kActor + "[kernel]\nrwsem = \"fifo\"\n", "x.toml")
              .rwsem == RwsemVariant::Fifo);
    CHECK(parse_scenario("name = \"a\"\n" + kActor + "[kernel]\nrwsem = \"linux\"\n", "x.toml")
              .rwsem == RwsemVariant::Linux);
    CHECK_THAT(error_of("name = \"a\"\n" + kActor + "[kernel]\nrwsem = \"ticket\"\n"),
               Catch::Contains("unknown rwsem variant 'ticket' (valid: linux, fifo)"));
}

TEST_CASE("sizes and policies parse", "[scenario]") {
    const auto sc = parse_scenario(
        "name = \"a\"\npolicy = \"bounded:7\"\nstep_bound = \"4K\"\n" + kActor, "x.toml");
    CHECK(sc.step_bound == 4096);
    CHECK(sc.policy.kind == Policy::Kind::Bounded);
    CHECK(sc.policy.max_retries == 7);
    CHECK(sc.policy.name() == "bounded:7");
    CHECK_FALSE(parse_policy("bounded:"));
    CHECK_FALSE(parse_policy("bounded:-1"));
    CHECK_FALSE(parse_policy("EAGAIN"));
}

TEST_CASE("scenario text is UTF-8 and never reaches toml++ 3.3's unreachable code", "[scenario]") {
    const std::string ok = "name = \"a\"\n" + kActor;
    // The bytes of the report: a space, then U+0172.
    CHECK(error_of("name = \"a\"\n \xc5\xb2\n" + kActor) ==
          "x.toml:2:2: character U+0172 outside a string or comment");
    // The code points toml++ 3.3 cannot classify as whitespace or not, at each end of each range.
    for (const char* cp : {"\xc2\xa1", "\xd2\x99", "\xe2\xb1\x9e", "\xe3\x81\x97", "\xef\xac\xa6",
                           "\xef\xbb\xbe", "\xc3\xa9"}) {
        INFO(cp);
        CHECK_THAT(error_of("name = \"a\"\n" + kActor + "x" + cp + " = 1\n"),
                   Catch::Contains("outside a string or comment"));
        CHECK_THAT(error_of("name = \"a\"\n" + kActor + "repeat = 1" + cp + "\n"),
                   Catch::Contains("outside a string or comment"));
        // In strings and comments they are text, as TOML says.
        CHECK(error_of("name = \"a" + std::string(cp) + "\"\n" + kActor) == "no error");
        CHECK(error_of("name = 'a" + std::string(cp) + "'\n" + kActor) == "no error");
        CHECK(error_of("name = \"\"\"a\n" + std::string(cp) + "\"\"\"\n" + kActor) == "no error");
        CHECK(error_of("name = \"a\" # " + std::string(cp) + "\n" + kActor) == "no error");
        CHECK_THAT(error_of("name = \"a\\" + std::string(cp) + "\"\n" + kActor),
                   Catch::Contains("is not an escape sequence"));
        CHECK_THAT(error_of("name = \"\"\"a\\\n  " + std::string(cp) + "\"\"\"\n" + kActor),
                   Catch::Contains("after a line-ending backslash"));
    }
    CHECK(error_of("\xef\xbb\xbf" + ok) == "no error");  // a byte order mark
    CHECK(error_of("name = \"\"\"a \\\n  b\"\"\"\n" + kActor) == "no error");
    CHECK(error_of("name = \"a\\u00e9\"\n" + kActor) == "no error");
    CHECK(error_of("name = \"\xff\"\n" + kActor) == "x.toml:1:9: byte 0xff is not UTF-8");
    CHECK_THAT(error_of("name = \"\xc0\xaf\"\n" + kActor), Catch::Contains("overlong"));
    CHECK_THAT(error_of("name = \"\xed\xa0\x80\"\n" + kActor), Catch::Contains("surrogate"));
    CHECK_THAT(error_of("name = \"a\"\n" + kActor + "# \xe2\x82"),
               Catch::Contains("cut off by the end of the file"));
}

namespace {
// An actor of each kind that loads in kDevice's scenario (plus a pin named "p" for the signal).
std::string actor_of(ActorKind k, const std::string& extra = "") {
    std::string s = "[[actor]]\nname = \"x\"\nkind = \"" + std::string(actor_kind_name(k)) + "\"\n";
    switch (k) {
        case ActorKind::Pin:
        case ActorKind::Munmap:
        case ActorKind::AcrnMap:
            s += "vaddr = 0x40000000\nsize = \"4K\"\n";
            break;
        case ActorKind::Fault:
        case ActorKind::Kvm:
        case ActorKind::S390MmioWrite:
        case ActorKind::S390MmioRead:
        case ActorKind::AccessPhys:
            s += "vaddr = 0x40000000\n";
            break;
        case ActorKind::Signal:
            s += "target = \"p\"\n";
            break;
        default:
            break;
    }
    return s + extra +
           "[[actor]]\nname = \"p\"\nkind = \"pin\"\nvaddr = 0x40000000\nsize = \"4K\"\n";
}

constexpr ActorKind kEveryKind[] = {
    ActorKind::Pin,           ActorKind::Split,        ActorKind::Zap,     ActorKind::Enable,
    ActorKind::Fault,         ActorKind::Munmap,       ActorKind::Signal,  ActorKind::Kvm,
    ActorKind::S390MmioWrite, ActorKind::S390MmioRead, ActorKind::AcrnMap, ActorKind::AccessPhys};
}  // namespace

TEST_CASE("the actor key table: what each kind reads, and a key of another kind is an error",
          "[scenario][keys]") {
    // What the kinds' code reads (world.cpp and the kernel functions each calls).
    CHECK(actor_keys(ActorKind::Zap) == "name, kind, after, allowed, repeat, device");
    CHECK(actor_keys(ActorKind::Enable) == "name, kind, after, allowed, repeat, device");
    CHECK(actor_keys(ActorKind::Split) == "name, kind, after, allowed, repeat, forever, walker");
    CHECK(actor_keys(ActorKind::Fault) ==
          "name, kind, after, allowed, vaddr, write, repeat, fault_retry");
    CHECK(actor_keys(ActorKind::Pin) ==
          "name, kind, after, allowed, vaddr, size, write, fault_retry");
    CHECK(actor_keys(ActorKind::S390MmioRead) == "name, kind, after, allowed, vaddr, fault_retry");
    CHECK(actor_keys(ActorKind::AccessPhys) == "name, kind, after, allowed, vaddr, write");
    CHECK(actor_keys(ActorKind::Signal) == "name, kind, after, allowed, target, signal");
    CHECK(actor_keys(ActorKind::BoMove) == "name, kind, after, allowed, device, placement");
    CHECK_FALSE(actor_key_applies(ActorKind::Pin, "repeat"));
    CHECK_FALSE(actor_key_applies(ActorKind::Pin, "colour"));
    // The table and the per-kind lists agree, and every key is refused, at its own line and
    // column, by every kind it does not apply to (and accepted by those it does).
    const auto table = actor_key_table();
    REQUIRE(table.size() == 15);
    CHECK(table[0] == std::pair<std::string, std::string>{"name", "all"});
    CHECK(table[8] == std::pair<std::string, std::string>{"forever", "split"});
    for (ActorKind k : kEveryKind) {
        for (const auto& [key, kinds] : table) {
            const bool applies =
                kinds == "all" ||
                (", " + kinds + ",").find(std::string(", ") + actor_kind_name(k) + ",") !=
                    std::string::npos;
            CHECK(actor_key_applies(k, key) == applies);
            if (applies || key == "name" || key == "kind") {
                continue;
            }
            INFO(actor_kind_name(k) << " with " << key);
            const std::string e = error_of("name = \"a\"" + kDevice + actor_of(k, key + " = 1\n"));
            const int line =
                14 + (k == ActorKind::Split || k == ActorKind::Zap || k == ActorKind::Enable ? 0
                      : k == ActorKind::Pin || k == ActorKind::Munmap || k == ActorKind::AcrnMap
                          ? 2
                          : 1);
            CHECK(e == fmt::format("x.toml:{}:{}: key '{}' does not apply to a '{}' actor (its "
                                   "keys: {})",
                                   line, key.size() + 4, key, actor_kind_name(k), actor_keys(k)));
        }
    }
    // The s390 syscalls take their direction from the kind.
    const std::string s390 = "name = \"a\"\n[kernel]\narch = \"s390\"";
    const Scenario r = parse_scenario(s390 + kDevice + actor_of(ActorKind::S390MmioRead), "x.toml");
    CHECK_FALSE(r.actors[0].write);
    const Scenario w =
        parse_scenario(s390 + kDevice + actor_of(ActorKind::S390MmioWrite), "x.toml");
    CHECK(w.actors[0].write);
    CHECK(error_of("name = \"a\"\n" + kActor + "forever = true\nrepeat = 2\n" +
                   "[[actor]]\nname = \"y\"\nkind = \"split\"\n") ==
          "x.toml:6:10: 'repeat' and 'forever' together: a forever walker has no count (give "
          "one of them)");
}

TEST_CASE("after: names other actors of the file, none forever, without a cycle",
          "[scenario][after]") {
    const std::string three = "name = \"a\"" + kDevice +
                              "[[actor]]\nname = \"zap\"\nkind = \"zap\"\n"
                              "[[actor]]\nname = \"enable\"\nkind = \"enable\"\n";
    const Scenario sc = parse_scenario(three + "after = [\"zap\"]\n", "x.toml");
    REQUIRE(sc.actors.size() == 2);
    CHECK(sc.actors[0].after.empty());
    CHECK(sc.actors[1].after == std::vector<std::size_t>{0});
    CHECK(error_of(three + "after = [\"zpa\"]\n") ==
          "x.toml:17:10: 'after' names unknown actor 'zpa' (valid: zap)");
    CHECK(error_of(three + "after = [\"enable\"]\n") ==
          "x.toml:17:10: actor 'enable' cannot start after itself");
    CHECK(error_of(three + "after = [\"zap\", \"zap\"]\n") ==
          "x.toml:17:17: 'after' names 'zap' twice");
    CHECK(error_of(three + "after = [1]\n") ==
          "x.toml:17:10: 'after' must be an array of actor names");
    CHECK(error_of(three + "after = \"zap\"\n") == "x.toml:17:9: 'after' must be an array");
    // A cycle is reported where it closes, spelled out.
    CHECK(error_of("name = \"a\"" + kDevice +
                   "[[actor]]\nname = \"zap\"\nkind = \"zap\"\nafter = [\"enable\"]\n"
                   "[[actor]]\nname = \"enable\"\nkind = \"enable\"\nafter = [\"zap\"]\n") ==
          "x.toml:18:10: 'after' makes a cycle (zap -> enable -> zap: each waits for the next "
          "to finish)");
    CHECK_THAT(error_of("name = \"a\"" + kDevice +
                        "[[actor]]\nname = \"a1\"\nkind = \"zap\"\nafter = [\"a3\"]\n"
                        "[[actor]]\nname = \"a2\"\nkind = \"zap\"\nafter = [\"a1\"]\n"
                        "[[actor]]\nname = \"a3\"\nkind = \"zap\"\nafter = [\"a2\"]\n"),
               Catch::EndsWith("'after' makes a cycle (a1 -> a3 -> a2 -> a1: each waits for "
                               "the next to finish)"));
    CHECK(error_of("name = \"a\"" + kDevice +
                   "[[actor]]\nname = \"walk\"\nkind = \"split\"\nforever = true\n"
                   "[[actor]]\nname = \"zap\"\nkind = \"zap\"\nafter = [\"walk\"]\n") ==
          "x.toml:18:10: 'after' names 'walk', which runs forever: 'zap' would never start");
}

TEST_CASE("[explore]: strategy random, pct or sweep, each with its own bounds",
          "[scenario][explore]") {
    const std::string base = "name = \"a\"\n" + kActor + "[explore]\n";
    const Scenario pct = parse_scenario(base + "strategy = \"pct\"\ndepth = 5\n", "x.toml");
    CHECK(pct.explore_mode == Scenario::ExploreMode::Pct);
    CHECK(pct.explore_depth == 5U);
    CHECK(pct.notes.empty());
    const Scenario sweep =
        parse_scenario(base + "strategy = \"sweep\"\npreemptions = 2\nfaults = 1\n", "x.toml");
    CHECK(sweep.explore_mode == Scenario::ExploreMode::Sweep);
    CHECK(sweep.explore_preemptions == 2U);
    CHECK(sweep.explore_faults == 1U);
    CHECK_FALSE(sweep.explore_depth);
    // The old spelling is read, with a note naming where.
    const Scenario old = parse_scenario(base + "mode = \"sweep\"\n", "x.toml");
    CHECK(old.explore_mode == Scenario::ExploreMode::Sweep);
    REQUIRE(old.notes.size() == 1);
    CHECK(old.notes[0] ==
          "x.toml:6:8: note: [explore] 'mode' is the old spelling of 'strategy' "
          "(read as strategy = \"sweep\")");
    CHECK(error_of(base + "strategy = \"sweep\"\nmode = \"sweep\"\n") ==
          "x.toml:7:8: 'mode' is the old spelling of 'strategy': give one of them");
    CHECK(error_of(base + "strategy = \"sweep\"\ndepth = 3\n") ==
          "x.toml:7:9: 'depth' in [explore] belongs to strategy = \"pct\", not \"sweep\" "
          "(sweep's bounds: preemptions, faults)");
    CHECK(error_of(base + "strategy = \"pct\"\npreemptions = 1\n") ==
          "x.toml:7:15: 'preemptions' in [explore] belongs to strategy = \"sweep\", not \"pct\" "
          "(pct's bound: depth)");
    CHECK(error_of(base + "faults = 1\n") ==
          "x.toml:6:10: 'faults' in [explore] belongs to strategy = \"sweep\", not \"random\" "
          "(random takes no bound)");
    CHECK(error_of(base + "strategy = \"pct\"\ndepth = 0\n") ==
          "x.toml:7:9: 'depth' = 0 is out of range (valid: 1..1000)");
}

TEST_CASE("docs/scenarios.md lists each actor key with the kinds the loader applies it to",
          "[scenario][docs]") {
    std::ifstream in("docs/scenarios.md");
    REQUIRE(in);
    std::map<std::string, std::string> documented;
    bool in_actors = false;
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("## ", 0) == 0) {
            in_actors = line.find("[[actor]]") != std::string::npos;
            continue;
        }
        if (!in_actors || line.rfind("| `", 0) != 0) {
            continue;
        }
        // | `key` | type | default | kinds | meaning |
        std::vector<std::string> cells;
        std::size_t at = 1;
        for (std::size_t bar; (bar = line.find(" | ", at)) != std::string::npos && cells.size() < 4;
             at = bar + 3) {
            cells.push_back(line.substr(at, bar - at));
        }
        REQUIRE(cells.size() == 4);
        const std::string key =
            cells[0].substr(cells[0].find('`') + 1, cells[0].rfind('`') - cells[0].find('`') - 1);
        documented[key] = cells[3];
    }
    const auto table = actor_key_table();
    CHECK(documented.size() == table.size());
    for (const auto& [key, kinds] : table) {
        INFO(key);
        CHECK(documented[key] == kinds);
    }
}

TEST_CASE("expectations are typed values read from the file's sixteen spellings",
          "[scenario][expect]") {
    using pfnsim::sim::ViolationKind;
    const std::vector<std::string> spellings = {"clean",
                                                "new-errno",
                                                "wrong-return",
                                                "step-bound",
                                                "lock-order",
                                                "livelock",
                                                "livelock (killable, yields under none, "
                                                "voluntary, full)",
                                                "livelock (killable, spins under none; yields "
                                                "under voluntary, full)",
                                                "livelock (killable, spins under none, "
                                                "voluntary; yields under full)",
                                                "livelock (killable, spins under none, "
                                                "voluntary, full)",
                                                "livelock (unkillable, yields under none, "
                                                "voluntary, full)",
                                                "livelock (unkillable, spins under none; yields "
                                                "under voluntary, full)",
                                                "livelock (unkillable, spins under none, "
                                                "voluntary; yields under full)",
                                                "livelock (unkillable, spins under none, "
                                                "voluntary, full)",
                                                "deadlock",
                                                "invariant"};
    for (const auto& s : spellings) {
        INFO(s);
        const auto e = parse_expectation(s);
        REQUIRE(e);
        CHECK(e->name() == s);
    }
    // The spellings before the classes named the preemption models ("spinning" held for
    // PREEMPT_NONE only) are refused.
    for (const char* s : {"state-mismatch", "nondeterminism", "livelock (killable)", "Clean", "",
                          "livelock (killable, spinning)", "livelock (killable, yielding)"}) {
        CHECK_FALSE(parse_expectation(s));
    }
    CHECK(valid_expectations() ==
          "clean, new-errno, wrong-return, step-bound, lock-order, livelock, livelock "
          "({killable|unkillable}, "
          "{yields under none, voluntary, full|spins under none; yields under voluntary, "
          "full|spins under none, voluntary; yields under full|spins under none, voluntary, "
          "full}), deadlock, invariant");
    const Expectation spinning =
        *parse_expectation("livelock (killable, spins under none; yields under voluntary, full)");
    CHECK(spinning.kind == ViolationKind::Livelock);
    CHECK(spinning.met_by(ViolationKind::Livelock, LivelockClass{true, 1}));
    CHECK_FALSE(spinning.met_by(ViolationKind::Livelock, LivelockClass{true, 2}));
    CHECK_FALSE(spinning.met_by(ViolationKind::Livelock, std::nullopt));
    CHECK(parse_expectation("livelock")->met_by(ViolationKind::Livelock, LivelockClass{}));
    CHECK(Expectation{}.met_by(std::nullopt, std::nullopt));
    CHECK_FALSE(Expectation{}.met_by(ViolationKind::NewErrno, std::nullopt));
    const Scenario sc = parse_scenario("name = \"a\"\n" + kActor +
                                           "[expect]\nverdict = \"deadlock\"\n"
                                           "[expect.policies]\neagain = \"livelock (killable, "
                                           "yields under none, voluntary, full)\"\n",
                                       "x.toml");
    CHECK(sc.expect_verdict == Expectation{ViolationKind::Deadlock, std::nullopt});
    CHECK(sc.expect_policies.at("eagain") ==
          Expectation{ViolationKind::Livelock, LivelockClass{true, 0}});
    CHECK(error_of("name = \"a\"\n" + kActor + "[expect]\nverdict = 3\n") ==
          "x.toml:6:11: unknown verdict (not a string) (valid: " + valid_expectations() + ")");
}

TEST_CASE("a livelock's class: the preemption models it spins and yields under",
          "[scenario][expect][preempt]") {
    // From the stuck actors' steps: cond_resched() or a sleep yields under every model, a
    // might_sleep() site (a voluntary point) under voluntary and full, any step outside a
    // spin lock under full only; a loop inside a spin lock throughout spins under all three.
    pfnsim::sim::Lasso l;
    l.preemptible = true;
    CHECK(livelock_class(l).spins == 2);
    CHECK(livelock_class(l).yield_text() == "spins under none, voluntary; yields under full");
    CHECK(livelock_class(l).spins_under(PreemptModel::Voluntary));
    CHECK_FALSE(livelock_class(l).spins_under(PreemptModel::Full));
    l.voluntary = true;
    CHECK(livelock_class(l).yield_text() == "spins under none; yields under voluntary, full");
    l.yielding = true;
    CHECK(livelock_class(l).yield_text() == "yields under none, voluntary, full");
    CHECK(livelock_class(pfnsim::sim::Lasso{}).yield_text() == "spins under none, voluntary, full");
    CHECK(livelock_class(pfnsim::sim::Lasso{}).models(false).empty());
}

TEST_CASE("the loader's one parse gives the schedule key's shape text", "[scenario][shape]") {
    const std::string body = kDevice + kActor + "[expect]\nverdict = \"clean\"\n";
    const Scenario a = parse_scenario("name = \"a\"\ndescription = \"one\"\n" + body, "x.toml");
    const Scenario b =
        parse_scenario("name = \"a\"\ndescription = \"two\"\nseed = 7\n" + body, "x.toml");
    CHECK(a.shape == b.shape);  // a description, a seed or an expectation shape nothing
    CHECK(a.shape.find("start = 0x40000000") != std::string::npos);  // numbers as written
    CHECK(a.shape.find("expect") == std::string::npos);
    CHECK(a.shape != parse_scenario("name = \"b\"\n" + body, "x.toml").shape);
}

TEST_CASE("split's walker: numa_maps by default, smaps or smaps_rollup by name",
          "[scenario][walker]") {
    CHECK(parse_scenario("name = \"a\"\n" + kActor, "x.toml").actors[0].walker == Walker::NumaMaps);
    CHECK(parse_scenario("name = \"a\"\n" + kActor + "walker = \"smaps\"\n", "x.toml")
              .actors[0]
              .walker == Walker::Smaps);
    CHECK(parse_scenario("name = \"a\"\n" + kActor + "walker = \"smaps_rollup\"\n", "x.toml")
              .actors[0]
              .walker == Walker::SmapsRollup);
    CHECK(error_of("name = \"a\"\n" + kActor + "walker = \"maps\"\n") ==
          "x.toml:5:10: unknown walker 'maps' (valid: numa_maps, smaps, smaps_rollup)");
}

TEST_CASE("[kernel] arch: huge entries only where the architecture selects them",
          "[scenario][arch]") {
    const auto with = [](const std::string& arch, const std::string& level) {
        return error_of("name = \"a\"\n[kernel]\narch = \"" + arch + "\"" + kDevice +
                        "[[entry]]\nlevel = \"" + level + "\"\naddr = 0x40000000\n" + kActor);
    };
    CHECK(with("x86_64", "pud") == "no error");
    CHECK(with("arm64", "pmd") == "no error");
    CHECK(with("s390", "pte") == "no error");
    CHECK_THAT(with("arm64", "pud"),
               Catch::Contains("impossible state: a pud entry needs "
                               "CONFIG_ARCH_SUPPORTS_PUD_PFNMAP, which arm64 does not select"));
    CHECK_THAT(with("s390", "pud"), Catch::Contains("CONFIG_ARCH_SUPPORTS_PUD_PFNMAP, which s390"));
    CHECK_THAT(with("s390", "pmd"),
               Catch::Contains("CONFIG_ARCH_SUPPORTS_HUGE_PFNMAP, which s390 does not select"));
    CHECK(error_of("name = \"a\"\n[kernel]\narch = \"ia64\"\n" + kActor) ==
          "x.toml:3:8: unknown architecture 'ia64' (valid: x86_64, arm64, s390)");
    // The s390 syscalls exist only there.
    CHECK_THAT(error_of("name = \"a\"" + kDevice + actor_of(ActorKind::S390MmioRead)),
               Catch::Contains("a s390-mmio-read actor needs [kernel] arch = \"s390\""));
}
