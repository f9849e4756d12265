// Expected verdicts: the kinds a scenario may expect, and their spellings.
#include "pfnsim/model/expectation.hpp"

#include <fmt/format.h>

#include "pfnsim/model/scenario.hpp"
#include "pfnsim/sim/lasso.hpp"

namespace pfnsim::model {

namespace {

// The verdicts a scenario may expect, in the order messages list them (nullopt: clean); a
// livelock may also name its class. The self-checks' kinds are never expected.
constexpr std::optional<sim::ViolationKind> kExpectable[] = {
    std::nullopt,
    sim::ViolationKind::NewErrno,
    sim::ViolationKind::WrongReturn,
    sim::ViolationKind::StepBound,
    sim::ViolationKind::LockOrder,
    sim::ViolationKind::Livelock,
    sim::ViolationKind::Deadlock,
    sim::ViolationKind::Invariant,
};

std::string kind_text(std::optional<sim::ViolationKind> k) {
    return k ? sim::kind_name(*k) : "clean";
}

std::string class_text(const LivelockClass& c) {
    return fmt::format("{}, {}", c.killable ? "killable" : "unkillable", c.yield_text());
}

}  // namespace

// The [kernel] table's names (load_options.cpp), in the order of PreemptModel.
const char* preempt_name(PreemptModel m) {
    return kernel_values("preempt").at(static_cast<std::size_t>(m)).data();
}

std::string LivelockClass::models(bool spinning) const {
    std::string s;
    for (std::size_t i = 0; i < kPreemptModels; ++i) {
        const auto m = static_cast<PreemptModel>(i);
        if (spins_under(m) == spinning) {
            if (!s.empty()) {
                s += ", ";
            }
            s += preempt_name(m);
        }
    }
    return s;
}

std::string LivelockClass::yield_text() const {
    const std::string spin = models(true);
    const std::string yield = models(false);
    if (spin.empty()) {
        return "yields under " + yield;
    }
    return yield.empty() ? "spins under " + spin
                         : fmt::format("spins under {}; yields under {}", spin, yield);
}

LivelockClass livelock_class(const sim::Lasso& l) {
    // kernel/sched/core.c: cond_resched() and schedule() yield under every model;
    // include/linux/kernel.h might_sleep() -> might_resched() only under PREEMPT_VOLUNTARY (and
    // FULL, where the task is preemptible there anyway); under PREEMPT_FULL preempt_enable()
    // and every interrupt return with preempt_count() == 0 reschedule (preempt_schedule(),
    // preempt_schedule_irq()), so only a loop inside a spin lock throughout still spins.
    const std::uint8_t spins = l.yielding ? 0 : l.voluntary ? 1 : l.preemptible ? 2 : 3;
    return LivelockClass{l.killable, spins};
}

std::string Expectation::name() const {
    if (kind == sim::ViolationKind::Livelock && livelock) {
        return fmt::format("livelock ({})", class_text(*livelock));
    }
    return kind_text(kind);
}

bool Expectation::met_by(std::optional<sim::ViolationKind> k,
                         const std::optional<LivelockClass>& cls) const {
    return k == kind && (!livelock || cls == livelock);
}

std::optional<Expectation> parse_expectation(std::string_view s) {
    for (const auto& k : kExpectable) {
        Expectation e{k, std::nullopt};
        if (s == e.name()) {
            return e;
        }
        if (k != sim::ViolationKind::Livelock) {
            continue;
        }
        for (const bool killable : {true, false}) {
            for (std::uint8_t spins = 0; spins <= kPreemptModels; ++spins) {
                e.livelock = LivelockClass{killable, spins};
                if (s == e.name()) {
                    return e;
                }
            }
        }
    }
    return std::nullopt;
}

std::string valid_expectations() {
    std::string s;
    for (const auto& k : kExpectable) {
        s += s.empty() ? "" : ", ";
        s += kind_text(k);
        if (k == sim::ViolationKind::Livelock) {
            s += ", livelock ({killable|unkillable}, {";
            for (std::uint8_t spins = 0; spins <= kPreemptModels; ++spins) {
                if (spins != 0) {
                    s += "|";
                }
                s += LivelockClass{false, spins}.yield_text();
            }
            s += "})";
        }
    }
    return s;
}

}  // namespace pfnsim::model
