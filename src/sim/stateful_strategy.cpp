#include "pfnsim/sim/stateful_strategy.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace pfnsim::sim {

StatefulStrategy::StatefulStrategy(StateGraph& graph, const Options& o)
    : Strategy(StrategyKind::Stateful), graph_(graph), opt_(o) {
    if (o.audit_points > 0) {
        graph_.index_successors();
    }
}

void StatefulStrategy::new_execution(std::uint64_t /*seed*/) {
    ++execution_;
    pos_ = 0;
    points_ = 0;
    last_state_ = StateGraph::kNone;
    last_value_ = StateGraph::kNone;
    last_eventual_ = false;
    last_new_ = false;
    at_target_ = false;
    audit_left_ = 0;
    mismatch_.reset();
    if (!started_) {
        path_ = prefix_;  // the first execution: the task's prefix, then first options
        target_.reset();
    }
    replaying_ = true;
}

bool StatefulStrategy::advance() {
    started_ = true;
    while (head_ < frontier_.size() && taken_[head_]) {
        ++head_;
    }
    if (head_ >= frontier_.size() || full_) {
        return false;
    }
    target_ = frontier_[head_++];
    --left_;
    path_ = graph_.path_to(target_->state);
    chain_ = graph_.states_to(target_->state);
    return true;
}

// On the way to a target every state but the target's is the recorded one: a deterministic
// program passes the recorded states of its path in order. The target's signature is computed
// and must be the target's: that checks the whole replay (a program that is not deterministic,
// or whose signature misses part of its state, reaches another state or none recorded).
bool StatefulStrategy::needs_signature() const {
    return !(replaying_ && target_ && points_ + 1 < chain_.size());
}

bool StatefulStrategy::at_state(const StatePoint& p) {
    at_target_ = false;
    // The transition into this point put off a weakly fair event: it is in no fair cycle.
    const bool put_off = last_eventual_ && last_value_ == 0;
    last_eventual_ = p.eventual;
    const std::size_t point = points_++;
    if (replaying_ && target_ && point + 1 < chain_.size()) {
        last_state_ = chain_[point];  // needs_signature() was false: p.signature is not set
        passed(last_state_);
        last_value_ = StateGraph::kNone;
        last_new_ = false;
        return true;
    }
    if (replaying_ && !target_ && pos_ >= path_.size()) {
        replaying_ = false;  // the first execution leaves the task's prefix: search from here
    }
    if (replaying_) {
        const std::optional<std::uint32_t> i = graph_.find(p.signature);
        if (!i) {
            if (target_) {
                error_ = fmt::format(
                    "the state the replayed path reaches after {} choices was never recorded "
                    "(the program is not deterministic, or its signature misses part of its "
                    "state)",
                    pos_);
                return false;
            }
            // The first execution records the prefix as it goes; the alternatives of its
            // choices are other tasks'.
            const std::uint32_t k = graph_.visit(p.signature, p, last_state_, last_value_).first;
            if (last_state_ != StateGraph::kNone) {
                graph_.add_edge({last_state_, k, last_value_, p.arrived, put_off});
            }
            last_state_ = k;
            passed(k);
            last_value_ = StateGraph::kNone;
            last_new_ = false;
            return true;
        }
        last_state_ = *i;
        passed(*i);
        last_value_ = StateGraph::kNone;
        last_new_ = false;
        at_target_ = target_ && *i == target_->state && pos_ == path_.size();
        if (at_target_) {
            replaying_ = false;
        }
        return true;
    }
    if (audit_left_ > 0) {
        const std::optional<std::uint32_t> want = graph_.successor(last_state_, last_value_);
        if (!want) {
            return false;
        }
        ++audited_;
        if (graph_.key(*want) != p.signature) {
            mismatch_ =
                Mismatch{graph_.path_to(last_state_), last_value_, graph_.key(*want), p.signature};
            return false;
        }
        last_state_ = *want;
        last_value_ = StateGraph::kNone;
        return --audit_left_ > 0;
    }
    const auto [i, fresh] = graph_.visit(p.signature, p, last_state_, last_value_);
    if (last_state_ != StateGraph::kNone) {
        graph_.add_edge({last_state_, i, last_value_, p.arrived, put_off});
    }
    last_state_ = i;
    last_value_ = StateGraph::kNone;
    last_new_ = fresh;
    // Whether this execution passed the state before (a cycle on its own path), then mark it.
    const bool again = !fresh && i < passed_in_.size() && passed_in_[i] == execution_;
    passed(i);
    if (fresh) {
        if (opt_.max_states != 0 && graph_.states() >= opt_.max_states) {
            full_ = true;
            return false;
        }
        return true;
    }
    ++hits_;
    if (opt_.audit_points > 0) {
        audit_left_ = opt_.audit_points;
        return true;
    }
    // A hit on a state whose options are still queued: take one now. It is the transition an
    // execution would later replay the path to this state for; the state is the same, so is
    // its future (the audit above checks that assumption), and one execution is saved.
    // Not when the hit closes a cycle on this execution's own path: its paths stay simple, as
    // the stateless sweep's are (its replay cuts a path at a repeated state).
    // Only where a choice follows (a point with one option has none to take).
    if (!again && p.options > 1 && points_ < opt_.continue_points) {
        if (const std::optional<std::uint32_t> v = take_untried(i)) {
            target_ = Untried{i, *v};
            at_target_ = true;
            return true;
        }
    }
    return false;
}

