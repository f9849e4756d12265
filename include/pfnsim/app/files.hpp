// Reading inputs and writing results: only regular files, never more than a size cap, and
// saves that survive a crash (a temporary file, fsync, rename, fsync of the directory).
#pragma once

#include <cstdint>
#include <string>

namespace pfnsim::app {

inline constexpr std::uint64_t kScenarioCap = 1ULL << 20;  // 1 MiB
inline constexpr std::uint64_t kStateCap = 256ULL << 20;   // checkpoints and shards, 256 MiB

// The bytes of `path`; an InputError naming the file when it is not a regular file, is larger
// than `cap` bytes (`what` names the kind of input in the message) or cannot be read.
std::string read_input(const std::string& path, std::uint64_t cap, const char* what);
// Whether `path` exists; an InputError when it exists and is not a regular file.
bool regular_file_exists(const std::string& path);
// Replaces `path` with `text` atomically and durably; throws InputError.
void save_durably(const std::string& path, const std::string& text);

}  // namespace pfnsim::app
