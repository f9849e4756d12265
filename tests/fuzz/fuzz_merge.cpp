// libFuzzer: merging shards. The input is up to four shard files separated by a line "@@";
// with an odd first byte each is resealed first (see fuzz_checkpoint.cpp).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "pfnsim/app/envelope.hpp"
#include "pfnsim/app/error.hpp"
#include "pfnsim/app/sweep.hpp"

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

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) {
        return 0;
    }
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
            parts.push_back(app::read_shard((data[0] & 1) != 0 ? resealed(texts[i]) : texts[i],
                                            files.back()));
        }
        app::check_shard_tasks(parts, files);
        const app::Result m = app::merge_shards(parts, files, false);
        (void)app::certificate_json(m, false).dump();
    } catch (const app::InputError& e) {
        if (e.message.find('\n') != std::string::npos) {
            std::abort();  // an error is one line
        }
    }
    return 0;
}
