// The kinds of violation an execution can show, in order of severity, with their names: the one
// vocabulary that verdicts, expectations, reports and tests use.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pfnsim::sim {

// Declared from least to most severe: a verdict is the most severe kind seen.
enum class ViolationKind : std::uint8_t {
    NewErrno,   // a return the interface never gave before the policy (userspace retries)
    StepBound,  // an execution reached the step bound without a proof of a cycle
    // Two or more lock orders that close a cycle, or a class taken while held, seen in any
    // executions (lock_graph.hpp): a possible deadlock, not a proven one, so less severe than
    // a proven livelock or deadlock, and more than a bound reached without a proof.
    LockOrder,
    Livelock,        // a proven fair cycle (a lasso)
    WrongReturn,     // an actor returned what its oracle does not allow
    Deadlock,        // some actor unfinished and none enabled
    Invariant,       // the model reported a broken invariant
    StateMismatch,   // a state cache hit whose subtree differs (a continuation not captured)
    Nondeterminism,  // a witness that did not replay to the same trace
};
inline constexpr int kViolationKinds = 9;

// "wrong-return", "livelock", ...
const char* kind_name(ViolationKind k);
std::optional<ViolationKind> parse_kind(std::string_view name);
inline constexpr const char* kValidKinds =
    "new-errno, step-bound, lock-order, livelock, wrong-return, deadlock, invariant, "
    "state-mismatch, nondeterminism";
constexpr int severity(ViolationKind k) {
    return static_cast<int>(k);
}

struct Violation {
    ViolationKind kind = ViolationKind::Invariant;
    std::string actor;   // the actor it concerns, or "" for a global one
    std::string detail;  // one line, errnos named symbolically
    bool operator==(const Violation&) const = default;
};

}  // namespace pfnsim::sim
