#include "cli/sweep_command.hpp"

#include <fmt/format.h>

#include <charconv>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/common.hpp"
#include "cli/report.hpp"
#include "pfnsim/model/world.hpp"
#include "pfnsim/sim/diagram.hpp"
#include "pfnsim/sim/replay_strategy.hpp"
#include "pfnsim/sim/schedule.hpp"

namespace pfnsim::cli {

namespace {

using nlohmann::json;

template <typename T>
bool parse_number(const std::string& s, T& out) {
    const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return !s.empty() && ec == std::errc() && ptr == s.data() + s.size();
}

std::optional<unsigned> parse_preemptions(const std::string& s) {
    if (s == "all") {
        return std::nullopt;
    }
    unsigned n = 0;
    if (!parse_number(s, n) || n > 1000) {
        throw InputError{fmt::format("bad --preemptions '{}' (valid: a bound 0..1000, or all)", s)};
    }
    return n;
}

std::pair<unsigned, unsigned> parse_shard(const std::string& s) {
    const auto slash = s.find('/');
    unsigned i = 0;
    unsigned n = 0;
    if (slash == std::string::npos || !parse_number(s.substr(0, slash), i) ||
        !parse_number(s.substr(slash + 1), n) || n == 0 || i >= n || n > 100000) {
        throw InputError{fmt::format("bad --shard '{}' (valid: i/N with 0 <= i < N, e.g. 0/4)", s)};
    }
    return {i, n};
}

std::string plural(std::uint64_t n, const char* word) {
    return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s");
}

std::string bound_text(const SweepSummary& s) {
    const std::string p = s.preemptions ? fmt::format("≤{} preemptions", *s.preemptions)
                                        : std::string("any number of preemptions");
    const std::string f = s.faults ? fmt::format("≤{} faults", *s.faults)
                                   : std::string("the scenario's fault budgets");
    return p + " and " + f;
}

std::vector<sim::Witness> as_witnesses(const SweepSummary& s) {
    std::vector<sim::Witness> ws;
    for (const auto& w : s.totals.violations) {
        ws.push_back({w.violation,
                      0,
                      sim::encode_schedule({w.schedule, std::nullopt}),
                      w.count,
                      w.steps,
                      {}});
    }
    return ws;
}

std::string replay_line(const SweepSummary& s, const sim::SweepWitness& w) {
    return fmt::format("pfnsim replay {} --policy {}{} --schedule {}", s.file, s.policy,
                       s.replay_options, sim::encode_schedule({w.schedule, std::nullopt}));
}

// Every witness is minimised before it is reported, as explore's are: under the options that
// `replay` is given (step bound, faults), and checked by replay inside minimize().
void minimize_witnesses(SweepSummary& s, const model::Scenario& sc) {
    model::World world(sc);
    world.set_policy(policy_named(s.policy, sc));
    sim::ExecutionConfig ec;
    ec.step_bound = s.step_bound;
    ec.max_faults = s.faults;
    s.minimized.clear();
    s.diagrams.clear();
    for (const auto& w : s.totals.violations) {
        sim::ReplayStrategy replay(sim::Schedule{w.schedule, std::nullopt});
        const sim::Outcome original = sim::run_execution(world, replay, 0, ec);
        std::optional<sim::Minimized> m;
        if (replay.error().empty()) {
            m = sim::minimize(world, original, w.violation, ec);
        }
        std::string d;
        if (m) {
            d = sim::render_diagram(m->outcome, world, w.violation,
                                    fmt::format("pfnsim replay {} --policy {}{} --schedule {}",
                                                s.file, s.policy, s.replay_options, m->schedule));
        }
        s.minimized.push_back(std::move(m));
        s.diagrams.push_back(std::move(d));
    }
}

std::string hex(std::uint64_t v) {
    return fmt::format("{:016x}", v);
}

std::uint64_t unhex(const json& j) {
    const std::string s = j.get<std::string>();
    std::uint64_t v = 0;
    const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 16);
    if (ec != std::errc() || ptr != s.data() + s.size()) {
        throw InputError{fmt::format("'{}' is not a hex state hash", s)};
    }
    return v;
}

json witness_json(const sim::SweepWitness& w) {
    return {{"kind", w.violation.kind},
            {"actor", w.violation.actor},
            {"detail", w.violation.detail},
            {"seed", nullptr},
            {"schedule", sim::encode_schedule({w.schedule, std::nullopt})},
            {"count", w.count},
            {"steps", w.steps},
            {"preemptions", w.preemptions},
            {"faults", w.faults}};
}

sim::SweepWitness witness_from_json(const json& j) {
    sim::SweepWitness w;
    w.violation = {j.at("kind").get<std::string>(), j.at("actor").get<std::string>(),
                   j.at("detail").get<std::string>()};
    w.schedule = sim::decode_schedule(j.at("schedule").get<std::string>()).choices;
    w.count = j.at("count").get<std::uint64_t>();
    w.steps = j.at("steps").get<std::uint64_t>();
    w.preemptions = j.at("preemptions").get<unsigned>();
    w.faults = j.at("faults").get<unsigned>();
    return w;
}

json totals_json(const sim::SweepTotals& t, const std::vector<std::string>& actors, bool hashes) {
    json j;
    j["executions"] = t.executions;
    j["steps"] = t.steps;
    j["pruned"] = t.pruned;
    j["redundant"] = t.redundant;
    json results = json::object();
    for (std::size_t a = 0; a < actors.size(); ++a) {
        json r = json::object();
        if (a < t.results.size()) {
            for (const auto& [k, n] : t.results[a]) {
                r[k] = n;
            }
        }
        results[actors[a]] = r;
    }
    j["results"] = results;
    j["final_states"] = t.final_states.size();
    if (hashes) {
        json h = json::array();
        for (std::uint64_t v : t.final_states) {
            h.push_back(hex(v));
        }
        j["final_state_hashes"] = h;
    }
    json vs = json::array();
    for (const auto& w : t.violations) {
        vs.push_back(witness_json(w));
    }
    j["violations"] = vs;
    return j;
}

sim::SweepTotals totals_from_json(const json& j, const std::vector<std::string>& actors) {
    sim::SweepTotals t;
    t.executions = j.at("executions").get<std::uint64_t>();
    t.steps = j.at("steps").get<std::uint64_t>();
    t.pruned = j.at("pruned").get<std::uint64_t>();
    t.redundant = j.at("redundant").get<std::uint64_t>();
    t.results.resize(actors.size());
    for (std::size_t a = 0; a < actors.size(); ++a) {
        for (const auto& [k, n] : j.at("results").at(actors[a]).items()) {
            t.results[a][k] = n.get<std::uint64_t>();
        }
    }
    for (const auto& h : j.at("final_state_hashes")) {
        t.final_states.insert(unhex(h));
    }
    for (const auto& v : j.at("violations")) {
        t.add_witness(witness_from_json(v));
    }
    return t;
}

std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw InputError{fmt::format("{}: cannot read the file", path)};
    }
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// Written to a temporary file and renamed: an interrupted save leaves the previous checkpoint.
void write_atomically(const std::string& path, const std::string& text) {
    const std::string tmp = path + ".tmp";
    {
        std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
        if (!f || !(f << text) || !f.flush()) {
            throw InputError{fmt::format("{}: cannot write the checkpoint", tmp)};
        }
    }
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) {
        throw InputError{fmt::format("{}: cannot write the checkpoint: {}", path, ec.message())};
    }
}

