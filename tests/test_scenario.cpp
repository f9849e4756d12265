// Scenario files: every shipped file loads; bad ones fail with file:line:column.
#include <catch2/catch.hpp>
#include <filesystem>

#include "pfnsim/model/limits.hpp"
#include "pfnsim/model/scenario.hpp"
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
          "x.toml:5:10: unknown key 'colour' in [[actor]] (valid: name, kind, vaddr, size, write, "
          "repeat, forever, target, fault_retry, device, placement, allowed)");
    CHECK_THAT(error_of("name = \"a\"\npolicy = \"sometimes\"\n" + kActor),
               Catch::StartsWith("x.toml:2:10: unknown policy 'sometimes' (valid: original"));
    CHECK_THAT(error_of("name = \"a\"\n[[actor]]\nname = \"p\"\nkind = \"teleport\"\n"),
               Catch::StartsWith("x.toml:4:8: unknown actor kind 'teleport' (valid: pin, split"));
    CHECK_THAT(error_of("name = \"a\"\n[[actor]\n"), Catch::StartsWith("x.toml:2:"));
    CHECK_THAT(error_of("name = \"a\"\n" + kActor + "[explore]\nmode = \"dfs\"\n"),
               Catch::Contains("unknown explore mode 'dfs' (valid: random, sweep)"));
    CHECK_THAT(error_of("name = \"a\"\n" + kActor + "[explore]\npreemptions = 2\n"),
               Catch::Contains("need mode = \"sweep\""));
    CHECK_THAT(error_of("name = \"a\"\n" + kActor + "[explore]\nmode = \"sweep\"\nfaults = 5000\n"),
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
