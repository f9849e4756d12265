// The lock-order graph and its reports as text, in lockdep's words and shape, and as JSON.
#include <fmt/format.h>

#include <algorithm>

#include "cli/render.hpp"
#include "pfnsim/sim/text.hpp"

namespace pfnsim::cli {

using nlohmann::json;

namespace {

std::string plural(std::uint64_t n, const char* word) {
    return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s");
}

// "  key    value" with the value wrapped under itself; `shell`: a command.
std::string item(std::size_t indent, const char* key, const std::string& value, bool shell) {
    const std::size_t at = indent + 10;
    const std::string head = fmt::format("{}{:<9} ", std::string(indent, ' '), key);
    return head +
           wrap(value.empty() ? "(no call chain recorded)" : value, 80, at, shell, at).substr(at);
}

// lock() or rlock() of a class, as lockdep's scenario table writes it.
std::string take(const std::string& mode, const sim::LockNode& n) {
    return fmt::format("{}lock({});", mode == "read" ? "r" : "", n.name());
}

// An edge, its first line after `head` (of `indent` columns or fewer, "" for spaces).
std::string edge_text(const app::LockOrderEdge& e, std::uint64_t executions, std::size_t indent,
                      const std::string& head = "") {
    const std::size_t first = std::max(indent, head.size());
    std::string s = fmt::format("{:<{}}{}", head, first,
                                wrap(fmt::format("{} ({} of {})", e.key.text(), e.info.count,
                                                 plural(executions, "execution")),
                                     80, indent + 2, false, first)
                                    .substr(first));
    s += item(indent + 2, "held", e.held, false);
    s += item(indent + 2, "acquired", e.acquire, false);
    s += item(indent + 2, "replay", e.replay, true);
    return s;
}

std::string needs_text(const sim::LockReport& r) {
    if (r.needs.empty()) {
        return "\n  Nothing more: the orders seen can deadlock as they are.\n";
    }
    std::string s = "\n  A deadlock also needs:\n";
    for (const auto& n : r.needs) {
        s += wrap(fmt::format("- {}", n), 80, 6, false, 4);
    }
    return s;
}

std::string circular_text(const app::LockOrderView& v, const app::LockOrderReport& lr,
                          std::uint64_t executions) {
    const sim::LockReport& r = lr.report;
    std::string s;
    s += "  ======================================================\n";
    s += "  WARNING: possible circular locking dependency detected\n";
    s += "  ------------------------------------------------------\n";
    s += "  the existing dependency chain is:\n";
    for (std::size_t i = 0; i < lr.edges.size(); ++i) {
        s += "\n";
        s += edge_text(v.edges[lr.edges[i]], executions, 4, fmt::format("  -> #{} ", i));
    }
    s += "\n  other info that might help us debug this:\n\n";
    const std::size_t n = r.edges.size();
    const sim::LockEdgeKey& first = r.edges.front();  // CPU0 holds A, takes B
    const sim::LockEdgeKey& last = r.edges.back();    // CPU1 holds the last class, takes A
    if (n > 2) {
        std::string chain;
        for (std::size_t i = 1; i < n; ++i) {
            chain += fmt::format("{}{}", chain.empty() ? "" : " --> ", r.edges[i].from.name());
        }
        s += fmt::format("   Chain exists of:\n{}\n", wrap(chain, 80, 5, false, 5));
    }
    s += "   Possible unsafe locking scenario:\n\n";
    s += fmt::format("  {:<31}{}\n", "       CPU0", "CPU1");
    s += fmt::format("  {:<31}{}\n", "       ----", "----");
    const std::string col(31, ' ');
    s += fmt::format("    {}\n", take(first.from_mode, first.from));
    s += fmt::format("  {}{}\n", col, take(last.from_mode, last.from));
    s += fmt::format("  {}{}\n", col, take(last.to_mode, last.to));
    s += fmt::format("    {}\n", take(first.to_mode, first.to));
    s += "\n   *** DEADLOCK ***\n";
    return s + needs_text(r);
}

std::string recursive_text(const app::LockOrderView& v, const app::LockOrderReport& lr,
                           std::uint64_t executions) {
    const sim::LockEdgeKey& k = lr.report.edges.front();
    std::string s;
    s += "  ============================================\n";
    s += "  WARNING: possible recursive locking detected\n";
    s += "  --------------------------------------------\n";
    s += "  trying to acquire the lock it already holds:\n";
    s += edge_text(v.edges[lr.edges.front()], executions, 4);
    s += "\n  other info that might help us debug this:\n";
    s += "   Possible unsafe locking scenario:\n\n";
    s += "         CPU0\n         ----\n";
    s += fmt::format("    {}\n    {}\n", take(k.from_mode, k.from), take(k.to_mode, k.to));
    s += "\n   *** DEADLOCK ***\n\n   May be due to missing lock nesting notation\n";
    return s + needs_text(lr.report);
}

}  // namespace

std::string lock_report_text(const app::LockOrderView& v, const sim::Violation& violation,
                             std::uint64_t executions) {
    for (const auto& lr : v.reports) {
        if (lr.violation == violation) {
            return fmt::format("\n{}", lr.report.recursive ? recursive_text(v, lr, executions)
                                                           : circular_text(v, lr, executions));
        }
    }
    return "";
}

std::string lock_graph_text(const app::LockOrderView& v, std::uint64_t executions) {
    const std::string what =
        fmt::format("{} between {}, the union of {}; {}", plural(v.edges.size(), "edge"),
                    v.classes == 1 ? std::string("1 class") : fmt::format("{} classes", v.classes),
                    plural(executions, "execution"),
                    v.reports.empty() ? std::string("no cycle")
                                      : plural(v.reports.size(), "possible deadlock"));
    std::string s = fmt::format("lock order  {}", wrap(what, 80, 12, false, 12).substr(12));
    for (const auto& e : v.edges) {
        s += edge_text(e, executions, 2);
    }
    return s;
}

json lock_order_json(const app::LockOrderView& v) {
    std::vector<bool> reported(v.edges.size(), v.listed);
    for (const auto& r : v.reports) {
        for (const std::size_t i : r.edges) {
            reported[i] = true;
        }
    }
    json edges = json::array();
    for (std::size_t i = 0; i < v.edges.size(); ++i) {
        const app::LockOrderEdge& e = v.edges[i];
        edges.push_back({{"from", e.key.from.name()},
                         {"from_mode", e.key.from_mode},
                         {"to", e.key.to.name()},
                         {"to_mode", e.key.to_mode},
                         {"count", e.info.count},
                         {"gates", e.info.gates},
                         {"preemptions", e.info.preemptions},
                         {"steps", e.info.steps},
                         {"held", e.held},
                         {"acquired", e.acquire},
                         {"schedule", e.schedule}});
        if (reported[i]) {  // printed replay commands replay: the whole graph's with --lock-order
            edges.back()["replay"] = e.replay;
        }
    }
    json reports = json::array();
    for (const auto& r : v.reports) {
        reports.push_back({{"kind", r.report.recursive ? "recursive" : "circular"},
                           {"detail", r.violation.detail},
                           {"edges", r.edges},
                           {"needs", r.report.needs}});
    }
    return {{"classes", v.classes}, {"edges", edges}, {"reports", reports}};
}

}  // namespace pfnsim::cli
