// Reading inputs and writing results: only regular files, never more than a size cap, and
// writes that cannot be turned against pfnsim: a temporary file created exclusively beside the
// target (never a planted link or FIFO), every write, fsync and close checked, then a rename.
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

// Checks, before any work begins, that `path` can be written: not empty, not a directory, and
// either a device or pipe (written in place) or a file whose directory takes a new file (tried
// by creating a temporary file there and removing it). Throws InputError "PATH: ...".
void check_output(const std::string& path);
// Writes `text` to `path`. A regular file (or a new one) is replaced atomically and durably: a
// temporary file created exclusively beside it (O_EXCL, so never through a planted link or
// FIFO), fsync, rename, fsync of the directory; a symbolic link to a regular file replaces the
// file it names. A device or a pipe is written in place. Every write, fsync and close is
// checked; a failure is an InputError "PATH: cannot write: STRERROR".
void write_output(const std::string& path, const std::string& text);
// write_output for pfnsim's own state (checkpoints); the same guarantees.
inline void save_durably(const std::string& path, const std::string& text) {
    write_output(path, text);
}

}  // namespace pfnsim::app
