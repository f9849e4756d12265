// Bad input (a file, a flag, a schedule, a shard): one line for the user, exit code 2.
#pragma once

#include <string>

namespace pfnsim::app {

struct InputError {
    std::string message;
};

// An inconsistency of pfnsim itself (a search whose replay did not reach the state it recorded:
// the model's state signature misses part of its state): nothing in the input is wrong. One
// line for the user, naming what differed and how to get an answer anyway; exit code 4.
struct InternalError {
    std::string message;
};

// `s` on one line: control characters (a newline in a name read from a file) escaped.
inline std::string one_line(const std::string& s) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(s.size());
    for (const char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if (c == '\n') {
            out += "\\n";
        } else if (u < 0x20 || u == 0x7f) {
            out += "\\x";
            out += kHex[u >> 4];
            out += kHex[u & 15];
        } else {
            out += c;
        }
    }
    return out;
}

}  // namespace pfnsim::app
