// The matrix as text and markdown: at most `width` columns (80 unless --wide), tables split
// by columns where they would not fit, witnesses as numbered replay commands that are wrapped,
// never cut.
#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "cli/render.hpp"
#include "pfnsim/app/provenance.hpp"

namespace pfnsim::cli {

namespace {

// The finding that decides a cell's verdict.
const app::Finding* deciding(const app::Result& c) {
    for (const auto& f : c.findings) {
        if (f.witness.violation.kind == c.verdict.kind) {
            return &f;
        }
    }
    return nullptr;
}

// "pin returned -EBUSY" -> "-EBUSY".
std::string returned(const app::Finding& f) {
    const auto& d = f.witness.violation.detail;
    return d.substr(d.rfind(' ') + 1);
}

// "0 -EBUSY": the results the first actor ended with.
std::string results_line(const app::Result& c) {
    std::string s;
    for (const auto& [r, n] : c.tally().results.at(0)) {
        const std::string t = r == "(unfinished)" ? "-" : r;
        s += s.empty() ? t : " " + t;
    }
    return s;
}

// A cell as a verdict word with its witness reference, and its detail: the errno, the
// livelock's class, or (ok) the results seen. "~" marks a cell decided by random executions.
struct CellText {
    std::string verdict;
    std::string detail;
};

CellText cell_text(const app::Result& c, const std::string& ref) {
    CellText t;
    const app::Finding* f = deciding(c);
    const std::string r = ref.empty() ? "" : " " + ref;
    if (!c.verdict.kind) {
        t = {"ok", results_line(c)};
    } else if (f != nullptr && f->witness.lasso) {
        t = {"livelock" + r, fmt::format("{} {}", f->witness.lasso->killable ? "kill" : "UNKILL",
                                         f->witness.lasso->yielding ? "yield" : "spin")};
    } else if (f != nullptr && (c.verdict.kind == sim::ViolationKind::WrongReturn ||
                                c.verdict.kind == sim::ViolationKind::NewErrno)) {
        t = {(c.verdict.kind == sim::ViolationKind::NewErrno ? "new errno" : "wrong") + r,
             returned(*f)};
    } else {
        t = {c.verdict.name() + r, ""};
    }
    if (!c.fallback.empty()) {
        t.verdict = "~" + t.verdict;
    }
    return t;
}

// One line: "wrong -EINVAL [1]", "livelock kill spin [3]", "ok".
std::string cell_one_line(const app::Result& c, const std::string& ref) {
    CellText t = cell_text(c, "");
    if (!c.verdict.kind) {
        return t.verdict;
    }
    std::string s = t.verdict;
    if (!t.detail.empty()) {
        s += " " + t.detail;
    }
    return ref.empty() ? s : s + " " + ref;
}

// Words joined into lines of at most `width`: the first indented by `first`, the others by
// `indent`; a word longer than a line stands alone. With `shell`, words are shell words (a
// space inside single quotes does not split) and every line but the last ends in " \".
}  // namespace

std::string wrap(const std::string& text, std::size_t width, std::size_t indent, bool shell,
                 std::size_t first) {
    std::vector<std::string> words;
    std::string w;
    bool quoted = false;
    for (const char ch : text) {
        if (shell && ch == '\'') {
            quoted = !quoted;
        }
        if (ch == ' ' && !quoted) {
            if (!w.empty()) {
                words.push_back(w);
            }
            w.clear();
        } else {
            w += ch;
        }
    }
    if (!w.empty()) {
        words.push_back(w);
    }
    std::vector<std::string> lines(1, std::string(first, ' '));
    const std::size_t tail = shell ? 2 : 0;
    for (const auto& word : words) {
        std::string& l = lines.back();
        const bool blank = l.find_first_not_of(' ') == std::string::npos;
        if (!blank && l.size() + 1 + word.size() + tail > width) {
            lines.push_back(std::string(indent, ' ') + word);
        } else {
            l += blank ? word : " " + word;
        }
    }
    std::string out;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        out += lines[i] + (shell && i + 1 < lines.size() ? " \\\n" : "\n");
    }
    return out;
}

