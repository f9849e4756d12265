#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "cli/render.hpp"
#include "pfnsim/app/error.hpp"
#include "pfnsim/app/provenance.hpp"
#include "pfnsim/sim/diagram.hpp"
#include "pfnsim/sim/minimize.hpp"
#include "pfnsim/sim/text.hpp"
#include "pfnsim/sim/trace.hpp"

namespace pfnsim::cli {

namespace {

std::string plural(std::uint64_t n, const char* word) {
    return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s");
}

std::string verdict_line(const app::Result& r) {
    std::string s = fmt::format("verdict     {}{}\n", r.verdict.name(),
                                r.expected.empty() ? std::string()
                                : r.as_expected    ? " (as expected)"
                                                   : fmt::format(" (expected {})", r.expected));
    if (!r.verdict.also.empty()) {
        std::string also;
        for (const auto& a : r.verdict.also) {
            also += (also.empty() ? "" : ", ") + a;
        }
        s += wrap("also found  " + also, 80, 12, false);
    }
    // How it was decided, for every result that is not one execution.
    if (const std::string d = r.decided(); !d.empty() && !(r.certificate && r.certificate->shard)) {
        s += fmt::format("decided     {}\n", decided_text(r));
    }
    return s;
}

// "key         value" wrapped to 80 columns, the value's continuation lines under itself.
std::string field(const char* key, const std::string& value) {
    return fmt::format("{:<11} ", key) + wrap(value, 80, 12, false, 12).substr(12);
}

std::string results_lines(const std::vector<std::map<std::string, std::uint64_t>>& results,
                          const std::vector<std::string>& actors) {
    std::string s;
    for (std::size_t a = 0; a < actors.size() && a < results.size(); ++a) {
        std::string r;
        for (const auto& [k, n] : results[a]) {
            r += fmt::format("{}{} x{}", r.empty() ? "" : ", ", k, n);
        }
        s += field(a == 0 ? "results" : "", fmt::format("{}: {}", actors[a], r));
    }
    return s;
}

// A finding: its minimised diagram, or how to replay it as found; a lock order, lockdep's
// report of it.
std::string finding_text(const app::Finding& f, std::uint64_t executions,
                         const app::LockOrderView& orders) {
    const sim::Witness& w = f.witness;
    if (w.violation.kind == sim::ViolationKind::LockOrder) {
        if (const std::string lr = lock_report_text(orders, w.violation, executions); !lr.empty()) {
            return fmt::format(
                "\n{}{}",
                wrap(fmt::format("{}: {}", sim::kind_name(w.violation.kind), w.violation.detail),
                     80, 2, false),
                lr);
        }
    }
    std::string s = fmt::format("\n{}: {} ({} of {})\n", sim::kind_name(w.violation.kind),
                                w.violation.detail, w.count, plural(executions, "execution"));
    if (f.minimized) {
        const auto& m = *f.minimized;
        if (w.lasso) {
            s += fmt::format(
                "  proven by a lasso: {} steps, then a fair cycle of {} steps for "
                "ever\n\n",
                w.lasso->prefix_steps, w.lasso->cycle_steps);
        } else {
            s += fmt::format("  minimised from {}, {}\n  to {}, {} (steps up to the violation)\n",
                             plural(m.original_steps, "step"),
                             plural(m.original_preemptions, "preemption"), plural(m.steps, "step"),
                             plural(m.preemptions, "preemption"));
            if (f.minimize_stopped == "budget") {
                s += fmt::format("  minimisation stopped by its budget after {}\n",
                                 plural(m.executions, "execution"));
            } else if (f.minimize_stopped == "time") {
                s += fmt::format(
                    "  minimisation stopped by its budget ({}) after {}:\n  a time budget, so "
                    "where it stops varies between runs\n",
                    f.minimize_budget, plural(m.executions, "execution"));
            } else if (f.minimize_stopped == "interrupted") {
                s += fmt::format("  minimisation interrupted (SIGINT) after {}\n",
                                 plural(m.executions, "execution"));
            }
            s += "\n";
        }
        return s + f.diagram;
    }
    s += fmt::format("  witness:  {}, {}{}\n", plural(w.preemptions, "preemption"),
                     plural(w.steps, "step"),
                     w.faults != 0 ? ", " + plural(w.faults, "injected fault") : "");
    s += fmt::format("  replay:   {}\n", f.replay);
    return s;
}

// "12 certified, 3 sampled": the cells of the files by how they were decided.
std::string decided_counts(const std::vector<app::CheckedFile>& files) {
    std::map<std::string, std::size_t> n;
    for (const auto& f : files) {
        for (const auto& c : f.cells) {
            ++n[c.decided()];
        }
    }
    std::string s;
    for (const char* d : {"certified", "bounded", "sampled", "incomplete"}) {
        if (n[d] != 0) {
            s += fmt::format("{}{} {}", s.empty() ? "" : ", ", n[d], d);
        }
    }
    return s.empty() ? "no cells decided" : s;
}

}  // namespace

std::string decided_text(const app::Result& r) {
    const std::string d = r.decided();
    if (d == "certified" || d == "bounded") {
        const app::Certificate& c = *r.certificate;
        const std::string what = c.stateful ? plural(c.totals.states, "state")
                                            : plural(c.totals.executions, "execution");
        return d == "certified" ? fmt::format("certified (a complete {} sweep, {})",
                                              c.stateful ? "stateful" : "stateless", what)
                                : fmt::format("bounded (a complete sweep of ≤{} preemptions, {})",
                                              *c.preemptions, what);
    }
    if (d == "sampled") {
        return fmt::format("sampled ({} {} executions)", r.tally().executions,
                           sim::traits(r.strategy).label);
    }
    if (d == "incomplete") {
        return fmt::format("incomplete (the sweep stopped: {})", r.certificate->stopped);
    }
    return d;
}

std::string decided_of(const app::CheckedFile& f) {
    std::vector<std::string> ds;
    for (const auto& c : f.cells) {
        ds.push_back(c.decided());
    }
    if (ds.empty() ||
        std::all_of(ds.begin(), ds.end(), [&](const auto& d) { return d == ds[0]; })) {
        return ds.empty() ? "" : ds[0];
    }
    std::string s;
    for (std::size_t i = 0; i < ds.size(); ++i) {
        s += fmt::format("{}{} ({})", i == 0 ? "" : ", ", ds[i], f.cells[i].plan.policy.name());
    }
    return s;
}

std::string classes(const app::Result& r) {
    std::string s = r.verdict.full();
    for (const auto& a : r.verdict.also) {
        s += "+" + a;
    }
    return s;
}

// The last line of a report, within 80 columns (the scenario's path is in its first line).
std::string provenance_line(const std::string& scenario_hash) {
    return fmt::format("{}, scenario hash {}\n", app::version_line(), scenario_hash);
}

std::string provenance_text(const app::Plan& plan) {
    return provenance_line(plan.scenario_hash);
}

namespace {
// "kernel      preempt=voluntary, rwsem=fifo" for the --kernel settings, or "".
std::string kernel_line(const model::KernelSettings& k) {
    std::string s;
    for (const auto& w : app::kernel_words(k)) {
        s += (s.empty() ? "" : ", ") + w;
    }
    return s.empty() ? s : "kernel      " + wrap(s, 80, 12, false, 12).substr(12);
}
}  // namespace

std::string explore_text(const app::Result& r) {
    std::string s;
    s += field("scenario",
               fmt::format("{} ({})", r.plan.scenario.name, sim::escape_name(r.plan.file())));
    s += fmt::format("policy      {}\n", r.plan.policy.name());
    s += kernel_line(r.plan.kernel);
    const std::string params = r.strategy == sim::StrategyKind::Pct
                                   ? fmt::format(", depth {}, k {},", r.pct_depth, r.pct_steps)
                                   : "";
    s += fmt::format("explored    {} ({} strategy{} from seed {}), {}\n",
                     plural(r.report.executions, "execution"), sim::traits(r.strategy).label,
                     params, r.plan.seed, plural(r.report.steps, "step"));
    if (r.report.interrupted) {
        s += fmt::format("interrupted by SIGINT after {} of {}: the findings so far\n",
                         plural(r.report.executions, "execution"), r.iterations);
    }
    s += results_lines(r.report.results, r.actors);
    s += verdict_line(r);
    for (const auto& f : r.findings) {
        s += finding_text(f, r.report.executions, r.lock_order);
    }
    if (r.lock_order.listed) {
        s += fmt::format("\n{}", lock_graph_text(r.lock_order, r.report.executions));
    }
    return s + "\n" + provenance_text(r.plan);
}

std::string run_text(const app::Result& r, bool diagram) {
    const app::Run& run = r.run.value();
    const sim::Outcome& out = run.outcome;
    auto program = r.plan.program();
    std::string s = field("scenario", fmt::format("{} ({})", r.plan.scenario.name,
                                                  sim::escape_name(r.plan.file()))) +
                    fmt::format("policy      {}\n", r.plan.policy.name());
    s += kernel_line(r.plan.kernel);
    s += run.by_seed ? fmt::format("seed        {}\n", out.seed)
                     : fmt::format("schedule    {}\n", run.given);
    s += "\n";
    s += diagram && !r.findings.empty()
             ? sim::render_diagram(out, *program, r.findings.front().witness.violation, "")
             : sim::render_trace(out, *program);
    s += "\n";
    std::string res;
    for (std::size_t a = 0; a < out.results.size(); ++a) {
        res += fmt::format("{}{}: {}", res.empty() ? "" : ", ", r.actors[a],
                           out.results[a].empty() ? "(stopped)" : out.results[a]);
    }
    s += field("results", res);
    s += fmt::format("outcome     {}, {}, {}, trace hash {:016x}\n", sim::status_name(out.status),
                     plural(out.steps, "step"), plural(sim::count_preemptions(out), "preemption"),
                     out.trace_hash);
    s += fmt::format("schedule    {}\n", run.schedule);
    s += verdict_line(r);
    for (const auto& f : r.findings) {
        s += fmt::format("  {}: {}\n", sim::kind_name(f.witness.violation.kind),
                         f.witness.violation.detail);
    }
    if (!r.findings.empty()) {
        s += "replay      " + wrap(run.replay, 80, 14, true, 12).substr(12);
    }
    for (const auto& f : r.findings) {
        s += lock_report_text(r.lock_order, f.witness.violation, 1);
    }
    if (r.lock_order.listed) {
        s += fmt::format("\n{}", lock_graph_text(r.lock_order, 1));
    }
    return s + "\n" + provenance_text(r.plan);
}

std::string sweep_text(const app::Result& r) {
    const app::Certificate& c = r.certificate.value();
    std::string out;
    out += field("scenario", fmt::format("{} ({})", c.scenario, c.file));
    out += fmt::format("policy      {}\n", c.policy);
    out += kernel_line(c.kernel);
    out += wrap(fmt::format("bound       {}; {}", c.bound_text(),
                            c.reduction ? "sleep-set reduction" : "no reduction"),
                80, 12, false);
    if (c.shard) {
        out += fmt::format("shard       {}/{}: {} of {} tasks done\n", c.shard->first,
                           c.shard->second, c.tasks_done, c.tasks);
    }
    out += wrap(
        fmt::format("explored    {}, {}; {} pruned by reduction, {}",
                    plural(c.totals.executions, "execution"), plural(c.totals.steps, "step"),
                    plural(c.totals.pruned, "option"), plural(c.totals.redundant, "redundant run")),
        80, 12, false);
    out += fmt::format("states      {}\n",
                       plural(c.totals.final_states.size(), "distinct final state"));
    out += results_lines(c.totals.results, c.actors);
    out += verdict_line(r);
    for (const auto& f : r.findings) {
        out += finding_text(f, c.totals.executions, r.lock_order);
    }
    if (!r.not_minimized.empty()) {
        out += fmt::format("\n(witnesses not minimised: {})\n", r.not_minimized);
    }
    if (r.lock_order.listed) {
        out += fmt::format("\n{}", lock_graph_text(r.lock_order, c.totals.executions));
    }
    out += '\n';
    out += wrap(c.line(), 80, 2, false);
    return out + provenance_line(c.scenario_hash);
}

std::string stats_text(const app::Plan& plan, const std::vector<app::PolicyStats>& st) {
    std::string out = fmt::format("{}: retries of {} per execution and its results\n",
                                  plan.scenario.name, plan.scenario.actors.at(0).name);
    for (const auto& s : st) {
        std::vector<std::uint64_t> sorted = s.retries;
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
        out += fmt::format("\n{} ({})\n  retries: mean {:.3f}, p99 {}, max {}\n", s.policy,
                           plural(s.executions, "execution"), mean, p99, max);
        for (std::size_t b = 0; b < buckets.size(); ++b) {
            if (counts[b] == 0) {
                continue;
            }
            const double frac = static_cast<double>(counts[b]) / static_cast<double>(s.executions);
            out += fmt::format(
                "    {:>5} {:>8}  {:6.2f}%  {}\n", buckets[b].second, counts[b], 100.0 * frac,
                std::string(static_cast<std::size_t>(std::lround(frac * 40.0)), '#'));
        }
        out += "  results:";
        for (const auto& [k, n] : s.results) {
            out += fmt::format(" {} {:.2f}%", k,
                               100.0 * static_cast<double>(n) / static_cast<double>(s.executions));
        }
        out += '\n';
        out += wrap("most retries: " + s.max_replay, 80, 6, true, 2);
    }
    out += '\n';
    out += wrap(fmt::format("random scheduling (every enabled actor equally likely at every "
                            "step) from seed {}; a real machine's window is narrower",
                            plan.seed),
                80, 0, false);
    return out + "\n" + provenance_text(plan);
}

std::string check_text(const std::vector<app::CheckedFile>& files) {
    std::string out;
    std::size_t passed = 0;
    std::size_t failed = 0;
    std::size_t errors = 0;
    for (const auto& f : files) {
        if (!f.error.empty()) {
            ++errors;
            out += wrap(fmt::format("ERROR {}", app::one_line(f.error)), 80, 6, false);
            continue;
        }
        // The file, then its cells packed into lines of 80 columns (a cell is never split).
        // How it was decided: once for the file when its cells agree, else on each cell.
        const bool mixed = std::any_of(f.cells.begin(), f.cells.end(), [&](const auto& c) {
            return c.decided() != f.cells.front().decided();
        });
        std::string line = fmt::format("{} {} [{}] {}:", f.ok() ? "ok   " : "FAIL ", f.name(),
                                       f.cells.empty() ? "" : f.cells.front().plan.scenario_hash,
                                       mixed ? "mixed" : decided_of(f));
        if (line.size() > 80) {  // a long file name: wrapped, the cells go on its last line
            const std::string w = wrap(line, 80, 6, false);
            const std::size_t last = w.rfind('\n', w.size() - 2);
            out += w.substr(0, last + 1);
            line = w.substr(last + 1, w.size() - last - 2);
        }
        // A line longer than 80 columns (one cell too long for a line of its own, a livelock
        // class with its expectation): wrapped at its spaces, under the cells.
        const auto emit = [&out](const std::string& l) {
            const std::size_t lead = l.find_first_not_of(' ');
            out += l.size() <= 80 ? l + "\n"
                                  : wrap(l, 80, 8, false, lead == std::string::npos ? 0 : lead);
        };
        for (std::size_t i = 0; i < f.cells.size(); ++i) {
            const auto& c = f.cells[i];
            const std::string want = c.expected.empty() ? "clean" : c.expected;
            std::string cell =
                c.as_expected
                    ? fmt::format("{}={}", c.plan.policy.name(), classes(c))
                    : fmt::format("{}={} (expected {})", c.plan.policy.name(), classes(c), want);
            if (mixed) {
                cell += fmt::format(" ({})", c.decided());
            }
            if (line.size() + 1 + cell.size() > 80 &&
                line.find_first_not_of(' ') != std::string::npos) {
                emit(line);
                line = "     ";
            }
            line += " " + cell;
        }
        (f.ok() ? passed : failed) += 1;
        emit(line);
    }
    out += fmt::format("check: {} passed, {} failed{}; {}\n", passed, failed,
                       errors != 0 ? fmt::format(", {} not decided (ERROR)", errors) : "",
                       decided_counts(files));
    return out + app::version_line() + "\n";
}

}  // namespace pfnsim::cli
