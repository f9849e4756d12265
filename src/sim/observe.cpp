// Observation of an execution's states: the actors' locations (loop frames), the state
// signatures a stateful strategy reads at every scheduling point, the samples at loop heads
// that find a repeated state, and the check of a lasso's claim. The cycle checking itself is
// sim/cycle_check.cpp; this hands it state hashes and a view of the execution.
#include <optional>
#include <string_view>

#include "pfnsim/sim/prng.hpp"
#include "sim/exec_state.hpp"

namespace pfnsim::sim {

using detail::ActorState;
using detail::begin_abort;
using detail::CycleDetector;
using detail::CycleView;
using detail::exec;
using detail::ExecState;
using detail::throw_abort;
using detail::tl_exec;

namespace {

// Where the actors are, as fields of one visitor `v` (v.actor(a), v.field(name, value),
// v.done(), v.top(name, value)): per actor, whether it finished, is blocked or was just resumed,
// who it still waits for before it starts (`after`), the step it stopped at
// (ActorState::pending), and its loop frames (each loop's id, the values declared at its head,
// what it observed since); a finished actor's result is part of the program's state instead.
// With `faults`, the faults injected when a fault bound is set, since the bound left shapes the
// future. with_locations hashes them, describe_locations names them: one list for both.
template <class V>
void visit_locations(const ExecState& x, V& v, bool faults) {
    for (ActorId a = 0; a < x.actors.size(); ++a) {
        const ActorState& st = x.actors[a];
        v.actor(a);
        v.field("finished, blocked, resumed",
                (st.finished ? 1U : 0U) | (st.blocked ? 2U : 0U) | (st.fresh ? 4U : 0U));
        if (!st.finished) {
            if (st.waiting_for != 0) {
                v.field("waits for", st.waiting_for);
            }
            if (st.pending != 0) {
                v.field("pending step", st.pending);  // the step it stopped at, see ActorState
            }
            for (const auto& f : st.frames) {
                v.field("loop", f.id);
                v.field("loop head values", f.locals);
                v.field("observed since the loop head", f.steps);
            }
        }
        v.done();
    }
    if (faults && x.config->max_faults) {
        v.top("faults injected", x.out->faults);
    }
}

// The one hash of where the actors are (visit_locations), mixed into `h`.
std::uint64_t with_locations(const ExecState& x, std::uint64_t h, bool faults) {
    struct Hasher {
        std::uint64_t h;
        std::uint64_t l = 0;
        void actor(ActorId /*a*/) { l = 0x51ed270b2b8f1e29ULL; }
        void field(std::string_view /*name*/, std::uint64_t value) { l = hash_mix(l, value); }
        void done() { h = hash_mix(h, l); }
        void top(std::string_view /*name*/, std::uint64_t value) { h = hash_mix(h, value); }
    } v{h};
    visit_locations(x, v, faults);
    return v.h;
}

// The same fields, named by actor.
void describe_locations(const ExecState& x, StateFields& out, bool faults) {
    struct Namer {
        const ExecState& x;
        StateFields& out;
        std::string object;
        void actor(ActorId a) { object = "actor " + (*x.decls)[a].name; }
        void field(std::string_view name, std::uint64_t value) {
            out.push_back({object, std::string(name), value});
        }
        void done() {}
        void top(std::string_view name, std::uint64_t value) {
            out.push_back({"execution", std::string(name), value});
        }
    } v{x, out, {}};
    visit_locations(x, v, faults);
}

// The state sampled at a loop head: the program's, who is running, every actor's location.
std::uint64_t global_state(const ExecState& x, std::uint64_t shared) {
    return with_locations(x, hash_mix(shared, x.current), false);
}

CycleView cycle_view(const ExecState& x) {
    CycleView v;
    v.program = x.program;
    for (ActorId a = 0; a < x.actors.size(); ++a) {
        v.unfinished |= x.actors[a].finished ? 0U : 1U << a;
    }
    v.held = &x.held;
    v.steps = x.out->steps;
    v.choices = x.out->choices.size();
    return v;
}

void report_livelock(ExecState& x, Lasso l) {
    x.out->violations.push_back(x.cycles.livelock(l, *x.decls));
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
    return with_locations(x, h, true);
}

// The lasso check of config->cycle_check, at a scheduling point with `options` options.
bool check_cycle(ExecState& x, std::uint32_t options) {
    const auto& cc = *x.config->cycle_check;
    if (!CycleDetector::check_compares(cc, x.out->choices.size(), options)) {
        return true;
    }
    const std::optional<std::uint64_t> shared = x.program->loop_state_hash();
    if (!shared) {
        return true;
    }
    const std::uint64_t h = with_locations(x, *shared, true);
    if (std::optional<Lasso> l = x.cycles.check(cc, h, cycle_view(x))) {
        report_livelock(x, std::move(*l));
        return false;
    }
    return true;
}

}  // namespace

bool detail::observe_point(ExecState& x, bool data, std::string_view what, std::uint32_t options,
                           bool eventual) {
    if (x.config->cycle_check && !check_cycle(x, options)) {
        return false;
    }
    if (!x.strategy_observes) {
        return true;
    }
    StatePoint p;
    if (x.strategy->needs_signature()) {
        const std::optional<std::uint64_t> shared = x.program->state_signature();
        if (!shared) {
            if (x.out->strategy_error.empty()) {
                x.out->strategy_error = "the program does not describe its state (state_signature)";
            }
            begin_abort(x, Status::Pruned);
            return false;
        }
        p.signature = point_signature(x, *shared, data, what);
        if (x.aborting) {
            return false;  // the program's audit of its kept state found a difference
        }
        if (x.strategy->needs_fields()) {
            x.program->describe_state(p.fields);
            if (data) {
                p.fields.push_back({"execution", "data choice of", x.current});
            }
            describe_locations(x, p.fields, true);
        }
    }
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
    p.eventual = eventual;
    if (!x.strategy->at_state(p)) {
        begin_abort(x, Status::Revisited);
        return false;
    }
    return true;
}

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
    auto [seen, lasso] = x.cycles.at_loop_head(global_state(x, *shared), cycle_view(x));
    if (!seen) {
        return;
    }
    if (!lasso) {
        if (x.config->prune_revisits) {
            begin_abort(x, Status::Revisited);
            throw_abort();
        }
        return;
    }
    report_livelock(x, std::move(*lasso));
    throw_abort();
}

}  // namespace pfnsim::sim
