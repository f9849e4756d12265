// The envelope of the files pfnsim writes for itself (checkpoints and shards): a JSON object
// with an "envelope" member that says what the file is (format and its version), which tool
// wrote it, for which scenario file, policy and bounds, and a checksum over everything else.
// It catches corrupt, truncated and mismatched files; it is not a signature (anyone can
// recompute the checksum), which is why every field is also range-checked where it is read.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "pfnsim/sim/sweep.hpp"

namespace pfnsim::app {

inline constexpr int kEnvelopeVersion = 1;

struct EnvelopeMeta {
    std::string format;         // "pfnsim-checkpoint" or "pfnsim-shard"
    std::string tool;           // envelope_tool(): the release and the model version
    std::string scenario_hash;  // content hash of the scenario file
    std::string policy;
    std::string bound;  // e.g. "preemptions=2 faults=scenario"

    bool operator==(const EnvelopeMeta&) const = default;
};

// "pfnsim 0.2.0 model 2": what must agree for a file to be read back. Builds of one release
// and model version explore the same trees.
std::string envelope_tool();

// `body` (a JSON object without an "envelope" member) with its envelope added.
nlohmann::json seal(nlohmann::json body, const EnvelopeMeta& meta);

struct Opened {
    EnvelopeMeta meta;
    nlohmann::json body;  // the document without its envelope
};

// Parses `text` (read from `file`) and checks its envelope: JSON, an object, the format
// `format` in a version this build reads, written by this tool, and an intact checksum.
// Throws InputError "FILE: envelope.FIELD ..." (or "FILE:LINE:COLUMN: ..." for bad JSON).
Opened unseal(const std::string& text, const std::string& file, const std::string& format);

// Throws InputError naming `file` and the first envelope field that differs from `want`.
void expect_meta(const Opened& got, const EnvelopeMeta& want, const std::string& file);

inline constexpr const char* kCheckpointFormat = "pfnsim-checkpoint";
inline constexpr const char* kShardFormat = "pfnsim-shard";

struct Certificate;
struct Result;
// The envelope of a sweep's files (`format` is one of the two above).
EnvelopeMeta sweep_meta(const Certificate& c, const char* format);
// The text of a checkpoint of the sweep `c` describes.
std::string checkpoint_text(const sim::SweepState& s, const Certificate& c);
// A checkpoint's saved sweep, every field checked against the sweep `c` describes (its
// envelope, its key, and sim::check_state for shard `shard` of `shards`); throws InputError
// "FILE: ...".
sim::SweepState read_checkpoint(const std::string& text, const std::string& file,
                                const Certificate& c, const std::string& key, unsigned shard,
                                unsigned shards);
// A shard file's certificate, every field checked: the envelope, the body's agreement with it,
// the shard's index, count and tasks, and its totals (sim::check_totals). Throws InputError
// "FILE: ...".
Result read_shard(const std::string& text, const std::string& file);
// With every shard of a sweep given, each one's task count must be its share of their sum.
void check_shard_tasks(const std::vector<Result>& parts, const std::vector<std::string>& files);

}  // namespace pfnsim::app
