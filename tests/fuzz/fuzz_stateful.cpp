// libFuzzer: the checkpoint of a stateful sweep (its saved search, base64 in the JSON), and a
// resumed sweep from every checkpoint the reader accepts. The first byte says what the rest is:
//   odd: the saved search's bytes, put into a real checkpoint and resealed (a correct checksum),
//     so that the fuzzer works on the binary search format behind the checksum;
//   even: a checkpoint's text, resealed first when bit 1 is set (as a hand edit would be).
// tests/fuzz/seeds.hpp: the seeds this build writes, strict and report modes.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "pfnsim/app/envelope.hpp"
#include "pfnsim/app/error.hpp"
#include "pfnsim/app/files.hpp"
#include "pfnsim/app/sweep.hpp"
#include "pfnsim/sim/sweep_checkpoint.hpp"
#include "seeds.hpp"

using namespace pfnsim;

namespace {

std::string base64(std::string_view in) {
    static constexpr std::string_view kDigits =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    for (std::size_t i = 0; i < in.size(); i += 3) {
        std::uint32_t v = 0;
        for (std::size_t k = 0; k < 3; ++k) {
            v = (v << 8U) |
                (i + k < in.size() ? std::uint32_t{static_cast<std::uint8_t>(in[i + k])} : 0U);
        }
        const std::size_t n = std::min<std::size_t>(3, in.size() - i);
        for (std::size_t k = 0; k < 4; ++k) {
            out.push_back(k <= n ? kDigits[(v >> (18 - 6 * k)) & 0x3FU] : '=');
        }
    }
    return out;
}

std::string unbase64(std::string_view in) {
    static constexpr std::string_view kDigits =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    std::uint32_t v = 0;
    unsigned bits = 0;
    for (const char ch : in) {
        const std::size_t d = kDigits.find(ch);
        if (d == std::string_view::npos) {
            break;  // '=' padding
        }
        v = (v << 6U) | static_cast<std::uint32_t>(d);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((v >> bits) & 0xFFU));
        }
    }
    return out;
}

// The stateful sweep the checkpoints are for: the seed race, any number of preemptions.
struct Setup {
    app::Plan plan = app::make_plan("scenarios/seed-split-refault.toml", {});
    app::Certificate cert;
    std::string key;
    nlohmann::json body;  // a checkpoint stopped after three executions, without its envelope

    Setup() {
        body = app::unseal(fuzz::stopped_at(plan, std::nullopt, 3, cert), "setup",
                           app::kCheckpointFormat)
                   .body;
        key = body.at("key").get<std::string>();
    }
};

fuzz::Reached reached("a resumed stateful sweep");

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
    if (fuzz::seed_dir() != nullptr) {
        const app::Plan plan = app::make_plan("scenarios/seed-split-refault.toml", {});
        for (const std::uint64_t k : {3, 10}) {
            app::Certificate cert;
            const std::string text = fuzz::stopped_at(plan, std::nullopt, k, cert);
            const std::string name = "gen-stopped-at-" + std::to_string(k);
            fuzz::write_seed(name, 0, text);
            fuzz::write_seed(name + "-resealed", 2, text);
            if (k == 3) {  // the search bytes, put back into the setup's checkpoint
                const nlohmann::json j = app::unseal(text, "seed", app::kCheckpointFormat).body;
                fuzz::write_seed(name + "-search", 1,
                                 unbase64(j.at("active").at(0).at("search").get<std::string>()));
            }
        }
        std::exit(0);
    }
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const Setup setup;
    if (size == 0) {
        return 0;
    }
    reached.input();
    std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
    const app::EnvelopeMeta meta = app::sweep_meta(setup.cert, app::kCheckpointFormat);
    if ((data[0] & 1U) != 0) {
        nlohmann::json j = setup.body;
        j["active"][0]["search"] = base64(text);
        text = app::seal(std::move(j), meta).dump();
    } else if ((data[0] & 2U) != 0) {
        nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
        if (!j.is_object()) {
            fuzz::refused("not a JSON object");
            return 0;
        }
        j.erase("envelope");
        text = app::seal(std::move(j), meta).dump();
    }
    sim::SweepState state;
    try {
        state = app::read_checkpoint(text, "fuzz.json", setup.cert, setup.key, 0, 1);
    } catch (const app::InputError& e) {
        if (e.message.find('\n') != std::string::npos) {
            std::abort();  // an error is one line
        }
        fuzz::refused(e.message);
        return 0;
    }
    reached.reached();
    sim::SweepConfig cfg;
    cfg.exec = setup.plan.exec;
    cfg.stateful = true;
    std::uint64_t resumed = state.finished.executions;
    for (const auto& a : state.active) {
        resumed += a.totals.executions;
    }
    cfg.max_executions = resumed < UINT64_MAX - 50 ? resumed + 50 : UINT64_MAX;
    const sim::ProgramFactory make = [] { return setup.plan.program(); };
    try {
        (void)sim::sweep(make, cfg, state);
    } catch (const sim::SweepError&) {
        // a saved search the program does not replay to: exit 4 (or 2) in the command
    }
    return 0;
}
