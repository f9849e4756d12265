#include "pfnsim/sim/execution.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <boost/fiber/fiber.hpp>
#include <boost/fiber/operations.hpp>
#include <boost/fiber/pooled_fixedsize_stack.hpp>
#include <exception>
#include <map>
#include <stdexcept>

#include "pfnsim/sim/prng.hpp"
#include "sim/algorithm.hpp"

namespace pfnsim::sim {

namespace {

struct ActorState {
    // The choice that resumed this actor (its start, or a wake-up from block_on) already chose
    // its next step: its next scheduling point records the step without choosing again, so
    // that no execution is reachable by two choice sequences.
    bool fresh = true;
    bool finished = false;
    bool blocked = false;
    // The step declared at the point it waits in (reduction needs it at every choice).
    NextStep next;
    ObjectId waiting_on = kNoObject;
    const char* wait_how = "";
    // Location for cycle detection: one frame per loop the actor is in (the first is the
    // actor's body), each with its id, the values declared at its head and a hash of the
    // steps taken since.
    struct Frame {
        std::uint64_t id;
        std::uint64_t locals;
        std::uint64_t steps;
    };
    std::vector<Frame> frames;
};

// What cycle detection keeps of each step (the trace itself is recorded only on request).
struct StepInfo {
    ObjectId object;
    std::uint16_t enabled;  // actors enabled before the step
    std::uint8_t actor;
    Op op;
    bool slept;  // the actor then slept on a lock
};

// The global state at a loop head, for cycle detection.
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
    void clear() {
        size_ = 0;
        if (++gen_ == 0) {  // wrapped: forget every stamp
            for (auto& s : slots_) {
                s.gen = 0;
            }
            gen_ = 1;
        }
    }
    // The sample stored under `key`, and whether it was just inserted (as `value`).
    std::pair<Sample*, bool> try_emplace(std::uint64_t key, Sample value) {
        if ((size_ + 1) * 2 > slots_.size()) {
            grow();
        }
        Slot* s = find(key);
        if (s->gen == gen_) {
            return {&s->value, false};
        }
        *s = Slot{key, value, gen_};
        ++size_;
        return {&s->value, true};
    }

