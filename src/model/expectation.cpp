// Expected verdicts: the kinds a scenario may expect, and their spellings.
#include "pfnsim/model/expectation.hpp"

#include <fmt/format.h>

namespace pfnsim::model {

namespace {

// The verdicts a scenario may expect, in the order messages list them (nullopt: clean); a
// livelock may also name its class. The self-checks' kinds are never expected.
constexpr std::optional<sim::ViolationKind> kExpectable[] = {
    std::nullopt,
    sim::ViolationKind::NewErrno,
    sim::ViolationKind::WrongReturn,
    sim::ViolationKind::StepBound,
    sim::ViolationKind::Livelock,
    sim::ViolationKind::Deadlock,
    sim::ViolationKind::Invariant,
};

std::string kind_text(std::optional<sim::ViolationKind> k) {
    return k ? sim::kind_name(*k) : "clean";
}

std::string class_text(const LivelockClass& c) {
    return fmt::format("{}, {}", c.killable ? "killable" : "unkillable",
                       c.yielding ? "yielding" : "spinning");
}

}  // namespace

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
            for (const bool yielding : {false, true}) {
                e.livelock = LivelockClass{killable, yielding};
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
            s += ", livelock ({killable|unkillable}, {spinning|yielding})";
        }
    }
    return s;
}

}  // namespace pfnsim::model
