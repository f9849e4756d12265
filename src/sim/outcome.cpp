#include "pfnsim/sim/outcome.hpp"

#include <algorithm>

namespace pfnsim::sim {

unsigned count_preemptions(const Outcome& o) {
    return static_cast<unsigned>(std::count_if(o.choices.begin(), o.choices.end(),
                                               [](const ChoiceRecord& c) { return c.preemption; }));
}

bool same_violation(const Violation& a, const Violation& b) {
    return a.kind == b.kind && a.actor == b.actor && a.detail == b.detail;
}

bool shows(const Outcome& o, const Violation& v) {
    return std::any_of(o.violations.begin(), o.violations.end(),
                       [&](const Violation& w) { return same_violation(w, v); });
}

ActorId victim_of(const Outcome& o, const Program& program, const Violation& v) {
    const auto& decls = program.actors();
    for (ActorId i = 0; i < decls.size(); ++i) {
        if (decls[i].name == v.actor) {
            return i;
        }
    }
    return o.trace.empty() ? 0 : o.trace.back().actor;
}

long last_step_of(const Outcome& o, ActorId a) {
    for (long i = static_cast<long>(o.trace.size()) - 1; i >= 0; --i) {
        if (o.trace[static_cast<std::size_t>(i)].actor == a) {
            return i;
        }
    }
    return static_cast<long>(o.trace.size()) - 1;
}

long last_write_before(const Outcome& o, ObjectId obj, std::size_t before) {
    for (std::size_t i = before; i-- > 0;) {
        if (o.trace[i].object == obj && o.trace[i].op == Op::Write) {
            return static_cast<long>(i);
        }
    }
    return -1;
}

long violation_step(const Outcome& o, const Program& program, const Violation& v) {
    return o.trace.empty() ? -1 : last_step_of(o, victim_of(o, program, v));
}

}  // namespace pfnsim::sim