  private:
    struct Slot {
        std::uint64_t key = 0;
        Sample value{};
        std::uint32_t gen = 0;  // occupied in generation gen_ only
    };
    Slot* find(std::uint64_t key) {
        const std::size_t mask = slots_.size() - 1;
        for (std::size_t i = (key ^ (key >> 32U)) & mask;; i = (i + 1) & mask) {
            Slot& s = slots_[i];
            if (s.gen != gen_ || s.key == key) {
                return &s;
            }
        }
    }
    void grow() {
        std::vector<Slot> old;
        old.swap(slots_);
        slots_.assign(std::max<std::size_t>(64, old.size() * 2), Slot{});
        const std::uint32_t g = gen_;
        gen_ = 1;
        size_ = 0;
        for (const auto& o : old) {
            if (o.gen == g) {
                *find(o.key) = Slot{o.key, o.value, gen_};
                ++size_;
            }
        }
    }
    std::vector<Slot> slots_;
    std::uint32_t gen_ = 1;
    std::size_t size_ = 0;
};

struct LockHold {
    ObjectId object;
    ActorId holder;
    const char* mode;
};

// The state of the execution running on this thread.
struct ExecState {
    Program* program = nullptr;
    Strategy* strategy = nullptr;
    const ExecutionConfig* config = nullptr;
    Outcome* out = nullptr;
    const std::vector<ActorDecl>* decls = nullptr;
    std::vector<ActorState> actors;
    std::vector<ActorId> enabled;
    std::vector<NextStep> next_steps;  // parallel to enabled
    std::vector<LockHold> held;
    ActorId current = kNoActor;
    bool aborting = false;
    bool strategy_uses_next = true;
    std::uint64_t hash = 0xa0761d6478bd642fULL;
    detail::ControlledAlgorithm* algo = nullptr;
    // Cycle detection: samples by state hash, the enabled
    // actors before each step, and the steps after which an actor slept on a lock.
    SampleTable samples;
    std::vector<StepInfo> steps;     // per step, when detecting cycles
    std::uint32_t enabled_bits = 0;  // bit per actor neither finished nor blocked
    const ObjectTable* objects = nullptr;
    // Actor locations (loop frames) are kept when detecting cycles or computing signatures.
    bool track_frames = false;
    // Scheduling points are observed: for a strategy that reads state signatures, or to check
    // a lasso (config->cycle_check), whose first state is kept here.
    bool observe = false;
    bool strategy_observes = false;
    std::optional<Sample> check_from;
    std::uint64_t check_state = 0;
    std::map<std::uint64_t, Sample> check_seen;  // a choice-free cycle's states, looked up
};

thread_local ExecState* tl_exec = nullptr;

// Buffers lent to each execution on this thread and taken back at its end, so that an
// execution allocates only what its Outcome keeps. A nested execution finds them lent out and
// allocates its own.
struct Scratch {
    std::vector<ActorState> actors;
    std::vector<ActorId> enabled;
    std::vector<LockHold> held;
    std::vector<boost::fibers::fiber> fibers;
    SampleTable samples;
    std::vector<StepInfo> steps;
    // Capacity for the next Outcome's choices: the most recently seen count, so that the
    // vectors are allocated once rather than grown step by step.
    std::size_t choices_hint = 64;
};
thread_local Scratch tl_scratch;

ExecState& exec() {
    return *tl_exec;
}

// The enabled actors, from the bit set kept up to date as actors finish, block and wake.
void collect_enabled(ExecState& x) {
    x.enabled.clear();
    for (std::uint32_t b = x.enabled_bits; b != 0; b &= b - 1) {
        x.enabled.push_back(static_cast<ActorId>(std::countr_zero(b)));
    }
}

void collect_next_steps(ExecState& x) {
    x.next_steps.clear();
    for (ActorId i : x.enabled) {
        // A forever actor's step may never happen: whoever finishes last stops it. Reported as
        // unknown, it conflicts with every step, so no reduction reorders around it.
        x.next_steps.push_back((*x.decls)[i].forever ? NextStep{} : x.actors[i].next);
    }
}

void begin_abort(ExecState& x, Status status);
bool observe_point(ExecState& x, bool data, std::string_view what, std::uint32_t options);

void record_choice(ExecState& x, const ChoiceRecord& c) {
    x.out->choices.push_back(c);  // the schedule is copied out of these at the end
    x.hash = hash_mix(x.hash, 0x1000000ULL + c.value);
}

// Asks the strategy which enabled actor runs next; a single option is not a choice.
ActorId choose_next(ExecState& x, ActorId current) {
    const std::uint32_t bits = x.enabled_bits;
    if (x.observe &&
        !observe_point(x, false, {}, static_cast<std::uint32_t>(std::popcount(bits)))) {
        return kNoActor;  // aborting: the strategy's state hit, or a checked lasso
    }
    if (bits == 0) {
        return kNoActor;
    }
    if ((bits & (bits - 1)) == 0) {
        return static_cast<ActorId>(std::countr_zero(bits));
    }
    collect_enabled(x);
    std::span<const NextStep> next_steps;
    if (x.strategy_uses_next) {
        collect_next_steps(x);
        next_steps = x.next_steps;
    }
    ActorId next = x.strategy->choose_actor(x.enabled, current, next_steps);
    if (next == kPrune) {
        begin_abort(x, Status::Pruned);
        return kNoActor;
    }
    auto enabled = [bits](ActorId a) { return a < 32 && ((bits >> a) & 1U) != 0; };
    if (!enabled(next)) {
        if (x.out->strategy_error.empty()) {
            x.out->strategy_error =
                fmt::format("schedule diverged at choice {}: actor {} is not enabled",
                            x.out->choices.size(), next);
        }
        next = x.enabled[0];
    }
    ChoiceRecord c;
    c.value = next;
    c.current = current;
    const bool current_enabled = enabled(current);
    c.fallback = current_enabled ? current : x.enabled[0];
    c.preemption = current_enabled && next != current;
    record_choice(x, c);
    return next;
}

void begin_abort(ExecState& x, Status status) {
    if (!x.aborting) {
        x.aborting = true;
        x.out->status = status;
    }
}

ActorId lowest_unfinished(const ExecState& x) {
    for (ActorId i = 0; i < x.actors.size(); ++i) {
        if (!x.actors[i].finished) {
            return i;
        }
    }
    return kNoActor;
}

// Hands the CPU to `next`; returns when the strategy picks the caller again.
void switch_to(ExecState& x, ActorId me, ActorId next) {
    x.algo->designate(next);
    boost::this_fiber::yield();
    x.current = me;
}

// Called on the fiber of an actor when it must stop: unwinds its stack to actor_main.
[[noreturn]] void throw_abort() {
    throw AbortExecution{};
}

std::string lock_holders(const ExecState& x, ObjectId obj) {
    std::string s;
    for (const auto& h : x.held) {
        if (h.object == obj) {
            if (!s.empty()) {
                s += ", ";
            }
            s += fmt::format("{} ({})", (*x.decls)[h.holder].name, h.mode);
        }
    }
    return s.empty() ? std::string("nobody") : s;
}

void report_deadlock(ExecState& x) {
    std::string detail = "deadlock:";
    bool first = true;
    for (ActorId i = 0; i < x.actors.size(); ++i) {
        const auto& a = x.actors[i];
        if (a.finished || !a.blocked) {
            continue;
        }
        detail += fmt::format("{} {} waits for {} ({}) held by {}", first ? "" : ";",
                              (*x.decls)[i].name, x.program->objects().name(a.waiting_on),
                              a.wait_how, lock_holders(x, a.waiting_on));
        first = false;
    }
    x.out->violations.push_back({ViolationKind::Deadlock, "", detail});
    begin_abort(x, Status::Deadlock);
}

// Inlined: it runs at every step, and the call itself cost a fifth of it.
[[gnu::always_inline]] inline void record_step(ExecState& x, Op op, ObjectId object, Name func,
                                               Name effect, std::uint64_t arg, bool arg_used) {
    // The object enters the hash by name, not id: ids depend on interning order.
    x.hash =
        hash_mix(x.hash, (static_cast<std::uint64_t>(x.current) << 40U) ^
                             (static_cast<std::uint64_t>(op) << 32U) ^ x.objects->hash(object));
    x.hash = hash_mix(x.hash, func.hash ^ (effect.hash * 31U) ^ arg);
    if (x.config->record_trace) {
        x.out->trace.push_back(Step{x.current, op, object, func, effect, arg, arg_used, false});
    }
    if (x.track_frames) {
        // What the actor observed: the operation, the object (by name) and the value read or
        // written, as the effect text and argument describe it.
        auto& f = x.actors[x.current].frames.back();
        f.steps = hash_mix(f.steps, func.hash ^ (effect.hash * 31U) ^ arg ^
                                        (static_cast<std::uint64_t>(op) << 56U) ^
                                        x.objects->hash(object));
        if (x.config->detect_cycles) {
            x.steps.push_back({object, static_cast<std::uint16_t>(x.enabled_bits),
                               static_cast<std::uint8_t>(x.current), op, false});
        }
    }
    ++x.out->steps;
}

// The bound is checked before a new step, so the last step keeps its annotation.
void check_step_bound(ExecState& x) {
    if (x.out->steps >= x.config->step_bound) {
        std::string stuck;
        for (ActorId i = 0; i < x.actors.size(); ++i) {
            if (!x.actors[i].finished && !(*x.decls)[i].forever) {
                stuck += stuck.empty() ? (*x.decls)[i].name : ", " + (*x.decls)[i].name;
            }
        }
        x.out->violations.push_back(
            {ViolationKind::StepBound, stuck,
             fmt::format("step bound reached ({} steps; {})", x.config->step_bound,
                         x.config->detect_cycles ? "no cycle found" : "possible livelock")});
        begin_abort(x, Status::StepBound);
        throw_abort();
    }
}

void point_impl(Op op, ObjectId object, Name func, Name effect, std::uint64_t arg, bool arg_used) {
    ExecState& x = exec();
    if (x.aborting) {
        if (std::uncaught_exceptions() > 0) {
            return;  // a destructor during unwinding: let the unwinding finish
        }
        throw_abort();
    }
    check_step_bound(x);
    const ActorId me = x.current;
    if (x.actors[me].fresh) {
        x.actors[me].fresh = false;
        record_step(x, op, object, func, effect, arg, arg_used);
        return;
    }
    x.actors[me].next = NextStep{op, object, true};
    const ActorId next = choose_next(x, me);
    if (x.aborting) {
        throw_abort();  // pruned by the strategy
    }
    if (next != me) {
        switch_to(x, me, next);
        if (x.aborting) {
            throw_abort();
        }
    }
    record_step(x, op, object, func, effect, arg, arg_used);
}

void actor_main(ExecState* xp, ActorId id) {
    ExecState& x = *xp;
    x.current = id;
    if (!x.aborting) {
        try {
            x.program->run_actor(id);
        } catch (const AbortExecution&) {
            // unwound by the core: the execution is being torn down
        }
    }
    x.actors[id].finished = true;
    x.enabled_bits &= ~(1U << id);
    if (!x.aborting) {
        bool all_done = true;
        for (ActorId i = 0; i < x.actors.size(); ++i) {
            all_done = all_done && (x.actors[i].finished || (*x.decls)[i].forever);
        }
        if (all_done) {
            begin_abort(x, Status::Completed);  // stop the actors that run forever
        }
    }
    ActorId next = kNoActor;
    if (!x.aborting) {
        next = choose_next(x, kNoActor);
        if (next == kNoActor && !x.aborting) {
            report_deadlock(x);
        }
    }
    if (x.aborting) {
        next = lowest_unfinished(x);
    }
    x.algo->designate(next);
}

}  // namespace

