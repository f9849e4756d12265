// What a scenario expects of a verdict ([expect] verdict, [expect.policies]): clean, a kind of
// violation, or a livelock of a given class. Typed, so the application compares values; the
// file's spellings are name() and parse_expectation().
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "pfnsim/sim/violation.hpp"

namespace pfnsim::model {

// The class of a proven livelock: whether its loop checks for a fatal signal, and whether it
// yields (cond_resched, a sleep) or spins.
struct LivelockClass {
    bool killable = false;
    bool yielding = false;
    bool operator==(const LivelockClass&) const = default;
};

struct Expectation {
    std::optional<sim::ViolationKind> kind;  // nullopt: clean
    std::optional<LivelockClass> livelock;   // with kind Livelock: the class it must have
    bool operator==(const Expectation&) const = default;

    // "clean", "wrong-return", "livelock (killable, spinning)": the spelling of the file.
    std::string name() const;
    // Whether a verdict of `kind` (nullopt: clean) whose livelock, if proven, is of class `cls`
    // is exactly this: the kind, and the class when one is expected.
    bool met_by(std::optional<sim::ViolationKind> kind,
                const std::optional<LivelockClass>& cls) const;
};

// The file's spelling of an expectation; nullopt for anything else.
std::optional<Expectation> parse_expectation(std::string_view s);
// "clean, new-errno, ..., livelock ({killable|unkillable}, {spinning|yielding}), ...".
std::string valid_expectations();

}  // namespace pfnsim::model
