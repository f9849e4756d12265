// The engine: one execution of a Program under a Strategy, its scheduling points, and the
// interface model code calls on an actor's fiber. The unwinding of a stopped actor is
// unwind.cpp, the observation of states (locations, signatures, loop heads) observe.cpp.
#include "pfnsim/sim/execution.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <boost/fiber/fiber.hpp>
#include <boost/fiber/operations.hpp>
#include <boost/fiber/pooled_fixedsize_stack.hpp>
#include <cstring>
#include <stdexcept>

#include "pfnsim/sim/prng.hpp"
#include "sim/algorithm.hpp"
#include "sim/cycle_check.hpp"
#include "sim/exec_state.hpp"

namespace pfnsim::sim {

namespace detail {
thread_local constinit ExecState* tl_exec = nullptr;
}  // namespace detail

using detail::ActorState;
using detail::begin_abort;
using detail::exec;
using detail::ExecState;
using detail::LockGate;
using detail::LockHold;
using detail::observe_point;
using detail::RawLockEdge;
using detail::run_until_unwound;
using detail::throw_abort;
using detail::tl_exec;

namespace {

// The fiber stack allocator: the pool's stacks, each one's range noted in *last as it is made.
struct RecordingStack {
    boost::fibers::pooled_fixedsize_stack* pool;
    detail::StackRange* last;
    boost::context::stack_context allocate() {
        boost::context::stack_context s = pool->allocate();
        *last = {static_cast<const char*>(s.sp) - s.size, s.size};
        return s;
    }
    void deallocate(boost::context::stack_context& s) noexcept { pool->deallocate(s); }
};

// Buffers lent to each execution on this thread and taken back at its end, so that an
// execution allocates only what its Outcome keeps. A nested execution finds them lent out and
// allocates its own.
struct Scratch {
    std::vector<ActorState> actors;
    std::vector<ActorId> enabled;
    std::vector<LockHold> held;
    std::vector<RawLockEdge> lock_edges;
    std::vector<LockGate> gates;
    std::vector<LockGate> gates_now;
    std::vector<boost::fibers::fiber> fibers;
    detail::CycleDetector cycles;
    // Capacity for the next Outcome's choices: the most recently seen count, so that the
    // vectors are allocated once rather than grown step by step.
    std::size_t choices_hint = 64;
};
thread_local Scratch tl_scratch;

void emit_lock_edges(const ExecState& x, Outcome& out);  // below, with note_acquiring

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
    x.algo->resumed(me);
    x.current = me;
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
        if (a.waiting_for != 0) {
            std::string names;
            for (std::uint32_t b = a.waiting_for; b != 0; b &= b - 1) {
                names += (names.empty() ? "" : ", ") + (*x.decls)[std::countr_zero(b)].name;
            }
            detail += fmt::format("{} {} waits for {} to finish (after)", first ? "" : ";",
                                  (*x.decls)[i].name, names);
            first = false;
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
                                               Name effect, std::uint64_t arg, bool arg_used,
                                               const SourceLine& loc) {
    // The object enters the hash by name, not id: ids depend on interning order.
    x.hash =
        hash_mix(x.hash, (static_cast<std::uint64_t>(x.current) << 40U) ^
                             (static_cast<std::uint64_t>(op) << 32U) ^ x.objects->hash(object));
    x.hash = hash_mix(x.hash, func.hash ^ (effect.hash * 31U) ^ arg);
    if (x.config->record_trace) {
        ActorState& a = x.actors[x.current];
        if (a.chain == kNoChain && !a.calls.empty()) {
            a.chain = static_cast<std::uint32_t>(x.out->chains.size());
            x.out->chains.push_back(a.calls);
        }
        x.out->trace.push_back(Step{x.current, op, object, func, effect, arg, arg_used, false,
                                    a.chain, loc.file, loc.line});
    }
    if (x.track_frames) {
        x.actors[x.current].pending = 0;  // taken: what it observed says the rest
        // What the actor observed: the operation, the object (by name) and the value read or
        // written, as the effect text and argument describe it.
        auto& f = x.actors[x.current].frames.back();
        f.steps = hash_mix(f.steps, func.hash ^ (effect.hash * 31U) ^ arg ^
                                        (static_cast<std::uint64_t>(op) << 56U) ^
                                        x.objects->hash(object));
        if (x.config->detect_cycles) {
            ActorState& a = x.actors[x.current];
            x.cycles.record({object, static_cast<std::uint16_t>(x.enabled_bits),
                             static_cast<std::uint8_t>(x.current), op, false, a.voluntary_mark,
                             a.spin_held != 0});
            a.voluntary_mark = false;
        }
    }
    ++x.out->steps;
}

// The bound is checked before a new step, so the last step keeps its annotation.
void check_step_bound(ExecState& x) {
    if (x.out->steps >= x.config->step_bound) {
        std::string stuck;  // moved out before the actor stops: its frame may be dropped
        for (ActorId i = 0; i < x.actors.size(); ++i) {
            if (!x.actors[i].finished && !(*x.decls)[i].forever) {
                stuck += stuck.empty() ? (*x.decls)[i].name : ", " + (*x.decls)[i].name;
            }
        }
        x.out->violations.push_back(
            {ViolationKind::StepBound, std::move(stuck),
             fmt::format("step bound reached ({} steps; {})", x.config->step_bound,
                         x.config->detect_cycles ? "no cycle found" : "possible livelock")});
        begin_abort(x, Status::StepBound);
        throw_abort();
    }
}

void point_impl(Op op, ObjectId object, Name func, Name effect, std::uint64_t arg, bool arg_used,
                const SourceLine& loc) {
    ExecState& x = exec();
    if (x.aborting) {
        if (x.actors[x.current].unwinding) {
            return;  // a destructor during unwinding: let the unwinding finish
        }
        throw_abort();
    }
    check_step_bound(x);
    const ActorId me = x.current;
    if (x.actors[me].fresh) {
        x.actors[me].fresh = false;
        record_step(x, op, object, func, effect, arg, arg_used, loc);
        return;
    }
    x.actors[me].next = NextStep{op, object, true};
    if (x.track_frames) {
        x.actors[me].pending = hash_mix(func.hash ^ (effect.hash * 31U) ^ arg ^
                                            (static_cast<std::uint64_t>(op) << 56U),
                                        x.objects->hash(object)) |
                               1U;
    }
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
    record_step(x, op, object, func, effect, arg, arg_used, loc);
}

void actor_main(ExecState* xp, ActorId id) {
    ExecState& x = *xp;
    x.algo->resumed(id);
    x.current = id;
    if (!x.aborting) {
        run_until_unwound(x, id);  // false: unwound, the execution is being torn down
    }
    x.actors[id].finished = true;
    x.enabled_bits &= ~(1U << id);
    // The actors waiting for this one to finish (`after`): the last of their predecessors
    // wakes each; until then they are blocked and have not started.
    for (ActorId b = 0; b < x.actors.size(); ++b) {
        ActorState& w = x.actors[b];
        if ((w.waiting_for & (1U << id)) != 0) {
            w.waiting_for &= ~(1U << id);
            if (w.waiting_for == 0) {
                w.blocked = false;
                x.enabled_bits |= 1U << b;
            }
        }
    }
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

    // What model frames keep across points (execution_memory): all of it is released here,
    // also what a dropped frame held. Nothing is allocated unless the model asks.
    std::pmr::monotonic_buffer_resource memory;
    ExecState x;
    x.program = &program;
    x.memory = &memory;
    x.drop_frames = program.stop_drops_frames();
    x.strategy = &strategy;
    x.strategy_uses_next = strategy.traits().uses_next_steps;
    x.strategy_observes = strategy.traits().observes_states;
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
    x.lock_edges.swap(scratch.lock_edges);
    x.gates.swap(scratch.gates);
    x.gates_now.swap(scratch.gates_now);
    x.cycles.swap(scratch.cycles);
    if (config.cycle_check && !config.detect_cycles) {
        throw std::invalid_argument("run_execution: a cycle check needs detect_cycles");
    }
    if (x.decls->size() > 32) {
        throw std::invalid_argument("run_execution: at most 32 actors (enabled_bits)");
    }
    x.actors.assign(x.decls->size(), ActorState{});
    x.enabled.clear();
    x.held.clear();
    x.lock_edges.clear();
    x.gates.clear();
    x.cycles.clear();
    for (ActorId a = 0; a < x.actors.size(); ++a) {
        ActorState& st = x.actors[a];
        st.frames.push_back({hash_mix(0x9e3779b97f4a7c15ULL, a), 0, 0});
        // An actor that starts after others is blocked until they finish (actor_main wakes
        // it); its location says so (observe.cpp), so it differs from one that started.
        const std::uint32_t actors_mask =
            x.actors.size() >= 32 ? ~0U : (1U << x.actors.size()) - 1U;
        st.waiting_for = (*x.decls)[a].after & actors_mask & ~(1U << a);
        if (st.waiting_for != 0) {
            st.blocked = true;
        } else {
            x.enabled_bits |= 1U << a;
        }
    }
    x.algo = &detail::install_algorithm();
    x.algo->reset(x.actors.size());
    if (config.record_trace) {
        out.trace.reserve(256);
    }
    out.choices.reserve(scratch.choices_hint);

    // Pooled stacks: the default allocator costs ~12 us per execution (heap trim and regrow).
    // Each actor's stack is recorded for the switches announced to ASan (sim/fiber_asan.hpp).
    thread_local boost::fibers::pooled_fixedsize_stack pool(256UL * 1024, 64);
    detail::StackRange last;
    RecordingStack stacks{&pool, &last};
    if constexpr (detail::kFiberAsan) {
        thread_local const detail::StackRange main_stack = detail::thread_stack();
        x.algo->set_main_stack(main_stack);
    }

    ExecState* const saved = tl_exec;
    tl_exec = &x;
    std::vector<boost::fibers::fiber> fibers;
    fibers.swap(scratch.fibers);
    fibers.clear();
    fibers.reserve(x.actors.size());
    for (ActorId i = 0; i < x.actors.size(); ++i) {
        x.algo->expect_new_actor(i);
        fibers.emplace_back(std::allocator_arg, stacks, [&x, i] { actor_main(&x, i); });
        x.algo->set_actor_stack(i, last);
    }
    const ActorId first = choose_next(x, kNoActor);
    x.algo->designate(x.aborting ? lowest_unfinished(x) : first);
    for (auto& f : fibers) {
        f.join();
        x.algo->resumed(kNoActor);
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
    emit_lock_edges(x, out);
    if (out.status == Status::Completed) {
        program.check_results(out.violations);
    }
    fibers.clear();
    scratch.fibers.swap(fibers);
    scratch.actors.swap(x.actors);
    scratch.enabled.swap(x.enabled);
    scratch.held.swap(x.held);
    scratch.lock_edges.swap(x.lock_edges);
    scratch.gates.swap(x.gates);
    scratch.gates_now.swap(x.gates_now);
    scratch.cycles.swap(x.cycles);
    // Bounded, so that one run to a large step bound does not make every later Outcome big.
    scratch.choices_hint = std::clamp<std::size_t>(out.choices.size(), 16, 4096);
    out.trace_hash = x.hash;
    return out;
}

void point(Op op, ObjectId object, Name func, Name effect, SourceLine loc) {
    point_impl(op, object, func, effect, 0, false, loc);
}

void point(Op op, ObjectId object, Name func, Name effect, std::uint64_t arg, SourceLine loc) {
    point_impl(op, object, func, effect, arg, true, loc);
}

Call::Call(Name func, SourceLine loc) {
    if (tl_exec == nullptr || !tl_exec->config->record_trace ||
        tl_exec->current >= tl_exec->actors.size()) {
        return;
    }
    ActorState& a = tl_exec->actors[tl_exec->current];
    a.calls.push_back({func, loc.file, loc.line});
    a.chain = kNoChain;
    active_ = true;
}

Call::~Call() {
    if (!active_ || tl_exec == nullptr) {
        return;
    }
    ActorState& a = tl_exec->actors[tl_exec->current];
    if (!a.calls.empty()) {
        a.calls.pop_back();
    }
    a.chain = kNoChain;
}

std::pmr::memory_resource& execution_memory() {
    return tl_exec != nullptr ? *tl_exec->memory : *std::pmr::new_delete_resource();
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

std::uint32_t choose_impl(std::uint32_t n, std::string_view what, bool fault,
                          bool eventual = false) {
    ExecState& x = exec();
    if (n <= 1) {
        return 0;
    }
    if (x.observe && !observe_point(x, true, what, n, eventual)) {
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
    if (eventual && v == 0 && x.config->detect_cycles) {
        x.cycles.mark_postponed(x.out->steps);  // a cycle through here is not fair
    }
    return v;
}

}  // namespace

std::uint32_t choose(std::uint32_t n, std::string_view what) {
    return choose_impl(n, what, false);
}

bool eventually(std::string_view what) {
    return choose_impl(2, what, false, true) == 1;
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

bool audit_kept_state() {
    return tl_exec != nullptr && tl_exec->config->audit_kept_state;
}

void report_state_mismatch(std::string detail) {
    if (tl_exec == nullptr) {
        return;
    }
    ExecState& x = exec();
    for (const Violation& v : x.out->violations) {
        if (v.kind == ViolationKind::StateMismatch) {
            return;
        }
    }
    std::string actor = x.current < x.decls->size() ? (*x.decls)[x.current].name : "";
    x.out->violations.push_back(
        {ViolationKind::StateMismatch, std::move(actor), std::move(detail)});
    begin_abort(x, Status::Invariant);  // no unwinding here: the next point stops the actor
}

void fail_invariant(std::string actor, std::string detail) {
    ExecState& x = exec();
    x.out->violations.push_back({ViolationKind::Invariant, std::move(actor), std::move(detail)});
    begin_abort(x, Status::Invariant);
    throw_abort();
}

void voluntary_point() {
    ExecState& x = exec();
    x.actors[x.current].voluntary_mark = true;
}

ActorId current_actor() {
    return exec().current;
}
bool in_atomic() {
    const ExecState& x = exec();
    return x.actors[x.current].spin_held != 0;
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
    if (x.config->detect_cycles && std::string_view(how) != "spin") {
        x.cycles.mark_slept();  // a sleeping lock: the loop yields the CPU here
    }
    x.actors[me].next = NextStep{};  // once woken, it runs code no point has declared yet
    x.actors[me].pending = 0;
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

namespace {

// The index in Outcome::chains of actor `a`'s call chain now (kNoChain without a trace).
std::uint32_t chain_now(ExecState& x, ActorState& a) {
    if (x.config->record_trace && a.chain == kNoChain && !a.calls.empty()) {
        a.chain = static_cast<std::uint32_t>(x.out->chains.size());
        x.out->chains.push_back(a.calls);
    }
    return a.chain;
}

// The locks `me` holds besides held[skip], by class number and subclass, sorted and unique,
// into x.gates_now.
void gates_of(ExecState& x, ActorId me, std::size_t skip) {
    std::vector<LockGate>& g = x.gates_now;
    g.clear();
    for (std::size_t i = 0; i < x.held.size(); ++i) {
        const LockHold& h = x.held[i];
        if (i != skip && h.holder == me) {
            g.push_back({x.objects->class_number(h.object), h.subclass});
        }
    }
    std::sort(g.begin(), g.end());
    g.erase(std::unique(g.begin(), g.end()), g.end());
}

// Keeps of the sorted gates[0, count) those also in `other` (sorted); the new count.
std::uint32_t intersect_in_place(LockGate* gates, std::uint32_t count,
                                 const std::vector<LockGate>& other) {
    std::uint32_t kept = 0;
    auto o = other.begin();
    for (std::uint32_t i = 0; i < count; ++i) {
        while (o != other.end() && *o < gates[i]) {
            ++o;
        }
        if (o != other.end() && *o == gates[i]) {
            gates[kept++] = gates[i];
        }
    }
    return kept;
}

// The node name of a class (an interned name) with a nesting subclass, interned.
std::string_view node_name(std::string_view cls, unsigned subclass) {
    if (subclass == 0) {
        return cls;
    }
    struct Named {
        const char* cls;  // the interned class's text: one per class
        unsigned subclass;
        std::string_view name;
    };
    thread_local std::vector<Named> named;  // a lookup only: its order shapes nothing
    for (const Named& n : named) {
        if (n.cls == cls.data() && n.subclass == subclass) {
            return n.name;
        }
    }
    const std::string_view name = intern_lock_name(LockNode{std::string(cls), subclass}.name());
    named.push_back({cls.data(), subclass, name});
    return name;
}

// The execution's lock-order edges as the Outcome keeps them: interned class names, gates by
// node name, sorted.
void emit_lock_edges(const ExecState& x, Outcome& out) {
    out.lock_edges.reserve(x.lock_edges.size());
    for (const RawLockEdge& r : x.lock_edges) {
        LockEdgeSeen s;
        s.from_cls = x.objects->interned_class(r.from_cls);
        s.from_subclass = r.from_subclass;
        s.from_mode = r.from_mode;
        s.to_cls = x.objects->interned_class(r.to_cls);
        s.to_subclass = r.to_subclass;
        s.to_mode = r.to_mode;
        s.gates.reserve(r.gates_count);
        for (std::uint32_t i = 0; i < r.gates_count; ++i) {
            const LockGate& g = x.gates[r.gates_begin + i];
            s.gates.push_back(node_name(x.objects->interned_class(g.cls), g.subclass));
        }
        std::sort(s.gates.begin(), s.gates.end());
        s.gates.erase(std::unique(s.gates.begin(), s.gates.end()), s.gates.end());
        s.chain = r.chain;
        s.holder_chain = r.holder_chain;
        s.func = r.func;
        s.holder_func = r.holder_func;
        out.lock_edges.push_back(std::move(s));
    }
}

bool same_mode(const char* a, const char* b) {
    return a == b || std::strcmp(a, b) == 0;
}

}  // namespace

void note_acquiring(ObjectId object, const char* mode, unsigned subclass, const char* func,
                    bool trylock) {
    if (tl_exec == nullptr) {
        return;
    }
    ExecState& x = exec();
    const ActorId me = x.current;
    if (me >= x.actors.size()) {
        return;
    }
    ActorState& a = x.actors[me];
    a.lock_subclass = subclass;
    a.lock_func = func;
    if (trylock) {
        return;
    }
    // The only cost when the actor holds nothing: this loop over the locks held.
    for (std::size_t i = 0; i < x.held.size(); ++i) {
        const LockHold& h = x.held[i];
        if (h.holder != me) {
            continue;
        }
        const std::uint32_t from = x.objects->class_number(h.object);
        const std::uint32_t to = x.objects->class_number(object);
        auto& seen = x.lock_edges;
        const auto it = std::find_if(seen.begin(), seen.end(), [&](const RawLockEdge& s) {
            return s.from_cls == from && s.from_subclass == h.subclass && s.to_cls == to &&
                   s.to_subclass == subclass && same_mode(s.from_mode, h.mode) &&
                   same_mode(s.to_mode, mode);
        });
        if (it != seen.end()) {
            if (it->gates_count != 0) {  // what was held besides at every one of its acquisitions
                gates_of(x, me, i);
                it->gates_count = intersect_in_place(x.gates.data() + it->gates_begin,
                                                     it->gates_count, x.gates_now);
            }
            continue;
        }
        gates_of(x, me, i);
        RawLockEdge s{};
        s.from_cls = from;
        s.from_subclass = h.subclass;
        s.from_mode = h.mode;
        s.to_cls = to;
        s.to_subclass = subclass;
        s.to_mode = mode;
        s.gates_begin = static_cast<std::uint32_t>(x.gates.size());
        s.gates_count = static_cast<std::uint32_t>(x.gates_now.size());
        x.gates.insert(x.gates.end(), x.gates_now.begin(), x.gates_now.end());
        s.chain = chain_now(x, a);
        s.holder_chain = h.chain;
        s.func = func;
        s.holder_func = h.func;
        seen.push_back(s);
    }
}

void note_acquired(ObjectId object, const char* mode, ActorId holder) {
    ExecState& x = exec();
    ActorState& a = x.actors[holder];
    x.held.push_back({object, holder, mode, a.lock_subclass, a.lock_func, chain_now(x, a)});
    if (std::string_view(mode) == "spin") {
        ++x.actors[holder].spin_held;  // a spin lock: non-preemptible until released
    }
}

void note_downgraded(ObjectId object, ActorId holder, const char* func) {
    ExecState& x = exec();
    for (LockHold& h : x.held) {
        if (h.object == object && h.holder == holder) {
            // lockdep's lock_downgrade: the held lock is re-acquired for read with the class
            // (subclass included) it was taken with, at the downgrade's call site, in place.
            h.mode = "read";
            h.func = func;
            h.chain = chain_now(x, x.actors[holder]);
            return;
        }
    }
}

void note_released(ObjectId object, ActorId holder) {
    ExecState& x = exec();
    for (std::size_t i = 0; i < x.held.size(); ++i) {
        if (x.held[i].object == object && x.held[i].holder == holder) {
            if (std::string_view(x.held[i].mode) == "spin") {
                --x.actors[holder].spin_held;
            }
            x.held.erase(x.held.begin() + static_cast<std::ptrdiff_t>(i));
            return;
        }
    }
}

}  // namespace pfnsim::sim