const char* op_name(Op op) {
    switch (op) {
        case Op::Read:
            return "read";
        case Op::Write:
            return "write";
        case Op::Acquire:
            return "acquire";
        case Op::Release:
            return "release";
        case Op::Yield:
            return "yield";
        case Op::Choice:
            return "choice";
        case Op::Start:
            return "start";
        case Op::Finish:
            return "finish";
    }
    return "?";
}

Outcome run_execution(Program& program, Strategy& strategy, std::uint64_t seed,
                      const ExecutionConfig& config) {
    Outcome out;
    out.seed = seed;
    program.reset();
    strategy.new_execution(seed);

    ExecState x;
    x.program = &program;
    x.strategy = &strategy;
    x.strategy_uses_next = strategy.uses_next_steps();
    x.strategy_observes = strategy.observes_states();
    x.observe = x.strategy_observes || config.cycle_check.has_value();
    x.track_frames = config.detect_cycles || x.observe;
    x.config = &config;
    x.out = &out;
    x.decls = &program.actors();
    x.objects = &program.objects();
    Scratch& scratch = tl_scratch;
    x.actors.swap(scratch.actors);
    x.enabled.swap(scratch.enabled);
    x.held.swap(scratch.held);
    x.samples.swap(scratch.samples);
    x.steps.swap(scratch.steps);
    if (config.cycle_check && !config.detect_cycles) {
        throw std::invalid_argument("run_execution: a cycle check needs detect_cycles");
    }
    if (x.decls->size() > 32) {
        throw std::invalid_argument("run_execution: at most 32 actors (enabled_bits)");
    }
    x.actors.assign(x.decls->size(), ActorState{});
    x.enabled.clear();
    x.held.clear();
    x.samples.clear();
    x.steps.clear();
    for (ActorId a = 0; a < x.actors.size(); ++a) {
        x.actors[a].frames.push_back({hash_mix(0x9e3779b97f4a7c15ULL, a), 0, 0});
        x.enabled_bits |= 1U << a;
    }
    x.algo = &detail::install_algorithm();
    x.algo->reset(x.actors.size());
    if (config.record_trace) {
        out.trace.reserve(256);
    }
    out.choices.reserve(scratch.choices_hint);

    // Pooled stacks: the default allocator costs ~12 us per execution (heap trim and regrow).
    // The asan preset builds with --param=asan-stack=0: Boost.Context does not announce stack
    // switches to ASan, so frames unwound on a fiber would stay poisoned (false reports).
    thread_local boost::fibers::pooled_fixedsize_stack stacks(256UL * 1024, 64);

    ExecState* const saved = tl_exec;
    tl_exec = &x;
    std::vector<boost::fibers::fiber> fibers;
    fibers.swap(scratch.fibers);
    fibers.clear();
    fibers.reserve(x.actors.size());
    for (ActorId i = 0; i < x.actors.size(); ++i) {
        x.algo->expect_new_actor(i);
        fibers.emplace_back(std::allocator_arg, stacks, [&x, i] { actor_main(&x, i); });
    }
    const ActorId first = choose_next(x, kNoActor);
    x.algo->designate(x.aborting ? lowest_unfinished(x) : first);
    for (auto& f : fibers) {
        f.join();
    }
    tl_exec = saved;
    out.schedule.choices.reserve(out.choices.size());
    for (const auto& c : out.choices) {
        out.schedule.choices.push_back(c.value);
    }

    out.results.reserve(x.actors.size());
    std::uint64_t state = program.state_hash();
    for (ActorId i = 0; i < x.actors.size(); ++i) {
        out.results.push_back(program.result(i));
        x.hash = hash_mix(x.hash, fnv1a(out.results.back()));
        state = hash_mix(state, fnv1a(out.results.back()));
    }
    out.final_state = state;
    if (out.status == Status::Completed) {
        program.check_results(out.violations);
    }
    fibers.clear();
    scratch.fibers.swap(fibers);
    scratch.actors.swap(x.actors);
    scratch.enabled.swap(x.enabled);
    scratch.held.swap(x.held);
    scratch.samples.swap(x.samples);
    scratch.steps.swap(x.steps);
    // Bounded, so that one run to a large step bound does not make every later Outcome big.
    scratch.choices_hint = std::clamp<std::size_t>(out.choices.size(), 16, 4096);
    out.trace_hash = x.hash;
    return out;
}