namespace {

// The numbered witnesses, in the order their cells are printed.
struct Notes {
    std::map<std::pair<std::size_t, std::size_t>, std::string> ref;  // (policy, column)
    std::vector<std::string> text;
};

Notes number_witnesses(const app::Matrix& m, const std::vector<app::MatrixView>& views,
                       std::size_t width) {
    Notes n;
    auto note = [&](std::size_t p, long i) {
        if (i < 0 || n.ref.count({p, i}) != 0) {
            return;
        }
        const app::Result& c = m.cells[p][static_cast<std::size_t>(i)];
        const app::Finding* f = deciding(c);
        if (f == nullptr || !c.verdict.kind) {
            return;
        }
        const std::string num = fmt::format("[{}]", n.text.size() + 1);
        // The command's continuation lines sit under it, indented.
        std::string s;
        if (f->witness.lasso) {
            s = fmt::format("{} a lasso: {} steps, then a cycle of {} repeated for ever\n", num,
                            f->witness.lasso->prefix_steps, f->witness.lasso->cycle_steps) +
                wrap(f->replay, width, 6, true, 4);
        } else {
            s = wrap(num + " " + f->replay, width, 6, true);
        }
        n.text.push_back(s);
        n.ref[{p, static_cast<std::size_t>(i)}] = num;
    };
    for (const auto& v : views) {
        for (const auto& b : v.blocks) {
            for (const auto& r : b.rows) {
                for (const auto& col : r.scenario) {
                    for (const long i : col) {
                        note(r.policy, i);
                    }
                }
            }
        }
    }
    return n;
}

std::string ref_of(const Notes& n, std::size_t p, long i) {
    auto it = n.ref.find({p, static_cast<std::size_t>(i)});
    return it == n.ref.end() ? "" : it->second;
}

std::string api_title(const std::string& api) {
    if (api == "einval") {
        return "follow_pfnmap_errno = einval (today's API)";
    }
    if (api == "enoent") {
        return "follow_pfnmap_errno = enoent (the proposed API)";
    }
    return "follow_pfnmap_errno unset (the enoent policies bring the API)";
}

// How the cells were decided, exactly: certificates, or how many random executions.
std::string how_decided(const app::Matrix& m) {
    std::size_t certified = 0;
    std::size_t all = 0;
    std::vector<std::uint64_t> random;
    std::string why;
    for (const auto& row : m.cells) {
        for (const auto& c : row) {
            ++all;
            if (c.certified()) {
                ++certified;
            } else {
                random.push_back(c.tally().executions);
                if (why.empty()) {
                    why = c.fallback;
                }
            }
        }
    }
    std::sort(random.begin(), random.end());
    std::string s;
    if (certified == all) {
        s = "Every cell is a certificate: a stateful sweep of all reachable states, any number "
            "of preemptions.";
    } else {
        const std::string n = random.front() == random.back()
                                  ? fmt::format("{} random executions", random.front())
                                  : fmt::format("{} to {} random executions (per file: below)",
                                                random.front(), random.back());
        s = certified == 0 ? fmt::format("Every cell (~) ran {}", n)
                           : fmt::format(
                                 "{} of {} cells are certificates (a stateful sweep of all "
                                 "reachable states, any number of preemptions); the "
                                 "others (~) ran {}",
                                 certified, all, n);
        s += why.empty() ? "." : fmt::format(" ({}).", why);
    }
    return s;
}

std::string legend(std::size_t width) {
    return wrap(
        "ok: results today's interface gives (listed); new errno: a return the interface never "
        "gave before, which userspace must handle; wrong: a return no caller should get; "
        "livelock: a proven fair cycle, kill or UNKILL (whether SIGKILL ends it), spin or "
        "yield (whether it reschedules); [n]: the witness below, to replay; ~: decided by "
        "random executions, not a certificate.",
        width, 0, false);
}

// The unexpected cells, named.
std::string unexpected_cells(const app::Matrix& m, std::size_t width) {
    std::string out;
    for (std::size_t p = 0; p < m.rows.size(); ++p) {
        for (std::size_t i = 0; i < m.columns.size(); ++i) {
            const app::Result& c = m.cells[p][i];
            if (!c.as_expected) {
                out += wrap(fmt::format("unexpected: {} under {}: {}, expected {}",
                                        m.columns[i].file(), m.rows[p].name(), c.verdict.full(),
                                        c.expected.empty() ? "clean" : c.expected),
                            width, 2, false);
            }
        }
    }
    return out;
}

// The files, with their hashes and (for cells decided at random) their executions.
std::string file_list(const app::Matrix& m, std::size_t width) {
    std::string out = "Files:\n";
    for (std::size_t i = 0; i < m.columns.size(); ++i) {
        const auto& c = m.columns[i];
        std::string s = fmt::format("{} {} {}", c.scenario_hash, c.scenario.label, c.file());
        for (std::size_t p = 0; p < m.rows.size(); ++p) {
            if (!m.cells[p][i].certified()) {
                s += fmt::format(" (~ {} random executions)", m.cells[p][i].tally().executions);
                break;
            }
        }
        out += "  " + wrap(s, width - 2, 4, false);
    }
    return out;
}

// A table: a header row, then each matrix row as its lines; columns split into as many
// tables as needed to fit `width`.
std::string table(const app::Matrix& m, const app::MatrixView& v, const app::MatrixView::Block& b,
                  const Notes& notes, std::size_t width) {
    // Every row's lines: [row][line][column].
    const std::size_t nc = v.columns.size();
    const std::size_t nl = v.pivot ? v.lines.size() : 2;
    std::vector<std::vector<std::vector<std::string>>> text;
    std::size_t rw = 6;  // "policy"
    for (const auto& r : b.rows) {
        rw = std::max(rw, m.rows[r.policy].name().size());
        std::vector<std::vector<std::string>> lines(nl, std::vector<std::string>(nc));
        for (std::size_t c = 0; c < nc; ++c) {
            if (v.pivot) {
                for (std::size_t l = 0; l < nl; ++l) {
                    const long i = r.scenario[c][l];
                    lines[l][c] =
                        i < 0 ? "-"
                              : cell_one_line(m.cells[r.policy][static_cast<std::size_t>(i)],
                                              ref_of(notes, r.policy, i));
                }
            } else {
                const long i = r.scenario[c][0];
                const CellText t = cell_text(m.cells[r.policy][static_cast<std::size_t>(i)],
                                             ref_of(notes, r.policy, i));
                lines[0][c] = t.verdict;
                lines[1][c] = t.detail;
            }
        }
        text.push_back(std::move(lines));
    }
    std::size_t lw = 0;  // the race names
    if (v.pivot) {
        for (const auto& l : v.lines) {
            lw = std::max(lw, l.size());
        }
        rw += 1 + lw;
    }
    std::vector<std::size_t> cw(nc);
    for (std::size_t c = 0; c < nc; ++c) {
        cw[c] = v.columns[c].size();
        for (const auto& rows : text) {
            for (const auto& l : rows) {
                cw[c] = std::max(cw[c], l[c].size());
            }
        }
    }
    std::string out;
    std::size_t first = 0;
    while (first < nc) {
        std::size_t last = first;
        std::size_t used = rw + 3 + cw[first];
        while (last + 1 < nc && used + 3 + cw[last + 1] <= width) {
            used += 3 + cw[++last];
        }
        auto line = [&](const std::string& head, const std::vector<std::string>& cells) {
            std::string l = fmt::format("{:<{}}", head, rw);
            for (std::size_t c = first; c <= last; ++c) {
                l += fmt::format(" | {:<{}}", cells[c], cw[c]);
            }
            while (!l.empty() && l.back() == ' ') {
                l.pop_back();
            }
            return l + "\n";
        };
        if (!out.empty()) {
            out += "\n";
        }
        out += line("policy", v.columns);
        std::string rule(rw, '-');
        for (std::size_t c = first; c <= last; ++c) {
            rule += "-+-" + std::string(cw[c], '-');
        }
        out += rule + "\n";
        for (std::size_t r = 0; r < b.rows.size(); ++r) {
            for (std::size_t l = 0; l < nl; ++l) {
                std::string head = l == 0 ? m.rows[b.rows[r].policy].name() : "";
                if (v.pivot) {
                    head = fmt::format("{:<{}} {:>{}}", head, rw - lw - 1, v.lines[l], lw);
                }
                out += line(head, text[r][l]);
            }
        }
        first = last + 1;
    }
    return out;
}

}  // namespace