// Set by SIGINT during a sweep: it stops between executions and saves its checkpoint.
std::atomic<bool> g_interrupted{false};
static_assert(std::atomic<bool>::is_always_lock_free);

extern "C" void on_sigint(int /*sig*/) {
    g_interrupted = true;
}

// A terminal line: executions, rate, and an estimate of the total from the branching so far.
std::function<void(const sim::SweepProgress&)> progress_printer(const std::string& label,
                                                                std::uint64_t resumed,
                                                                bool& printed) {
    using clock = std::chrono::steady_clock;
    const auto start = clock::now();
    auto last = start;
    return [label, resumed, start, last, &printed](const sim::SweepProgress& p) mutable {
        const auto now = clock::now();
        if (now - last < std::chrono::milliseconds(200)) {
            return;
        }
        last = now;
        const double secs = std::chrono::duration<double>(now - start).count();
        const double rate = secs > 0 ? static_cast<double>(p.executions - resumed) / secs : 0;
        const std::string estimate =
            p.estimate > 0
                ? fmt::format(", ~{:.3g} in all (estimated from the tree so far)", p.estimate)
                : std::string();
        std::cerr << fmt::format("\r\033[K{}: {} executions, {:.0f}/s{}", label, p.executions, rate,
                                 estimate)
                  << std::flush;
        printed = true;
    };
}

}  // namespace

