#include "pfnsim/sim/minimize.hpp"

#include <algorithm>
#include <deque>
#include <map>

#include "deviation_strategy.hpp"
#include "pfnsim/sim/dependence.hpp"
#include "pfnsim/sim/dfs_strategy.hpp"
#include "pfnsim/sim/replay_strategy.hpp"
#include "pfnsim/sim/schedule.hpp"
#include "step_order_strategy.hpp"

namespace pfnsim::sim {

namespace {

// The steps that happen before step `t` (and `t` itself): program order; a read after the
// writes of its object (lock acquire and release count as writes of the lock); a write after
// every earlier access of its object. Lock operations do not order each other by themselves,
// so that an actor's critical section that ended before the violation's actors took the lock
// can move after the violation. But where two actors of the cone take the same lock, the
// earlier holder's release must stay before the later one's acquire: it is added, and the cone
// is computed again until nothing is added.
std::vector<bool> causal_cone(const std::vector<Step>& trace, std::size_t t) {
    std::vector<bool> in(trace.size(), false);
    std::vector<bool> roots(trace.size(), false);
    roots[t] = true;
    for (;;) {
        std::fill(in.begin(), in.end(), false);
        std::map<ActorId, bool> actor_needed;
        std::map<ObjectId, bool> read_needed;   // a cone step after here reads it
        std::map<ObjectId, bool> write_needed;  // a cone step after here writes it
        for (std::size_t i = t + 1; i-- > 0;) {
            const Step& st = trace[i];
            const bool obj = st.object != kNoObject;
            const bool writes = op_writes(st.op);
            bool needed = roots[i] || actor_needed[st.actor];
            if (obj && !needed) {
                needed = write_needed[st.object] || (writes && read_needed[st.object]);
            }
            if (!needed) {
                continue;
            }
            in[i] = true;
            actor_needed[st.actor] = true;
            if (obj && st.op == Op::Read) {
                read_needed[st.object] = true;
            } else if (obj && st.op == Op::Write) {
                write_needed[st.object] = true;
            }
        }
        // An acquire in the cone followed by another actor's acquire of the same lock in the
        // cone: the first actor's release of it (if it came before the violation) is needed.
        bool added = false;
        for (std::size_t h = 0; h <= t; ++h) {
            if (!in[h] || trace[h].op != Op::Acquire) {
                continue;
            }
            const Step& a = trace[h];
            bool later_acquire = false;
            for (std::size_t j = h + 1; j <= t && !later_acquire; ++j) {
                later_acquire = in[j] && trace[j].op == Op::Acquire &&
                                trace[j].object == a.object && trace[j].actor != a.actor;
            }
            if (!later_acquire) {
                continue;
            }
            for (std::size_t r = h + 1; r <= t; ++r) {
                if (trace[r].actor == a.actor && trace[r].object == a.object &&
                    trace[r].op == Op::Release) {
                    if (!in[r]) {
                        roots[r] = true;
                        added = true;
                    }
                    break;
                }
            }
        }
        if (!added) {
            return in;
        }
    }
}

std::map<std::size_t, std::uint32_t> deviations(const Outcome& o) {
    std::map<std::size_t, std::uint32_t> d;
    for (std::size_t i = 0; i < o.choices.size(); ++i) {
        if (o.choices[i].value != o.choices[i].fallback) {
            d[i] = o.choices[i].value;
        }
    }
    return d;
}

}  // namespace

std::optional<Minimized> minimize(Program& program, const Outcome& original,
                                  const Violation& target, const ExecutionConfig& config,
                                  const MinimizeConfig& mc) {
    ExecutionConfig quiet = config;
    quiet.record_trace = false;
    Minimized m;
    const long ot = violation_step(original, program, target);
    m.original_steps = ot >= 0 ? static_cast<std::uint64_t>(ot + 1) : original.steps;
    m.original_preemptions = count_preemptions(original);

    // A livelock's witness is its lasso: the prefix, then the cycle for ever. It is its own
    // proof, so it is reported as found, written as a cyclic schedule and checked by replay.
    if (target.kind == ViolationKind::Livelock && original.lasso) {
        const Lasso& l = *original.lasso;
        m.original_steps = original.steps;
        Schedule s;
        s.choices.assign(original.schedule.choices.begin(),
                         original.schedule.choices.begin() +
                             static_cast<std::ptrdiff_t>(l.prefix_choices + l.cycle_choices));
        s.cycle_start = l.prefix_choices;
        if (l.cycle_choices == 0) {
            s.cycle_start.reset();  // a cycle without choices: the prefix alone leads into it
        }
        const std::string text = encode_schedule(s);
        const Schedule claimed = decode_schedule(text);
        ReplayStrategy replay(claimed);
        Outcome again = run_execution(program, replay, 0, replay_config(config, claimed));
        if (!shows(again, target) || !replay.error().empty()) {
            return std::nullopt;
        }
        m.outcome = std::move(again);
        m.schedule = text;
        m.steps = m.outcome.steps;
        m.total_steps = m.outcome.steps;
        m.preemptions = count_preemptions(m.outcome);
        m.executions = 1;
        return m;
    }

    // Whether the search may run one more execution; asked only when it has one to run, so
    // that `stopped` says the budget (or the hook) cut it short.
    std::uint64_t spent = 0;
    auto more = [&] {
        if (m.stopped == MinimizeStop::none) {
            if (spent >= mc.budget) {
                m.stopped = MinimizeStop::budget;
            } else if (mc.stop && mc.stop()) {
                m.stopped = MinimizeStop::hook;
            }
        }
        return m.stopped == MinimizeStop::none;
    };
    auto ran = [&] {
        ++spent;
        if (mc.progress) {
            mc.progress(spent);
        }
    };

    // 1. Fewest preemptions: bounded depth-first searches with bound 0, 1, 2, ... The first
    // bound with the violation is searched on (within the budget) for its shortest execution.
    Outcome best = original;
    const unsigned top = std::min(mc.max_preemptions, m.original_preemptions);
    bool found = false;
    // Its share of the budget: a rare violation (a forever actor makes the bounded trees deep)
    // must not leave delta debugging, which usually does most of the work, nothing.
    const std::uint64_t share = std::min(mc.dfs_budget, mc.budget);
    for (unsigned k = 0; k < top && !found && spent < share && more(); ++k) {
        DfsStrategy dfs(k);
        do {
            Outcome o = run_execution(program, dfs, 0, quiet);
            ran();
            if (shows(o, target) && (!found || o.steps < best.steps)) {
                best = std::move(o);
                found = true;
            }
        } while (spent < share && dfs.advance() && more());
    }

    // 2. Delta debugging over the deviations from the non-preemptive scheduler.
    auto dev = deviations(best);
    std::vector<std::pair<std::size_t, std::uint32_t>> items(dev.begin(), dev.end());
    auto test = [&](const std::vector<std::pair<std::size_t, std::uint32_t>>& keep) {
        DeviationStrategy s({keep.begin(), keep.end()});
        Outcome o = run_execution(program, s, 0, quiet);
        ran();
        return shows(o, target);
    };
    std::size_t chunks = 2;
    while (items.size() >= 2 && more()) {
        const std::size_t size = (items.size() + chunks - 1) / chunks;
        bool reduced = false;
        for (std::size_t start = 0; start < items.size() && more(); start += size) {
            std::vector<std::pair<std::size_t, std::uint32_t>> rest;
            for (std::size_t i = 0; i < items.size(); ++i) {
                if (i < start || i >= start + size) {
                    rest.push_back(items[i]);
                }
            }
            if (test(rest)) {
                items = std::move(rest);
                chunks = std::max<std::size_t>(chunks - 1, 2);
                reduced = true;
                break;
            }
        }
        if (!reduced) {
            if (m.stopped != MinimizeStop::none || chunks >= items.size()) {
                break;
            }
            chunks = std::min(items.size(), chunks * 2);
        }
    }
    if (items.size() == 1 && more() && test({})) {
        items.clear();
    }

    // The execution so far, with its trace.
    ExecutionConfig traced = config;
    traced.record_trace = true;
    DeviationStrategy final_strategy({items.begin(), items.end()});
    Outcome fin = run_execution(program, final_strategy, 0, traced);
    ran();
    if (!shows(fin, target)) {
        ReplayStrategy as_found(original.schedule);
        fin = run_execution(program, as_found, 0, traced);
        ran();
        if (!shows(fin, target)) {
            return std::nullopt;
        }
    }

    // 3. Steps that do not affect the violation: only the steps that happen before the
    // violating one must precede it; the others can move after it, where they cannot change it.
    // Tried first for every such step, then for the actors with no step that matters (moving
    // a step of an involved actor can cost a preemption). Kept when the reordered execution
    // shows the violation in fewer steps, with no more preemptions.
    const long t = violation_step(fin, program, target);
    if (mc.cut && t >= 0) {
        const auto cone = causal_cone(fin.trace, static_cast<std::size_t>(t));
        std::vector<bool> involved(program.actors().size(), false);
        for (std::size_t i = 0; i < cone.size(); ++i) {
            if (cone[i]) {
                involved[fin.trace[i].actor] = true;
            }
        }
        std::vector<std::deque<std::uint32_t>> data(program.actors().size());
        for (const auto& c : fin.choices) {
            if (c.data && c.current < data.size()) {
                data[c.current].push_back(c.value);
            }
        }
        for (const bool whole_actors : {false, true}) {
            auto first = [&](std::size_t i) {
                return whole_actors ? involved[fin.trace[i].actor] : cone[i];
            };
            std::vector<ActorId> order;
            for (std::size_t i = 0; i < fin.trace.size(); ++i) {
                if (first(i)) {
                    order.push_back(fin.trace[i].actor);
                }
            }
            if (order.size() == fin.trace.size() || order.size() > static_cast<std::size_t>(t)) {
                continue;  // nothing before the violation moves
            }
            if (!more()) {
                break;
            }
            for (std::size_t i = 0; i < fin.trace.size(); ++i) {
                if (!first(i)) {
                    order.push_back(fin.trace[i].actor);
                }
            }
            StepOrderStrategy cut(std::move(order), data);
            Outcome o = run_execution(program, cut, 0, traced);
            ran();
            const long ot = violation_step(o, program, target);
            if (shows(o, target) && ot >= 0 && ot < t &&
                count_preemptions(o) <= count_preemptions(fin)) {
                fin = std::move(o);
                break;
            }
        }
    }

    // Checked, not assumed: the schedule, as printed, replays the same execution.
    const std::string text = encode_schedule(fin.schedule);
    ReplayStrategy check(decode_schedule(text));
    const Outcome again = run_execution(program, check, 0, traced);
    ran();
    if (!shows(again, target) || again.trace_hash != fin.trace_hash || !check.error().empty()) {
        return std::nullopt;
    }
    m.outcome = std::move(fin);
    m.schedule = text;
    m.steps = static_cast<std::uint64_t>(violation_step(m.outcome, program, target) + 1);
    m.total_steps = m.outcome.steps;
    m.preemptions = count_preemptions(m.outcome);
    m.executions = spent;
    return m;
}

}  // namespace pfnsim::sim
