// The toml++ input guard: toml++ 3.3 has undefined behaviour on some non-ASCII input that
// TOML rejects anyway, so the text is scanned first (toml_text_check.cpp says which).
#pragma once

#include <optional>
#include <string>

namespace pfnsim::model {

// What is wrong with `text` before toml++ may see it ("file:line:column: message", the first
// problem), or nullopt: valid UTF-8 with no non-ASCII character where toml++ would misbehave.
std::optional<std::string> toml_text_check(const std::string& text, const std::string& path);

}  // namespace pfnsim::model
