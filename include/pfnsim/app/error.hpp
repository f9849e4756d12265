// Bad input (a file, a flag, a schedule, a shard): one line for the user, exit code 2.
#pragma once

#include <string>

namespace pfnsim::app {

struct InputError {
    std::string message;
};

}  // namespace pfnsim::app
