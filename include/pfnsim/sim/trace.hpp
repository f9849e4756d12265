// Text rendering of an execution's trace.
#pragma once

#include <string>

#include "pfnsim/sim/execution.hpp"
#include "pfnsim/sim/program.hpp"

namespace pfnsim::sim {

std::string render_effect(const Step& s);
// One line per step: index, actor, kernel function, operation, object, effect.
std::string render_trace(const Outcome& out, Program& program);
const char* status_name(Status s);

}  // namespace pfnsim::sim
