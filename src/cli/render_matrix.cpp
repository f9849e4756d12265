#include <fmt/format.h>

#include <algorithm>

#include "cli/render.hpp"
#include "pfnsim/app/provenance.hpp"

namespace pfnsim::cli {

namespace {

// "0 -EBUSY": the results the first actor ended with.
std::string results_line(const app::ExploreResult& c, bool compact) {
    std::string s;
    for (const auto& [r, n] : c.report.results.at(0)) {
        std::string t = r == "(unfinished)" ? "-" : r;
        if (compact && t.rfind("-E", 0) == 0) {
            t = t.substr(2);  // "-EBUSY" -> "BUSY" to fit a narrow column
        }
        s += s.empty() ? t : " " + t;
    }
    return s;
}

// How the cells were decided: certificates, random executions, or both.
std::string how_decided(const app::Matrix& m) {
    std::size_t certified = 0;
    std::size_t all = 0;
    std::uint64_t random = 0;
    for (const auto& row : m.cells) {
        for (const auto& c : row) {
            ++all;
            if (c.certified) {
                ++certified;
            } else {
                random = c.report.executions;
            }
        }
    }
    if (certified == all) {
        return "every cell a stateful sweep of all reachable states,\nany number of preemptions";
    }
    if (certified == 0) {
        bool fallback = false;
        for (const auto& row : m.cells) {
            for (const auto& c : row) {
                fallback = fallback || !c.fallback.empty();
            }
        }
        return fallback ? fmt::format(
                              "no cell's sweep finished within its state budget:\nevery "
                              "cell (~) {} random executions",
                              random)
                        : fmt::format("{} random executions per cell", random);
    }
    return fmt::format(
        "{} of {} cells a stateful sweep of all reachable states;\nthe others (~) {} random "
        "executions",
        certified, all, random);
}

// The finding that decides a cell's verdict.
const app::Finding* deciding(const app::ExploreResult& c) {
    for (const auto& f : c.findings) {
        if (f.witness.violation.kind == c.verdict.kind) {
            return &f;
        }
    }
    return nullptr;
}

std::string returned(const app::Finding& f) {
    const auto& d = f.witness.violation.detail;
    return d.substr(d.rfind(' ') + 1);
}

std::pair<std::string, std::string> cell_lines_of(const app::ExploreResult& c,
                                                  const std::string& ref) {
    const app::Finding* f = deciding(c);
    if (!c.verdict.kind) {
        return {"ok", results_line(c, true)};
    }
    if (f == nullptr) {
        return {c.verdict.name(), ""};
    }
    if (f->witness.lasso) {
        return {"livelock " + ref,
                fmt::format("{} {}", f->witness.lasso->killable ? "kill" : "UNKILL",
                            f->witness.lasso->yielding ? "yield" : "spin")};
    }
    if (c.verdict.kind == sim::ViolationKind::WrongReturn) {
        return {"wrong " + ref, returned(*f)};
    }
    return {c.verdict.name() + " " + ref, ""};
}

std::pair<std::string, std::string> cell_lines(const app::ExploreResult& c,
                                               const std::string& ref) {
    auto [a, b] = cell_lines_of(c, ref);
    if (!c.fallback.empty()) {
        a = "~" + a;  // random exploration: not a certificate
    }
    return {a, b};
}

std::string cell_markdown_of(const app::ExploreResult& c, const std::string& ref) {
    const app::Finding* f = deciding(c);
    if (!c.verdict.kind) {
        return "ok: " + results_line(c, false);
    }
    if (f == nullptr) {
        return c.verdict.name();
    }
    if (c.verdict.kind == sim::ViolationKind::WrongReturn) {
        return fmt::format("**wrong return** {} {}", returned(*f), ref);
    }
    return fmt::format("**{}** {}", c.verdict.full(), ref);
}

std::string cell_markdown(const app::ExploreResult& c, const std::string& ref) {
    const std::string s = cell_markdown_of(c, ref);
    return c.fallback.empty() ? s : s + " (random)";
}

// Cells with a violation get a numbered witness below the table.
std::vector<std::string> footnotes(const app::Matrix& m,
                                   std::vector<std::vector<std::string>>& refs) {
    std::vector<std::string> notes;
    refs.assign(m.cells.size(), {});
    for (std::size_t p = 0; p < m.cells.size(); ++p) {
        for (const auto& c : m.cells[p]) {
            std::string ref;
            if (const app::Finding* f = deciding(c); f != nullptr && c.verdict.kind) {
                std::string cmd = f->replay;
                if (f->witness.lasso) {
                    cmd =
                        fmt::format("{}   # lasso: {} steps, then a cycle of {}", cmd,
                                    f->witness.lasso->prefix_steps, f->witness.lasso->cycle_steps);
                }
                notes.push_back(cmd);
                ref = fmt::format("[{}]", notes.size());
            }
            refs[p].push_back(ref);
        }
    }
    return notes;
}

}  // namespace

std::string matrix_markdown(const app::Matrix& m) {
    std::vector<std::vector<std::string>> refs;
    const auto notes = footnotes(m, refs);
    std::string out = fmt::format(
        "Retry policy x scenario, {} (pfnsim matrix --markdown).\n\n"
        "| policy |",
        how_decided(m));
    for (const auto& c : m.columns) {
        out += fmt::format(" {} |", c.scenario.label);
    }
    out += "\n|---|";
    for (std::size_t i = 0; i < m.columns.size(); ++i) {
        out += "---|";
    }
    out += "\n";
    for (std::size_t p = 0; p < m.rows.size(); ++p) {
        out += fmt::format("| {} |", m.rows[p].name());
        for (std::size_t i = 0; i < m.columns.size(); ++i) {
            out += fmt::format(" {} |", cell_markdown(m.cells[p][i], refs[p][i]));
        }
        out += "\n";
    }
    out += "\n";
    for (std::size_t i = 0; i < notes.size(); ++i) {
        out += fmt::format("{}. `{}`\n", i + 1, notes[i]);
    }
    out += "\nColumns:\n";
    for (const auto& c : m.columns) {
        out += fmt::format("- {}: `{}` ({}) — {}\n", c.scenario.label, c.file(), c.scenario_hash,
                           c.scenario.description);
    }
    return out + "\n" + app::version_line() + "\n";
}

std::string matrix_text(const app::Matrix& m) {
    std::vector<std::vector<std::string>> refs;
    const auto notes = footnotes(m, refs);
    // At most 120 columns; each row is two lines (verdict, then results or class).
    const std::size_t n = m.columns.size();
    const std::size_t pw = 15;
    const std::size_t cw = std::max<std::size_t>(
        8, std::min<std::size_t>(24, (120 - pw) / std::max<std::size_t>(n, 1) - 2));
    auto fit = [cw](const std::string& s) { return s.size() > cw ? s.substr(0, cw) : s; };
    std::string out =
        fmt::format("pfnsim matrix: retry policy x scenario,\n{}\n\n", how_decided(m));
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
    for (const auto& c : m.columns) {
        head.push_back(c.scenario.label);
    }
    out += line("policy", head);
    std::string rule(pw, '-');
    for (std::size_t i = 0; i < n; ++i) {
        rule += "+-" + std::string(cw, '-');
    }
    out += rule + "\n";
    for (std::size_t p = 0; p < m.rows.size(); ++p) {
        std::vector<std::string> l1;
        std::vector<std::string> l2;
        for (std::size_t i = 0; i < n; ++i) {
            auto [a, b] = cell_lines(m.cells[p][i], refs[p][i]);
            l1.push_back(a);
            l2.push_back(b);
        }
        out += line(m.rows[p].name(), l1);
        out += line("", l2);
    }
    out +=
        "\nok: the results seen; wrong: a return no caller should get; livelock: a proven "
        "fair cycle\n(kill/UNKILL, spin/yield); ~: decided by random executions, not a "
        "certificate\n";
    for (const auto& c : m.columns) {
        out += fmt::format("  {:<13} {} {}\n", c.scenario.label, c.file(), c.scenario_hash);
    }
    out += "\n";
    for (std::size_t i = 0; i < notes.size(); ++i) {
        out += fmt::format("[{}] {}\n", i + 1, notes[i]);
    }
    return out + "\n" + app::version_line() + "\n";
}

}  // namespace pfnsim::cli
