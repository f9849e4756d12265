#include "pfnsim/app/findings.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <set>

#include "pfnsim/sim/diagram.hpp"
#include "pfnsim/sim/schedule.hpp"
#include "pfnsim/sim/self_check.hpp"
#include "pfnsim/sim/text.hpp"

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
        return model::Expectation{kind, model::livelock_class(*lasso)}.name();
    }
    return name();
}

std::string Verdict::all() const {
    std::string s = full();
    for (const auto& a : also) {
        s += ", " + a;
    }
    return s;
}

namespace {
// One class: a kind, and for a livelock the class of the first lasso that shows it.
Verdict class_of(const std::vector<sim::Witness>& ws, sim::ViolationKind k) {
    Verdict v;
    v.kind = k;
    for (const auto& w : ws) {
        if (w.violation.kind == k && w.lasso) {
            v.lasso = w.lasso;
            break;
        }
    }
    return v;
}
}  // namespace

Verdict verdict_of(const std::vector<sim::Witness>& ws) {
    std::vector<sim::ViolationKind> kinds;
    for (const auto& w : ws) {
        if (std::find(kinds.begin(), kinds.end(), w.violation.kind) == kinds.end()) {
            kinds.push_back(w.violation.kind);
        }
    }
    // Most severe first; kinds of equal severity in the order found.
    std::stable_sort(kinds.begin(), kinds.end(),
                     [](auto a, auto b) { return sim::severity(a) > sim::severity(b); });
    if (kinds.empty()) {
        return {};
    }
    Verdict v = class_of(ws, kinds.front());
    for (std::size_t i = 1; i < kinds.size(); ++i) {
        v.also.push_back(class_of(ws, kinds[i]).full());
    }
    return v;
}

std::optional<model::Expectation> expectation_for(const model::Scenario& sc,
                                                  const model::Policy& p) {
    auto it = sc.expect_policies.find(p.name());
    if (it != sc.expect_policies.end()) {
        return it->second;
    }
    if (p == sc.policy) {
        return sc.expect_verdict;
    }
    return std::nullopt;
}

std::string expected_for(const model::Scenario& sc, const model::Policy& p) {
    const auto e = expectation_for(sc, p);
    return e ? e->name() : std::string();
}

namespace {
// A result's expectation as it carries it ("" expects clean); text that names none is never met.
std::optional<model::Expectation> expectation_named(const std::string& expected) {
    return expected.empty() ? model::Expectation{} : model::parse_expectation(expected);
}
}  // namespace

bool meets(const Verdict& v, const std::string& expected) {
    const auto want = expectation_named(expected);
    std::optional<model::LivelockClass> cls;
    if (v.lasso) {
        cls = model::livelock_class(*v.lasso);
    }
    return want && want->met_by(v.kind, cls);
}

bool unexpected(const std::vector<sim::Witness>& ws, const std::string& expected) {
    const auto want = expectation_named(expected);
    const std::optional<sim::ViolationKind> kind = want ? want->kind : std::nullopt;
    // -1: clean (or nothing) expected.
    const int expected_kind = kind ? static_cast<int>(*kind) : -1;
    for (const auto& w : ws) {
        const sim::ViolationKind k = w.violation.kind;
        // A new errno beside a more severe expected verdict is shown, not a surprise; so is a
        // lock order (a deadlock, say, shows the order that makes it).
        const bool lesser =
            (k == sim::ViolationKind::NewErrno || k == sim::ViolationKind::LockOrder) &&
            expected_kind > sim::severity(k);
        if (!lesser && static_cast<int>(k) != expected_kind) {
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
// A word of a printed command (a path, a lasso schedule's parentheses): quoted when it holds
// anything but [A-Za-z0-9_./+:-].
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
    return fmt::format("pfnsim replay {}{} --schedule {}", sim::shell_word(plan.file()),
                       replay_options(plan), sim::shell_word(schedule_text(plan, s)));
}

std::string replay_command(const Plan& plan, const sim::Witness& w, bool by_seed) {
    // `replay --seed` replays under the random strategy; other strategies' seeds do not carry.
    if (by_seed && w.seed && sim::traits(plan.strategy).seed_replays) {
        return fmt::format("pfnsim replay {}{} --seed {}", sim::shell_word(plan.file()),
                           replay_options(plan), *w.seed);
    }
    return replay_command(plan, w.schedule);
}

LockOrderView lock_order_view(const Plan& plan, const sim::LockGraph& g) {
    LockOrderView v;
    auto program = plan.program();
    std::set<sim::LockNode> nodes;
    for (const auto& [k, e] : g.edges) {
        LockOrderEdge x;
        x.key = k;
        x.info = e;
        const sim::LockEdgeChains c = sim::lock_edge_chains(*program, plan.exec, k, e.schedule);
        x.acquire = c.acquire;
        x.held = c.held;
        x.schedule = schedule_text(plan, e.schedule);
        x.replay = replay_command(plan, sim::LockGraph::witness_of(k, e),
                                  sim::traits(plan.strategy).seed_replays);
        v.edges.push_back(std::move(x));
        nodes.insert(k.from);
        nodes.insert(k.to);
    }
    v.classes = nodes.size();
    v.graph = g;
    for (const sim::LockReport& r : sim::lock_reports(g)) {
        LockOrderReport lr;
        lr.report = r;
        lr.violation = r.violation();
        for (const auto& k : r.edges) {
            const auto at = std::find_if(v.edges.begin(), v.edges.end(),
                                         [&](const LockOrderEdge& e) { return e.key == k; });
            lr.edges.push_back(static_cast<std::size_t>(at - v.edges.begin()));
        }
        v.reports.push_back(std::move(lr));
    }
    return v;
}

std::string lock_order_dot(const Plan& plan, const LockOrderView& v) {
    std::vector<sim::LockReport> reports;
    for (const auto& r : v.reports) {
        reports.push_back(r.report);
    }
    return sim::lock_graph_dot(
        v.graph, reports,
        fmt::format("{} ({}): lock order", plan.scenario.name, plan.policy.name()));
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
        // A lock order is the union of executions, not something one of them shows: its
        // witness is an edge's execution, replay-checked above, with nothing to minimise.
        if (opt.minimize && w.violation.kind != sim::ViolationKind::LockOrder) {
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