json state_json(const sim::SweepState& s, const std::vector<std::string>& actors) {
    json j;
    j["pfnsim_checkpoint"] = 1;
    j["key"] = s.key;
    j["tasks"] = s.tasks;
    json done = json::array();
    for (std::size_t k = 0; k < s.done.size(); ++k) {
        if (s.done[k]) {
            done.push_back(k);
        }
    }
    j["done"] = done;
    j["finished"] = totals_json(s.finished, actors, true);
    json act = json::array();
    for (const auto& a : s.active) {
        json frontier = json::array();
        for (const auto& n : a.frontier) {
            frontier.push_back({{"o", n.options},
                                {"e", n.explorable},
                                {"s", n.sleep},
                                {"c", n.chosen},
                                {"a", n.current},
                                {"p", n.preemptions_before},
                                {"d", n.data}});
        }
        act.push_back({{"task", a.task},
                       {"pruned", a.pruned},
                       {"frontier", frontier},
                       {"totals", totals_json(a.totals, actors, true)}});
    }
    j["active"] = act;
    return j;
}

sim::SweepState state_from_json(const json& j, const std::vector<std::string>& actors) {
    sim::SweepState s;
    if (j.at("pfnsim_checkpoint").get<int>() != 1) {
        throw InputError{"unsupported checkpoint version"};
    }
    s.key = j.at("key").get<std::string>();
    s.tasks = j.at("tasks").get<std::vector<std::vector<std::uint32_t>>>();
    s.done.assign(s.tasks.size(), false);
    for (const auto& k : j.at("done")) {
        s.done.at(k.get<std::size_t>()) = true;
    }
    s.finished = totals_from_json(j.at("finished"), actors);
    for (const auto& a : j.at("active")) {
        sim::SweepState::Active act;
        act.task = a.at("task").get<std::size_t>();
        if (act.task >= s.tasks.size()) {
            throw InputError{"an active task is out of range"};
        }
        act.pruned = a.at("pruned").get<std::uint64_t>();
        for (const auto& n : a.at("frontier")) {
            sim::DfsStrategy::Node node;
            node.options = n.at("o").get<std::vector<std::uint32_t>>();
            node.explorable = n.at("e").get<std::uint64_t>();
            node.sleep = n.at("s").get<std::uint64_t>();
            node.chosen = n.at("c").get<std::uint32_t>();
            node.current = n.at("a").get<sim::ActorId>();
            node.preemptions_before = n.at("p").get<unsigned>();
            node.data = n.at("d").get<bool>();
            if (node.chosen >= node.options.size()) {
                throw InputError{"a saved choice is out of range"};
            }
            act.frontier.push_back(std::move(node));
        }
        act.totals = totals_from_json(a.at("totals"), actors);
        s.active.push_back(std::move(act));
    }
    s.partitioned = true;
    return s;
}

std::string certificate_line(const SweepSummary& s) {
    const std::string counts =
        fmt::format("{} ({} pruned by reduction); {}", plural(s.totals.executions, "execution"),
                    s.totals.pruned, plural(s.totals.violations.size(), "violation"));
    const std::string what =
        fmt::format("{} (policy {}) with {}", s.scenario, s.policy, bound_text(s));
    if (s.shard && s.complete) {
        return fmt::format(
            "shard {}/{} of the schedules of {} explored: {} (merge all shards for the "
            "certificate)",
            s.shard->first, s.shard->second, what, counts);
    }
    if (s.complete) {
        bool livelock = false;
        for (const auto& v : s.totals.violations) {
            livelock = livelock || v.violation.kind == "livelock";
        }
        return fmt::format("all schedules of {} explored: {}{}", what, counts,
                           livelock ? "" : "; no fair cycle (livelock) within the bound");
    }
    std::string why = s.stopped.empty()            ? std::string()
                      : s.stopped == "interrupted" ? std::string(" (interrupted)")
                                                   : " (--" + s.stopped + ")";
    if (!s.missing_shards.empty()) {
        std::string m;
        for (unsigned i : s.missing_shards) {
            m += fmt::format("{}{}", m.empty() ? "" : ", ", i);
        }
        why = fmt::format(" (shards missing: {})", m);
    } else if (s.stopped.empty()) {
        why = " (a shard stopped early)";
    }
    return fmt::format(
        "INCOMPLETE: the sweep of {} stopped early{}: {} so far; not a certificate (rerun with "
        "--checkpoint to finish it)",
        what, why, counts);
}

