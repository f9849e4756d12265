// Exports of one execution: Chrome trace-event JSON (Perfetto, chrome://tracing) and Graphviz.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "pfnsim/sim/execution.hpp"
#include "pfnsim/sim/program.hpp"

namespace pfnsim::cli {

// One track per actor: every step as a complete event, lock holds as async spans, page-table
// writes and results as instant events. Timestamps are step index x 10 us.
nlohmann::json chrome_trace(const sim::Outcome& o, sim::Program& program, const std::string& title);

// Nodes are steps, clustered per actor; solid edges are program order, dashed red edges join
// consecutive conflicting accesses of different actors (same object, at least one writes).
std::string happens_before_dot(const sim::Outcome& o, sim::Program& program,
                               const std::string& title);

// Problems with a Chrome trace (missing fields, unbalanced spans, time going back on a
// track); empty when it is well formed.
std::string check_chrome_trace(const nlohmann::json& trace);

}  // namespace pfnsim::cli
