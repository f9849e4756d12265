#include <fmt/format.h>

#include <algorithm>

#include "cli/render.hpp"
#include "pfnsim/app/error.hpp"
#include "pfnsim/app/provenance.hpp"
#include "pfnsim/sim/minimize.hpp"
#include "pfnsim/sim/text.hpp"
#include "pfnsim/sim/trace.hpp"

namespace pfnsim::cli {

using nlohmann::json;

namespace {

std::string hex(std::uint64_t v) {
    return fmt::format("{:016x}", v);
}

json results_json(const std::vector<std::map<std::string, std::uint64_t>>& results,
                  const std::vector<std::string>& actors) {
    json j = json::object();
    for (std::size_t a = 0; a < actors.size() && a < results.size(); ++a) {
        json r = json::object();
        for (const auto& [k, n] : results[a]) {
            r[k] = n;
        }
        j[actors[a]] = r;
    }
    return j;
}

void provenance(json& j, const app::Plan& plan) {
    j["version"] = app::version_line();
    j["scenario"] = plan.scenario.name;
    j["file"] = sim::escape_name(plan.file());
    j["scenario_hash"] = plan.scenario_hash;
    j["policy"] = plan.policy.name();
    if (!plan.kernel.empty()) {
        j["kernel"] = app::kernel_words(plan.kernel);
    }
    j["step_bound"] = plan.exec.step_bound;
    j["faults"] = plan.exec.max_faults ? json(*plan.exec.max_faults) : json("scenario");
}

}  // namespace

json finding_json(const app::Finding& f, const std::vector<std::string>& actors) {
    const sim::Witness& w = f.witness;
    json v = {{"kind", sim::kind_name(w.violation.kind)},
              {"actor", w.violation.actor},
              {"detail", w.violation.detail},
              // A string: common JSON tools round integers above 2^53.
              {"seed", w.seed ? json(std::to_string(*w.seed)) : json(nullptr)},
              {"schedule", f.schedule},
              {"count", w.count},
              {"steps", w.steps},
              {"preemptions", w.preemptions},
              {"faults", w.faults},
              {"trace_hash", hex(w.trace_hash)},
              {"replay", f.replay}};
    if (w.lasso) {
        v.update(app::lasso_json(*w.lasso, actors));
    } else if (w.violation.kind == sim::ViolationKind::StepBound) {
        v["proof"] = "none";
    }
    if (f.minimized) {
        const auto& m = *f.minimized;
        v["minimized"] = {
            {"schedule", f.minimized_schedule},
            {"steps", m.steps},
            {"total_steps", m.total_steps},
            {"preemptions", m.preemptions},
            {"original_steps", m.original_steps},
            {"original_preemptions", m.original_preemptions},
            {"trace_hash", hex(m.outcome.trace_hash)},
            {"replay", f.minimized_replay},
            {"diagram", f.diagram},
            {"executions", m.executions},
            {"budget", f.minimize_budget},
            // "budget", "time" or "interrupted" when it stopped before it was done
            {"stopped", f.minimize_stopped.empty() ? json(nullptr) : json(f.minimize_stopped)}};
    }
    return v;
}

json explore_json(const app::Result& r) {
    json j;
    j["command"] = "explore";
    provenance(j, r.plan);
    j["strategy"] = std::string(sim::traits(r.strategy).label);
    if (r.strategy == sim::StrategyKind::Pct) {
        j["depth"] = r.pct_depth;
        j["pct_steps"] = r.pct_steps;
    }
    if (r.certified()) {
        j["certified"] = true;
        j["certificate"] = r.certificate->line();
        j["states"] = r.certificate->totals.states;
        j["transitions"] = r.certificate->totals.transitions;
    } else {
        j["seed"] = std::to_string(r.plan.seed);
    }
    if (!r.fallback.empty()) {
        j["fallback"] = r.fallback;  // why it is not certified
    }
    j["decided"] = r.decided();  // certified, bounded, sampled
    j["executions"] = r.tally().executions;
    j["steps"] = r.tally().steps;
    if (r.iterations != 0) {
        j["iterations"] = r.iterations;
        j["interrupted"] = r.report.interrupted;  // by SIGINT: the findings so far (exit 3)
    }
    j["verdict"] = r.verdict.name();
    j["verdict_class"] = r.verdict.full();
    j["also"] = r.verdict.also;  // every other class found, most severe first
    if (!r.expected.empty()) {
        j["expected"] = r.expected;
    }
    j["results"] = results_json(r.tally().results, r.actors);
    json vs = json::array();
    for (const auto& f : r.findings) {
        vs.push_back(finding_json(f, r.actors));
    }
    j["violations"] = vs;
    j["lock_order"] = lock_order_json(r.lock_order);
    return j;
}

json run_json(const app::Result& r) {
    const app::Run& run = r.run.value();
    const sim::Outcome& out = run.outcome;
    json j;
    j["command"] = run.by_seed ? "run" : "replay";
    provenance(j, r.plan);
    j["executions"] = 1;
    j["steps"] = out.steps;
    j["seed"] = run.by_seed ? json(std::to_string(out.seed)) : json(nullptr);
    j["schedule"] = run.schedule;
    j["status"] = sim::status_name(out.status);
    j["trace_hash"] = hex(out.trace_hash);
    j["preemptions"] = sim::count_preemptions(out);
    j["verdict"] = r.verdict.name();
    j["verdict_class"] = r.verdict.full();
    if (!r.expected.empty()) {
        j["expected"] = r.expected;
    }
    j["replay"] = run.replay;
    json results = json::object();
    for (std::size_t a = 0; a < out.results.size(); ++a) {
        results[r.actors[a]] = out.results[a];
    }
    j["results"] = results;
    json trace = json::array();
    auto program = r.plan.program();
    for (const auto& st : out.trace) {
        trace.push_back({{"actor", r.actors[st.actor]},
                         {"func", st.func.text},
                         {"op", sim::op_name(st.op)},
                         {"object", program->objects().name(st.object)},
                         {"effect", sim::render_effect(st)},
                         {"stack", sim::call_chain(out, st)},
                         {"at", sim::step_location(out, st)}});
    }
    j["trace"] = trace;
    json vs = json::array();
    for (const auto& f : r.findings) {
        vs.push_back(finding_json(f, r.actors));
    }
    j["violations"] = vs;
    j["lock_order"] = lock_order_json(r.lock_order);
    return j;
}

json sweep_json(const app::Result& r) {
    if (r.certificate->shard) {
        return app::certificate_json(r, true);  // a shard file: sealed, as merge reads it
    }
    json j = app::certificate_json(r, false);
    j["decided"] = r.decided();
    j["verdict_class"] = r.verdict.full();
    j["also"] = r.verdict.also;
    j["lock_order"] = lock_order_json(r.lock_order);
    return j;
}

json stats_json(const app::Plan& plan, const std::vector<app::PolicyStats>& st) {
    json j;
    j["command"] = "stats";
    provenance(j, plan);
    j.erase("policy");
    j["seed"] = std::to_string(plan.seed);
    json ps = json::array();
    for (const auto& s : st) {
        std::vector<std::uint64_t> sorted = s.retries;
        std::sort(sorted.begin(), sorted.end());
        std::uint64_t sum = 0;
        for (auto v : sorted) {
            sum += v;
        }
        json p = {
            {"policy", s.policy},
            {"actor", plan.scenario.actors.at(0).name},
            {"executions", s.executions},
            {"retries_mean",
             sorted.empty() ? 0.0 : static_cast<double>(sum) / static_cast<double>(sorted.size())},
            {"retries_max", sorted.empty() ? 0 : sorted.back()},
            {"retries_max_seed", std::to_string(s.max_seed)},
            {"replay", s.max_replay}};
        json res = json::object();
        for (const auto& [k, n] : s.results) {
            res[k] = n;
        }
        p["results"] = res;
        ps.push_back(p);
    }
    j["policies"] = ps;
    return j;
}

json matrix_json(const app::Matrix& m) {
    json j;
    j["command"] = "matrix";
    j["version"] = app::version_line();
    json cells = json::array();
    for (const auto& row : m.cells) {
        for (const auto& c : row) {
            json cj = explore_json(c);
            cj.erase("lock_order");  // a cell's verdict says it; the graph is explore's
            const model::Scenario& sc = c.plan.scenario;
            cj["label"] = sc.label;
            cj["preempt"] = model::preempt_name(sc.preempt);  // the model the cell ran under
            if (!sc.matrix_caller.empty()) {                  // where the patchset view puts it
                cj["matrix"] = {{"caller", sc.matrix_caller},
                                {"race", sc.matrix_race},
                                {"api", sc.follow_errno ? model::follow_errno_name(*sc.follow_errno)
                                                        : "unset"}};
            }
            cj["expected"] = c.expected.empty() ? "clean" : c.expected;
            cj["as_expected"] = c.as_expected;
            // The cell's livelock against today's kernel (original): "today", "keeps",
            // "adds", "removes", or null when neither has one (or the file has no original cell).
            cj["livelock_vs_original"] =
                c.livelock_vs_original.empty() ? json(nullptr) : json(c.livelock_vs_original);
            cells.push_back(std::move(cj));
        }
    }
    j["cells"] = cells;
    j["complete"] = std::all_of(m.cells.begin(), m.cells.end(), [](const auto& row) {
        return std::all_of(row.begin(), row.end(), [](const auto& c) { return c.certified(); });
    });
    return j;
}

json check_json(const std::vector<app::CheckedFile>& files) {
    json j;
    j["command"] = "check";
    j["version"] = app::version_line();
    json fs = json::array();
    for (const auto& f : files) {
        json fj = {{"file", sim::escape_name(f.file)}, {"ok", f.ok()}};
        if (!f.variant.empty()) {
            fj["variant"] = f.variant;
        }
        if (!f.scenario_hash.empty()) {
            fj["scenario_hash"] = f.scenario_hash;
        }
        if (!f.error.empty()) {
            fj["error"] = app::one_line(f.error);
            fj["error_kind"] = f.internal ? "search-failed" : "bad-input";
        } else {
            fj["decided"] = decided_of(f);
        }
        json cells = json::array();
        for (std::size_t i = 0; i < f.cells.size(); ++i) {
            json cj = explore_json(f.cells[i]);
            cj.erase("lock_order");
            cj["expected"] = f.cells[i].expected.empty() ? "clean" : f.cells[i].expected;
            cj["ok"] = f.cells[i].as_expected;
            cells.push_back(cj);
        }
        fj["cells"] = cells;
        fs.push_back(fj);
    }
    j["files"] = fs;
    return j;
}

}  // namespace pfnsim::cli
