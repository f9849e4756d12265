// The pieces of the matrix reports: each cell's words, the numbered witnesses, and the
// paragraphs around the tables.
#include "cli/matrix_cells.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "cli/render.hpp"
#include "pfnsim/sim/text.hpp"

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

// A livelock's class in a cell: kill or UNKILL, then the preemption models it spins under:
// "spin:N" (none), "spin:NV" (none, voluntary), "spin" (all three), "yield" (none of them).
std::string class_words(const model::LivelockClass& cls) {
    static constexpr const char* kSpin[] = {"yield", "spin:N", "spin:NV", "spin"};
    return fmt::format("{} {}", cls.killable ? "kill" : "UNKILL", kSpin[cls.spins]);
}

}  // namespace

CellText cell_text(const app::Result& c, const std::string& ref) {
    CellText t;
    const app::Finding* f = deciding(c);
    const std::string r = ref.empty() ? "" : " " + ref;
    if (!c.verdict.kind) {
        t = {"ok", results_line(c)};
    } else if (f != nullptr && f->witness.lasso) {
        t = {"livelock" + r, class_words(model::livelock_class(*f->witness.lasso))};
    } else if (f != nullptr && (c.verdict.kind == sim::ViolationKind::WrongReturn ||
                                c.verdict.kind == sim::ViolationKind::NewErrno)) {
        t = {(c.verdict.kind == sim::ViolationKind::NewErrno ? "new errno" : "wrong") + r,
             returned(*f)};
    } else {
        t = {c.verdict.name() + r, ""};
    }
    // The other classes found beside the verdict's, most severe first: "+livelock".
    for (const auto& a : c.verdict.also) {
        const std::string word = a.substr(0, a.find(' '));
        t.detail += (t.detail.empty() ? "+" : " +") + (word == "wrong-return" ? "wrong"
                                                       : word == "new-errno"  ? "new errno"
                                                                              : word);
    }
    // The livelock against today's kernel (original): "today", "keeps", "adds", or
    // "removes livelock" for a cell without one where original has one.
    if (!c.livelock_vs_original.empty()) {
        const std::string vs =
            c.livelock_vs_original == "removes" ? "removes livelock" : c.livelock_vs_original;
        t.detail += (t.detail.empty() ? "" : " ") + vs;
    }
    if (!c.fallback.empty()) {
        t.verdict = "~" + t.verdict;
    }
    return t;
}

std::string cell_one_line(const app::Result& c, const std::string& ref) {
    CellText t = cell_text(c, "");
    if (!c.verdict.kind) {
        // The results are in the detail; a livelock original has and this cell removes is not.
        return c.livelock_vs_original.empty() ? t.verdict : t.verdict + " removes livelock";
    }
    std::string s = t.verdict;
    if (!t.detail.empty()) {
        s += " " + t.detail;
    }
    return ref.empty() ? s : s + " " + ref;
}

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
    // The cells that fell back, by name (policy x file label).
    std::vector<std::string> fell;
    for (std::size_t p = 0; p < m.cells.size(); ++p) {
        for (std::size_t i = 0; i < m.cells[p].size(); ++i) {
            if (!m.cells[p][i].certified()) {
                fell.push_back(
                    fmt::format("{} x {}", m.rows[p].name(), m.columns[i].scenario.label));
            }
        }
    }
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
        if (certified != 0) {
            s += " Not certified: ";
            for (std::size_t k = 0; k < fell.size(); ++k) {
                s += (k == 0 ? "" : ", ") + fell[k];
            }
            s += ".";
        }
    }
    return s;
}

namespace {

// Which preemption model ([kernel] preempt) the cells ran under: "Every cell ran under
// preempt = none, except lockstep PV (voluntary)." The most common model first.
std::string preempt_sentence(const app::Matrix& m) {
    std::vector<std::size_t> count(model::kPreemptModels, 0);
    for (const auto& c : m.columns) {
        ++count[static_cast<std::size_t>(c.scenario.preempt)];
    }
    const auto most = static_cast<model::PreemptModel>(
        std::max_element(count.begin(), count.end()) - count.begin());
    std::string others;
    for (const auto& c : m.columns) {
        if (c.scenario.preempt != most) {
            others += fmt::format("{}{} ({})", others.empty() ? "" : ", ", c.scenario.label,
                                  model::preempt_name(c.scenario.preempt));
        }
    }
    return fmt::format("Every cell ran under preempt = {}{}{}.", model::preempt_name(most),
                       others.empty() ? "" : ", except ", others);
}

}  // namespace

std::string legend(const app::Matrix& m, std::size_t width) {
    return wrap(
               preempt_sentence(m) +
                   " A livelock's class holds for every model, from its cycle: cond_resched() or a "
                   "sleep yields under all, a might_sleep() site under voluntary and full, a step "
                   "outside a spin lock under full.",
               width, 0, false) +
           wrap(
               "ok: results today's interface gives (listed); new errno: a return the interface "
               "never "
               "gave before, which userspace must handle; wrong: a return no caller should get; "
               "livelock: a proven fair cycle, kill or UNKILL (whether SIGKILL ends it), then "
               "where "
               "it spins: spin:N under preempt none only (it yields under voluntary and full), "
               "spin:NV under none and voluntary, spin under all three, yield under none of them; "
               "+class: another class found in the cell besides its "
               "verdict; today: a livelock under original (today's kernel), which a policy keeps "
               "(the same actors loop, of the same class), adds (one original does not have) or "
               "removes; [n]: the witness below, to replay; ~: decided by random executions, not a "
               "certificate.",
               width, 0, false);
}

std::string unexpected_cells(const app::Matrix& m, std::size_t width) {
    std::string out;
    for (std::size_t p = 0; p < m.rows.size(); ++p) {
        for (std::size_t i = 0; i < m.columns.size(); ++i) {
            const app::Result& c = m.cells[p][i];
            if (!c.as_expected) {
                out +=
                    wrap(fmt::format("unexpected: {} under {}: {}, expected {}",
                                     sim::escape_name(m.columns[i].file()), m.rows[p].name(),
                                     c.verdict.full(), c.expected.empty() ? "clean" : c.expected),
                         width, 2, false);
            }
        }
    }
    return out;
}

std::string file_list(const app::Matrix& m, std::size_t width) {
    std::string out = "Files:\n";
    for (std::size_t i = 0; i < m.columns.size(); ++i) {
        const auto& c = m.columns[i];
        std::string s =
            fmt::format("{} {} {}", c.scenario_hash, c.scenario.label, sim::escape_name(c.file()));
        s += app::kernel_options_text(c.kernel);
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

}  // namespace pfnsim::cli