std::string summary_text(const SweepSummary& s) {
    std::string out;
    out += fmt::format("scenario    {} ({})\n", s.scenario, s.file);
    out += fmt::format("policy      {}\n", s.policy);
    out += fmt::format("bound       {}; {}\n", bound_text(s),
                       s.reduction ? "sleep-set reduction" : "no reduction");
    if (s.shard) {
        out += fmt::format("shard       {}/{}: {} of {} tasks done\n", s.shard->first,
                           s.shard->second, s.tasks_done, s.tasks);
    }
    out +=
        fmt::format("explored    {}, {}; {} pruned by reduction, {}\n",
                    plural(s.totals.executions, "execution"), plural(s.totals.steps, "step"),
                    plural(s.totals.pruned, "option"), plural(s.totals.redundant, "redundant run"));
    out += fmt::format("states      {}\n",
                       plural(s.totals.final_states.size(), "distinct final state"));
    for (std::size_t a = 0; a < s.actors.size() && a < s.totals.results.size(); ++a) {
        std::string r;
        for (const auto& [k, n] : s.totals.results[a]) {
            r += fmt::format("{}{} x{}", r.empty() ? "" : ", ", k, n);
        }
        out += fmt::format("{:<11} {}: {}\n", a == 0 ? "results" : "", s.actors[a], r);
    }
    const std::string verdict = verdict_of(as_witnesses(s));
    out += fmt::format("verdict     {}{}\n", verdict,
                       s.expected.empty()      ? std::string()
                       : s.expected == verdict ? " (as expected)"
                                               : fmt::format(" (expected {})", s.expected));
    for (std::size_t i = 0; i < s.totals.violations.size(); ++i) {
        const auto& w = s.totals.violations[i];
        out += fmt::format("\n{}: {} ({} of {})\n", w.violation.kind, w.violation.detail, w.count,
                           plural(s.totals.executions, "execution"));
        out += fmt::format("  witness:  {}, {}{}\n", plural(w.preemptions, "preemption"),
                           plural(w.steps, "step"),
                           w.faults != 0 ? ", " + plural(w.faults, "injected fault") : "");
        if (i < s.minimized.size() && s.minimized[i]) {
            const auto& m = *s.minimized[i];
            if (w.violation.kind != "livelock") {
                out += fmt::format("  minimised to {} up to the violation and {}\n\n",
                                   plural(m.steps, "step"), plural(m.preemptions, "preemption"));
            } else {
                out += "\n";
            }
            out += s.diagrams[i];
        } else {
            out += fmt::format("  replay:   {}\n", replay_line(s, w));
        }
    }
    if (!s.not_minimized.empty()) {
        out += fmt::format("\n(witnesses not minimised: {})\n", s.not_minimized);
    }
    out += "\n" + certificate_line(s) + "\n";
    return out;
}

