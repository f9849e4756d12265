// The one table of strategies: each kind with its names and its traits, so that what a caller
// needs to know of a strategy is known without building or running one.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pfnsim::sim {

enum class StrategyKind : std::uint8_t {
    Random,     // random_strategy.hpp: uniform choice from a seeded xoshiro256**
    Pct,        // pct_strategy.hpp: PCT, d-1 priority change points
    Dfs,        // dfs_strategy.hpp: the stateless sweep (preemption bound, sleep sets)
    Stateful,   // stateful_strategy.hpp: the stateful sweep
    Replay,     // replay_strategy.hpp: a recorded schedule
    Deviation,  // the minimiser's deviations from a non-preemptive scheduler
    StepOrder,  // the minimiser's given order of steps
    Describe,   // describe_strategy.hpp: the audit's replay that names a state's fields
};

struct StrategyTraits {
    StrategyKind kind;
    std::string_view name;   // `explore --strategy`, reports and certificates
    std::string_view label;  // how a result names the search it came from
    bool explores;           // `explore --strategy` may choose it
    // Every enabled actor eventually runs (a random choice is fair with probability 1). An
    // unfair strategy can starve an actor in a cycle that no fair scheduler would repeat, so
    // its runs are cut at a repeated state instead of being reported as livelocks.
    bool fair;
    // The seed alone determines the execution *and* `replay --seed` rebuilds it; otherwise
    // only a witness's schedule replays it.
    bool seed_replays;
    // choose_actor reads the next-step span; when false it gets an empty span (and the core
    // saves collecting it at every choice).
    bool uses_next_steps;
    // The strategy reads state signatures: only then does the core compute them, at every
    // scheduling point (including those with one option), and call Strategy::at_state().
    bool observes_states;
};

// In the order of StrategyKind.
inline constexpr std::array<StrategyTraits, 8> kStrategies{{
    {.kind = StrategyKind::Random,
     .name = "random",
     .label = "random",
     .explores = true,
     .fair = true,
     .seed_replays = true,
     .uses_next_steps = false,
     .observes_states = false},
    {.kind = StrategyKind::Pct,
     .name = "pct",
     .label = "pct",
     .explores = true,
     .fair = false,
     .seed_replays = false,
     .uses_next_steps = false,
     .observes_states = false},
    {.kind = StrategyKind::Dfs,
     .name = "dfs",
     .label = "sweep",
     .explores = false,
     .fair = false,
     .seed_replays = false,
     .uses_next_steps = true,
     .observes_states = false},
    {.kind = StrategyKind::Stateful,
     .name = "stateful",
     .label = "stateful sweep",
     .explores = false,
     .fair = false,
     .seed_replays = false,
     .uses_next_steps = false,
     .observes_states = true},
    {.kind = StrategyKind::Replay,
     .name = "replay",
     .label = "replay",
     .explores = false,
     .fair = false,
     .seed_replays = false,
     .uses_next_steps = false,
     .observes_states = false},
    {.kind = StrategyKind::Deviation,
     .name = "deviation",
     .label = "deviation",
     .explores = false,
     .fair = false,
     .seed_replays = false,
     .uses_next_steps = false,
     .observes_states = false},
    {.kind = StrategyKind::StepOrder,
     .name = "step-order",
     .label = "step-order",
     .explores = false,
     .fair = false,
     .seed_replays = false,
     .uses_next_steps = false,
     .observes_states = false},
    {.kind = StrategyKind::Describe,
     .name = "describe",
     .label = "describe",
     .explores = false,
     .fair = false,
     .seed_replays = false,
     .uses_next_steps = false,
     .observes_states = true},
}};

consteval bool in_kind_order() {
    for (std::size_t i = 0; i < kStrategies.size(); ++i) {
        if (static_cast<std::size_t>(kStrategies[i].kind) != i) {
            return false;
        }
    }
    return true;
}
static_assert(in_kind_order(), "kStrategies is indexed by StrategyKind");

constexpr const StrategyTraits& traits(StrategyKind k) {
    return kStrategies[static_cast<std::size_t>(k)];
}

constexpr std::string_view strategy_name(StrategyKind k) {
    return traits(k).name;
}

// The strategy `name` names among those `explore --strategy` may choose.
constexpr std::optional<StrategyKind> parse_exploration_strategy(std::string_view name) {
    for (const StrategyTraits& t : kStrategies) {
        if (t.explores && t.name == name) {
            return t.kind;
        }
    }
    return std::nullopt;
}

// The names `explore --strategy` takes, as a list for messages: "random, pct".
inline std::string exploration_strategies() {
    std::string s;
    for (const StrategyTraits& t : kStrategies) {
        if (t.explores) {
            s += s.empty() ? "" : ", ";
            s += t.name;
        }
    }
    return s;
}

}  // namespace pfnsim::sim
