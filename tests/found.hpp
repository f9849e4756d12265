// Catch2 helpers shared by the counterexample and export tests: the first violation
// `pfnsim explore` reports, minimised.
#pragma once

#include <catch2/catch.hpp>
#include <string>

#include "pfnsim/sim/explore.hpp"
#include "pfnsim/sim/minimize.hpp"
#include "pfnsim/sim/random_strategy.hpp"
#include "support.hpp"

namespace pfnsim::test {

struct Found {
    sim::Outcome original;
    sim::Violation violation;
    sim::Minimized min;
};

// What `pfnsim explore FILE --policy P` reports first, minimised.
inline Found first_minimised(model::World& w) {
    sim::RandomStrategy r;
    sim::ExploreConfig cfg;
    cfg.iterations = w.sc.iterations;
    cfg.seed = w.sc.seed;
    cfg.exec.step_bound = w.sc.step_bound;
    const auto rep = sim::explore(w, r, cfg);
    REQUIRE_FALSE(rep.violations.empty());
    const auto& wit = rep.violations.front();
    Found f;
    f.violation = wit.violation;
    f.original = sim::run_execution(w, r, wit.seed.value(), cfg.exec);
    auto m = sim::minimize(w, f.original, wit.violation, cfg.exec);
    REQUIRE(m.has_value());
    f.min = std::move(*m);
    return f;
}

inline model::World world(const std::string& scenario, const std::string& policy) {
    model::World w(model::load_scenario(source_path("scenarios/" + scenario)));
    w.set_policy(*model::parse_policy(policy));
    return w;
}

}  // namespace pfnsim::test
