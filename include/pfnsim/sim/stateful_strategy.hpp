// Stateful exhaustive search by re-execution: every reachable state is recorded in a
// StateGraph once, and each of its options is taken exactly once. A fiber cannot be
// snapshotted, so an execution replays the path that discovered a state (breadth first, so that
// paths stay short), takes one untried option there, and goes on (first options, queueing the
// others) until it reaches a recorded state or the end.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "pfnsim/sim/state_graph.hpp"
#include "pfnsim/sim/strategy.hpp"

namespace pfnsim::sim {

class StatefulStrategy final : public Strategy {
  public:
    struct Options {
        std::uint64_t max_states = 0;  // > 0: stop (full()) when the graph holds this many
        // > 0: at a state hit, go on for this many points along first options and check each
        // successor against the transition recorded before; a difference is kept in mismatch().
        unsigned audit_points = 0;
        // > 0: at a state hit while fewer points than this were seen in the execution, take
        // one of the hit state's queued options at once instead of stopping (the transition a
        // later execution would have replayed the path to), or, when it has none, move along
        // recorded transitions to the nearest state that has one. 0: stop at every hit.
        std::uint64_t continue_points = 0;
    };
    StatefulStrategy(StateGraph& graph, const Options& o);

    void new_execution(std::uint64_t seed) override;
    ActorId choose_actor(std::span<const ActorId> enabled, ActorId current,
                         std::span<const NextStep> next) override;
    std::uint32_t choose_value(std::uint32_t n, std::string_view what) override;
    bool at_state(const StatePoint& p) override;
    bool needs_signature() const override;

    // Explores only what is reachable below `prefix` (forced first choices, whose alternatives
    // belong to other tasks). Call before the first execution.
    void restrict_to(std::vector<std::uint32_t> prefix) { prefix_ = std::move(prefix); }
    // Prepares the next execution; false once every option of every recorded state was taken.
    bool advance();

    // The search between two executions (after advance(), or stopped): the graph, the queued
    // options and the target, in a compact binary form that restore() reads back. A task
    // restored from it goes on exactly as the saved one would have.
    std::string save() const;
    // Before the first execution, with the task's prefix set (restrict_to): "" or what is
    // wrong with `saved` (a field out of range, bytes missing or left over, another task's
    // prefix). `actors`: the program's. On an error the search is left empty.
    std::string restore(std::string_view saved, std::size_t actors);
    // What restore() checks, on a scratch search: "" or what is wrong; `counts`, when
    // accepted, the saved graph's states and transitions and the search's state hits and
    // audited successors.
    struct Counts {
        std::uint64_t states = 0;
        std::uint64_t transitions = 0;
        std::uint64_t state_hits = 0;
        std::uint64_t audited = 0;
    };
    static std::string check_saved(std::string_view saved, const std::vector<std::uint32_t>& prefix,
                                   std::size_t actors, Counts* counts = nullptr);

    bool full() const { return full_; }
    const std::string& error() const { return error_; }
    std::uint64_t state_hits() const { return hits_; }
    std::uint64_t audited() const { return audited_; }
    // Transitions taken along the recorded graph from a state hit to an untried option.
    std::uint64_t moves() const { return moves_; }

    // Where executions that ended in a violation left the graph: the state at their last
    // scheduling point and the choice made there (kNone: it had one option). Each transition
    // ends at most one execution, so a witness can be rebuilt from any path to the state
    // (StatefulSearch chooses the one with the fewest preemptions). Saved with the search.
    struct End {
        std::uint32_t state;
        std::uint32_t choice;
    };
    // The execution just run ended in a violation; `choices` is its schedule.
    void note_end(std::span<const std::uint32_t> choices);
    const std::vector<End>& ends() const { return ends_; }
    std::size_t frontier() const { return left_; }

    struct Mismatch {
        std::vector<std::uint32_t> recorded;  // the path that recorded the audited state
        std::uint32_t value = 0;              // the choice taken there (kNone: one option)
        std::uint64_t expected = 0;           // the successor recorded
        std::uint64_t found = 0;              // the successor this execution reached
        // Where each successor is, counting scheduling points: on the recorded path followed
        // by the choice, and in this execution (whose schedule the outcome holds).
        std::size_t recorded_point = 0;
        std::size_t found_point = 0;
    };
    const std::optional<Mismatch>& mismatch() const { return mismatch_; }

