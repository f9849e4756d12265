// Bad input (a file, a flag, a schedule, a shard): one line for the user, exit code 2.
#pragma once

#include <string>

#include "pfnsim/sim/text.hpp"

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

// `s` on one line, valid UTF-8: control characters (a newline in a name read from a file), line
// separators and bytes that are not UTF-8 escaped (include/pfnsim/sim/text.hpp).
inline std::string one_line(const std::string& s) {
    return sim::escape_line(s);
}

}  // namespace pfnsim::app
