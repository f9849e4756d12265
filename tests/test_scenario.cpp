// Scenario files: every shipped file loads; bad ones fail with file:line:column.
#include <catch2/catch.hpp>
#include <filesystem>

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
