// libFuzzer: the checkpoint reader, and a resumed sweep from every checkpoint it accepts.
// An input whose first byte is odd is resealed first (its envelope rewritten with a correct
// checksum), so that the fuzzer reaches the field checks behind the checksum, as a hand edit
// would.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "pfnsim/app/envelope.hpp"
#include "pfnsim/app/error.hpp"
#include "pfnsim/app/files.hpp"
#include "pfnsim/app/sweep.hpp"
#include "pfnsim/sim/sweep_checkpoint.hpp"

using namespace pfnsim;

namespace {

// The sweep the checkpoints are for: the seed race with at most one preemption.
struct Setup {
    app::Plan plan = app::make_plan("scenarios/seed-split-refault.toml", {});
    app::Certificate cert;
    std::string key;

    Setup() {
        // One stopped run writes a checkpoint: its key is the one the reader expects.
        const auto file = std::filesystem::temp_directory_path() /
                          ("pfnsim-fuzz-ck-" + std::to_string(::getpid()) + ".json");
        app::SweepRequest rq;
        rq.preemptions = 1;
        rq.max_executions = 3;
        rq.checkpoint = file.string();
        rq.minimize = false;
        cert = *app::run_sweep(plan, rq).certificate;
        const std::string text = app::read_input(rq.checkpoint, app::kStateCap, "checkpoint");
        key = app::unseal(text, "setup", app::kCheckpointFormat).body.at("key").get<std::string>();
        std::filesystem::remove(file);
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const Setup setup;
    if (size == 0) {
        return 0;
    }
    std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
    if ((data[0] & 1) != 0) {
        nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
        if (!j.is_object()) {
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
        return 0;
    }
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
