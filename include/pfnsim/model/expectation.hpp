// What a scenario expects of a verdict ([expect] verdict, [expect.policies]): clean, a kind of
// violation, or a livelock of a given class. Typed, so the application compares values; the
// file's spellings are name() and parse_expectation().
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "pfnsim/sim/violation.hpp"

namespace pfnsim::sim {
struct Lasso;
}

namespace pfnsim::model {

// CONFIG_PREEMPT_NONE / _VOLUNTARY / _FULL (kernel/Kconfig.preempt; PREEMPT_DYNAMIC selects one
// at boot), each yielding at more points than the one before: NONE only at an explicit
// schedule() or cond_resched(), VOLUNTARY also at might_sleep() (might_resched), FULL at every
// point outside a spin lock or other atomic section.
enum class PreemptModel : std::uint8_t { None, Voluntary, Full };
inline constexpr std::size_t kPreemptModels = 3;
// "none", "voluntary", "full": the spelling of [kernel] preempt.
const char* preempt_name(PreemptModel m);

// The class of a proven livelock: whether its loop checks for a fatal signal, and under which
// preemption models it spins. The models yield at ever more points, so it spins under the
// first `spins` of none, voluntary, full and yields under the rest: 0 yields under all (it
// calls cond_resched() or sleeps), 1 spins under none only (a might_sleep() site), 2 under
// none and voluntary (preemptible code), 3 under all (a spin lock held throughout).
struct LivelockClass {
    bool killable = false;
    std::uint8_t spins = 0;
    bool spins_under(PreemptModel m) const { return static_cast<unsigned>(m) < spins; }
    // "spins under none; yields under voluntary, full"
    std::string yield_text() const;
    // The models it spins (yields) under: "none, voluntary"; "" for none of them.
    std::string models(bool spinning) const;
    bool operator==(const LivelockClass&) const = default;
};

// The class of a lasso, from its stuck actors' steps: a cond_resched() or a sleep yields under
// every model, a might_sleep() site (sim::voluntary_point) under voluntary and full, a step
// outside a spin lock under full.
LivelockClass livelock_class(const sim::Lasso& l);

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
// "clean, new-errno, ..., livelock ({killable|unkillable}, {yields under none, voluntary,
// full|spins under none; yields under voluntary, full|...}), ...".
std::string valid_expectations();

}  // namespace pfnsim::model