void point(Op op, ObjectId object, Name func, Name effect) {
    point_impl(op, object, func, effect, 0, false);
}

void point(Op op, ObjectId object, Name func, Name effect, std::uint64_t arg) {
    point_impl(op, object, func, effect, arg, true);
}

void annotate(Name effect) {
    ExecState& x = exec();
    x.hash = hash_mix(x.hash, effect.hash);
    if (x.track_frames) {
        auto& f = x.actors[x.current].frames.back();
        f.steps = hash_mix(f.steps, effect.hash);
    }
    if (x.config->record_trace && !x.out->trace.empty()) {
        x.out->trace.back().effect = effect;
        x.out->trace.back().arg_used = false;
    }
}

void annotate(Name effect, std::uint64_t arg) {
    ExecState& x = exec();
    x.hash = hash_mix(x.hash, effect.hash ^ arg);
    if (x.track_frames) {
        auto& f = x.actors[x.current].frames.back();
        f.steps = hash_mix(f.steps, effect.hash ^ arg);
    }
    if (x.config->record_trace && !x.out->trace.empty()) {
        x.out->trace.back().effect = effect;
        x.out->trace.back().arg = arg;
        x.out->trace.back().arg_used = true;
    }
}

namespace {

std::uint32_t choose_impl(std::uint32_t n, std::string_view what, bool fault) {
    ExecState& x = exec();
    if (n <= 1) {
        return 0;
    }
    if (x.observe && !observe_point(x, true, what, n)) {
        throw_abort();
    }
    std::uint32_t v = x.strategy->choose_value(n, what);
    if (v == kPrune) {
        begin_abort(x, Status::Pruned);
        throw_abort();
    }
    if (v >= n) {
        if (x.out->strategy_error.empty()) {
            x.out->strategy_error = fmt::format(
                "schedule diverged at choice {}: value {} out of range for '{}' (0..{})",
                x.out->choices.size(), v, what, n - 1);
        }
        v = 0;
    }
    ChoiceRecord c;
    c.value = v;
    c.current = x.current;
    c.data = true;
    c.fault = fault;
    record_choice(x, c);
    if (x.track_frames) {  // a data choice is something the actor observed
        auto& f = x.actors[x.current].frames.back();
        f.steps = hash_mix(f.steps, 0xd6e8feb86659fd93ULL + v);
    }
    return v;
}

}  // namespace