json summary_json(const SweepSummary& s, bool state_hashes) {
    json j;
    j["command"] = "sweep";
    j["scenario"] = s.scenario;
    j["file"] = s.file;
    j["policy"] = s.policy;
    j["strategy"] = "dfs";
    j["actors"] = s.actors;
    j["complete"] = s.complete;
    if (!s.stopped.empty()) {
        j["stopped"] = s.stopped;
    }
    j["bound"] = {{"preemptions", s.preemptions ? json(*s.preemptions) : json("all")},
                  {"faults", s.faults ? json(*s.faults) : json("scenario")}};
    j["reduction"] = s.reduction;
    j["step_bound"] = s.step_bound;
    j["replay_options"] = s.replay_options;
    json t = totals_json(s.totals, s.actors, state_hashes);
    for (auto& [k, v] : t.items()) {
        j[k] = v;
    }
    std::size_t i = 0;
    for (auto& v : j["violations"]) {
        v["replay"] = fmt::format("pfnsim replay {} --policy {}{} --schedule {}", s.file, s.policy,
                                  s.replay_options, v["schedule"].get<std::string>());
        if (i < s.minimized.size() && s.minimized[i]) {
            const auto& m = *s.minimized[i];
            v["minimized"] = {
                {"schedule", m.schedule},
                {"steps", m.steps},
                {"total_steps", m.total_steps},
                {"preemptions", m.preemptions},
                {"replay", fmt::format("pfnsim replay {} --policy {}{} --schedule {}", s.file,
                                       s.policy, s.replay_options, m.schedule)},
                {"diagram", s.diagrams[i]}};
        }
        ++i;
    }
    if (!s.not_minimized.empty()) {
        j["not_minimized"] = s.not_minimized;
    }
    j["verdict"] = verdict_of(as_witnesses(s));
    if (!s.expected.empty()) {
        j["expected"] = s.expected;
    }
    if (s.shard) {
        j["shard"] = {{"index", s.shard->first},
                      {"count", s.shard->second},
                      {"tasks", s.tasks},
                      {"tasks_done", s.tasks_done}};
    }
    if (!s.missing_shards.empty()) {
        j["missing_shards"] = s.missing_shards;
    }
    j["certificate"] = certificate_line(s);
    return j;
}

SweepSummary summary_from_json(const json& j) {
    SweepSummary s;
    if (!j.is_object() || j.value("command", "") != "sweep") {
        throw InputError{"not the JSON of a pfnsim sweep"};
    }
    s.scenario = j.at("scenario").get<std::string>();
    s.file = j.at("file").get<std::string>();
    s.policy = j.at("policy").get<std::string>();
    s.actors = j.at("actors").get<std::vector<std::string>>();
    s.complete = j.at("complete").get<bool>();
    s.stopped = j.value("stopped", "");
    const auto& b = j.at("bound");
    if (b.at("preemptions").is_number()) {
        s.preemptions = b.at("preemptions").get<unsigned>();
    }
    if (b.at("faults").is_number()) {
        s.faults = b.at("faults").get<unsigned>();
    }
    s.reduction = j.at("reduction").get<bool>();
    s.step_bound = j.at("step_bound").get<std::uint64_t>();
    s.replay_options = j.at("replay_options").get<std::string>();
    s.expected = j.value("expected", "");
    if (!j.contains("final_state_hashes")) {
        throw InputError{"it has no final_state_hashes: only the JSON of a --shard run merges"};
    }
    s.totals = totals_from_json(j, s.actors);
    if (j.contains("shard")) {
        s.shard = std::pair{j.at("shard").at("index").get<unsigned>(),
                            j.at("shard").at("count").get<unsigned>()};
        s.tasks = j.at("shard").at("tasks").get<std::size_t>();
        s.tasks_done = j.at("shard").at("tasks_done").get<std::size_t>();
    }
    return s;
}

CLI::App* add_sweep_command(CLI::App& app, SweepOptions& o) {
    auto* c = app.add_subcommand(
        "sweep", "every schedule within a preemption and fault bound, with a certificate");
    c->add_option("scenario", o.scenario, "scenario file")->required();
    c->add_option("--preemptions", o.preemptions, "preemption bound: a number, or all")->required();
    c->add_option("--faults", o.faults,
                  "injected faults per execution: a number (every fault site open), or scenario "
                  "(the scenario's fault_retry budgets; the default)");
    c->add_option("--policy", o.policy, std::string("retry policy: ") + model::kValidPolicies);
    c->add_option("--step-bound", o.step_bound, "steps per execution before giving up");
    c->add_flag("--json", o.json, "print one JSON document");
    c->add_option("--max-executions", o.max_executions, "stop after this many executions");
    c->add_option("--time-limit", o.time_limit, "stop after this many seconds");
    c->add_flag("--stop-on-first", o.stop_on_first, "stop at the first violation");
    c->add_flag("--quiet", o.quiet, "no progress on stderr");
    c->add_option("--jobs", o.jobs, "threads (results do not depend on it)");
    c->add_option("--shard", o.shard, "explore shard i of N (i/N) and print its JSON");
    c->add_option("--checkpoint", o.checkpoint,
                  "save progress to FILE; rerunning with the same FILE resumes");
    c->add_flag("--no-reduction", o.no_reduction, "explore every interleaving (no sleep sets)");
    c->add_flag("--no-minimize", o.no_minimize, "report witnesses as found");
    return c;
}

