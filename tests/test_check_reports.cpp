// `check` never loses a result: a file whose search fails is one `not ok` (KTAP), one JUnit
// `<error>` and one ERROR line, with its diagnostic, and every other file is still decided and
// reported; every report says how each file was decided and every class it found.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "cli/render.hpp"
#include "pfnsim/app/error.hpp"
#include "pfnsim/app/matrix.hpp"
#include "support.hpp"

using namespace pfnsim;
using pfnsim::test::source_path;

namespace {

std::size_t count(const std::string& s, const std::string& what) {
    std::size_t n = 0;
    for (auto p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) {
        ++n;
    }
    return n;
}

}  // namespace

TEST_CASE("a file whose search fails is one not-ok result and the others go on", "[check]") {
    const std::string zap = source_path("scenarios/pin-zap-race.toml");
    const std::string broken = source_path("scenarios/seed-split-refault.toml");
    const std::string other = source_path("scenarios/pin-outside-vma.toml");
    // The seed race's search "fails" as an inconsistent search would; the others are decided.
    const app::CellDecider decide = [&](const app::Plan& p, std::uint64_t states,
                                        const sim::Progress& pr) {
        if (p.file() == broken) {
            throw app::InternalError{"task 0: the replayed path did not reach its state"};
        }
        return app::check_plan(p, states, pr);
    };
    const auto files = app::check_files({zap, broken, other}, {}, 100000, decide);
    REQUIRE(files.size() == 3);
    CHECK(files[0].ok());
    CHECK(files[0].cells.size() == 7);
    CHECK_FALSE(files[1].ok());
    CHECK(files[1].internal);
    CHECK(files[1].error.find("did not reach its state") != std::string::npos);
    CHECK(files[1].scenario_hash.size() == 16);
    CHECK(files[2].error.empty());

    const std::string ktap = cli::check_ktap(files);
    CHECK(count(ktap, "\nok ") + count(ktap, "\nnot ok ") == 3);
    CHECK(ktap.find("not ok 2 " + broken + " # error\n") != std::string::npos);
    CHECK(ktap.find("ok 1 " + zap + " # certified\n") != std::string::npos);
    CHECK(ktap.find("# error: " + broken) != std::string::npos);
    CHECK(ktap.find("error:1") != std::string::npos);

    const std::string junit = cli::check_junit(files);
    CHECK(count(junit, "<testcase ") == 3);
    CHECK(count(junit, "<error ") == 1);
    CHECK(junit.find("type=\"search-failed\"") != std::string::npos);
    CHECK(junit.find("<property name=\"decided\" value=\"certified\"/>") != std::string::npos);

    const std::string text = cli::check_text(files);
    CHECK(count(text, "ERROR ") == 1);
    CHECK(text.find("1 not decided (ERROR)") != std::string::npos);
}

TEST_CASE("every report says how it was decided", "[check]") {
    const std::string zap = source_path("scenarios/pin-zap-race.toml");
    const auto certified = app::check_files({zap});
    REQUIRE(certified.size() == 1);
    for (const auto& c : certified[0].cells) {
        CHECK(c.decided() == "certified");
        CHECK(cli::decided_text(c).rfind("certified (a complete stateful sweep, ", 0) == 0);
    }
    // Beyond its budget, the file's own [explore] decides it: random executions.
    const auto sampled = app::check_files({zap}, {}, 10);
    for (const auto& c : sampled[0].cells) {
        CHECK(c.decided() == "sampled");
        CHECK(c.fallback.find("budget of 10 states") != std::string::npos);
    }
    // Both decide the same verdicts here.
    for (std::size_t i = 0; i < sampled[0].cells.size(); ++i) {
        CHECK(sampled[0].cells[i].verdict.name() == certified[0].cells[i].verdict.name());
    }
    CHECK(cli::check_ktap(sampled).find(" # sampled\n") != std::string::npos);
}

TEST_CASE("a file's [explore] fault bound is part of what check certifies", "[check]") {
    const auto dir = std::filesystem::temp_directory_path() / "pfnsim-check-faults";
    std::filesystem::create_directories(dir);
    const std::string path = (dir / "zap-faults.toml").string();
    {
        std::ifstream in(source_path("scenarios/pin-zap-race.toml"));
        std::stringstream text;
        text << in.rdbuf() << "\n[explore]\nstrategy = \"sweep\"\nfaults = 1\n";
        std::ofstream(path) << text.str();
    }
    const auto files = app::check_files({path});
    REQUIRE(files.size() == 1);
    REQUIRE(files[0].error.empty());
    for (const auto& c : files[0].cells) {
        REQUIRE(c.certificate);
        CHECK(c.decided() == "certified");
        CHECK(c.certificate->faults == std::optional<unsigned>(1));
    }
    std::filesystem::remove_all(dir);
}
