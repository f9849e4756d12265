// libFuzzer: the checkpoint reader, and a resumed sweep from every checkpoint it accepts.
// An input whose first byte is odd is resealed first (its envelope rewritten with a correct
// checksum), so that the fuzzer reaches the field checks behind the checksum, as a hand edit
// would. tests/fuzz/seeds.hpp: the seeds this build writes, strict and report modes.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "pfnsim/app/envelope.hpp"
#include "pfnsim/app/error.hpp"
#include "pfnsim/app/files.hpp"
#include "pfnsim/app/sweep.hpp"
#include "pfnsim/sim/sweep_checkpoint.hpp"
#include "seeds.hpp"

using namespace pfnsim;

namespace {

// The sweep the checkpoints are for: the seed race with at most one preemption.
struct Setup {
    app::Plan plan = app::make_plan("scenarios/seed-split-refault.toml", {});
    app::Certificate cert;
    std::string key;

    Setup() {
        // One stopped run writes a checkpoint: its key is the one the reader expects.
        const std::string text = fuzz::stopped_at(plan, 1, 3, cert);
        key = app::unseal(text, "setup", app::kCheckpointFormat).body.at("key").get<std::string>();
    }
};

fuzz::Reached reached("a resumed sweep");

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
    if (fuzz::seed_dir() != nullptr) {
        const app::Plan plan = app::make_plan("scenarios/seed-split-refault.toml", {});
        for (const std::uint64_t k : {3, 10, 30}) {
            app::Certificate cert;
            const std::string text = fuzz::stopped_at(plan, 1, k, cert);
            fuzz::write_seed("gen-stopped-at-" + std::to_string(k), 0, text);
            fuzz::write_seed("gen-stopped-at-" + std::to_string(k) + "-resealed", 1, text);
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
    if ((data[0] & 1) != 0) {
        nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
        if (!j.is_object()) {
            fuzz::refused("not a JSON object");
            return 0;
        }
        j.erase("envelope");
        text = app::seal(std::move(j), app::sweep_meta(setup.cert, app::kCheckpointFormat)).dump();
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
    cfg.max_preemptions = setup.cert.preemptions;
    cfg.exec = setup.plan.exec;
    cfg.reduce = setup.cert.reduction;
    std::uint64_t resumed = state.finished.executions;
    for (const auto& a : state.active) {
        resumed += a.totals.executions;
    }
    cfg.max_executions = resumed < UINT64_MAX - 50 ? resumed + 50 : UINT64_MAX;
    const sim::ProgramFactory make = [] { return setup.plan.program(); };
    try {
        (void)sim::sweep(make, cfg, state);
    } catch (const sim::SweepError&) {
        // a saved path that does not fit the program: exit 2 in the command
    }
    return 0;
}