CLI::App* add_merge_command(CLI::App& app, SweepOptions& o) {
    auto* c = app.add_subcommand("merge", "combine the JSON of sweep shards into one certificate");
    c->add_option("files", o.files, "JSON files written by sweep --shard i/N")->required();
    c->add_flag("--json", o.json, "print one JSON document");
    c->add_flag("--no-minimize", o.no_minimize, "report witnesses as found");
    return c;
}

int cmd_sweep(const SweepOptions& o) {
    const model::Scenario sc = load(o.scenario);
    const model::Policy policy = policy_named(o.policy, sc);
    sim::SweepConfig cfg;
    cfg.max_preemptions = parse_preemptions(o.preemptions);
    cfg.exec.max_faults = parse_faults(o.faults);
    cfg.exec.step_bound = o.step_bound != 0 ? o.step_bound : sc.step_bound;
    cfg.reduce = !o.no_reduction;
    cfg.max_executions = o.max_executions;
    cfg.stop_on_first = o.stop_on_first;
    if (o.time_limit < 0) {
        throw InputError{fmt::format("bad --time-limit '{}' (valid: seconds > 0)", o.time_limit)};
    }
    cfg.time_limit = o.time_limit;
    if (o.jobs == 0 || o.jobs > 1024) {
        throw InputError{fmt::format("bad --jobs '{}' (valid: 1..1024 threads)", o.jobs)};
    }
    cfg.jobs = o.jobs;
    if (!o.shard.empty()) {
        std::tie(cfg.shard, cfg.shards) = parse_shard(o.shard);
    }

    SweepSummary s;
    s.scenario = sc.name;
    s.file = sc.path;
    s.policy = policy.name();
    for (const auto& a : sc.actors) {
        s.actors.push_back(a.name);
    }
    s.preemptions = cfg.max_preemptions;
    s.faults = cfg.exec.max_faults;
    s.reduction = cfg.reduce;
    s.step_bound = cfg.exec.step_bound;
    if (s.faults) {
        s.replay_options += fmt::format(" --faults {}", *s.faults);
    }
    if (o.step_bound != 0) {
        s.replay_options += fmt::format(" --step-bound {}", o.step_bound);
    }
    s.expected = expected_for(sc, policy);
    if (!o.shard.empty()) {
        s.shard = std::pair{cfg.shard, cfg.shards};
    }

    // What a checkpoint must agree with: everything that shapes the tree or its split.
    const std::string key = fmt::format(
        "{} {:016x} policy={} preemptions={} faults={} reduction={} step_bound={} shard={}/{}",
        sc.name, sim::fnv1a(read_text(sc.path)), s.policy, o.preemptions, o.faults, s.reduction,
        s.step_bound, cfg.shard, cfg.shards);
    sim::SweepState state;
    state.key = key;
    if (!o.checkpoint.empty() && std::filesystem::exists(o.checkpoint)) {
        try {
            state = state_from_json(json::parse(read_text(o.checkpoint)), s.actors);
        } catch (const InputError& e) {
            throw InputError{
                fmt::format("{}: not a pfnsim checkpoint ({})", o.checkpoint, e.message)};
        } catch (const json::exception& e) {
            throw InputError{
                fmt::format("{}: not a pfnsim checkpoint ({})", o.checkpoint, e.what())};
        } catch (const sim::ScheduleError& e) {
            throw InputError{
                fmt::format("{}: not a pfnsim checkpoint ({})", o.checkpoint, e.what())};
        } catch (const std::out_of_range& e) {
            throw InputError{
                fmt::format("{}: not a pfnsim checkpoint ({})", o.checkpoint, e.what())};
        }
        if (state.key != key) {
            throw InputError{
                fmt::format("{}: the checkpoint belongs to another sweep ({}); this one is ({})",
                            o.checkpoint, state.key, key)};
        }
    }

    sim::SweepHooks hooks;
    if (!o.checkpoint.empty()) {
        hooks.save = [&](const sim::SweepState& st) {
            write_atomically(o.checkpoint, state_json(st, s.actors).dump() + "\n");
        };
    }
    bool printed = false;
    if (progress_wanted(o.quiet)) {
        std::uint64_t resumed = state.finished.executions;
        for (const auto& a : state.active) {
            resumed += a.totals.executions;
        }
        hooks.progress = progress_printer("sweep " + sc.name, resumed, printed);
    }
    const sim::ProgramFactory make = [&sc, &policy]() -> std::unique_ptr<sim::Program> {
        auto w = std::make_unique<model::World>(sc);
        w->set_policy(policy);
        return w;
    };
    sim::SweepReport rep;
    g_interrupted = false;
    cfg.interrupt = &g_interrupted;
    const auto previous = std::signal(SIGINT, on_sigint);
    try {
        rep = sim::sweep(make, cfg, state, hooks);
    } catch (const sim::SweepError& e) {
        std::signal(SIGINT, previous);
        throw InputError{fmt::format("the sweep cannot go on: {}", e.what())};
    }
    std::signal(SIGINT, previous);
    if (printed) {
        std::cerr << "\r\033[K" << std::flush;
    }
    s.totals = std::move(rep.totals);
    s.complete = rep.complete;
    s.stopped = rep.stopped;
    s.tasks = rep.tasks;
    s.tasks_done = rep.tasks_done;
    if (!s.shard && !o.no_minimize) {
        minimize_witnesses(s, sc);  // shards are minimised when merged
    }
    if (o.json || s.shard) {
        std::cout << summary_json(s, s.shard.has_value()).dump(2) << "\n";
    } else {
        std::cout << summary_text(s);
    }
    if (s.stopped == "interrupted") {
        return 130;  // as a shell reports SIGINT; the checkpoint (if any) is saved
    }
    return unexpected(as_witnesses(s), s.expected.empty() ? "clean" : s.expected) ? 1 : 0;
}

