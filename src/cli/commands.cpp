#include "cli/commands.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <numeric>
#include <optional>
#include <set>

#include "cli/common.hpp"
#include "cli/export.hpp"
#include "cli/report.hpp"
#include "cli/sweep_command.hpp"
#include "pfnsim/model/world.hpp"
#include "pfnsim/sim/diagram.hpp"
#include "pfnsim/sim/explore.hpp"
#include "pfnsim/sim/minimize.hpp"
#include "pfnsim/sim/pct_strategy.hpp"
#include "pfnsim/sim/prng.hpp"
#include "pfnsim/sim/random_strategy.hpp"
#include "pfnsim/sim/replay_strategy.hpp"
#include "pfnsim/sim/trace.hpp"

#ifndef PFNSIM_SOURCE_DIR
#define PFNSIM_SOURCE_DIR "."
#endif

namespace pfnsim::cli {

model::Scenario load(const std::string& path) {
    try {
        return model::load_scenario(path);
    } catch (const model::ScenarioError& e) {
        throw InputError{e.what()};
    }
}

model::Policy policy_named(const std::string& name, const model::Scenario& sc) {
    if (name.empty()) {
        return sc.policy;
    }
    if (auto p = model::parse_policy(name)) {
        return *p;
    }
    throw InputError{fmt::format("unknown policy '{}' (valid: {})", name, model::kValidPolicies)};
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

// An expectation names a kind ("livelock") or a kind with its class ("livelock (killable,
// spinning)"); violations of any other kind go beyond it.
bool unexpected(const std::vector<sim::Witness>& v, const std::string& expected) {
    const std::string kind = expected.substr(0, expected.find(' '));
    for (const auto& w : v) {
        if (w.violation.kind != kind) {
            return true;
        }
    }
    return false;
}

bool verdict_matches(const CellReport& c, const std::string& want) {
    return c.verdict == want || full_verdict(c) == want;
}

bool progress_wanted(bool quiet) {
    return !quiet && isatty(STDERR_FILENO) != 0;
}

std::optional<unsigned> parse_faults(const std::string& text) {
    if (text.empty() || text == "scenario") {
        return std::nullopt;
    }
    unsigned n = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc() || ptr != text.data() + text.size() || n > 1000) {
        throw InputError{
            fmt::format("bad --faults '{}' (valid: a number of faults 0..1000, or scenario for the "
                        "scenario's fault_retry budgets)",
                        text)};
    }
    return n;
}

namespace {

struct Options {
    std::string scenario;
    std::vector<std::string> paths;
    std::string policy;
    std::string strategy = "random";
    unsigned depth = 3;  // PCT: d-1 priority change points
    std::uint64_t seed = 0;
    bool seed_given = false;
    std::string schedule;
    std::uint64_t iterations = 0;
    std::uint64_t step_bound = 0;
    bool json = false;
    bool markdown = false;
    bool quiet = false;
    bool no_minimize = false;
    std::string trace;      // "full" or "diagram"; default per command
    std::string trace_out;  // Chrome trace-event JSON
    std::string dot_out;    // Graphviz
    std::string faults;     // run/replay: a fault bound opens every fault site (as in sweep)
};

void write_file(const std::string& path, const std::string& text) {
    std::ofstream f(path, std::ios::binary);
    if (!f || !(f << text)) {
        throw InputError{fmt::format("{}: cannot write the file", path)};
    }
}

// Writes --trace-out and --dot for one execution.
void write_exports(const Options& o, const sim::Outcome& out, sim::Program& program,
                   const std::string& title) {
    if (!o.trace_out.empty()) {
        write_file(o.trace_out, chrome_trace(out, program, title).dump(1) + "\n");
    }
    if (!o.dot_out.empty()) {
        write_file(o.dot_out, happens_before_dot(out, program, title));
    }
}

model::Policy policy_or_default(const Options& o, const model::Scenario& sc) {
    return policy_named(o.policy, sc);
}

sim::Progress progress_printer(const Options& o, const std::string& label) {
    if (!progress_wanted(o.quiet)) {
        return {};
    }
    return [label](std::uint64_t done, std::uint64_t total) {
        std::cerr << fmt::format("\r{}: {}/{} executions", label, done, total)
                  << (done == total ? "\r\033[K" : "") << std::flush;
    };
}

CellReport explore_cell(const model::Scenario& sc, const model::Policy& p, const Options& o,
                        const std::string& label, bool minimize = false) {
    model::World world(sc);
    world.set_policy(p);
    sim::ExploreConfig cfg;
    cfg.iterations = o.iterations != 0 ? o.iterations : sc.iterations;
    cfg.seed = o.seed_given ? o.seed : sc.seed;
    cfg.exec.step_bound = o.step_bound != 0 ? o.step_bound : sc.step_bound;
    sim::RandomStrategy random;
    std::optional<sim::PctStrategy> pct;
    if (o.strategy == "pct") {
        pct.emplace(o.depth, sim::PctStrategy::estimate_steps(world, cfg.exec, cfg.seed));
        // PCT is unfair by design: after its last change point a higher-priority actor that
        // runs for ever starves the others. Such a run only repeats a state; cut it there
        // (status "state revisited") instead of running it to the step bound.
        cfg.exec.prune_revisits = true;
    }
    sim::Strategy& strategy = pct ? static_cast<sim::Strategy&>(*pct) : random;
    CellReport c;
    c.strategy = strategy.name();
    if (pct) {
        c.pct_depth = pct->depth();
        c.pct_steps = pct->steps();
    }
    c.scenario_path = sc.path;
    c.scenario_name = sc.name;
    c.policy = p.name();
    c.iterations = cfg.iterations;
    c.seed = cfg.seed;
    for (const auto& a : world.actors()) {
        c.actor_names.push_back(a.name);
    }
    c.explore = sim::explore(world, strategy, cfg, progress_printer(o, label));
    c.verdict = verdict_of(c.explore.violations);
    c.expected = expected_for(sc, p);
    if (minimize) {
        // Every violation is minimised before it is reported; the result is replay-checked.
        for (const auto& w : c.explore.violations) {
            sim::ExecutionConfig ec = cfg.exec;
            const sim::Outcome original = sim::run_execution(world, strategy, w.seed, ec);
            auto m = w.violation.kind == "nondeterminism"
                         ? std::nullopt
                         : sim::minimize(world, original, w.violation, ec);
            if (m) {
                const std::string cmd = fmt::format("pfnsim replay {} --policy {} --schedule {}",
                                                    sc.path, c.policy, m->schedule);
                c.diagrams.push_back(sim::render_diagram(m->outcome, world, w.violation, cmd));
                if (c.minimized.empty() || !c.minimized.front()) {
                    write_exports(
                        o, m->outcome, world,
                        fmt::format("{} ({}): {}", sc.name, c.policy, w.violation.detail));
                }
            } else {
                c.diagrams.emplace_back();
            }
            c.minimized.push_back(std::move(m));
        }
    }
    return c;
}

// --- run and replay: one execution, with its trace ---------------------------------------

int print_execution(model::World& world, const model::Scenario& sc, const sim::Outcome& out,
                    const Options& o, const std::string& how, sim::Strategy& strategy,
                    const sim::ExecutionConfig& cfg) {
    std::vector<sim::Witness> ws;
    for (const auto& v : out.violations) {
        ws.push_back({v, out.seed, sim::encode_schedule(out.schedule), 1, out.steps, out.lasso});
    }
    if (!out.violations.empty() && how == "seed") {
        const std::string diff = sim::self_check(world, strategy, out, cfg);
        if (!diff.empty()) {
            ws.push_back(
                {{"nondeterminism", "", diff}, out.seed, ws.front().schedule, 1, out.steps, {}});
        }
    }
    const std::string expected = expected_for(sc, world.policy);
    const std::string verdict = verdict_of(ws);
    write_exports(o, out, world, fmt::format("{} ({})", sc.name, world.policy.name()));
    const std::string schedule = sim::encode_schedule(out.schedule);
    const std::string replay = how == "seed"
                                   ? fmt::format("pfnsim replay {} --policy {} --seed {}", sc.path,
                                                 world.policy.name(), out.seed)
                                   : fmt::format("pfnsim replay {} --policy {} --schedule {}",
                                                 sc.path, world.policy.name(), schedule);
    if (o.json) {
        nlohmann::json j;
        j["scenario"] = sc.name;
        j["file"] = sc.path;
        j["policy"] = world.policy.name();
        j["executions"] = 1;
        j["steps"] = out.steps;
        j["seed"] = out.seed;
        j["schedule"] = schedule;
        j["status"] = sim::status_name(out.status);
        j["trace_hash"] = fmt::format("{:016x}", out.trace_hash);
        j["preemptions"] = sim::count_preemptions(out);
        j["verdict"] = verdict;
        nlohmann::json results = nlohmann::json::object();
        for (std::size_t a = 0; a < out.results.size(); ++a) {
            results[world.actors()[a].name] = out.results[a];
        }
        j["results"] = results;
        nlohmann::json trace = nlohmann::json::array();
        for (const auto& st : out.trace) {
            trace.push_back({{"actor", world.actors()[st.actor].name},
                             {"func", st.func.text},
                             {"op", sim::op_name(st.op)},
                             {"object", world.objects().name(st.object)},
                             {"effect", sim::render_effect(st)}});
        }
        j["trace"] = trace;
        nlohmann::json vs = nlohmann::json::array();
        for (const auto& w : ws) {
            nlohmann::json v = {{"kind", w.violation.kind},     {"actor", w.violation.actor},
                                {"detail", w.violation.detail}, {"seed", w.seed},
                                {"schedule", w.schedule},       {"replay", replay}};
            if (w.lasso) {
                std::vector<std::string> names;
                for (const auto& a : world.actors()) {
                    names.push_back(a.name);
                }
                add_lasso_json(v, *w.lasso, names);
            }
            vs.push_back(v);
        }
        j["violations"] = vs;
        std::cout << j.dump(2) << "\n";
    } else {
        std::cout << fmt::format("scenario    {} ({})\npolicy      {}\n", sc.name, sc.path,
                                 world.policy.name());
        std::cout << (how == "seed" ? fmt::format("seed        {}\n", out.seed)
                                    : fmt::format("schedule    {}\n", o.schedule));
        const bool diagram = !ws.empty() && o.trace == "diagram";
        std::cout << "\n"
                  << (diagram ? sim::render_diagram(out, world, ws.front().violation, "")
                              : sim::render_trace(out, world))
                  << "\n";
        std::string r;
        for (std::size_t a = 0; a < out.results.size(); ++a) {
            r += fmt::format("{}{}: {}", r.empty() ? "" : ", ", world.actors()[a].name,
                             out.results[a].empty() ? "(stopped)" : out.results[a]);
        }
        std::cout << fmt::format("results     {}\n", r);
        std::cout << fmt::format("outcome     {}, {} steps, {} preemption(s), trace hash {:016x}\n",
                                 sim::status_name(out.status), out.steps,
                                 sim::count_preemptions(out), out.trace_hash);
        std::cout << fmt::format("schedule    {}\n", schedule);
        std::cout << fmt::format("verdict     {}{}\n", verdict,
                                 expected.empty()      ? ""
                                 : expected == verdict ? " (as expected)"
                                                       : " (expected " + expected + ")");
        for (const auto& w : ws) {
            std::cout << fmt::format("  {}: {}\n", w.violation.kind, w.violation.detail);
        }
        if (!ws.empty()) {
            std::cout << fmt::format("replay      {}\n", replay);
        }
    }
    return unexpected(ws, expected.empty() ? "clean" : expected) ? 1 : 0;
}

int cmd_run(const Options& o, bool replay) {
    const model::Scenario sc = load(o.scenario);
    model::World world(sc);
    world.set_policy(policy_or_default(o, sc));
    sim::ExecutionConfig cfg;
    cfg.step_bound = o.step_bound != 0 ? o.step_bound : sc.step_bound;
    cfg.max_faults = parse_faults(o.faults);
    sim::RandomStrategy random;
    if (replay && !o.schedule.empty()) {
        sim::Schedule s;
        try {
            s = sim::decode_schedule(o.schedule);
        } catch (const sim::ScheduleError& e) {
            throw InputError{e.what()};
        }
        sim::ReplayStrategy strategy(s);
        const sim::Outcome out = sim::run_execution(world, strategy, 0, cfg);
        if (!out.strategy_error.empty() || !strategy.error().empty()) {
            throw InputError{fmt::format(
                "the schedule does not fit {} under policy {}: {}", sc.path, world.policy.name(),
                out.strategy_error.empty() ? strategy.error() : out.strategy_error)};
        }
        return print_execution(world, sc, out, o, "schedule", strategy, cfg);
    }
    const std::uint64_t seed = o.seed_given ? o.seed : sc.seed;
    const sim::Outcome out = sim::run_execution(world, random, seed, cfg);
    return print_execution(world, sc, out, o, "seed", random, cfg);
}

int cmd_explore(const Options& o, bool depth_given) {
    if (o.strategy != "random" && o.strategy != "pct") {
        throw InputError{fmt::format("unknown strategy '{}' (valid: random, pct)", o.strategy)};
    }
    if (depth_given && o.strategy != "pct") {
        throw InputError{"--depth needs --strategy pct"};
    }
    if (o.depth == 0) {
        throw InputError{"--depth 0: the depth must be at least 1"};
    }
    const model::Scenario sc = load(o.scenario);
    const CellReport c = explore_cell(sc, policy_or_default(o, sc), o, sc.name, !o.no_minimize);
    if (o.json) {
        std::cout << to_json(c).dump(2) << "\n";
    } else {
        std::cout << to_text(c);
    }
    return unexpected(c.explore.violations, c.expected.empty() ? "clean" : c.expected) ? 1 : 0;
}

// --- matrix ------------------------------------------------------------------------------

// The flagship set: the seed race and the six questions asked of it on LKML.
std::vector<std::string> default_matrix_scenarios() {
    const std::vector<std::string> names = {"seed-split-refault.toml", "lockstep-split.toml",
                                            "pin-zap-race.toml",       "pin-outside-vma.toml",
                                            "pin-munmap-retry.toml",   "seed-split-signal.toml",
                                            "kvm-split-refault.toml"};
    std::string dir = "scenarios";
    if (!std::filesystem::exists(dir + "/" + names[0])) {
        dir = std::string(PFNSIM_SOURCE_DIR) + "/scenarios";
    }
    std::vector<std::string> out;
    out.reserve(names.size());
    for (const auto& n : names) {
        out.push_back(fmt::format("{}/{}", dir, n));
    }
    return out;
}

// "0 -EBUSY": the results the first actor ended with.
std::string results_line(const CellReport& c, bool compact) {
    std::string s;
    for (const auto& [r, n] : c.explore.results.at(0)) {
        std::string t = r == "(unfinished)" ? "-" : r;
        if (compact && t.rfind("-E", 0) == 0) {
            t = t.substr(2);  // "-EBUSY" -> "BUSY" to fit a narrow column
        }
        s += s.empty() ? t : " " + t;
    }
    return s;
}

// A cell as two short lines (verdict, detail) for the 120-column table.
std::pair<std::string, std::string> cell_lines(const CellReport& c, const std::string& ref) {
    if (c.verdict == "clean") {
        return {"ok", results_line(c, true)};
    }
    for (const auto& w : c.explore.violations) {
        if (w.violation.kind != c.verdict) {
            continue;
        }
        if (w.lasso) {
            return {"livelock " + ref, fmt::format("{} {}", w.lasso->killable ? "kill" : "UNKILL",
                                                   w.lasso->yielding ? "yield" : "spin")};
        }
        if (c.verdict == "wrong-return") {
            const auto& d = w.violation.detail;
            return {"wrong " + ref, d.substr(d.rfind(' ') + 1)};
        }
        return {c.verdict + " " + ref, ""};
    }
    return {c.verdict, ""};
}

std::string cell_markdown(const CellReport& c, const std::string& ref) {
    if (c.verdict == "clean") {
        return "ok: " + results_line(c, false);
    }
    for (const auto& w : c.explore.violations) {
        if (w.violation.kind != c.verdict) {
            continue;
        }
        if (c.verdict == "wrong-return") {
            const auto& d = w.violation.detail;
            return fmt::format("**wrong return** {} {}", d.substr(d.rfind(' ') + 1), ref);
        }
        return fmt::format("**{}** {}", full_verdict(c), ref);
    }
    return c.verdict;
}

int cmd_matrix(const Options& o) {
    std::vector<std::string> files = o.paths.empty() ? default_matrix_scenarios() : o.paths;
    std::vector<model::Scenario> scs;
    scs.reserve(files.size());
    for (const auto& f : files) {
        scs.push_back(load(f));
    }
    std::size_t np = 0;
    const model::Policy* pols = model::all_policies(np);
    std::vector<std::vector<CellReport>> cells(np);
    bool bad = false;
    for (std::size_t p = 0; p < np; ++p) {
        for (const auto& sc : scs) {
            cells[p].push_back(
                explore_cell(sc, pols[p], o, fmt::format("{} x {}", pols[p].name(), sc.name)));
            const auto& c = cells[p].back();
            bad =
                bad || unexpected(c.explore.violations, c.expected.empty() ? "clean" : c.expected);
        }
    }
    if (o.json) {
        nlohmann::json j = nlohmann::json::array();
        for (const auto& row : cells) {
            for (const auto& c : row) {
                j.push_back(to_json(c));
            }
        }
        std::cout << j.dump(2) << "\n";
        return bad ? 1 : 0;
    }
    // Cells with a violation get a numbered witness below the table.
    std::vector<std::string> notes;
    std::vector<std::vector<std::string>> refs(np);
    for (std::size_t p = 0; p < np; ++p) {
        for (const auto& c : cells[p]) {
            std::string ref;
            for (const auto& w : c.explore.violations) {
                if (w.violation.kind == c.verdict) {
                    std::string cmd = replay_command(c, w);
                    if (w.lasso) {
                        // The lasso itself: the prefix, then the cycle for ever.
                        cmd = fmt::format("{}   # lasso: {} steps, then a cycle of {}", cmd,
                                          w.lasso->prefix_steps, w.lasso->cycle_steps);
                    }
                    notes.push_back(cmd);
                    ref = fmt::format("[{}]", notes.size());
                    break;
                }
            }
            refs[p].push_back(ref);
        }
    }
    const std::uint64_t iters = cells[0][0].iterations;
    std::string out;
    if (o.markdown) {
        out += fmt::format(
            "Retry policy x scenario, {} random executions per cell (pfnsim "
            "matrix --markdown).\n\n| policy |",
            iters);
        for (const auto& sc : scs) {
            out += fmt::format(" {} |", sc.label);
        }
        out += "\n|---|";
        for (std::size_t i = 0; i < scs.size(); ++i) {
            out += "---|";
        }
        out += "\n";
        for (std::size_t p = 0; p < np; ++p) {
            out += fmt::format("| {} |", pols[p].name());
            for (std::size_t i = 0; i < scs.size(); ++i) {
                out += fmt::format(" {} |", cell_markdown(cells[p][i], refs[p][i]));
            }
            out += "\n";
        }
        out += "\n";
        for (std::size_t i = 0; i < notes.size(); ++i) {
            out += fmt::format("{}. `{}`\n", i + 1, notes[i]);
        }
        out += "\nColumns:\n";
        for (const auto& sc : scs) {
            out += fmt::format("- {}: `{}` — {}\n", sc.label, sc.path, sc.description);
        }
        std::cout << out;
        return bad ? 1 : 0;
    }
    // Text: at most 120 columns; each row is two lines (verdict, then results or class).
    const std::size_t pw = 15;
    const std::size_t cw = std::max<std::size_t>(
        8, std::min<std::size_t>(24, (120 - pw) / std::max<std::size_t>(scs.size(), 1) - 2));
    auto fit = [cw](std::string s) {
        if (s.size() > cw) {
            s = s.substr(0, cw);
        }
        return s;
    };
    out += fmt::format("pfnsim matrix: retry policy x scenario, {} random executions per cell\n\n",
                       iters);
    auto line = [&](const std::string& first, const std::vector<std::string>& cols) {
        std::string l = fmt::format("{:<{}}", first, pw);
        for (const auto& t : cols) {
            l += fmt::format("| {:<{}}", fit(t), cw);
        }
        while (!l.empty() && l.back() == ' ') {
            l.pop_back();
        }
        return l + "\n";
    };
    std::vector<std::string> head;
    head.reserve(scs.size());
    for (const auto& sc : scs) {
        head.push_back(sc.label);
    }
    out += line("policy", head);
    std::string rule(pw, '-');
    for (std::size_t i = 0; i < scs.size(); ++i) {
        rule += "+-" + std::string(cw, '-');
    }
    out += rule + "\n";
    for (std::size_t p = 0; p < np; ++p) {
        std::vector<std::string> l1;
        std::vector<std::string> l2;
        for (std::size_t i = 0; i < scs.size(); ++i) {
            auto [a, b] = cell_lines(cells[p][i], refs[p][i]);
            l1.push_back(a);
            l2.push_back(b);
        }
        out += line(pols[p].name(), l1);
        out += line("", l2);
    }
    out +=
        "\nok: the results seen; wrong: a return no caller should get; livelock: a proven "
        "fair cycle (kill/UNKILL, spin/yield)\n";
    for (const auto& sc : scs) {
        out += fmt::format("  {:<13} {}\n", sc.label, sc.path);
    }
    out += "\n";
    for (std::size_t i = 0; i < notes.size(); ++i) {
        out += fmt::format("[{}] {}\n", i + 1, notes[i]);
    }
    std::cout << out;
    return bad ? 1 : 0;
}

// --- stats: how small is the window? ---------------------------------------------------

struct PolicyStats {
    std::string policy;
    std::uint64_t executions = 0;
    std::vector<std::uint64_t> retries;            // per execution, of the first actor
    std::map<std::string, std::uint64_t> results;  // first actor's result -> executions
};

PolicyStats collect_stats(const model::Scenario& sc, const model::Policy& p, const Options& o) {
    model::World world(sc);
    world.set_policy(p);
    sim::RandomStrategy r;
    sim::ExecutionConfig ec;
    ec.step_bound = o.step_bound != 0 ? o.step_bound : sc.step_bound;
    ec.record_trace = false;
    PolicyStats st;
    st.policy = p.name();
    const std::uint64_t n = o.iterations != 0 ? o.iterations : sc.iterations;
    const std::uint64_t seed = o.seed_given ? o.seed : sc.seed;
    const auto progress = progress_printer(o, fmt::format("{} {}", sc.name, p.name()));
    for (std::uint64_t i = 0; i < n; ++i) {
        const sim::Outcome out = sim::run_execution(world, r, sim::derive_seed(seed, i), ec);
        ++st.executions;
        st.retries.push_back(world.tasks.at(0).retries);
        std::string res = out.results.at(0);
        if (res.empty()) {
            res = out.status == sim::Status::Livelock ? "(livelock)" : "(unfinished)";
        }
        ++st.results[res];
        if (progress && (i % 256 == 0 || i + 1 == n)) {
            progress(i + 1, n);
        }
    }
    return st;
}

int cmd_stats(const Options& o) {
    const model::Scenario sc = load(o.scenario);
    std::vector<model::Policy> pols;
    if (!o.policy.empty()) {
        pols.push_back(policy_or_default(o, sc));
    } else {
        std::size_t np = 0;
        const model::Policy* all = model::all_policies(np);
        pols.assign(all, all + np);
    }
    nlohmann::json j = nlohmann::json::array();
    std::string out = fmt::format("{}: retries of {} per execution and its results\n", sc.name,
                                  sc.actors.at(0).name);
    for (const auto& p : pols) {
        PolicyStats st = collect_stats(sc, p, o);
        std::vector<std::uint64_t> sorted = st.retries;
        std::sort(sorted.begin(), sorted.end());
        const double mean = sorted.empty() ? 0.0
                                           : static_cast<double>(std::accumulate(
                                                 sorted.begin(), sorted.end(), std::uint64_t{0})) /
                                                 static_cast<double>(sorted.size());
        const std::uint64_t p99 =
            sorted.empty() ? 0 : sorted[std::min(sorted.size() - 1, sorted.size() * 99 / 100)];
        const std::uint64_t max = sorted.empty() ? 0 : sorted.back();
        // Histogram buckets 0, 1, 2, 3, 4-7, 8-15, 16+.
        const std::vector<std::pair<std::uint64_t, std::string>> buckets = {
            {0, "0"}, {1, "1"}, {2, "2"}, {3, "3"}, {4, "4-7"}, {8, "8-15"}, {16, "16+"}};
        std::vector<std::uint64_t> counts(buckets.size(), 0);
        for (auto v : sorted) {
            std::size_t b = 0;
            while (b + 1 < buckets.size() && v >= buckets[b + 1].first) {
                ++b;
            }
            ++counts[b];
        }
        nlohmann::json pj = {
            {"scenario", sc.name},         {"policy", st.policy},  {"actor", sc.actors.at(0).name},
            {"executions", st.executions}, {"retries_mean", mean}, {"retries_p99", p99},
            {"retries_max", max}};
        nlohmann::json hist = nlohmann::json::object();
        nlohmann::json res = nlohmann::json::object();
        out += fmt::format("\n{} ({} executions)\n  retries: mean {:.3f}, p99 {}, max {}\n",
                           st.policy, st.executions, mean, p99, max);
        for (std::size_t b = 0; b < buckets.size(); ++b) {
            hist[buckets[b].second] = counts[b];
            if (counts[b] == 0) {
                continue;
            }
            const double frac = static_cast<double>(counts[b]) / static_cast<double>(st.executions);
            out += fmt::format(
                "    {:>5} {:>8}  {:6.2f}%  {}\n", buckets[b].second, counts[b], 100.0 * frac,
                std::string(static_cast<std::size_t>(std::lround(frac * 40.0)), '#'));
        }
        out += "  results:";
        for (const auto& [k, n] : st.results) {
            res[k] = n;
            out += fmt::format(" {} {:.2f}%", k,
                               100.0 * static_cast<double>(n) / static_cast<double>(st.executions));
        }
        out += "\n";
        pj["retries_histogram"] = hist;
        pj["results"] = res;
        j.push_back(pj);
    }
    out += fmt::format(
        "\nrandom scheduling (every enabled actor equally likely at every step) "
        "from seed {}; a real machine's window is narrower\n",
        o.seed_given ? o.seed : sc.seed);
    std::cout << (o.json ? j.dump(2) + "\n" : out);
    return 0;
}

// --- check -------------------------------------------------------------------------------

std::vector<std::string> scenario_files(const std::vector<std::string>& paths) {
    std::vector<std::string> files;
    for (const auto& p : paths) {
        std::error_code ec;
        if (std::filesystem::is_directory(p, ec)) {
            for (const auto& e : std::filesystem::recursive_directory_iterator(p, ec)) {
                if (e.is_regular_file() && e.path().extension() == ".toml") {
                    files.push_back(e.path().string());
                }
            }
        } else if (std::filesystem::exists(p, ec)) {
            files.push_back(p);
        } else {
            throw InputError{fmt::format("{}: no such file or directory", p)};
        }
    }
    std::sort(files.begin(), files.end());
    return files;
}

int cmd_check(const Options& o) {
    const auto files =
        scenario_files(o.paths.empty() ? std::vector<std::string>{"scenarios"} : o.paths);
    std::size_t passed = 0;
    std::size_t failed = 0;
    std::size_t errors = 0;
    nlohmann::json j = nlohmann::json::array();
    for (const auto& f : files) {
        model::Scenario sc;
        try {
            sc = model::load_scenario(f);
        } catch (const model::ScenarioError& e) {
            ++errors;
            if (!o.json) {
                std::cout << fmt::format("ERROR {}\n", e.what());
            }
            j.push_back({{"file", f}, {"error", e.what()}});
            continue;
        }
        std::vector<model::Policy> pols = {sc.policy};
        for (const auto& [name, v] : sc.expect_policies) {
            const auto p = *model::parse_policy(name);
            if (std::find(pols.begin(), pols.end(), p) == pols.end()) {
                pols.push_back(p);
            }
        }
        bool ok = true;
        std::string line;
        for (const auto& p : pols) {
            Options oo = o;
            oo.iterations = 0;
            oo.seed_given = false;
            const CellReport c = explore_cell(sc, p, oo, fmt::format("{} {}", sc.name, p.name()));
            const std::string want = c.expected.empty() ? "clean" : c.expected;
            const bool match = verdict_matches(c, want);
            ok = ok && match;
            line += match ? fmt::format(" {}={}", p.name(), full_verdict(c))
                          : fmt::format(" {}={} (expected {})", p.name(), c.verdict, want);
            nlohmann::json cj = to_json(c);
            cj["expected"] = want;
            cj["ok"] = match;
            j.push_back(cj);
        }
        (ok ? passed : failed) += 1;
        if (!o.json) {
            std::cout << fmt::format("{} {}:{}\n", ok ? "ok   " : "FAIL ", f, line);
        }
    }
    if (o.json) {
        std::cout << j.dump(2) << "\n";
    } else {
        std::cout << fmt::format("check: {} passed, {} failed{}\n", passed, failed,
                                 errors != 0 ? fmt::format(", {} unreadable", errors) : "");
    }
    if (errors != 0) {
        return 2;
    }
    return failed != 0 ? 1 : 0;
}

}  // namespace

int run_cli(int argc, char** argv) {
    CLI::App app{
        "pfnsim: a deterministic concurrency simulator of the Linux mm page-table / "
        "VFIO pin path"};
    app.require_subcommand(1);
    Options o;

    auto add_common = [&o](CLI::App* c, bool policy) {
        if (policy) {
            c->add_option("--policy", o.policy,
                          std::string("retry policy: ") + model::kValidPolicies);
        }
        c->add_option("--step-bound", o.step_bound, "steps per execution before giving up");
        c->add_flag("--json", o.json, "print one JSON document");
        c->add_option("--trace-out", o.trace_out,
                      "write the execution as Chrome trace-event JSON (Perfetto)");
        c->add_option("--dot", o.dot_out, "write the execution as a Graphviz happens-before graph");
    };
    auto add_trace_mode = [&o](CLI::App* c) {
        c->add_option("--trace", o.trace, "full (every step) or diagram (the race only)")
            ->check(CLI::IsMember({"full", "diagram"}));
    };
    const auto add_faults = [&o](CLI::App* c) {
        c->add_option("--faults", o.faults,
                      "open every fault site, at most N faults per execution (as sweep "
                      "--faults N); default: the scenario's fault_retry budgets");
    };
    auto* run = app.add_subcommand("run", "one execution with its trace");
    run->add_option("scenario", o.scenario, "scenario file")->required();
    add_common(run, true);
    add_faults(run);
    run->add_option("--seed", o.seed, "execution seed (default: the scenario's)");
    add_trace_mode(run);

    auto* explore = app.add_subcommand("explore", "many executions, violations with witnesses");
    explore->add_option("scenario", o.scenario, "scenario file")->required();
    add_common(explore, true);
    explore->add_option("--strategy", o.strategy, "exploration strategy: random or pct");
    auto* depth = explore->add_option(
        "--depth", o.depth, "PCT depth d: d-1 priority change points per execution (default 3)");
    explore->add_option("--iterations", o.iterations, "executions (default: the scenario's)");
    explore->add_option("--seed", o.seed, "first seed (default: the scenario's)");
    explore->add_flag("--quiet", o.quiet, "no progress on stderr");
    explore->add_flag("--no-minimize", o.no_minimize, "report violations as found");

    auto* replay = app.add_subcommand("replay", "replay one execution from a seed or schedule");
    replay->add_option("scenario", o.scenario, "scenario file")->required();
    add_common(replay, true);
    add_faults(replay);
    auto* rs = replay->add_option("--seed", o.seed, "execution seed from a report");
    auto* rsc = replay->add_option("--schedule", o.schedule, "schedule string from a report");
    add_trace_mode(replay);
    rs->excludes(rsc);
    rsc->excludes(rs);

    auto* matrix = app.add_subcommand("matrix", "every retry policy against the scenarios");
    matrix->add_option("scenarios", o.paths, "scenario files (default: the flagship set)");
    matrix->add_option("--iterations", o.iterations, "executions per cell");
    matrix->add_option("--seed", o.seed, "first seed of every cell");
    matrix->add_option("--step-bound", o.step_bound, "steps per execution before giving up");
    matrix->add_flag("--json", o.json, "print a JSON array");
    matrix->add_flag("--markdown", o.markdown, "print a markdown table");
    matrix->add_flag("--quiet", o.quiet, "no progress on stderr");

    auto* stats = app.add_subcommand("stats", "retries per pin and results, per retry policy");
    stats->add_option("scenario", o.scenario, "scenario file")->required();
    stats->add_option("--policy", o.policy,
                      std::string("one retry policy (default: all): ") + model::kValidPolicies);
    stats->add_option("--iterations", o.iterations, "executions (default: the scenario's)");
    stats->add_option("--seed", o.seed, "first seed (default: the scenario's)");
    stats->add_option("--step-bound", o.step_bound, "steps per execution before giving up");
    stats->add_flag("--json", o.json, "print a JSON array");
    stats->add_flag("--quiet", o.quiet, "no progress on stderr");
    SweepOptions so;
    auto* sweep = add_sweep_command(app, so);
    auto* merge = add_merge_command(app, so);

    auto* check = app.add_subcommand("check", "run scenario files against their expectations");
    check->add_option("paths", o.paths, "files or directories (default: scenarios)");
    check->add_flag("--json", o.json, "print a JSON array");
    check->add_flag("--quiet", o.quiet, "no progress on stderr");

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        std::string names;
        for (const auto* c : app.get_subcommands({})) {
            names += (names.empty() ? "" : ", ") + c->get_name();
        }
        if (argc > 1 && argv[1][0] != '-' && app.get_subcommands().empty()) {
            std::cerr << "pfnsim: unknown command '" << argv[1] << "' (valid: " << names << ")\n";
        } else if (argc == 1) {
            std::cerr << "pfnsim: a command is required (valid: " << names << ")\n";
        } else {
            std::cerr << "pfnsim: " << e.what() << " (see pfnsim --help)\n";
        }
        return 2;
    }
    for (auto* c : {run, explore, replay, matrix, stats}) {
        if (c->parsed()) {
            o.seed_given = c->count("--seed") > 0;
        }
    }
    try {
        if (o.trace.empty()) {
            o.trace = replay->parsed() ? "diagram" : "full";
        }
        if (run->parsed()) {
            return cmd_run(o, false);
        }
        if (explore->parsed()) {
            return cmd_explore(o, depth->count() > 0);
        }
        if (replay->parsed()) {
            if (!o.seed_given && o.schedule.empty()) {
                throw InputError{"replay needs --seed N or --schedule STR"};
            }
            return cmd_run(o, true);
        }
        if (matrix->parsed()) {
            return cmd_matrix(o);
        }
        if (check->parsed()) {
            return cmd_check(o);
        }
        if (stats->parsed()) {
            return cmd_stats(o);
        }
        if (sweep->parsed()) {
            return cmd_sweep(so);
        }
        if (merge->parsed()) {
            return cmd_merge(so);
        }
    } catch (const InputError& e) {
        std::cerr << "pfnsim: " << e.message << "\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "pfnsim: internal error: " << e.what() << "\n";
        return 2;
    }
    return 2;
}

}  // namespace pfnsim::cli
