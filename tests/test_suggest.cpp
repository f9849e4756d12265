// "Did you mean": the edit distance and the nearest name the command line suggests.
#include <catch2/catch.hpp>

#include "cli/suggest.hpp"

using pfnsim::cli::closest_name;
using pfnsim::cli::edit_distance;

TEST_CASE("edit distance counts insertions, deletions and substitutions", "[suggest]") {
    CHECK(edit_distance("", "") == 0);
    CHECK(edit_distance("", "abc") == 3);
    CHECK(edit_distance("swep", "sweep") == 1);
    CHECK(edit_distance("polcy", "policy") == 1);
    CHECK(edit_distance("kitten", "sitting") == 3);
    CHECK(edit_distance("chekc", "check") == 2);
}

TEST_CASE("the nearest name is suggested only when it is near", "[suggest]") {
    const std::vector<std::string> cmds = {"run",    "explore", "replay", "sweep", "merge",
                                           "matrix", "stats",   "check",  "help"};
    CHECK(closest_name("swep", cmds) == "sweep");
    CHECK(closest_name("explroe", cmds) == "explore");
    CHECK(closest_name("rn", cmds) == "run");
    CHECK(closest_name("frobnicate", cmds).empty());
    CHECK(closest_name("xyz", cmds).empty());
    CHECK(closest_name("--polcy", {"--help", "--policy", "--seed"}) == "--policy");
}