void StatefulStrategy::passed(std::uint32_t state) {
    if (passed_in_.size() <= state) {
        passed_in_.resize(static_cast<std::size_t>(state) + 1, 0);
    }
    passed_in_[state] = execution_;
}

std::optional<std::uint32_t> StatefulStrategy::take_untried(std::uint32_t state) {
    if (state >= first_untried_.size() || first_untried_[state] == StateGraph::kNone) {
        return std::nullopt;
    }
    for (std::size_t k = first_untried_[state]; k < frontier_.size() && frontier_[k].state == state;
         ++k) {
        if (k >= head_ && !taken_[k]) {
            taken_[k] = true;
            --left_;
            return frontier_[k].value;
        }
    }
    first_untried_[state] = StateGraph::kNone;  // all run or taken
    return std::nullopt;
}

std::uint32_t StatefulStrategy::pick(std::span<const std::uint32_t> options) {
    std::uint32_t v = options.front();
    if (replaying_) {
        if (pos_ >= path_.size()) {
            error_ = "the replayed path did not reach its state (the program is not deterministic)";
            return kPrune;
        }
        v = path_[pos_];  // the path to the target, or the task's prefix
        if (std::find(options.begin(), options.end(), v) == options.end()) {
            error_ = fmt::format("choice {} of the path ({}) is not an option here", pos_, v);
            return kPrune;
        }
    } else if (at_target_) {
        v = target_->value;  // the untried option
        if (std::find(options.begin(), options.end(), v) == options.end()) {
            error_ = fmt::format(
                "the untried option {} is not an option here (the program is "
                "not deterministic)",
                v);
            return kPrune;
        }
    } else if (last_new_ && audit_left_ == 0) {
        if (first_untried_.size() <= last_state_) {
            first_untried_.resize(graph_.states(), StateGraph::kNone);
        }
        first_untried_[last_state_] = static_cast<std::uint32_t>(frontier_.size());
        for (std::size_t k = 1; k < options.size(); ++k) {
            frontier_.push_back({last_state_, options[k]});
            taken_.push_back(false);
            ++left_;
        }
    }
    ++pos_;
    at_target_ = false;
    last_value_ = v;
    return v;
}

ActorId StatefulStrategy::choose_actor(std::span<const ActorId> enabled, ActorId current,
                                       std::span<const NextStep> /*next*/) {
    options_.clear();
    // The current actor first: its continuation is the non-preemptive one.
    if (std::find(enabled.begin(), enabled.end(), current) != enabled.end()) {
        options_.push_back(current);
    }
    for (ActorId e : enabled) {
        if (e != current) {
            options_.push_back(e);
        }
    }
    return pick(options_);
}

std::uint32_t StatefulStrategy::choose_value(std::uint32_t n, std::string_view /*what*/) {
    options_.resize(n);
    for (std::uint32_t v = 0; v < n; ++v) {
        options_[v] = v;
    }
    return pick(options_);
}

}  // namespace pfnsim::sim