std::uint32_t choose(std::uint32_t n, std::string_view what) {
    return choose_impl(n, what, false);
}

bool inject(std::string_view site, bool budgeted) {
    ExecState& x = exec();
    const auto& max = x.config->max_faults;
    if (max ? x.out->faults >= *max : !budgeted) {
        return false;
    }
    const bool v = choose_impl(2, site, true) == 1;
    if (v) {
        ++x.out->faults;
    }
    return v;
}

void fail_invariant(std::string actor, std::string detail) {
    ExecState& x = exec();
    x.out->violations.push_back({ViolationKind::Invariant, std::move(actor), std::move(detail)});
    begin_abort(x, Status::Invariant);
    throw_abort();
}

ActorId current_actor() {
    return exec().current;
}
std::uint64_t steps_taken() {
    return exec().out->steps;
}
bool in_execution() {
    return tl_exec != nullptr;
}

void block_on(ObjectId object, const char* how) {
    ExecState& x = exec();
    const ActorId me = x.current;
    x.actors[me].blocked = true;
    x.enabled_bits &= ~(1U << me);
    x.actors[me].waiting_on = object;
    x.actors[me].wait_how = how;
    if (x.config->record_trace && !x.out->trace.empty()) {
        x.out->trace.back().blocked = true;  // the step that found the lock taken
    }
    if (x.config->detect_cycles && !x.steps.empty() && std::string_view(how) != "spin") {
        x.steps.back().slept = true;  // a sleeping lock: the loop yields the CPU here
    }
    x.actors[me].next = NextStep{};  // once woken, it runs code no point has declared yet
    const ActorId next = choose_next(x, me);
    if (next == kNoActor) {
        if (!x.aborting) {
            report_deadlock(x);
        }
        x.actors[me].blocked = false;
        x.enabled_bits |= 1U << me;
        throw_abort();
    }
    switch_to(x, me, next);
    if (x.aborting) {
        x.actors[me].blocked = false;
        x.enabled_bits |= 1U << me;
        throw_abort();
    }
    x.actors[me].fresh = true;
}

