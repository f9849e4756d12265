// Depth-first enumeration of schedules, optionally bounded in preemptions: every call of
// advance() moves to the next unexplored branch of the tree of choices.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "pfnsim/sim/strategy.hpp"

namespace pfnsim::sim {

class DfsStrategy final : public Strategy {
  public:
    // max_preemptions: switches away from an actor that could have continued; nullopt = any.
    explicit DfsStrategy(std::optional<unsigned> max_preemptions) : bound_(max_preemptions) {}
    void new_execution(std::uint64_t /*seed*/) override {
        depth_ = 0;
        preemptions_ = 0;
    }
    ActorId choose_actor(std::span<const ActorId> enabled, ActorId current) override;
    std::uint32_t choose_value(std::uint32_t n, std::string_view what) override;
    std::string name() const override { return "dfs"; }
    // Prepares the next execution; false once every schedule within the bound was run.
    bool advance();

  private:
    struct Node {
        std::vector<std::uint32_t> options;  // actor ids, or 0..n-1 for a data choice
        std::uint64_t tried = 0;             // bit per option index
        std::uint32_t chosen = 0;            // index into options
        ActorId current = kNoActor;          // enabled current actor, if any
        unsigned preemptions_before = 0;
        bool data = false;
    };
    std::uint32_t pick(Node&& fresh);
    bool is_preemption(const Node& n, std::uint32_t idx) const {
        return !n.data && n.current != kNoActor && n.options[idx] != n.current;
    }
    std::optional<unsigned> bound_;
    std::vector<Node> stack_;
    std::size_t depth_ = 0;
    unsigned preemptions_ = 0;
};

}  // namespace pfnsim::sim
