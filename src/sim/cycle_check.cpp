#include "sim/cycle_check.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace pfnsim::sim::detail {

void SampleTable::clear() {
    size_ = 0;
    if (++gen_ == 0) {  // wrapped: forget every stamp
        for (auto& s : slots_) {
            s.gen = 0;
        }
        gen_ = 1;
    }
}

std::pair<Sample*, bool> SampleTable::try_emplace(std::uint64_t key, Sample value) {
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

SampleTable::Slot* SampleTable::find(std::uint64_t key) {
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = (key ^ (key >> 32U)) & mask;; i = (i + 1) & mask) {
        Slot& s = slots_[i];
        if (s.gen != gen_ || s.key == key) {
            return &s;
        }
    }
}

void SampleTable::grow() {
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

void CycleDetector::clear() {
    samples_.clear();
    steps_.clear();
    postponed_.clear();
    check_from_.reset();
    check_state_ = 0;
    check_seen_.clear();
}

void CycleDetector::swap(CycleDetector& o) noexcept {
    samples_.swap(o.samples_);
    steps_.swap(o.steps_);
    postponed_.swap(o.postponed_);
    std::swap(check_from_, o.check_from_);
    std::swap(check_state_, o.check_state_);
    check_seen_.swap(o.check_seen_);
}

// The steps since `from` repeat from the same state. Returns the lasso when the cycle is fair
// (every actor enabled throughout it takes a step) and some actor not marked forever takes
// steps in it without finishing.
std::optional<Lasso> CycleDetector::fair_cycle(const Sample& from, const CycleView& v) const {
    const std::uint64_t to = v.steps;
    if (to <= from.step) {
        return std::nullopt;
    }
    std::uint32_t always_enabled = ~0U;
    std::uint32_t stepped = 0;
    for (std::uint64_t i = from.step; i < to; ++i) {
        always_enabled &= steps_[i].enabled;
        stepped |= 1U << steps_[i].actor;
    }
    if ((always_enabled & ~stepped) != 0) {
        return std::nullopt;  // unfair: someone could run and never does
    }
    // A weakly fair event put off inside the cycle: after its first step, up to the sample
    // that closes it (an event put off at the same step count as a sample precedes it).
    const auto put_off = std::upper_bound(postponed_.begin(), postponed_.end(), from.step);
    if (put_off != postponed_.end() && *put_off <= to) {
        return std::nullopt;  // unfair: it would have happened
    }
    const auto& decls = v.program->actors();
    const auto unfinished = [&](ActorId a) { return ((v.unfinished >> a) & 1U) != 0; };
    Lasso l;
    l.prefix_steps = from.step;
    l.cycle_steps = to - from.step;
    l.prefix_choices = from.choices;
    l.cycle_choices = v.choices - from.choices;
    for (ActorId a = 0; a < decls.size(); ++a) {
        if ((stepped & (1U << a)) != 0 && !decls[a].forever && unfinished(a)) {
            l.stuck.push_back(a);
        }
    }
    if (l.stuck.empty()) {
        // Nobody that must finish takes a step: one that waits throughout is stuck as well.
        for (ActorId a = 0; a < decls.size(); ++a) {
            if (!decls[a].forever && unfinished(a)) {
                l.stuck.push_back(a);
            }
        }
    }
    if (l.stuck.empty()) {
        return std::nullopt;
    }
    const auto is_stuck = [&](ActorId a) {
        return std::find(l.stuck.begin(), l.stuck.end(), a) != l.stuck.end();
    };
    for (std::uint64_t i = from.step; i < to; ++i) {
        const StepInfo& si = steps_[i];
        if (!is_stuck(si.actor)) {
            continue;
        }
        Step st;
        st.actor = si.actor;
        st.op = si.op;
        st.object = si.object;
        l.killable = l.killable || v.program->is_kill_check(si.actor, st);
        l.yielding = l.yielding || (si.op == Op::Yield && !si.voluntary) || si.slept;
        l.voluntary = l.voluntary || si.voluntary;
        l.preemptible = l.preemptible || !si.atomic;
    }
    // Each lock once, in the order first held; with several stuck actors, who holds it (two
    // readers of one rwsem are one entry, not two).
    std::vector<std::pair<std::string, std::string>> held;  // "object (mode", holders
    for (const auto& h : *v.held) {
        if (!is_stuck(h.holder)) {
            continue;
        }
        const std::string lock = fmt::format("{} ({}", v.program->objects().name(h.object), h.mode);
        const std::string& who = v.program->actors()[h.holder].name;
        auto it =
            std::find_if(held.begin(), held.end(), [&](const auto& e) { return e.first == lock; });
        if (it == held.end()) {
            held.emplace_back(lock, who);
        } else if (it->second != who) {
            it->second += ", " + who;
        }
    }
    for (const auto& [lock, who] : held) {
        l.locks_held.push_back(l.stuck.size() > 1 ? fmt::format("{} by {})", lock, who)
                                                  : lock + ")");
    }
    return l;
}

Violation CycleDetector::livelock(const Lasso& l, const std::vector<ActorDecl>& decls) const {
    std::string stuck;
    bool steps = false;
    for (ActorId a : l.stuck) {
        stuck += stuck.empty() ? decls[a].name : ", " + decls[a].name;
    }
    for (std::uint64_t i = l.prefix_steps; i < l.prefix_steps + l.cycle_steps; ++i) {
        steps =
            steps || std::find(l.stuck.begin(), l.stuck.end(), steps_[i].actor) != l.stuck.end();
    }
    // Where it yields, in the core's terms (the program names the configurations): at an
    // unconditional point, only at voluntary points, anywhere outside an atomic section, never.
    const char* where = l.yielding      ? "yielding"
                        : l.voluntary   ? "voluntary"
                        : l.preemptible ? "preemptible"
                                        : "atomic";
    std::string detail = steps ? fmt::format("{} loops for ever ({}, {})", stuck,
                                             l.killable ? "killable" : "unkillable", where)
                               : fmt::format("{} waits for ever while the others loop", stuck);
    return {ViolationKind::Livelock, stuck, std::move(detail)};
}

CycleDetector::Repeat CycleDetector::at_loop_head(std::uint64_t h, const CycleView& v) {
    const Sample now{v.steps, v.choices};
    auto [seen, inserted] = samples_.try_emplace(h, now);
    if (inserted) {
        return {};
    }
    Repeat r;
    r.seen = true;
    r.lasso = fair_cycle(*seen, v);
    *seen = now;
    return r;
}

// With choices in the cycle, the states where its first choice is made in two rounds are
// compared; without, every state after the prefix is, and the first repeat closes the cycle.
bool CycleDetector::check_compares(const CycleCheck& cc, std::size_t choices,
                                   std::uint32_t options) {
    if (cc.cycle_choices == 0) {
        return choices == cc.prefix_choices;
    }
    return options >= 2 &&
           (choices == cc.prefix_choices || choices == cc.prefix_choices + cc.cycle_choices);
}

std::optional<Lasso> CycleDetector::check(const CycleCheck& cc, std::uint64_t h,
                                          const CycleView& v) {
    const Sample now{v.steps, v.choices};
    if (cc.cycle_choices == 0) {
        const auto [it, fresh] = check_seen_.try_emplace(h, now);
        if (!fresh) {
            if (std::optional<Lasso> l = fair_cycle(it->second, v)) {
                return l;
            }
            it->second = now;
        }
        return std::nullopt;
    }
    if (v.choices == cc.prefix_choices) {
        check_from_ = now;
        check_state_ = h;
        return std::nullopt;
    }
    if (check_from_ && h == check_state_) {
        return fair_cycle(*check_from_, v);
    }
    return std::nullopt;  // not a lasso: the run goes on as the schedule says
}

}  // namespace pfnsim::sim::detail
