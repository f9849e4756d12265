#include "pfnsim/sim/dfs_strategy.hpp"

namespace pfnsim::sim {

// Replays the current path while it lasts, then extends it with the non-preemptive choice.
std::uint32_t DfsStrategy::pick(Node&& fresh) {
    if (depth_ < stack_.size()) {
        Node& n = stack_[depth_++];
        if (is_preemption(n, n.chosen)) {
            ++preemptions_;
        }
        return n.options[n.chosen];
    }
    fresh.preemptions_before = preemptions_;
    fresh.chosen = 0;
    for (std::uint32_t i = 0; i < fresh.options.size(); ++i) {
        if (!fresh.data && fresh.options[i] == fresh.current) {
            fresh.chosen = i;  // continue the current actor first
        }
    }
    fresh.tried = 1ULL << fresh.chosen;
    stack_.push_back(std::move(fresh));
    ++depth_;
    return stack_.back().options[stack_.back().chosen];
}

ActorId DfsStrategy::choose_actor(std::span<const ActorId> enabled, ActorId current) {
    Node n;
    n.options.assign(enabled.begin(), enabled.end());
    bool current_enabled = false;
    for (ActorId e : enabled) {
        current_enabled = current_enabled || e == current;
    }
    n.current = current_enabled ? current : kNoActor;
    return pick(std::move(n));
}

std::uint32_t DfsStrategy::choose_value(std::uint32_t n, std::string_view /*what*/) {
    Node node;
    node.data = true;
    for (std::uint32_t v = 0; v < n && v < 64; ++v) {
        node.options.push_back(v);
    }
    return pick(std::move(node));
}

bool DfsStrategy::advance() {
    while (!stack_.empty()) {
        Node& n = stack_.back();
        for (std::uint32_t i = 0; i < n.options.size(); ++i) {
            if ((n.tried & (1ULL << i)) != 0) {
                continue;
            }
            const unsigned cost = n.preemptions_before + (is_preemption(n, i) ? 1 : 0);
            if (bound_ && cost > *bound_) {
                continue;
            }
            n.tried |= 1ULL << i;
            n.chosen = i;
            return true;
        }
        stack_.pop_back();
    }
    return false;
}

}  // namespace pfnsim::sim
