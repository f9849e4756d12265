#include "pfnsim/app/result.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace pfnsim::app {

namespace {

std::string plural(std::uint64_t n, const char* word) {
    return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s");
}

}  // namespace

std::string Certificate::bound_text() const {
    const std::string p = preemptions ? fmt::format("≤{} preemptions", *preemptions)
                                      : std::string("any number of preemptions");
    const std::string f =
        faults ? fmt::format("≤{} faults", *faults) : std::string("the scenario's fault budgets");
    return p + " and " + f;
}

std::string Certificate::line() const {
    std::string counts =
        fmt::format("{} ({} pruned by reduction); {}", plural(totals.executions, "execution"),
                    totals.pruned, plural(totals.violations.size(), "violation"));
    if (stateful) {
        // States reached by two tasks (threads, shards) count once per task.
        counts = fmt::format(
            "{}{}, {}, {}; {}", plural(totals.states, "state"),
            tasks > 1 ? " (counted per task)" : "", plural(totals.transitions, "transition"),
            plural(totals.executions, "execution"), plural(totals.violations.size(), "violation"));
    }
    std::string under = "policy " + policy;
    for (const auto& [k, v] : kernel) {
        under += fmt::format(", {}={}", k, v);
    }
    const std::string what = fmt::format("{} ({}) with {}", scenario, under, bound_text());
    if (shard && complete) {
        return fmt::format(
            "shard {}/{} of the schedules of {} explored: {} (merge all shards for the "
            "certificate)",
            shard->first, shard->second, what, counts);
    }
    if (complete) {
        bool livelock = false;
        for (const auto& v : totals.violations) {
            livelock = livelock || v.violation.kind == sim::ViolationKind::Livelock;
        }
        if (stateful) {
            return fmt::format("all reachable states of {} explored: {}{}", what, counts,
                               livelock ? "" : "; no fair cycle");
        }
        return fmt::format("all schedules of {} explored: {}{}", what, counts,
                           livelock ? "" : "; no fair cycle (livelock) within the bound");
    }
    std::string why = stopped.empty()            ? std::string()
                      : stopped == "interrupted" ? std::string(" (interrupted)")
                                                 : " (--" + stopped + ")";
    if (!missing_shards.empty()) {
        std::string m;
        for (unsigned i : missing_shards) {
            m += fmt::format("{}{}", m.empty() ? "" : ", ", i);
        }
        why = fmt::format(" (shards missing: {})", m);
    } else if (stopped.empty()) {
        why = " (a shard stopped early)";
    }
    return fmt::format(
        "INCOMPLETE: the sweep of {} stopped early{}: {} so far; not a certificate (rerun with "
        "--checkpoint to finish it)",
        what, why, counts);
}

const sim::Tally& Result::tally() const {
    if (certificate) {
        return certificate->totals;
    }
    return report;
}

bool Result::certified() const {
    return certificate && certificate->complete;
}

std::string Result::decided() const {
    if (certificate) {
        if (!certificate->complete) {
            return "incomplete";
        }
        return certificate->preemptions ? "bounded" : "certified";
    }
    return run ? "" : "sampled";
}

bool Result::complete() const {
    return certificate ? certificate->complete : !report.interrupted;
}

void judge(Result& r) {
    // A sweep's own witnesses count even when they could not be put through the pipeline (a
    // merge whose scenario file cannot be read); the findings add the self-check's reports.
    std::vector<sim::Witness> ws;
    if (r.certificate) {
        ws = r.certificate->totals.violations;
    }
    for (const auto& f : r.findings) {
        ws.push_back(f.witness);
    }
    r.verdict = verdict_of(ws);
    r.as_expected = meets(r.verdict, r.expected);
    // A bug variant's expectation may also say what the violation names ("invariant: I-PFN").
    if (const std::string& d = r.plan.scenario.expect_detail; r.as_expected && !d.empty()) {
        r.as_expected = std::any_of(ws.begin(), ws.end(), [&](const sim::Witness& w) {
            return r.expected.starts_with(sim::kind_name(w.violation.kind)) &&
                   w.violation.detail.find(d) != std::string::npos;
        });
    }
    r.unexpected_found = unexpected(ws, r.expected.empty() ? "clean" : r.expected);
}

}  // namespace pfnsim::app
