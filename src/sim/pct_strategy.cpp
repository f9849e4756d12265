#include "pfnsim/sim/pct_strategy.hpp"

#include <algorithm>

#include "pfnsim/sim/random_strategy.hpp"

namespace pfnsim::sim {

PctStrategy::PctStrategy(unsigned depth, std::uint64_t steps, std::size_t actors)
    : Strategy(StrategyKind::Pct),
      depth_(std::max(depth, 1U)),
      k_(std::max<std::uint64_t>(steps, 1)),
      actors_(actors) {}

void PctStrategy::new_execution(std::uint64_t seed) {
    rng_.reseed(seed);
    priority_.clear();
    choice_ = 0;
    // Drawn before any priority so that the points depend on the seed alone, not on the
    // number of actors.
    change_at_.resize(depth_ - 1);
    for (auto& c : change_at_) {
        c = 1 +
            (k_ <= 0xffffffffULL ? rng_.below(static_cast<std::uint32_t>(k_)) : rng_.next() % k_);
    }
}

// Initial priorities d .. d+n-1 in a uniformly random order (inside-out Fisher-Yates); every
// change point sets a priority below d, so it drops below all of them.
void PctStrategy::assign_initial(std::size_t actors) {
    const std::size_t old = priority_.size();
    if (old == 0) {
        std::vector<ActorId> order(actors);
        for (std::uint32_t i = 0; i < actors; ++i) {
            const std::uint32_t j = rng_.below(i + 1);
            order[i] = order[j];
            order[j] = i;
        }
        priority_.resize(actors);
        for (std::size_t rank = 0; rank < actors; ++rank) {
            priority_[order[rank]] = depth_ + rank;
        }
        return;
    }
    // Given the actor count, every actor was ranked at the first choice, so this is only a
    // safety net: a late actor ranks above everyone so far.
    std::uint64_t top = depth_;
    for (auto p : priority_) {
        top = std::max(top, p + 1);
    }
    priority_.resize(actors);
    for (std::size_t a = old; a < actors; ++a) {
        priority_[a] = top++;
    }
}

ActorId PctStrategy::choose_actor(std::span<const ActorId> enabled, ActorId /*current*/,
                                  std::span<const NextStep> /*next*/) {
    if (enabled.back() >= priority_.size()) {
        // The first choice ranks every actor; without a count, those enabled then (which is
        // every actor unless some start after others).
        assign_initial(std::max<std::size_t>(priority_.empty() ? actors_ : 0,
                                             enabled.back() + std::size_t{1}));
    }
    auto highest = [&] {
        ActorId best = enabled.front();
        for (ActorId a : enabled) {
            best = priority_[a] > priority_[best] ? a : best;
        }
        return best;
    };
    ++choice_;
    ActorId next = highest();
    // The actor about to take step `choice_` is demoted before it takes it, so a change point
    // is a preemption right there.
    bool changed = false;
    for (std::size_t i = 0; i < change_at_.size(); ++i) {
        if (change_at_[i] == choice_) {
            priority_[next] = i + 1;
            changed = true;
        }
    }
    return changed ? highest() : next;
}

std::uint32_t PctStrategy::choose_value(std::uint32_t n, std::string_view /*what*/) {
    return rng_.below(n);
}

std::uint64_t PctStrategy::estimate_steps(Program& program, const ExecutionConfig& config,
                                          std::uint64_t seed) {
    constexpr int kSamples = 8;
    ExecutionConfig quiet = config;
    quiet.record_trace = false;
    RandomStrategy random;
    quiet.prune_revisits = !random.traits().fair;  // run as random runs are: never cut short
    std::uint64_t most = 0;
    for (int i = 0; i < kSamples; ++i) {
        const Outcome out =
            run_execution(program, random, derive_seed(seed ^ 0x9c7e5a3d1b2f4e60ULL, i), quiet);
        if (out.status == Status::StepBound) {
            continue;
        }
        const auto actor_choices = static_cast<std::uint64_t>(std::count_if(
            out.choices.begin(), out.choices.end(), [](const ChoiceRecord& c) { return !c.data; }));
        most = std::max(most, actor_choices);
    }
    return most != 0 ? most : kDefaultSteps;
}

}  // namespace pfnsim::sim
