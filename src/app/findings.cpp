#include "pfnsim/app/findings.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>

#include "pfnsim/sim/diagram.hpp"
#include "pfnsim/sim/schedule.hpp"
#include "pfnsim/sim/self_check.hpp"

namespace pfnsim::app {

std::string MinimizeBudget::text() const {
    return seconds > 0 ? fmt::format("{:g} s", seconds)
                       : fmt::format("{} execution{}", executions, executions == 1 ? "" : "s");
}

std::string Verdict::name() const {
    return kind ? sim::kind_name(*kind) : "clean";
}

std::string Verdict::full() const {
    if (kind == sim::ViolationKind::Livelock && lasso) {
        return fmt::format("livelock ({}, {})", lasso->killable ? "killable" : "unkillable",
                           lasso->yielding ? "yielding" : "spinning");
    }
    return name();
}

Verdict verdict_of(const std::vector<sim::Witness>& ws) {
    Verdict v;
    for (const auto& w : ws) {
        if (!v.kind || sim::severity(w.violation.kind) > sim::severity(*v.kind)) {
            v.kind = w.violation.kind;
            v.lasso.reset();
        }
        if (w.violation.kind == *v.kind && w.lasso && !v.lasso) {
            v.lasso = w.lasso;
        }
    }
    return v;
}

std::string expected_for(const model::Scenario& sc, const model::Policy& p) {
    auto it = sc.expect_policies.find(p.name());
    if (it != sc.expect_policies.end()) {
        return it->second;
    }
    if (p == sc.policy) {
        return sc.expect_verdict;
    }
    return {};
}

bool meets(const Verdict& v, const std::string& expected) {
    const std::string want = expected.empty() ? "clean" : expected;
    return v.name() == want || v.full() == want;
}

bool unexpected(const std::vector<sim::Witness>& ws, const std::string& expected) {
    const std::string word = expected.substr(0, expected.find(' '));
    const std::optional<sim::ViolationKind> kind = sim::parse_kind(word);
    for (const auto& w : ws) {
        // A new errno beside a more severe expected verdict is shown, not a surprise.
        const bool lesser = w.violation.kind == sim::ViolationKind::NewErrno && kind &&
                            sim::severity(*kind) > sim::severity(w.violation.kind);
        if (!lesser && (!kind || w.violation.kind != *kind)) {
            return true;
        }
    }
    return false;
}

std::string schedule_text(const Plan& plan, sim::Schedule s) {
    s.key = plan.schedule_key();
    return sim::encode_schedule(s);
}

namespace {
// The scenario path as a shell word: quoted when it holds anything but [A-Za-z0-9_./+:-].
std::string shell_word(const std::string& s) {
    const bool plain = !s.empty() && s.find_first_not_of(
                                         "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                         "0123456789_./+:-") == std::string::npos;
    if (plain) {
        return s;
    }
    std::string q = "'";
    for (char c : s) {
        q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    }
    return q + "'";
}

std::string replay_options(const Plan& plan) {
    std::string o = fmt::format(" --policy {}", plan.policy.name());
    if (plan.step_bound_given) {
        o += fmt::format(" --step-bound {}", plan.exec.step_bound);
    }
    if (plan.exec.max_faults) {
        o += fmt::format(" --faults {}", *plan.exec.max_faults);
    }
    return o + kernel_options_text(plan.kernel);
}
}  // namespace

std::string replay_command(const Plan& plan, const sim::Schedule& s) {
    return fmt::format("pfnsim replay {}{} --schedule {}", shell_word(plan.file()),
                       replay_options(plan), schedule_text(plan, s));
}

std::string replay_command(const Plan& plan, const sim::Witness& w, bool by_seed) {
    // `replay --seed` replays under the random strategy; other strategies' seeds do not carry.
    if (by_seed && w.seed && sim::traits(plan.strategy).seed_replays) {
        return fmt::format("pfnsim replay {}{} --seed {}", shell_word(plan.file()),
                           replay_options(plan), *w.seed);
    }
    return replay_command(plan, w.schedule);
}

std::vector<Finding> process_witnesses(const Plan& plan, const std::vector<sim::Witness>& ws,
                                       const FindingOptions& opt) {
    std::vector<Finding> out;
    auto program = plan.program();
    const sim::ExecutionConfig& exec = plan.exec;
    const bool seed_replays = sim::traits(plan.strategy).seed_replays;
    // Built only when a witness's seed replays it under the plan's strategy.
    const std::unique_ptr<sim::Strategy> by_seed =
        seed_replays ? make_strategy(plan, *program) : nullptr;
    for (const auto& w : ws) {
        Finding f;
        f.witness = w;
        f.schedule = schedule_text(plan, w.schedule);
        f.replay = replay_command(plan, w, seed_replays);
        if (w.violation.kind == sim::ViolationKind::Nondeterminism ||
            w.violation.kind == sim::ViolationKind::StateMismatch) {
            out.push_back(std::move(f));  // reports of the tool's own checks: nothing to replay
            continue;
        }
        // The determinism self-check: the schedule, and the seed where it replays, must give
        // the trace hash the witness was found with.
        const sim::SelfCheck check =
            sim::self_check(*program, exec, w.schedule, w.trace_hash, by_seed.get(), w.seed);
        const sim::Outcome& again = check.again;
        const std::string& diff = check.diff;
        f.witness.trace_hash = again.trace_hash;
        if (!diff.empty()) {
            sim::Witness nd = w;
            nd.violation = {sim::ViolationKind::Nondeterminism, w.violation.actor, diff};
            out.push_back(std::move(f));
            Finding g;
            g.witness = nd;
            g.schedule = schedule_text(plan, nd.schedule);
            g.replay = out.back().replay;
            out.push_back(std::move(g));
            continue;
        }
        if (opt.minimize) {
            sim::MinimizeConfig mc = opt.minimize_config;
            const unsigned seen = opt.interrupts != nullptr ? opt.interrupts->load() : 0;
            // The only clock in the pipeline: a time budget decides when minimisation stops,
            // never what an execution does; the report says the witness depends on it.
            using clock = std::chrono::steady_clock;
            const auto deadline =
                clock::now() + std::chrono::duration_cast<clock::duration>(
                                   std::chrono::duration<double>(opt.budget.seconds));
            mc.budget = opt.budget.seconds > 0 ? ~std::uint64_t{0} : opt.budget.executions;
            mc.dfs_budget = opt.budget.seconds > 0 ? sim::kDefaultMinimizeBudget / 5
                                                   : std::max<std::uint64_t>(mc.budget / 5, 1);
            bool timed_out = false;
            mc.stop = [&] {
                if (opt.interrupts != nullptr && opt.interrupts->load() > seen) {
                    return true;
                }
                timed_out = opt.budget.seconds > 0 && clock::now() >= deadline;
                return timed_out;
            };
            const auto index = static_cast<std::size_t>(&w - ws.data()) + 1;
            if (opt.progress) {
                mc.progress = [&](std::uint64_t spent) { opt.progress(index, ws.size(), spent); };
            }
            f.minimized = sim::minimize(*program, again, w.violation, exec, mc);
            f.minimize_budget = opt.budget.text();
            if (f.minimized && f.minimized->stopped != sim::MinimizeStop::none) {
                f.minimize_stopped = f.minimized->stopped == sim::MinimizeStop::budget ? "budget"
                                     : timed_out                                       ? "time"
                                                 : "interrupted";
            }
            if (f.minimized) {
                const sim::Schedule ms = sim::decode_schedule(f.minimized->schedule);
                f.minimized_schedule = schedule_text(plan, ms);
                f.minimized_replay = replay_command(plan, ms);
                f.diagram = sim::render_diagram(f.minimized->outcome, *program, w.violation,
                                                f.minimized_replay);
            }
        }
        out.push_back(std::move(f));
    }
    return out;
}

}  // namespace pfnsim::app