int cmd_merge(const SweepOptions& o) {
    std::vector<SweepSummary> parts;
    for (const auto& f : o.files) {
        const std::string text = read_text(f);
        try {
            parts.push_back(summary_from_json(json::parse(text)));
        } catch (const InputError& e) {
            throw InputError{fmt::format("{}: {}", f, e.message)};
        } catch (const std::exception& e) {
            throw InputError{fmt::format("{}: not the JSON of a sweep shard ({})", f, e.what())};
        }
        if (!parts.back().shard) {
            throw InputError{fmt::format("{}: not the JSON of a sweep shard (no \"shard\")", f)};
        }
    }
    SweepSummary m = parts.front();
    const unsigned count = m.shard->second;
    std::vector<bool> seen(count, false);
    m.totals = sim::SweepTotals{};
    m.complete = true;
    m.stopped.clear();
    m.tasks = 0;
    m.tasks_done = 0;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        const SweepSummary& p = parts[i];
        if (p.scenario != m.scenario || p.policy != m.policy || p.preemptions != m.preemptions ||
            p.faults != m.faults || p.reduction != m.reduction || p.step_bound != m.step_bound ||
            p.actors != m.actors || p.shard->second != count) {
            throw InputError{fmt::format(
                "{}: a shard of another sweep (scenario, policy, bounds, step bound, reduction "
                "and shard count must all match {})",
                o.files[i], o.files.front())};
        }
        if (seen[p.shard->first]) {
            throw InputError{
                fmt::format("{}: shard {}/{} given twice", o.files[i], p.shard->first, count)};
        }
        seen[p.shard->first] = true;
        m.totals.merge(p.totals);
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
    if (!o.no_minimize && !m.totals.violations.empty()) {
        // The shards name their scenario file; it must be readable from here, unchanged.
        try {
            minimize_witnesses(m, load(m.file));
        } catch (const InputError& e) {
            m.not_minimized = e.message;
        }
    }
    if (o.json) {
        std::cout << summary_json(m, false).dump(2) << "\n";
    } else {
        std::cout << summary_text(m);
    }
    return unexpected(as_witnesses(m), m.expected.empty() ? "clean" : m.expected) ? 1 : 0;
}

}  // namespace pfnsim::cli
