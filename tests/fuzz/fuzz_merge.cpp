// libFuzzer: merging shards. The input is up to four shard files separated by a line "@@";
// with an odd first byte each is resealed first (see fuzz_checkpoint.cpp).
// tests/fuzz/seeds.hpp: the seeds this build writes, strict and report modes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "pfnsim/app/envelope.hpp"
#include "pfnsim/app/error.hpp"
#include "pfnsim/app/sweep.hpp"
#include "seeds.hpp"

using namespace pfnsim;

namespace {

std::string resealed(const std::string& text) {
    nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
    if (!j.is_object()) {
        return text;
    }
    j.erase("envelope");
    try {
        const app::Result r = app::certificate_from_json(j);
        return app::seal(std::move(j), app::sweep_meta(*r.certificate, app::kShardFormat)).dump();
    } catch (const app::InputError&) {
        return text;
    }
}

fuzz::Reached reached("a merge");

// The shards of a sweep of the seed race (`preemptions`: nullopt = stateful), "\n@@\n" apart.
std::string shards(std::optional<unsigned> preemptions, unsigned count,
                   std::uint64_t max_executions) {
    const app::Plan plan = app::make_plan("scenarios/seed-split-refault.toml", {});
    std::string all;
    for (unsigned i = 0; i < count; ++i) {
        app::SweepRequest rq;
        rq.preemptions = preemptions;
        rq.shard = std::pair{i, count};
        rq.max_executions = max_executions;
        rq.minimize = false;
        all +=
            (i == 0 ? "" : "\n@@\n") + app::certificate_json(app::run_sweep(plan, rq), true).dump();
    }
    return all;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
    if (fuzz::seed_dir() != nullptr) {
        for (const auto& [name, text] :
             {std::pair{std::string("gen-two-shards"), shards(1, 2, 0)},
              std::pair{std::string("gen-three-shards"), shards(1, 3, 0)},
              std::pair{std::string("gen-stopped-shards"), shards(1, 2, 5)},
              std::pair{std::string("gen-stateful-shards"), shards(std::nullopt, 2, 0)}}) {
            fuzz::write_seed(name, 0, text);
            fuzz::write_seed(name + "-resealed", 1, text);
        }
        std::exit(0);
    }
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) {
        return 0;
    }
    reached.input();
    const std::string all(reinterpret_cast<const char*>(data) + 1, size - 1);
    std::vector<std::string> texts;
    for (std::size_t at = 0; texts.size() < 4;) {
        const std::size_t sep = all.find("\n@@\n", at);
        texts.push_back(all.substr(at, sep == std::string::npos ? std::string::npos : sep - at));
        if (sep == std::string::npos) {
            break;
        }
        at = sep + 4;
    }
    std::vector<app::Result> parts;
    std::vector<std::string> files;
    try {
        for (std::size_t i = 0; i < texts.size(); ++i) {
            files.push_back("shard-" + std::to_string(i) + ".json");
            parts.push_back(
                app::read_shard((data[0] & 1) != 0 ? resealed(texts[i]) : texts[i], files.back()));
        }
        app::check_shard_tasks(parts, files);
        const app::Result m = app::merge_shards(parts, files, false);
        reached.reached();
        (void)app::certificate_json(m, false).dump();
    } catch (const app::InputError& e) {
        if (e.message.find('\n') != std::string::npos) {
            std::abort();  // an error is one line
        }
        fuzz::refused(e.message);
    }
    return 0;
}
