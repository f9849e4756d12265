// The fuzz targets' seeds, made by the build under test (tests/fuzz/run.sh):
//   PFNSIM_FUZZ_SEEDS=DIR  the target writes the seeds it makes (checkpoints, shards) to DIR
//                          and exits, so that a corpus never holds a file an older build wrote
//                          and the reader refuses at its key before reaching the code behind;
//   PFNSIM_FUZZ_STRICT=1   an input the reader refuses aborts, naming the reason: run over the
//                          seeds just written, it fails when one is refused at its envelope;
//   PFNSIM_FUZZ_REPORT=1   at exit, how many inputs reached the resumed (or merged) search.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>

#include "pfnsim/app/files.hpp"
#include "pfnsim/app/sweep.hpp"

namespace pfnsim::fuzz {

inline const char* seed_dir() {
    return std::getenv("PFNSIM_FUZZ_SEEDS");
}

// Writes one seed: the target's first (selector) byte, then the text.
inline void write_seed(const std::string& name, std::uint8_t selector, std::string_view text) {
    const std::string path = std::string(seed_dir()) + "/" + name;
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f.put(static_cast<char>(selector));
    f.write(text.data(), static_cast<std::streamsize>(text.size()));
    f.close();
    if (!f) {
        std::fprintf(stderr, "fuzz seeds: cannot write %s\n", path.c_str());
        std::exit(2);
    }
}

// The checkpoint of a sweep of `plan` (`preemptions`: nullopt = stateful) stopped after
// `executions`, as the command writes it; `cert` is the sweep's certificate.
inline std::string stopped_at(const app::Plan& plan, std::optional<unsigned> preemptions,
                              std::uint64_t executions, app::Certificate& cert) {
    const auto file = std::filesystem::temp_directory_path() /
                      ("pfnsim-fuzz-" + std::to_string(::getpid()) + ".json");
    app::SweepRequest rq;
    rq.preemptions = preemptions;
    rq.max_executions = executions;
    rq.checkpoint = file.string();
    rq.minimize = false;
    cert = *app::run_sweep(plan, rq).certificate;
    std::string text = app::read_input(rq.checkpoint, app::kStateCap, "checkpoint");
    std::filesystem::remove(file);
    return text;
}

// An input the reader refused: aborts under PFNSIM_FUZZ_STRICT (a seed must be accepted).
inline void refused(std::string_view why) {
    if (std::getenv("PFNSIM_FUZZ_STRICT") != nullptr) {
        std::fprintf(stderr, "fuzz: a seed was refused: %.*s\n", static_cast<int>(why.size()),
                     why.data());
        std::abort();
    }
}

// Counts the inputs that reached the code behind the reader; printed at exit when asked.
class Reached {
  public:
    explicit Reached(const char* what) : what_(what) {}
    ~Reached() {
        if (std::getenv("PFNSIM_FUZZ_REPORT") != nullptr) {
            std::fprintf(stderr, "fuzz report: %llu of %llu inputs reached %s\n",
                         static_cast<unsigned long long>(reached_),
                         static_cast<unsigned long long>(inputs_), what_);
        }
    }
    Reached(const Reached&) = delete;
    Reached& operator=(const Reached&) = delete;
    void input() { ++inputs_; }
    void reached() { ++reached_; }

  private:
    const char* what_;
    std::uint64_t inputs_ = 0;
    std::uint64_t reached_ = 0;
};

}  // namespace pfnsim::fuzz
