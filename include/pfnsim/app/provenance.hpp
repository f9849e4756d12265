// What every output names: the tool that made it and the scenario it is about.
#pragma once

#include <cstdint>
#include <string>

namespace pfnsim::app {

// The project version (CMake's), e.g. "0.2.0".
const char* tool_version();
// `git describe --always --dirty` of the tree that was built, or "unknown".
const char* build_describe();
// Bumped whenever a change of the kernel model can change a verdict (docs/extending.md).
int model_version();
// "pfnsim 0.2.0 (g1234567) model 2"
std::string version_line();
// The content hash of a scenario file's bytes: 16 hex digits.
std::string content_hash(const std::string& text);

}  // namespace pfnsim::app
