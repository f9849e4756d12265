// The matrix as text and markdown: at most `width` columns (80 unless --wide), tables split
// by columns where they would not fit, witnesses as numbered replay commands that are wrapped,
// never cut.
#include <fmt/format.h>

#include <algorithm>

#include "cli/matrix_cells.hpp"
#include "cli/render.hpp"
#include "pfnsim/app/provenance.hpp"
#include "pfnsim/sim/text.hpp"

namespace pfnsim::cli {

namespace {

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
    // A column's head is its label, cut to what fits beside the policy column (the file list
    // below gives it whole); widths in columns, as fmt pads.
    std::vector<std::string> heads(nc);
    std::vector<std::size_t> cw(nc);
    for (std::size_t c = 0; c < nc; ++c) {
        heads[c] = sim::fit_width(v.columns[c], width > rw + 3 + 8 ? width - rw - 3 : 8);
        cw[c] = sim::display_width(heads[c]);
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
        out += line("policy", heads);
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
    out += legend(m, width) + "\n" + file_list(m, width);
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
    out += legend(m, width) + "\n";
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