void wake(ActorId actor) {
    ExecState& x = exec();
    x.actors[actor].blocked = false;
    x.enabled_bits |= 1U << actor;
}

void note_acquired(ObjectId object, const char* mode, ActorId holder) {
    exec().held.push_back({object, holder, mode});
}

void note_released(ObjectId object, ActorId holder) {
    ExecState& x = exec();
    for (std::size_t i = 0; i < x.held.size(); ++i) {
        if (x.held[i].object == object && x.held[i].holder == holder) {
            x.held.erase(x.held.begin() + static_cast<std::ptrdiff_t>(i));
            return;
        }
    }
}

namespace {

std::uint64_t location_hash(const ExecState& x, ActorId a) {
    const ActorState& st = x.actors[a];
    std::uint64_t h =
        hash_mix(0x51ed270b2b8f1e29ULL,
                 (st.finished ? 1U : 0U) | (st.blocked ? 2U : 0U) | (st.fresh ? 4U : 0U));
    if (st.finished) {
        return h;  // its result is part of the program's state
    }
    for (const auto& f : st.frames) {
        h = hash_mix(h, f.id);
        h = hash_mix(h, f.locals);
        h = hash_mix(h, f.steps);
    }
    return h;
}

std::uint64_t global_state(const ExecState& x, std::uint64_t shared) {
    std::uint64_t h = hash_mix(shared, x.current);
    for (ActorId a = 0; a < x.actors.size(); ++a) {
        h = hash_mix(h, location_hash(x, a));
    }
    return h;
}

// The steps since `from` repeat from the same state. Returns the lasso when the cycle is fair
// (every actor enabled throughout it takes a step) and some actor not marked forever takes
// steps in it without finishing.
std::optional<Lasso> fair_cycle(const ExecState& x, const Sample& from) {
    const std::uint64_t to = x.out->steps;
    if (to <= from.step) {
        return std::nullopt;
    }
    std::uint32_t always_enabled = ~0U;
    std::uint32_t stepped = 0;
    for (std::uint64_t i = from.step; i < to; ++i) {
        always_enabled &= x.steps[i].enabled;
        stepped |= 1U << x.steps[i].actor;
    }
    if ((always_enabled & ~stepped) != 0) {
        return std::nullopt;  // unfair: someone could run and never does
    }
    Lasso l;
    l.prefix_steps = from.step;
    l.cycle_steps = to - from.step;
    l.prefix_choices = from.choices;
    l.cycle_choices = x.out->choices.size() - from.choices;
    for (ActorId a = 0; a < x.actors.size(); ++a) {
        if ((stepped & (1U << a)) != 0 && !(*x.decls)[a].forever && !x.actors[a].finished) {
            l.stuck.push_back(a);
        }
    }
    if (l.stuck.empty()) {
        // Nobody that must finish takes a step: one that waits throughout is stuck as well.
        for (ActorId a = 0; a < x.actors.size(); ++a) {
            if (!(*x.decls)[a].forever && !x.actors[a].finished) {
                l.stuck.push_back(a);
            }
        }
    }
    if (l.stuck.empty()) {
        return std::nullopt;
    }
    for (std::uint64_t i = from.step; i < to; ++i) {
        const StepInfo& si = x.steps[i];
        if (std::find(l.stuck.begin(), l.stuck.end(), si.actor) == l.stuck.end()) {
            continue;
        }
        Step st;
        st.actor = si.actor;
        st.op = si.op;
        st.object = si.object;
        l.killable = l.killable || x.program->is_kill_check(si.actor, st);
        l.yielding = l.yielding || si.op == Op::Yield || si.slept;
    }
    for (const auto& h : x.held) {
        if (std::find(l.stuck.begin(), l.stuck.end(), h.holder) != l.stuck.end()) {
            l.locks_held.push_back(
                fmt::format("{} ({})", x.program->objects().name(h.object), h.mode));
        }
    }
    return l;
}

void report_livelock(ExecState& x, Lasso l) {
    std::string stuck;
    bool steps = false;
    for (ActorId a : l.stuck) {
        stuck += stuck.empty() ? (*x.decls)[a].name : ", " + (*x.decls)[a].name;
    }
    for (std::uint64_t i = l.prefix_steps; i < l.prefix_steps + l.cycle_steps; ++i) {
        steps =
            steps || std::find(l.stuck.begin(), l.stuck.end(), x.steps[i].actor) != l.stuck.end();
    }
    const std::string detail = steps
                                   ? fmt::format("{} loops for ever ({}, {})", stuck,
                                                 l.killable ? "killable" : "unkillable",
                                                 l.yielding ? "yielding" : "spinning")
                                   : fmt::format("{} waits for ever while the others loop", stuck);
    x.out->violations.push_back({ViolationKind::Livelock, stuck, detail});
    x.out->lasso = std::move(l);
    begin_abort(x, Status::Livelock);
}

// The signature of the state at a scheduling point (see StatePoint::signature).
std::uint64_t point_signature(const ExecState& x, std::uint64_t shared, bool data,
                              std::string_view what) {
    std::uint64_t h = hash_mix(shared, data ? fnv1a(what) : 0x3c6ef372fe94f82bULL);
    if (data) {
        h = hash_mix(h, x.current);  // the actor in the middle of a step
    }
    for (ActorId a = 0; a < x.actors.size(); ++a) {
        h = hash_mix(h, location_hash(x, a));
    }
    if (x.config->max_faults) {
        h = hash_mix(h, x.out->faults);  // the fault bound left shapes the future
    }
    return h;
}

// The lasso check of config->cycle_check, at a scheduling point with `options` options. With
// choices in the cycle, the states where its first choice is made in two rounds are compared;
// without, every state after the prefix is, and the first repeat closes the cycle.
bool check_cycle(ExecState& x, std::uint32_t options) {
    const auto& cc = *x.config->cycle_check;
    const std::size_t choices = x.out->choices.size();
    const bool choice_free = cc.cycle_choices == 0;
    if ((!choice_free && options < 2) ||
        (choices != cc.prefix_choices && choices != cc.prefix_choices + cc.cycle_choices)) {
        return true;
    }
    const std::optional<std::uint64_t> shared = x.program->loop_state_hash();
    if (!shared) {
        return true;
    }
    std::uint64_t h = *shared;
    for (ActorId a = 0; a < x.actors.size(); ++a) {
        h = hash_mix(h, location_hash(x, a));
    }
    if (x.config->max_faults) {
        h = hash_mix(h, x.out->faults);
    }
    if (choice_free) {
        const auto [it, fresh] = x.check_seen.try_emplace(h, Sample{x.out->steps, choices});
        if (!fresh) {
            if (std::optional<Lasso> l = fair_cycle(x, it->second)) {
                report_livelock(x, std::move(*l));
                return false;
            }
            it->second = Sample{x.out->steps, choices};
        }
        return true;
    }
    if (choices == cc.prefix_choices) {
        x.check_from = Sample{x.out->steps, choices};
        x.check_state = h;
        return true;
    }
    if (x.check_from && h == x.check_state) {
        if (std::optional<Lasso> l = fair_cycle(x, *x.check_from)) {
            report_livelock(x, std::move(*l));
            return false;
        }
    }
    return true;  // not a lasso: the run goes on as the schedule says
}

bool observe_point(ExecState& x, bool data, std::string_view what, std::uint32_t options) {
    if (x.config->cycle_check && !check_cycle(x, options)) {
        return false;
    }
    if (!x.strategy_observes) {
        return true;
    }
    const std::optional<std::uint64_t> shared = x.program->state_signature();
    if (!shared) {
        if (x.out->strategy_error.empty()) {
            x.out->strategy_error = "the program does not describe its state (state_signature)";
        }
        begin_abort(x, Status::Pruned);
        return false;
    }
    StatePoint p;
    p.signature = point_signature(x, *shared, data, what);
    p.enabled = x.enabled_bits;
    if (data) {
        p.enabled |= 1U << x.current;
    }
    for (ActorId a = 0; a < x.actors.size(); ++a) {
        p.unfinished |= x.actors[a].finished ? 0U : 1U << a;
    }
    p.arrived = x.current;
    p.data = data;
    p.options = options;
    if (!x.strategy->at_state(p)) {
        begin_abort(x, Status::Revisited);
        return false;
    }
    return true;
}

}  // namespace

