// Text rendering of an execution's trace.
#pragma once

#include <string>
#include <vector>

#include "pfnsim/sim/execution.hpp"
#include "pfnsim/sim/program.hpp"

namespace pfnsim::sim {

std::string render_effect(const Step& s);
// The step's call chain, innermost first: its function, then the model functions it is in
// ({"follow_pfnmap_start", "follow_fault_pfn", "vaddr_get_pfns", "vfio_dma_do_map"}).
std::vector<std::string> call_chain(const Outcome& out, const Step& s);
// "follow_pfnmap_start <- follow_fault_pfn <- vaddr_get_pfns <- vfio_dma_do_map"
std::string call_chain_text(const Outcome& out, const Step& s);
// Where the model took the step, from "src/": the point() call in the model, or (for a step a
// simulator primitive such as a lock took) the line of the innermost model function.
std::string step_location(const Outcome& out, const Step& s);
// One line per step: index, actor, kernel function, operation, object, effect.
std::string render_trace(const Outcome& out, Program& program);
const char* status_name(Status s);

}  // namespace pfnsim::sim
