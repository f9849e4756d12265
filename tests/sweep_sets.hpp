// What two sweeps are compared on: their violations and each actor's results, as sets (a
// stateful sweep runs fewer executions, so counts differ where the sets must not).
#pragma once

#include <set>
#include <string>
#include <tuple>

#include "pfnsim/sim/sweep.hpp"

namespace pfnsim::test {

// (kind, actor, detail) of every violation.
inline std::set<std::tuple<std::string, std::string, std::string>> kinds(
    const sim::SweepTotals& t) {
    std::set<std::tuple<std::string, std::string, std::string>> s;
    for (const auto& w : t.violations) {
        s.emplace(sim::kind_name(w.violation.kind), w.violation.actor, w.violation.detail);
    }
    return s;
}

// "ACTOR=RESULT" for every result an actor ended with, without its count.
inline std::set<std::string> result_keys(const sim::SweepTotals& t) {
    std::set<std::string> s;
    for (std::size_t a = 0; a < t.results.size(); ++a) {
        for (const auto& [r, n] : t.results[a]) {
            s.insert(std::to_string(a) + "=" + r);
        }
    }
    return s;
}

}  // namespace pfnsim::test
