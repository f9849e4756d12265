// Kernel-style race diagrams: one column per CPU (actor), one row per step that matters.
#pragma once

#include <string>
#include <vector>

#include "pfnsim/sim/outcome.hpp"
#include "pfnsim/sim/program.hpp"

namespace pfnsim::sim {

// The steps that explain `v`: the violating step, and transitively every read by an involved
// actor of a value another actor wrote, with that write (locks only order, they are left out).
// Repeated reads of the same write by the same actor keep the first.
std::vector<bool> key_steps(const Outcome& o, const Program& program, const Violation& v);

// The index pair (write, read) of the last cross-actor data flow into the victim; -1 if none.
std::pair<long, long> racing_pair(const Outcome& o, const std::vector<bool>& key,
                                  const Program& program, const Violation& v);

// Renders the diagram (at most `width` columns): header, rows, folded runs ("..."), the
// violation and `replay`.
std::string render_diagram(const Outcome& o, Program& program, const Violation& v,
                           const std::string& replay, std::size_t width = 80);

}  // namespace pfnsim::sim
