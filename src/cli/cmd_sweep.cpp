// pfnsim sweep and pfnsim merge: exhaustive sweeps, shards and their certificates.
#include <fmt/format.h>

#include <charconv>
#include <chrono>
#include <csignal>
#include <iostream>

#include "cli/options.hpp"
#include "cli/progress.hpp"
#include "cli/render.hpp"
#include "pfnsim/app/envelope.hpp"
#include "pfnsim/app/error.hpp"
#include "pfnsim/app/files.hpp"
#include "pfnsim/model/limits.hpp"

namespace pfnsim::cli {

namespace {

template <typename T>
bool parse_number(const std::string& s, T& out) {
    const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return !s.empty() && ec == std::errc() && ptr == s.data() + s.size();
}

std::optional<unsigned> parse_preemptions(const std::string& s) {
    if (s == "all") {
        return std::nullopt;
    }
    const std::optional<std::uint64_t> n = model::parse_number(model::limits::kPreemptions, s);
    if (!n) {
        throw app::InputError{fmt::format("bad --preemptions '{}' (valid: a bound {}, or all)", s,
                                          model::valid_range(model::limits::kPreemptions))};
    }
    return static_cast<unsigned>(*n);
}

std::pair<unsigned, unsigned> parse_shard(const std::string& s) {
    const auto slash = s.find('/');
    unsigned i = 0;
    unsigned n = 0;
    if (slash == std::string::npos || !parse_number(s.substr(0, slash), i) ||
        !parse_number(s.substr(slash + 1), n) || n == 0 || i >= n || n > app::kMaxShards) {
        throw app::InputError{
            fmt::format("bad --shard '{}' (valid: i/N with 0 <= i < N <= 100000, e.g. 0/4)", s)};
    }
    return {i, n};
}

// Set by SIGINT during a sweep: it stops between executions and saves its checkpoint.
std::atomic<bool> g_interrupted{false};
static_assert(std::atomic<bool>::is_always_lock_free);

extern "C" void on_sigint(int /*sig*/) {
    g_interrupted = true;
}

// A terminal line: executions, rate, and an estimate of the total from the branching so far.
std::function<void(const sim::SweepProgress&)> progress_printer(const std::string& label,
                                                                ProgressLine& line) {
    using clock = std::chrono::steady_clock;
    const auto start = clock::now();
    auto last = start;
    std::uint64_t first = ~std::uint64_t{0};
    return [label, start, last, first, &line](const sim::SweepProgress& p) mutable {
        const auto now = clock::now();
        if (first == ~std::uint64_t{0}) {
            first = p.executions;  // resumed from a checkpoint: the rate is this run's
        }
        if (now - last < std::chrono::milliseconds(200)) {
            return;
        }
        last = now;
        const double secs = std::chrono::duration<double>(now - start).count();
        const double rate = secs > 0 ? static_cast<double>(p.executions - first) / secs : 0;
        const std::string estimate =
            p.estimate > 0 ? fmt::format(", ~{:.3g} in all", p.estimate) : std::string();
        line.show(fmt::format("{}: {} executions, {:.0f}/s{}", label, p.executions, rate, estimate),
                  true);
    };
}

}  // namespace

int cmd_sweep(const Options& o) {
    const app::Plan plan = load_plan(o);
    app::SweepRequest rq;
    rq.preemptions = parse_preemptions(o.preemptions);
    rq.reduce = !o.no_reduction;
    if (o.stateless && o.stateful) {
        throw app::InputError{"--stateless and --stateful exclude each other"};
    }
    if (o.stateless || o.stateful) {
        rq.stateful = o.stateful;
    }
    rq.max_states = o.max_states;
    rq.audit_states = o.audit_states;
    rq.max_executions = o.max_executions;
    rq.time_limit = o.time_limit;
    rq.stop_on_first = o.stop_on_first;
    rq.jobs = o.jobs;
    if (!o.shard.empty()) {
        rq.shard = parse_shard(o.shard);
    }
    rq.checkpoint = o.checkpoint;
    rq.minimize = !o.no_minimize;
    rq.minimize_budget = minimize_budget(o);
    app::SweepHooks hooks;
    ProgressLine line(progress_wanted(o.quiet));
    if (line.enabled()) {
        hooks.progress = progress_printer("sweep " + plan.scenario.name, line);
    }
    hooks.minimize_progress =
        minimize_printer(o.quiet, "sweep " + plan.scenario.name, rq.minimize_budget);
    g_interrupted = false;
    hooks.interrupt = &g_interrupted;
    const auto previous = std::signal(SIGINT, on_sigint);
    app::Result r;
    try {
        r = app::run_sweep(plan, rq, hooks);
    } catch (...) {
        std::signal(SIGINT, previous);
        throw;
    }
    std::signal(SIGINT, previous);
    line.clear();
    hooks.minimize_progress = nullptr;  // clears the minimiser's line, if any
    std::cout << (o.json || r.certificate->shard ? sweep_json(r).dump(2) + "\n" : sweep_text(r));
    return exit_code(r, true);
}

int cmd_merge(const Options& o) {
    std::vector<app::Result> parts;
    for (const auto& f : o.paths) {
        parts.push_back(app::read_shard(app::read_input(f, app::kStateCap, "shard"), f));
    }
    app::check_shard_tasks(parts, o.paths);
    const app::Result m = app::merge_shards(parts, o.paths, !o.no_minimize, minimize_budget(o));
    std::cout << (o.json ? sweep_json(m).dump(2) + "\n" : sweep_text(m));
    return exit_code(m, true);
}

}  // namespace pfnsim::cli
