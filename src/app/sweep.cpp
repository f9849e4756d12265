#include "pfnsim/app/sweep.hpp"

#include <fmt/format.h>

#include "pfnsim/app/envelope.hpp"
#include "pfnsim/app/error.hpp"
#include "pfnsim/app/files.hpp"
#include "pfnsim/app/provenance.hpp"
#include "pfnsim/sim/sweep_checkpoint.hpp"
#include "pfnsim/sim/text.hpp"

namespace pfnsim::app {

using nlohmann::json;

namespace {

// Points an audit follows past each state hit.
constexpr unsigned kAuditPoints = 8;

// A stateful sweep's checkpoint holds its state graph (about 20 bytes of base64 a state and
// 10 a transition): room for some tens of millions of states, still a bounded read.
constexpr std::uint64_t kStatefulStateCap = 1ULL << 30;

void add_findings(Result& r, const Plan& plan, bool minimize, const MinimizeBudget& budget,
                  const SweepHooks& hooks = {}) {
    FindingOptions opt;
    opt.minimize = minimize;
    opt.budget = budget;
    opt.progress = hooks.minimize_progress;
    r.findings = process_witnesses(plan, r.certificate->totals.violations, opt);
    r.lock_order = lock_order_view(plan, r.certificate->totals.lock_graph);
}

constexpr std::uint64_t kDiagnosisStates = 1'000'000;

}  // namespace

// After an unaudited stateful sweep found itself inconsistent: the same sweep audited, from
// scratch and within a budget of states, to name the objects whose states differed (an audit
// checks every state a replay passes and each successor of a state hit).
std::string audited_diagnosis(const sim::ProgramFactory& make, sim::SweepConfig cfg) {
    cfg.audit_points = kAuditPoints;
    cfg.exec.audit_kept_state = true;
    cfg.max_states =
        cfg.max_states == 0 ? kDiagnosisStates : std::min(cfg.max_states, kDiagnosisStates);
    cfg.jobs = 1;
    sim::SweepState state;
    try {
        const sim::SweepReport rep = sim::sweep(make, cfg, state, {});
        for (const auto& w : rep.totals.violations) {
            if (w.violation.kind == sim::ViolationKind::StateMismatch) {
                return fmt::format("; audited, the same sweep finds: {}", w.violation.detail);
            }
        }
    } catch (const sim::SweepInconsistency& a) {
        return fmt::format("; audited, the same sweep stops with: {}", a.what());
    } catch (const sim::SweepError&) {
    }
    return fmt::format("; an audited sweep of up to {} states names nothing more", cfg.max_states);
}

Result run_sweep(const Plan& plan, const SweepRequest& rq, const SweepHooks& hooks) {
    sim::SweepConfig cfg;
    cfg.max_preemptions = rq.preemptions;
    cfg.exec = plan.exec;
    cfg.reduce = rq.reduce;
    cfg.max_executions = rq.max_executions;
    cfg.stop_on_first = rq.stop_on_first;
    if (rq.time_limit < 0) {
        throw InputError{fmt::format("bad --time-limit '{}' (valid: seconds > 0)", rq.time_limit)};
    }
    cfg.time_limit = rq.time_limit;
    if (rq.jobs == 0 || rq.jobs > 1024) {
        throw InputError{fmt::format("bad --jobs '{}' (valid: 1..1024 threads)", rq.jobs)};
    }
    cfg.jobs = rq.jobs;
    if (rq.shard) {
        std::tie(cfg.shard, cfg.shards) = *rq.shard;
    }
    cfg.interrupt = hooks.interrupt;
    cfg.stateful = rq.stateful.value_or(!rq.preemptions.has_value());
    cfg.max_states = rq.max_states;
    cfg.audit_points = rq.audit_states ? kAuditPoints : 0;
    cfg.exec.audit_kept_state = rq.audit_states;  // and the model's kept signature values
    if (rq.audit_states && !cfg.stateful) {
        throw InputError{"--audit-states checks a stateful sweep (drop --stateless)"};
    }

    Result r;
    r.plan = plan;
    Certificate& c = r.certificate.emplace();
    c.scenario = plan.scenario.name;
    c.file = sim::escape_name(plan.file());  // JSON and text carry names escaped
    c.scenario_hash = plan.scenario_hash;
    c.policy = plan.policy.name();
    c.kernel = plan.kernel;
    for (const auto& a : plan.scenario.actors) {
        c.actors.push_back(a.name);
    }
    r.actors = c.actors;
    c.preemptions = cfg.max_preemptions;
    c.faults = cfg.exec.max_faults;
    c.stateful = cfg.stateful;
    c.audited = rq.audit_states;
    c.reduction = cfg.reduce && !cfg.stateful;
    c.step_bound = cfg.exec.step_bound;
    c.step_bound_given = plan.step_bound_given;
    r.expected = expected_for(plan.scenario, plan.policy);
    c.shard = rq.shard;

    // What a checkpoint must agree with: everything that shapes the tree or its split.
    const std::string key = fmt::format(
        "{} {} policy={}{} preemptions={} faults={} reduction={} step_bound={} shard={}/{}{}",
        c.scenario, c.scenario_hash, c.policy, kernel_options_text(c.kernel),
        c.preemptions ? std::to_string(*c.preemptions) : "all",
        c.faults ? std::to_string(*c.faults) : "scenario", c.reduction, c.step_bound, cfg.shard,
        cfg.shards,
        c.stateful ? fmt::format(" stateful max_states={} audit={}", cfg.max_states, c.audited)
                   : std::string());
    sim::SweepState state;
    state.key = key;
    // A checkpoint that cannot be written is refused now, not at the first save (a stateful
    // sweep saves only at its end).
    const bool resume = !rq.checkpoint.empty() && regular_file_exists(rq.checkpoint);
    if (!rq.checkpoint.empty()) {
        check_output(rq.checkpoint);
    }
    if (resume) {
        state = read_checkpoint(
            read_input(rq.checkpoint, cfg.stateful ? kStatefulStateCap : kStateCap, "checkpoint"),
            rq.checkpoint, c, key, cfg.shard, cfg.shards);
    }
    sim::SweepHooks sh;
    if (!rq.checkpoint.empty()) {
        sh.save = [&](const sim::SweepState& st) {
            save_durably(rq.checkpoint, checkpoint_text(st, c));
        };
    }
    sh.progress = hooks.progress;
    const sim::ProgramFactory make = [&plan]() { return plan.program(); };
    sim::SweepReport rep;
    try {
        rep = sim::sweep(make, cfg, state, sh);
    } catch (const sim::SweepInconsistency& e) {
        throw InternalError{fmt::format(
            "the sweep cannot go on: {}{} (a bug of pfnsim, not of the scenario; a stateless "
            "sweep still answers: pfnsim sweep {} --policy {} --stateless --preemptions N)",
            e.what(), cfg.audit_points > 0 ? std::string() : audited_diagnosis(make, cfg),
            sim::shell_word(plan.file()), plan.policy.name())};
    } catch (const sim::SweepError& e) {
        throw InputError{fmt::format("the sweep cannot go on: {}", e.what())};
    }
    c.totals = std::move(rep.totals);
    c.complete = rep.complete;
    c.stopped = rep.stopped;
    c.tasks = rep.tasks;
    c.tasks_done = rep.tasks_done;
    add_findings(r, plan, rq.minimize && !c.shard, rq.minimize_budget,
                 hooks);  // shards are minimised when merged
    judge(r);
    return r;
}

json certificate_json(const Result& r, bool state_hashes) {
    const Certificate& c = r.certificate.value();
    json j;
    j["command"] = "sweep";
    j["version"] = version_line();
    j["scenario"] = c.scenario;
    j["file"] = c.file;
    j["scenario_hash"] = c.scenario_hash;
    j["policy"] = c.policy;
    if (!c.kernel.empty()) {
        j["kernel"] = kernel_words(c.kernel);
    }
    j["strategy"] = std::string(sim::strategy_name(sim::StrategyKind::Dfs));  // stateful ones too
    j["actors"] = c.actors;
    j["complete"] = c.complete;
    if (!c.stopped.empty()) {
        j["stopped"] = c.stopped;
    }
    j["bound"] = {{"preemptions", c.preemptions ? json(*c.preemptions) : json("all")},
                  {"faults", c.faults ? json(*c.faults) : json("scenario")}};
    j["reduction"] = c.reduction;
    j["stateful"] = c.stateful;
    if (c.stateful) {
        j["audit_states"] = c.audited;
    }
    j["step_bound"] = c.step_bound;
    j["step_bound_given"] = c.step_bound_given;
    json t = sim::totals_json(c.totals, c.actors, state_hashes);
    for (auto& [k, v] : t.items()) {
        j[k] = v;
    }
    for (std::size_t i = 0; i < j["violations"].size() && i < r.findings.size(); ++i) {
        json& v = j["violations"][i];
        const Finding& f = r.findings[i];
        v["schedule"] = f.schedule;
        v["replay"] = f.replay;
        if (f.witness.lasso) {
            v.update(lasso_json(*f.witness.lasso, c.actors));
        } else if (f.witness.violation.kind == sim::ViolationKind::StepBound) {
            v["proof"] = "none";
        }
        if (f.minimized) {
            v["minimized"] = {
                {"schedule", f.minimized_schedule},
                {"steps", f.minimized->steps},
                {"total_steps", f.minimized->total_steps},
                {"preemptions", f.minimized->preemptions},
                {"trace_hash", fmt::format("{:016x}", f.minimized->outcome.trace_hash)},
                {"replay", f.minimized_replay},
                {"diagram", f.diagram},
                {"executions", f.minimized->executions},
                {"budget", f.minimize_budget},
                {"stopped", f.minimize_stopped.empty() ? json(nullptr) : json(f.minimize_stopped)}};
        }
    }
    for (std::size_t i = c.totals.violations.size(); i < r.findings.size(); ++i) {
        json v = sim::witness_json(r.findings[i].witness);
        v["schedule"] = r.findings[i].schedule;
        v["replay"] = r.findings[i].replay;
        j["violations"].push_back(v);
    }
    if (!r.not_minimized.empty()) {
        j["not_minimized"] = r.not_minimized;
    }
    j["verdict"] = r.verdict.name();
    if (!r.expected.empty()) {
        j["expected"] = r.expected;
    }
    if (c.shard) {
        j["shard"] = {{"index", c.shard->first},
                      {"count", c.shard->second},
                      {"tasks", c.tasks},
                      {"tasks_done", c.tasks_done}};
    }
    if (!c.missing_shards.empty()) {
        j["missing_shards"] = c.missing_shards;
    }
    j["certificate"] = c.line();
    return state_hashes ? seal(std::move(j), sweep_meta(c, kShardFormat)) : j;
}

json lasso_json(const sim::Lasso& l, const std::vector<std::string>& actors) {
    // The preemption models the loop spins (yields) under, in order: ["none"], ["voluntary",
    // "full"].
    const model::LivelockClass cls = model::livelock_class(l);
    const auto models = [](const model::LivelockClass& c, bool spinning) {
        json a = json::array();
        for (std::size_t i = 0; i < model::kPreemptModels; ++i) {
            const auto m = static_cast<model::PreemptModel>(i);
            if (c.spins_under(m) == spinning) {
                a.push_back(model::preempt_name(m));
            }
        }
        return a;
    };
    json stuck = json::array();
    for (auto a : l.stuck) {
        stuck.push_back(a < actors.size() ? actors[a] : fmt::format("actor {}", a));
    }
    return {{"proof", "cycle"},
            {"cycle_length", l.cycle_steps},
            {"prefix_length", l.prefix_steps},
            {"stuck", stuck},
            {"killable", l.killable},
            {"spins_under", models(cls, true)},
            {"yields_under", models(cls, false)},
            {"locks_held", l.locks_held}};
}

Result certificate_from_json(const json& j) {
    Result r;
    Certificate& c = r.certificate.emplace();
    if (!j.is_object() || !j.contains("command") || j["command"] != "sweep") {
        throw InputError{"not the JSON of a pfnsim sweep"};
    }
    try {
        c.scenario = j.at("scenario").get<std::string>();
        c.file = j.at("file").get<std::string>();
        c.scenario_hash = j.at("scenario_hash").get<std::string>();
        c.policy = j.at("policy").get<std::string>();
        if (j.contains("kernel")) {
            for (const auto& kv : j.at("kernel")) {
                const auto s = kv.get<std::string>();
                const auto eq = s.find('=');
                c.kernel.push_back(
                    {s.substr(0, eq), eq == std::string::npos ? "" : s.substr(eq + 1)});
            }
        }
        c.actors = j.at("actors").get<std::vector<std::string>>();
        r.actors = c.actors;
        c.complete = j.at("complete").get<bool>();
        c.stopped = j.value("stopped", "");
        const auto& b = j.at("bound");
        if (b.at("preemptions").is_number()) {
            c.preemptions = sim::json_number<unsigned>(b.at("preemptions"));
        }
        if (b.at("faults").is_number()) {
            c.faults = sim::json_number<unsigned>(b.at("faults"));
        }
        c.reduction = j.at("reduction").get<bool>();
        c.stateful = j.value("stateful", false);
        c.audited = j.value("audit_states", false);
        c.step_bound = sim::json_number<std::uint64_t>(j.at("step_bound"));
        c.step_bound_given = j.at("step_bound_given").get<bool>();
        r.expected = j.value("expected", "");
        if (!j.contains("final_state_hashes")) {
            throw InputError{"it has no final_state_hashes: only the JSON of a --shard run merges"};
        }
        c.totals = sim::totals_from_json(j, c.actors);
        if (j.contains("shard")) {
            c.shard = std::pair{sim::json_number<unsigned>(j.at("shard").at("index")),
                                sim::json_number<unsigned>(j.at("shard").at("count"))};
            c.tasks = sim::json_number<std::size_t>(j.at("shard").at("tasks"));
            c.tasks_done = sim::json_number<std::size_t>(j.at("shard").at("tasks_done"));
        }
    } catch (const InputError&) {
        throw;
    } catch (const std::exception& e) {
        throw InputError{fmt::format("not the JSON of a sweep shard ({})", e.what())};
    }
    return r;
}

Result merge_shards(const std::vector<Result>& parts, const std::vector<std::string>& files,
                    bool minimize, const MinimizeBudget& budget) {
    if (parts.empty()) {
        throw InputError{"merge needs at least one shard"};
    }
    for (std::size_t i = 0; i < parts.size(); ++i) {
        if (!parts[i].certificate || !parts[i].certificate->shard) {
            throw InputError{
                fmt::format("{}: not the JSON of a sweep shard (no \"shard\")", files[i])};
        }
    }
    Result merged = parts.front();
    Certificate& m = *merged.certificate;
    const unsigned count = m.shard->second;
    if (count == 0 || count > kMaxShards) {
        throw InputError{
            fmt::format("{}: shard count {} (valid: 1..{})", files.front(), count, kMaxShards)};
    }
    std::vector<bool> seen(count, false);
    m.totals = sim::SweepTotals{};
    m.complete = true;
    m.stopped.clear();
    m.tasks = 0;
    m.tasks_done = 0;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        const Certificate& p = *parts[i].certificate;
        if (p.scenario != m.scenario || p.scenario_hash != m.scenario_hash ||
            p.policy != m.policy || p.kernel != m.kernel || p.preemptions != m.preemptions ||
            p.faults != m.faults || p.reduction != m.reduction || p.stateful != m.stateful ||
            p.step_bound != m.step_bound || p.actors != m.actors || p.shard->second != count) {
            throw InputError{fmt::format(
                "{}: a shard of another sweep (scenario file hash, policy, --kernel, bounds, "
                "step bound, reduction and shard count must all match {})",
                files[i], files.front())};
        }
        if (p.shard->first >= count) {
            throw InputError{fmt::format("{}: shard index {} is not below the count {}", files[i],
                                         p.shard->first, count)};
        }
        if (p.complete && p.tasks_done != p.tasks) {
            throw InputError{
                fmt::format("{}: the shard says \"complete\" with {} of its {} tasks done",
                            files[i], p.tasks_done, p.tasks)};
        }
        if (seen[p.shard->first]) {
            throw InputError{
                fmt::format("{}: shard {}/{} given twice", files[i], p.shard->first, count)};
        }
        seen[p.shard->first] = true;
        if (const std::string f = sim::merge_overflow(m.totals, p.totals, m.actors); !f.empty()) {
            throw InputError{
                fmt::format("{}: {}: the sum with the shards before it overflows "
                            "(a forged or corrupt shard)",
                            files[i], f)};
        }
        m.totals.merge(p.totals);
        m.audited = m.audited && p.audited;  // audited only when every shard was
        m.complete = m.complete && p.complete;
        m.tasks += p.tasks;
        m.tasks_done += p.tasks_done;
        if (m.stopped.empty()) {
            m.stopped = p.stopped;
        }
    }
    for (unsigned i = 0; i < count; ++i) {
        if (!seen[i]) {
            m.missing_shards.push_back(i);
            m.complete = false;
        }
    }
    m.shard.reset();
    merged.findings.clear();
    merged.lock_order = {};
    // The shards name their scenario file; it must be readable from here, unchanged.
    try {
        Overrides o;  // the default strategy: the witnesses are schedules
        o.policy = m.policy;
        if (m.step_bound_given) {
            o.step_bound = m.step_bound;
        }
        o.faults = m.faults;
        for (const auto& [k, v] : m.kernel) {
            o.kernel.push_back(fmt::format("{}={}", k, v));
        }
        // The shards name the file escaped (sim/text.hpp); the merge opens the file itself.
        const std::optional<std::string> path = sim::unescape_name(m.file);
        if (!path) {
            throw InputError{
                fmt::format("the shards' file name '{}' is not an escaped name", m.file)};
        }
        const Plan plan = make_plan(*path, o);
        if (plan.scenario_hash != m.scenario_hash) {
            throw InputError{fmt::format("{} changed since the shards were swept", m.file)};
        }
        merged.plan = plan;
        add_findings(merged, plan, minimize, budget);
    } catch (const InputError& e) {
        merged.not_minimized = e.message;
    }
    judge(merged);
    return merged;
}

}  // namespace pfnsim::app
