#include "pfnsim/sim/dfs_strategy.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <bit>

namespace pfnsim::sim {

namespace {

constexpr std::uint64_t bit(std::uint32_t i) {
    return 1ULL << i;
}

// Masks are 64 bits wide: more options (or actor ids) than that cannot be enumerated.
constexpr std::size_t kMaxOptions = 64;

}  // namespace

void DfsStrategy::new_execution(std::uint64_t /*seed*/) {
    depth_ = 0;
    preemptions_ = 0;
    sleep_ = 0;
    probed_.reset();
}

void DfsStrategy::restrict_to(std::vector<std::uint32_t> prefix) {
    prefix_ = std::move(prefix);
    stack_.clear();
}

void DfsStrategy::restore(std::vector<Node> stack, std::uint64_t pruned) {
    stack_ = std::move(stack);
    pruned_ = pruned;
}

// The sleep set below `n` once its chosen option runs: the actors asleep at `n`, and the
// siblings explored before it, that do not conflict with it. Under a preemption bound only the
// current actor's continuation (the first sibling, which costs no preemption) is added: moving
// it to the front of an execution never costs more preemptions, while moving a preempting
// sibling can (Coons et al., "Bounded partial-order reduction", OOPSLA 2013), which would lose
// executions that are within the bound.
std::uint64_t DfsStrategy::child_sleep(const Node& n, std::span<const NextStep> next,
                                       std::span<const ActorId> enabled) const {
    const ActorId a = n.options[n.chosen];
    std::uint64_t candidates = n.sleep;
    if (bound_) {
        if (n.current != kNoActor && a != n.current) {
            candidates |= bit(n.current);
        }
    } else {
        for (std::uint32_t i = 0; i < n.chosen; ++i) {
            if ((n.explorable & bit(i)) != 0) {
                candidates |= bit(n.options[i]);
            }
        }
    }
    candidates &= ~bit(a);
    const auto step_of = [&](ActorId id) -> const NextStep& {
        const auto it = std::lower_bound(enabled.begin(), enabled.end(), id);
        return next[static_cast<std::size_t>(it - enabled.begin())];
    };
    const NextStep& mine = step_of(a);
    std::uint64_t out = 0;
    for (std::uint64_t c = candidates; c != 0; c &= c - 1) {
        const auto z = static_cast<ActorId>(std::countr_zero(c));
        if (!conflicts(step_of(z), mine)) {
            out |= bit(z);
        }
    }
    return out;
}

// Replays the current path while it lasts, then extends it with the first explorable option
// (the non-preemptive one when it is allowed).
std::uint32_t DfsStrategy::pick(Node&& fresh, std::span<const NextStep> next,
                                std::span<const ActorId> enabled) {
    if (fresh.options.size() > kMaxOptions) {
        error_ = fmt::format("choice point {} has {} options; depth-first search handles {}",
                             depth_, fresh.options.size(), kMaxOptions);
        return kPrune;
    }
    if (depth_ < stack_.size()) {
        const Node& n = stack_[depth_];
        if (n.data != fresh.data || n.options != fresh.options) {
            error_ = fmt::format(
                "choice point {} differs from the last execution's (the program is not "
                "deterministic, or a saved search does not belong to it)",
                depth_);
            return kPrune;
        }
        ++depth_;
        preemptions_ = n.preemptions_before + cost(n, n.chosen);
        if (reduce_ && !n.data) {
            sleep_ = child_sleep(n, next, enabled);
        }
        return n.options[n.chosen];
    }
    const bool forced = depth_ < prefix_.size();
    Node& n = fresh;
    n.preemptions_before = preemptions_;
    if (reduce_ && !n.data) {
        std::uint64_t enabled_mask = 0;
        for (ActorId e : enabled) {
            enabled_mask |= bit(e);
        }
        n.sleep = sleep_ & enabled_mask;
    }
    for (std::uint32_t i = 0; i < n.options.size(); ++i) {
        const bool within = !bound_ || preemptions_ + cost(n, i) <= *bound_;
        const bool asleep = !n.data && (n.sleep & bit(n.options[i])) != 0;
        if (within && !asleep) {
            n.explorable |= bit(i);
        } else if (within && !forced) {
            ++pruned_;
        }
    }
    if (probe_ && depth_ == prefix_.size()) {
        probed_ = n;
        return kPrune;
    }
    if (forced) {
        const auto it = std::find(n.options.begin(), n.options.end(), prefix_[depth_]);
        const auto idx = static_cast<std::uint32_t>(it - n.options.begin());
        if (it == n.options.end() || (n.explorable & bit(idx)) == 0) {
            error_ = fmt::format("the prefix does not fit the program at choice {}", depth_);
            return kPrune;
        }
        n.chosen = idx;  // advance() never revisits it: the siblings are other tasks
    } else {
        if (n.explorable == 0) {
            return kPrune;  // every option is asleep or over the bound: explored elsewhere
        }
        n.chosen = static_cast<std::uint32_t>(std::countr_zero(n.explorable));
    }
    n.child_start = runs_;
    stack_.push_back(std::move(fresh));
    const Node& top = stack_.back();
    ++depth_;
    preemptions_ = top.preemptions_before + cost(top, top.chosen);
    if (reduce_ && !top.data) {
        sleep_ = child_sleep(top, next, enabled);
    }
    return top.options[top.chosen];
}

ActorId DfsStrategy::choose_actor(std::span<const ActorId> enabled, ActorId current,
                                  std::span<const NextStep> next) {
    if (reduce_ && enabled.back() >= kMaxOptions) {
        error_ = fmt::format("actor {} is beyond the {} actors a reduced search handles",
                             enabled.back(), kMaxOptions);
        return kPrune;
    }
    Node n;
    if (std::find(enabled.begin(), enabled.end(), current) != enabled.end()) {
        n.current = current;
        n.options.push_back(current);  // continuing costs no preemption: explored first
    }
    for (ActorId e : enabled) {
        if (e != n.current) {
            n.options.push_back(e);
        }
    }
    return pick(std::move(n), next, enabled);
}

std::uint32_t DfsStrategy::choose_value(std::uint32_t n, std::string_view /*what*/) {
    Node node;
    node.data = true;
    for (std::uint32_t v = 0; v < n && v < kMaxOptions; ++v) {
        node.options.push_back(v);
    }
    return pick(std::move(node), {}, {});
}

std::pair<std::size_t, unsigned> DfsStrategy::size_key(std::size_t depth, const Node& n,
                                                       std::uint32_t idx) const {
    const unsigned used = n.preemptions_before + cost(n, idx);
    return {depth + 1, bound_ ? *bound_ - std::min(used, *bound_) : 0};
}

double DfsStrategy::known_size(std::size_t depth, const Node& n, std::uint32_t idx) const {
    const auto it = sizes_.find(size_key(depth, n, idx));
    return it == sizes_.end() ? -1.0 : it->second.first / it->second.second;
}

// The chosen option of the node at `depth` is explored to the end: remember its size.
void DfsStrategy::finish_child(std::size_t depth, Node& n) {
    const std::uint64_t size = runs_ - n.child_start;
    auto& s = sizes_[size_key(depth, n, n.chosen)];
    s.first += static_cast<double>(size);
    s.second += 1;
    n.finished_runs += size;
    ++n.finished_children;
    n.child_start = runs_;
}

bool DfsStrategy::advance() {
    ++runs_;
    while (stack_.size() > prefix_.size()) {
        Node& n = stack_.back();
        finish_child(stack_.size() - 1, n);
        for (std::uint32_t i = n.chosen + 1; i < n.options.size(); ++i) {
            if ((n.explorable & bit(i)) != 0) {
                n.chosen = i;
                return true;
            }
        }
        stack_.pop_back();
    }
    return false;
}

double DfsStrategy::estimate() const {
    double below = -1;  // the current option's subtree of the node below; unknown at the bottom
    for (std::size_t j = stack_.size(); j-- > prefix_.size();) {
        const Node& n = stack_[j];
        const double done = static_cast<double>(n.finished_runs);
        const double siblings = n.finished_children > 0 ? done / n.finished_children : -1.0;
        double current = below;
        if (current < 0) {
            current = known_size(j, n, n.chosen);
        }
        if (current < 0) {
            current = siblings > 0 ? siblings : 1.0;
        }
        double rest = 0;
        for (std::uint32_t i = n.chosen + 1; i < n.options.size(); ++i) {
            if ((n.explorable & bit(i)) != 0) {
                const double k = known_size(j, n, i);
                rest += k >= 0 ? k : (siblings > 0 ? siblings : current);
            }
        }
        below = done + current + rest;
    }
    return std::max(below, static_cast<double>(runs_));
}

}  // namespace pfnsim::sim