std::string matrix_text(const app::Matrix& m, std::size_t width) {
    const auto views = app::matrix_views(m);
    const Notes notes = number_witnesses(m, views, width);
    bool pivot = false;
    for (const auto& v : views) {
        pivot = pivot || v.pivot;
    }
    std::string out = pivot ? "pfnsim matrix: API x retry policy x caller\n"
                            : "pfnsim matrix: retry policy x scenario\n";
    out += wrap(how_decided(m), width, 0, false) + "\n";
    for (const auto& v : views) {
        for (const auto& b : v.blocks) {
            if (v.pivot) {
                out += api_title(b.api) + "\n\n";
            }
            out += table(m, v, b, notes, width) + "\n";
        }
    }
    out += legend(width) + "\n" + file_list(m, width);
    if (!notes.text.empty()) {
        out += "\nWitnesses:\n";
        for (const auto& t : notes.text) {
            out += t;
        }
    }
    if (const std::string u = unexpected_cells(m, width); !u.empty()) {
        out += "\n" + u;
    }
    return out + "\n" + app::version_line() + "\n";
}

// Markdown for a mail or a review: a list per row (a table cannot wrap), the witnesses in a
// code block with shell line continuations.
std::string matrix_markdown(const app::Matrix& m, std::size_t width) {
    const auto views = app::matrix_views(m);
    const Notes notes = number_witnesses(m, views, width);
    std::string out =
        wrap("Retry policies against the scenarios (pfnsim matrix --markdown). " + how_decided(m),
             width, 0, false) +
        "\n";
    for (const auto& v : views) {
        for (const auto& b : v.blocks) {
            if (v.pivot) {
                out += "### " + api_title(b.api) + "\n\n";
            }
            for (const auto& r : b.rows) {
                out += fmt::format("**{}**\n\n", m.rows[r.policy].name());
                for (std::size_t c = 0; c < v.columns.size(); ++c) {
                    std::string item;
                    for (std::size_t l = 0; l < r.scenario[c].size(); ++l) {
                        const long i = r.scenario[c][l];
                        if (i < 0) {
                            continue;
                        }
                        const std::string cell =
                            cell_one_line(m.cells[r.policy][static_cast<std::size_t>(i)],
                                          ref_of(notes, r.policy, i));
                        item += item.empty() ? "" : "; ";
                        item += v.pivot ? v.lines[l] + " " + cell : cell;
                    }
                    if (!item.empty()) {
                        out += wrap("- " + v.columns[c] + ": " + item, width, 2, false);
                    }
                }
                out += "\n";
            }
        }
    }
    out += legend(width) + "\n";
    if (!notes.text.empty()) {
        out += "```\n";
        for (const auto& t : notes.text) {
            out += t;
        }
        out += "```\n\n";
    }
    std::string files = file_list(m, width);
    out += "```\n" + files + "```\n";
    if (const std::string u = unexpected_cells(m, width); !u.empty()) {
        out += "\n" + u;
    }
    return out + "\n" + app::version_line() + "\n";
}

}  // namespace pfnsim::cli