Loop::Loop(Name id) {
    if (tl_exec == nullptr || !tl_exec->track_frames) {
        return;
    }
    ExecState& x = exec();
    x.actors[x.current].frames.push_back({id.hash, 0, 0});
    active_ = true;
}

Loop::~Loop() {
    if (!active_ || tl_exec == nullptr) {
        return;
    }
    ExecState& x = exec();
    auto& frames = x.actors[x.current].frames;
    if (frames.size() > 1) {
        // After the loop, what it observed since its last head (and the values declared
        // there) is part of what the actor observed since the enclosing head: the values the
        // loop hands on to the code after it come from them.
        const auto inner = frames.back();
        frames.pop_back();
        auto& outer = frames.back().steps;
        outer = hash_mix(hash_mix(hash_mix(outer, inner.id), inner.locals), inner.steps);
    }
}

void Loop::head(std::uint64_t locals) {
    if (!active_) {
        return;
    }
    ExecState& x = exec();
    if (x.aborting) {
        return;
    }
    auto& f = x.actors[x.current].frames.back();
    f.locals = locals;
    f.steps = 0;
    if (x.observe || !x.config->detect_cycles) {
        return;  // states are seen at scheduling points instead (or not at all)
    }
    if ((*x.decls)[x.current].forever && !x.config->prune_revisits) {
        // A livelock needs a stuck actor that is not marked forever looping in a declared
        // loop; its own loop heads are where the repeated state is seen, so these are enough.
        return;
    }
    const std::optional<std::uint64_t> shared = x.program->loop_state_hash();
    if (!shared) {
        return;  // the program does not describe its state: no cycle can be proven
    }
    const std::uint64_t h = global_state(x, *shared);
    const Sample now{x.out->steps, x.out->choices.size()};
    auto [seen, inserted] = x.samples.try_emplace(h, now);
    if (inserted) {
        return;
    }
    std::optional<Lasso> l = fair_cycle(x, *seen);
    *seen = now;
    if (!l) {
        if (x.config->prune_revisits) {
            begin_abort(x, Status::Revisited);
            throw_abort();
        }
        return;
    }
    report_livelock(x, std::move(*l));
    throw_abort();
}

}  // namespace pfnsim::sim
