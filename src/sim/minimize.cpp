#include "pfnsim/sim/minimize.hpp"

#include <algorithm>
#include <map>

#include "pfnsim/sim/dfs_strategy.hpp"
#include "pfnsim/sim/replay_strategy.hpp"
#include "pfnsim/sim/schedule.hpp"

namespace pfnsim::sim {

namespace {

// Takes the recorded value at the listed choice indices and the non-preemptive choice
// elsewhere (the current actor if it can continue, else the lowest enabled; data value 0).
class DeviationStrategy final : public Strategy {
  public:
    explicit DeviationStrategy(std::map<std::size_t, std::uint32_t> dev) : dev_(std::move(dev)) {}
    void new_execution(std::uint64_t /*seed*/) override { index_ = 0; }
    ActorId choose_actor(std::span<const ActorId> enabled, ActorId current,
                         std::span<const NextStep> /*next*/) override {
        auto it = dev_.find(index_++);
        if (it != dev_.end() &&
            std::find(enabled.begin(), enabled.end(), it->second) != enabled.end()) {
            return it->second;
        }
        return std::find(enabled.begin(), enabled.end(), current) != enabled.end() ? current
                                                                                   : enabled[0];
    }
    std::uint32_t choose_value(std::uint32_t n, std::string_view /*what*/) override {
        auto it = dev_.find(index_++);
        return it != dev_.end() && it->second < n ? it->second : 0;
    }
    std::string name() const override { return "deviation"; }

  private:
    std::map<std::size_t, std::uint32_t> dev_;
    std::size_t index_ = 0;
};

bool shows(const Outcome& o, const Violation& v) {
    return std::any_of(o.violations.begin(), o.violations.end(),
                       [&](const Violation& w) { return same_violation(w, v); });
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

unsigned count_preemptions(const Outcome& o) {
    return static_cast<unsigned>(std::count_if(o.choices.begin(), o.choices.end(),
                                               [](const ChoiceRecord& c) { return c.preemption; }));
}

bool same_violation(const Violation& a, const Violation& b) {
    return a.kind == b.kind && a.actor == b.actor && a.detail == b.detail;
}

std::optional<Minimized> minimize(Program& program, const Outcome& original,
                                  const Violation& target, const ExecutionConfig& config,
                                  const MinimizeConfig& mc) {
    ExecutionConfig quiet = config;
    quiet.record_trace = false;
    Minimized m;
    m.original_steps = original.steps;
    m.original_preemptions = count_preemptions(original);

    // A livelock's witness is its lasso: the prefix, then the cycle for ever. It is its own
    // proof, so it is reported as found, written as a cyclic schedule and checked by replay.
    if (target.kind == "livelock" && original.lasso) {
        const Lasso& l = *original.lasso;
        Schedule s;
        s.choices.assign(original.schedule.choices.begin(),
                         original.schedule.choices.begin() +
                             static_cast<std::ptrdiff_t>(l.prefix_choices + l.cycle_choices));
        s.cycle_start = l.prefix_choices;
        if (l.cycle_choices == 0) {
            s.cycle_start.reset();  // a cycle without choices: the prefix alone leads into it
        }
        const std::string text = encode_schedule(s);
        ReplayStrategy replay(decode_schedule(text));
        Outcome again = run_execution(program, replay, 0, config);
        if (!shows(again, target) || !replay.error().empty()) {
            return std::nullopt;
        }
        m.outcome = std::move(again);
        m.schedule = text;
        m.steps = m.outcome.steps;
        m.preemptions = count_preemptions(m.outcome);
        m.executions = 1;
        return m;
    }

    // 1. Fewest preemptions: bounded depth-first searches with bound 0, 1, 2, ...
    Outcome best = original;
    std::uint64_t spent = 0;
    const unsigned top = std::min(mc.max_preemptions, m.original_preemptions);
    bool found = false;
    for (unsigned k = 0; k < top && !found && spent < mc.budget; ++k) {
        DfsStrategy dfs(k);
        do {
            Outcome o = run_execution(program, dfs, 0, quiet);
            ++spent;
            if (shows(o, target)) {
                best = std::move(o);
                found = true;
            }
        } while (!found && spent < mc.budget && dfs.advance());
    }

    // 2. Delta debugging over the deviations from the non-preemptive scheduler.
    auto dev = deviations(best);
    std::vector<std::pair<std::size_t, std::uint32_t>> items(dev.begin(), dev.end());
    auto test = [&](const std::vector<std::pair<std::size_t, std::uint32_t>>& keep) {
        DeviationStrategy s({keep.begin(), keep.end()});
        Outcome o = run_execution(program, s, 0, quiet);
        ++spent;
        return shows(o, target);
    };
    std::size_t chunks = 2;
    while (items.size() >= 2 && spent < mc.budget * 2) {
        const std::size_t size = (items.size() + chunks - 1) / chunks;
        bool reduced = false;
        for (std::size_t start = 0; start < items.size(); start += size) {
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
            if (chunks >= items.size()) {
                break;
            }
            chunks = std::min(items.size(), chunks * 2);
        }
    }
    if (items.size() == 1 && test({})) {
        items.clear();
    }

    // 3. The final execution, with its trace; then check that its schedule replays it.
    DeviationStrategy final_strategy({items.begin(), items.end()});
    Outcome fin = run_execution(program, final_strategy, 0, config);
    ++spent;
    if (!shows(fin, target)) {
        ReplayStrategy as_found(original.schedule);
        fin = run_execution(program, as_found, 0, config);
        if (!shows(fin, target)) {
            return std::nullopt;
        }
    }
    const std::string text = encode_schedule(fin.schedule);
    ReplayStrategy check(decode_schedule(text));
    const Outcome again = run_execution(program, check, 0, config);
    ++spent;
    if (!shows(again, target) || again.trace_hash != fin.trace_hash || !check.error().empty()) {
        return std::nullopt;
    }
    m.outcome = std::move(fin);
    m.schedule = text;
    m.steps = m.outcome.steps;
    m.preemptions = count_preemptions(m.outcome);
    m.executions = spent;
    return m;
}

}  // namespace pfnsim::sim
