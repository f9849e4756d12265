// The audit's replay of a recorded path: it follows the given choices and, at the scheduling
// point with the given index (counting every point, as a stateful strategy does), takes the
// state's signature and its fields, named, then ends the execution. How a state-mismatch names
// what differs between two states the signature took for one.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "pfnsim/sim/execution.hpp"
#include "pfnsim/sim/program.hpp"
#include "pfnsim/sim/strategy.hpp"

namespace pfnsim::sim {

class DescribeStrategy final : public Strategy {
  public:
    DescribeStrategy(std::vector<std::uint32_t> choices, std::size_t point)
        : Strategy(StrategyKind::Describe), choices_(std::move(choices)), point_(point) {}
    void new_execution(std::uint64_t /*seed*/) override {
        pos_ = 0;
        seen_ = 0;
    }
    ActorId choose_actor(std::span<const ActorId> enabled, ActorId /*current*/,
                         std::span<const NextStep> /*next*/) override {
        return next(enabled);
    }
    std::uint32_t choose_value(std::uint32_t n, std::string_view /*what*/) override {
        const std::uint32_t v = pos_ < choices_.size() ? choices_[pos_++] : kPrune;
        return v < n ? v : kPrune;
    }
    bool needs_signature() const override { return seen_ == point_; }
    bool needs_fields() const override { return seen_ == point_; }
    bool at_state(const StatePoint& p) override {
        if (seen_++ != point_) {
            return true;
        }
        signature_ = p.signature;
        fields_ = p.fields;
        return false;
    }
    // The state at the point, once run: nullopt when the execution ended (or left the
    // choices) before it.
    std::optional<std::uint64_t> signature() const { return signature_; }
    const StateFields& fields() const { return fields_; }

  private:
    ActorId next(std::span<const ActorId> enabled) {
        if (pos_ >= choices_.size()) {
            return kPrune;
        }
        const std::uint32_t v = choices_[pos_++];
        for (const ActorId a : enabled) {
            if (a == v) {
                return a;
            }
        }
        return kPrune;
    }
    std::vector<std::uint32_t> choices_;
    std::size_t point_;
    std::size_t pos_ = 0;
    std::size_t seen_ = 0;
    std::optional<std::uint64_t> signature_;
    StateFields fields_;
};

// The replay of a schedule that records every scheduling point it passes: its signature, the
// actor that reached it and how many of the choices were made before it. How a stateful sweep
// finds where a witness passes the states of its graph (StatefulSearch::shorten).
class PassedStatesStrategy final : public Strategy {
  public:
    struct Passed {
        std::uint64_t signature;
        ActorId arrived;
        std::size_t choices;  // made before this point
    };
    explicit PassedStatesStrategy(std::vector<std::uint32_t> choices)
        : Strategy(StrategyKind::Describe), choices_(std::move(choices)) {}
    void new_execution(std::uint64_t /*seed*/) override {
        pos_ = 0;
        passed_.clear();
    }
    ActorId choose_actor(std::span<const ActorId> enabled, ActorId /*current*/,
                         std::span<const NextStep> /*next*/) override {
        const std::uint32_t v = pos_ < choices_.size() ? choices_[pos_++] : kPrune;
        return std::find(enabled.begin(), enabled.end(), v) != enabled.end() ? v : kPrune;
    }
    std::uint32_t choose_value(std::uint32_t n, std::string_view /*what*/) override {
        const std::uint32_t v = pos_ < choices_.size() ? choices_[pos_++] : kPrune;
        return v < n ? v : kPrune;
    }
    bool at_state(const StatePoint& p) override {
        passed_.push_back({p.signature, p.arrived, pos_});
        return true;
    }
    const std::vector<Passed>& passed() const { return passed_; }

  private:
    std::vector<std::uint32_t> choices_;
    std::size_t pos_ = 0;
    std::vector<Passed> passed_;
};

// The state `choices` reach at point `point` of `program`, with its fields named.
struct DescribedState {
    std::optional<std::uint64_t> signature;
    StateFields fields;
};
inline DescribedState describe_point(Program& program, const ExecutionConfig& exec,
                                     std::vector<std::uint32_t> choices, std::size_t point) {
    DescribeStrategy s(std::move(choices), point);
    ExecutionConfig c = exec;
    c.cycle_check.reset();
    c.detect_cycles = false;
    run_execution(program, s, 0, c);
    return {s.signature(), s.fields()};
}

}  // namespace pfnsim::sim
