// Cycle detection within one execution: the samples taken at loop heads that find a repeated
// state, the fairness test that turns a repeat into a proven livelock, and the check of a
// cyclic schedule's claim (ExecutionConfig::cycle_check). It knows nothing of fibers: the
// execution hands it the state hashes and the view of the execution it needs.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "pfnsim/sim/lasso.hpp"
#include "pfnsim/sim/program.hpp"
#include "pfnsim/sim/types.hpp"
#include "pfnsim/sim/violation.hpp"

namespace pfnsim::sim::detail {

// What cycle detection keeps of each step (the trace itself is recorded only on request).
struct StepInfo {
    ObjectId object;
    std::uint16_t enabled;  // actors enabled before the step
    std::uint8_t actor;
    Op op;
    bool slept;      // the actor then slept on a lock
    bool voluntary;  // the program marked it a voluntary scheduling point (voluntary_point())
    bool atomic;     // taken inside a non-preemptible section (a spin lock held)
};

// The position of a state in the execution.
struct Sample {
    std::uint64_t step;   // steps taken before it
    std::size_t choices;  // schedule entries made before it
};

// Samples by state hash, reused from execution to execution without freeing: open addressing
// with linear probing; clear() only moves to a new generation. Looked up, never iterated.
class SampleTable {
  public:
    void swap(SampleTable& o) noexcept {
        slots_.swap(o.slots_);
        std::swap(gen_, o.gen_);
        std::swap(size_, o.size_);
    }
    void clear();
    // The sample stored under `key`, and whether it was just inserted (as `value`).
    std::pair<Sample*, bool> try_emplace(std::uint64_t key, Sample value);

  private:
    struct Slot {
        std::uint64_t key = 0;
        Sample value{};
        std::uint32_t gen = 0;  // occupied in generation gen_ only
    };
    Slot* find(std::uint64_t key);
    void grow();
    std::vector<Slot> slots_;
    std::uint32_t gen_ = 1;
    std::size_t size_ = 0;
};

struct LockHold {
    ObjectId object;
    ActorId holder;
    const char* mode;
    // For the lock-order graph: the nesting subclass it was taken with, the function that took
    // it, and the holder's call chain then (an index into Outcome::chains, or kNoChain).
    unsigned subclass = 0;
    const char* func = "";
    std::uint32_t chain = kNoChain;
};

// What the fairness test reads of the execution at the state that closes a cycle.
struct CycleView {
    Program* program = nullptr;
    std::uint32_t unfinished = 0;  // bit per actor that has not finished
    const std::vector<LockHold>* held = nullptr;
    std::uint64_t steps = 0;  // steps taken so far
    std::size_t choices = 0;  // schedule entries made so far
};

class CycleDetector {
  public:
    void clear();  // for a new execution; keeps the memory
    void swap(CycleDetector& o) noexcept;

    void record(const StepInfo& s) { steps_.push_back(s); }
    void mark_slept() {  // the last step found a sleeping lock taken: the loop yields there
        if (!steps_.empty()) {
            steps_.back().slept = true;
        }
    }

    // A weakly fair event was put off after `steps` steps (sim::eventually): a cycle that
    // contains that moment is not fair.
    void mark_postponed(std::uint64_t steps) { postponed_.push_back(steps); }

    // At a loop head whose global state is `h`: whether the state was seen before on this
    // path, and the lasso when the steps since are a fair cycle.
    struct Repeat {
        bool seen = false;
        std::optional<Lasso> lasso;
    };
    Repeat at_loop_head(std::uint64_t h, const CycleView& v);

    // Whether the cycle check compares the state at a point with `options` options after
    // `choices` schedule entries (the others need no hash).
    static bool check_compares(const CycleCheck& cc, std::size_t choices, std::uint32_t options);
    // The cycle check at such a point with state `h`: the lasso when the claim holds here.
    std::optional<Lasso> check(const CycleCheck& cc, std::uint64_t h, const CycleView& v);

    // The livelock a lasso proves, in the words of its report.
    Violation livelock(const Lasso& l, const std::vector<ActorDecl>& decls) const;

  private:
    std::optional<Lasso> fair_cycle(const Sample& from, const CycleView& v) const;

    SampleTable samples_;
    std::vector<StepInfo> steps_;
    std::vector<std::uint64_t> postponed_;  // steps taken when each was put off, ascending
    // The cycle check: the state where the cycle starts, or, for a cycle with no choice in
    // it, every state after the prefix.
    std::optional<Sample> check_from_;
    std::uint64_t check_state_ = 0;
    std::map<std::uint64_t, Sample> check_seen_;
};

}  // namespace pfnsim::sim::detail
