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

// DfsStrategy::cost, for a node on its own.
unsigned cost_of(const DfsStrategy::Node& n, std::uint32_t idx) {
    return !n.data && n.current != kNoActor && n.options[idx] != n.current ? 1 : 0;
}

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

std::string DfsStrategy::check_saved(const std::vector<Node>& stack,
                                     const std::vector<std::uint32_t>& prefix, std::size_t actors,
                                     std::optional<unsigned> max_preemptions, bool reduce) {
    if (stack.size() <= prefix.size()) {
        return fmt::format("a saved path of {} choices is not below its task's prefix of {}",
                           stack.size(), prefix.size());
    }
    unsigned preemptions = 0;
    for (std::size_t d = 0; d < stack.size(); ++d) {
        const Node& n = stack[d];
        const auto at = [d](const std::string& what) {
            return fmt::format("choice {}: {}", d, what);
        };
        if (n.options.empty() || n.options.size() > kMaxOptions) {
            return at(fmt::format("{} options (valid: 1..{})", n.options.size(), kMaxOptions));
        }
        const auto size = static_cast<std::uint32_t>(n.options.size());
        if (n.data) {
            for (std::uint32_t i = 0; i < size; ++i) {
                if (n.options[i] != i) {
                    return at("the values of a data choice are not 0..n-1");
                }
            }
            if (n.current != kNoActor || n.sleep != 0) {
                return at("a data choice with a current actor or a sleep set");
            }
        } else {
            for (std::uint32_t i = 0; i < size; ++i) {
                if (n.options[i] >= actors || n.options[i] >= kMaxOptions) {
                    return at(fmt::format("actor {} (the program has {})", n.options[i], actors));
                }
                // The current actor first, then the others by id.
                const std::uint32_t from = n.current == kNoActor ? 1 : 2;
                if ((i >= from && n.options[i] <= n.options[i - 1]) ||
                    (i > 0 && n.options[i] == n.options[0])) {
                    return at("the actors are not in exploration order");
                }
            }
            if (n.current != kNoActor && n.current != n.options[0]) {
                return at(fmt::format("current actor {} is not the first option", n.current));
            }
            std::uint64_t enabled = 0;
            for (std::uint32_t o : n.options) {
                enabled |= bit(o);
            }
            if ((n.sleep & ~enabled) != 0 || (!reduce && n.sleep != 0)) {
                return at(fmt::format("sleep set {:#x} names an actor that is not enabled there",
                                      n.sleep));
            }
        }
        if (n.chosen >= size) {
            return at(fmt::format("chosen option {} of {}", n.chosen, size));
        }
        if (n.preemptions_before != preemptions) {
            return at(fmt::format("{} preemptions before it, the path above gives {}",
                                  n.preemptions_before, preemptions));
        }
        // Which options are explorable follows from the bound and the sleep set alone.
        std::uint64_t explorable = 0;
        for (std::uint32_t i = 0; i < size; ++i) {
            const bool within = !max_preemptions || preemptions + cost_of(n, i) <= *max_preemptions;
            const bool asleep = !n.data && (n.sleep & bit(n.options[i])) != 0;
            if (within && !asleep) {
                explorable |= bit(i);
            }
        }
        if (n.explorable != explorable) {
            return at(fmt::format("explorable options {:#x}, the bound and sleep set give {:#x}",
                                  n.explorable, explorable));
        }
        if ((explorable & bit(n.chosen)) == 0) {
            return at("the chosen option is not explorable");
        }
        if (d < prefix.size() && n.options[n.chosen] != prefix[d]) {
            return at("the path leaves its task's prefix");
        }
        preemptions += cost_of(n, n.chosen);
    }
    return {};
}

std::uint64_t DfsStrategy::runs_before(const std::vector<Node>& stack, std::size_t prefix) {
    std::uint64_t runs = 0;
    for (std::size_t d = prefix; d < stack.size(); ++d) {
        const Node& n = stack[d];
        if (n.chosen < kMaxOptions) {
            runs += static_cast<std::uint64_t>(
                std::popcount(n.explorable & (bit(n.chosen) - 1)));
        }
    }
    return runs;
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
        if (n.data != fresh.data || n.options != fresh.options || n.current != fresh.current) {
            error_ = fmt::format(
                "choice point {} differs from the last execution's (the program is not "
                "deterministic, or a saved search does not belong to it)",
                depth_);
            return kPrune;
        }
        if (reduce_ && !n.data) {
            // A restored path's sleep sets must be the ones its choices give.
            std::uint64_t enabled_mask = 0;
            for (ActorId e : enabled) {
                enabled_mask |= bit(e);
            }
            if (n.sleep != (sleep_ & enabled_mask)) {
                error_ = fmt::format(
                    "choice point {} has a saved sleep set {:#x} that its path does not give "
                    "({:#x}): a saved search that does not belong to this program",
                    depth_, n.sleep, sleep_ & enabled_mask);
                return kPrune;
            }
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
