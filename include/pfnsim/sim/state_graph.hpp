// The explored state graph of a stateful sweep: a visited table of state signatures, the
// transitions between them labelled by the actor that ran, and the fair strongly connected
// components that prove livelocks.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "pfnsim/sim/strategy.hpp"

namespace pfnsim::sim {

class StateGraph {
  public:
    static constexpr std::uint32_t kNone = ~std::uint32_t{0};

    struct Edge {
        std::uint32_t from = 0;
        std::uint32_t to = 0;
        std::uint32_t value = kNone;  // the choice made at `from`; kNone when it had one option
        ActorId actor = kNoActor;     // the actor that ran
        // It puts off a weakly fair event (sim::eventually): no fair cycle goes through it.
        bool unfair = false;
    };

    // The state with signature `key`, inserted (reached from `parent` by choice `via`) if new;
    // returns its index and whether it is new.
    std::pair<std::uint32_t, bool> visit(std::uint64_t key, const StatePoint& p,
                                         std::uint32_t parent, std::uint32_t via);
    std::optional<std::uint32_t> find(std::uint64_t key) const;
    void add_edge(const Edge& e);
    // Keep an index of transitions by (state, choice) for successor(): the audit needs it.
    void index_successors() { indexed_ = true; }
    // The state a recorded transition from `from` by choice `value` leads to (indexed only).
    std::optional<std::uint32_t> successor(std::uint32_t from, std::uint32_t value) const;
    // The transitions recorded from a state, newest first: first_out(s), then next_out(e) of
    // each, until kNone (indices into edges()).
    std::uint32_t first_out(std::uint32_t state) const {
        return state < first_out_.size() ? first_out_[state] : kNone;
    }
    std::uint32_t next_out(std::uint32_t edge) const { return next_out_[edge]; }

    std::size_t states() const { return keys_.size(); }
    std::size_t transitions() const { return edges_.size(); }
    std::uint64_t key(std::uint32_t i) const { return keys_[i]; }
    // Bytes held by the visited table (signatures and their index) and by the whole graph.
    std::size_t table_bytes() const;
    std::size_t bytes() const;
    // The choices from the first state to state i, along the transitions that discovered it.
    std::vector<std::uint32_t> path_to(std::uint32_t i) const;
    // The states of that path, the root first and state i last: the points its replay passes.
    std::vector<std::uint32_t> states_to(std::uint32_t i) const;

    // Per state: the actors enabled and unfinished there, and the transition that discovered
    // it (the state it came from, kNone for the first one, and the choice made there).
    struct Info {
        std::uint32_t enabled = 0;
        std::uint32_t unfinished = 0;
        std::uint32_t parent = kNone;
        std::uint32_t via = kNone;
    };
    // What a checkpoint saves, in the order recorded.
    const std::vector<std::uint64_t>& keys() const { return keys_; }
    const std::vector<Info>& infos() const { return info_; }
    const std::vector<Edge>& edges() const { return edges_; }
    // Replaces the graph with saved states (keys and infos, one per state) and transitions;
    // "" or what is wrong with them: a signature given twice, a state whose parent is not an
    // earlier state (the first has none), a transition between states that do not exist.
    std::string restore(std::vector<std::uint64_t> keys, std::vector<Info> infos,
                        std::vector<Edge> edges);

    // A fair cycle: the choices to its first state (`prefix`), then one round (`cycle`).
    struct Lasso {
        std::vector<std::uint32_t> prefix;
        std::vector<std::uint32_t> cycle;
        std::uint64_t state = 0;  // the signature of the state the cycle starts and ends in
    };
    // The strongly connected components (Tarjan) of the transitions that are not `unfair`, in which
    // some actor outside `forever` is unfinished and every actor enabled in all of their states
    // takes a step; for each, a lasso whose cycle takes a step of every such actor and of every
    // unfinished actor that steps in it (from the component's first state, the nearest step of
    // each in actor order, then the shortest way back). At most `max` of them, in order of
    // discovery.
    std::vector<Lasso> fair_cycles(std::uint32_t forever, std::size_t max) const;

    // Paths from the first state with the fewest preemptions (a transition by another actor
    // than the one that arrived at its state, while that one is still enabled there, as
    // ChoiceRecord::preemption counts them). A state is reached with a different actor
    // arriving by different paths, so the search is over (state, arrived actor) pairs.
    class FewestPreemptions {
      public:
        // The preemptions of the best path to `state` ending by a step of `arrived` (kNone:
        // no such path), and its choices.
        std::uint32_t preemptions(std::uint32_t state, ActorId arrived) const;
        std::uint32_t transitions(std::uint32_t state, ActorId arrived) const;
        std::vector<std::uint32_t> choices(std::uint32_t state, ActorId arrived) const;
        // The arriving actor (kNoActor: none) whose path to `state` is best (preemptions, then
        // transitions); nullopt when no path reaches it.
        std::optional<ActorId> best_arrival(std::uint32_t state) const;
        // Whether that path passes each state once, as an execution's own path does (a replay
        // cut at a repeated state would not reach its end).
        bool simple(std::uint32_t state, ActorId arrived) const;

      private:
        friend class StateGraph;
        std::size_t slot(std::uint32_t state, ActorId arrived) const;
        const StateGraph* graph_ = nullptr;
        std::size_t width_ = 0;  // actors + 1: the last is "none"
        std::vector<std::uint32_t> dist_;
        std::vector<std::uint32_t> length_;  // transitions of the best path
        std::vector<std::uint32_t> from_;    // per slot: the slot before it on the best path
        std::vector<std::uint32_t> edge_;    // and the transition from there
    };
    // The search from the first state, reached by `first_arrived` (kNoActor: none), of a
    // program with `actors` actors; among paths with the fewest preemptions, one with the
    // fewest transitions. nullopt when it would take more than `most_slots` slots (16 bytes
    // each).
    std::optional<FewestPreemptions> fewest_preemptions(std::size_t actors, ActorId first_arrived,
                                                        std::size_t most_slots) const;

  private:
    void grow();
    std::vector<std::uint64_t> keys_;   // per state
    std::vector<Info> info_;            // per state
    std::vector<std::uint32_t> slots_;  // open addressing: state index + 1, 0 = empty
    std::vector<Edge> edges_;
    // Per state its newest transition, per transition the one recorded from the same state
    // before it: the out-edges as linked lists (StatefulStrategy's moves along the graph).
    std::vector<std::uint32_t> first_out_;
    std::vector<std::uint32_t> next_out_;
    void link(std::uint32_t edge);
    bool indexed_ = false;
    // Looked up, never iterated.
    std::unordered_map<std::uint64_t, std::uint32_t> successors_;
};

}  // namespace pfnsim::sim