    // Audited only: where a replayed path first left the states recorded on it (error() says
    // so), and the route that first recorded a state: the choices of the execution that found
    // it and its point there. With both, the sweep names what differs (describe_point).
    struct Divergence {
        std::uint32_t state = 0;  // the state recorded at that point of the path
        std::size_t point = 0;    // the point of this execution that reached another
    };
    const std::optional<Divergence>& divergence() const { return divergence_; }
    struct Route {
        std::vector<std::uint32_t> choices;
        std::size_t point = 0;
    };
    std::optional<Route> first_route(std::uint32_t state) const;

  private:
    std::uint32_t pick(std::span<const std::uint32_t> options);
    struct Untried {
        std::uint32_t state;
        std::uint32_t value;
    };
    StateGraph& graph_;
    Options opt_;
    std::vector<std::uint32_t> prefix_;
    // Queued options, breadth first: the oldest state's first. Those before head_ were run;
    // taken_ marks those a state hit took early. A state's options are queued together, from
    // first_untried_[state] on (kNone: none left).
    std::vector<Untried> frontier_;
    std::vector<bool> taken_;
    std::vector<std::uint32_t> first_untried_;
    std::size_t head_ = 0;
    std::size_t left_ = 0;  // neither run nor taken
    std::optional<std::uint32_t> take_untried(std::uint32_t state);
    std::optional<std::size_t> untried(std::uint32_t state);
    // Moving on from a state hit: the recorded transitions (choice, state reached) to a state
    // with an untried option, none passed in this execution; nav_pos_ is the next to take.
    struct Move {
        std::uint32_t value;
        std::uint32_t to;
    };
    bool navigate(std::uint32_t from);
    std::vector<Move> nav_;
    std::size_t nav_pos_ = 0;
    struct Visit {
        std::uint32_t state;
        std::uint32_t parent;  // index into bfs_, kNone for the hit state
        std::uint32_t edge;
        std::uint32_t depth;
    };
    std::vector<Visit> bfs_;
    std::vector<std::uint32_t> bfs_mark_;  // per state, the last search (bfs_gen_) that saw it
    std::uint32_t bfs_gen_ = 0;
    std::uint64_t moves_ = 0;
    std::size_t last_point_pos_ = 0;  // choices made before the last point
    std::vector<End> ends_;
    // Per state, the last execution (numbered from 1) that passed it.
    std::vector<std::uint32_t> passed_in_;
    std::uint32_t execution_ = 0;
    void passed(std::uint32_t state);
    // The execution being run: the choices to replay, then `target`'s untried option.
    std::vector<std::uint32_t> path_;
    // The states the replay of path_ passes (StateGraph::states_to), and the points seen so
    // far in this execution: before the last of them the state is known without a signature.
    std::vector<std::uint32_t> chain_;
    std::vector<std::uint32_t> options_;  // the options of the choice at hand (reused)
    std::size_t points_ = 0;
    std::optional<Untried> target_;
    std::size_t pos_ = 0;     // choices made so far in this execution
    bool replaying_ = false;  // before the target's choice (or the prefix's end)
    bool at_target_ = false;  // the last point was the target state
    std::uint32_t last_state_ = StateGraph::kNone;
    std::uint32_t last_value_ = StateGraph::kNone;
    bool last_new_ = false;       // the last point was a newly recorded state
    bool last_eventual_ = false;  // the last point was a weakly fair event's choice
    unsigned audit_left_ = 0;
    bool full_ = false;
    bool started_ = false;
    std::optional<Mismatch> mismatch_;
    std::optional<Divergence> divergence_;
    // Audited only: per state, the execution (an index of routes_) and point that recorded it;
    // per such execution, its choices. The current execution's are current_choices_.
    void recorded(std::uint32_t state, std::size_t point);
    std::vector<std::pair<std::uint32_t, std::uint32_t>> first_seen_;
    std::vector<std::vector<std::uint32_t>> routes_;
    std::vector<std::uint32_t> current_choices_;
    std::uint32_t current_route_ = StateGraph::kNone;
    std::uint64_t hits_ = 0;
    std::uint64_t audited_ = 0;
    std::string error_;
};

}  // namespace pfnsim::sim
