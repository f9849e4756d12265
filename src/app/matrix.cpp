#include "pfnsim/app/matrix.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <tuple>

#include "pfnsim/app/error.hpp"

namespace pfnsim::app {

namespace {

// A sweep of the plan, when it completes within `max_states`; else why it did not.
std::optional<Result> complete_sweep(const Plan& plan, std::optional<unsigned> preemptions,
                                     std::uint64_t max_states, std::string& why) {
    SweepRequest rq;
    rq.preemptions = preemptions;
    rq.max_states = max_states;
    rq.minimize = false;  // a cell shows its verdict; `sweep` minimises
    Result r = run_sweep(plan, rq);
    const Certificate& c = *r.certificate;
    if (!c.complete) {
        why = c.stopped == "max-states"
                  ? fmt::format("the {} sweep ran out of its budget of {} states",
                                preemptions ? "bounded" : "stateful", max_states)
                  : fmt::format("the sweep stopped ({})", c.stopped);
        return std::nullopt;
    }
    r.strategy = c.stateful ? sim::StrategyKind::Stateful : sim::StrategyKind::Dfs;
    return r;
}

}  // namespace

Result certify_plan(const Plan& plan, std::optional<unsigned> preemptions, std::uint64_t max_states,
                    const sim::Progress& progress) {
    std::string why;
    if (auto r = complete_sweep(plan, preemptions, max_states, why)) {
        return std::move(*r);
    }
    Result e = explore_plan(plan, false, progress);
    e.fallback = why;
    return e;
}

Result check_plan(const Plan& given, std::uint64_t max_states, const sim::Progress& progress) {
    const model::Scenario& sc = given.scenario;
    // A fault bound the file asks for (`[explore] faults`) is part of what it claims.
    Plan plan = given;
    if (sc.explore_faults) {
        plan.exec.max_faults = sc.explore_faults;
    }
    std::string why;
    if (auto r = complete_sweep(plan, std::nullopt, max_states, why)) {
        return std::move(*r);
    }
    // The file's own [explore]: a bounded sweep, else its random or PCT exploration.
    if (sc.explore_mode == model::Scenario::ExploreMode::Sweep && sc.explore_preemptions) {
        std::string why_bounded;
        if (auto r = complete_sweep(plan, sc.explore_preemptions, max_states, why_bounded)) {
            r->fallback = why;
            return std::move(*r);
        }
        why += "; " + why_bounded;
    }
    Result e = explore_plan(plan, false, progress);
    e.fallback = why;
    return e;
}

namespace {

std::string joined(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) {
        s += (s.empty() ? "" : ", ") + x;
    }
    return s;
}

// The chosen policies, in their order, each read as --policy reads one.
std::vector<model::Policy> chosen_policies(const std::vector<std::string>& names, Matrix& m) {
    std::vector<model::Policy> out;
    for (const auto& n : names) {
        if (n.empty()) {  // policy_option reads "" as the scenario's
            throw InputError{fmt::format("unknown policy '' (valid: {})", model::kValidPolicies)};
        }
        const PolicyChoice c = policy_option(n, model::Scenario{});
        if (std::find(out.begin(), out.end(), c.policy) != out.end()) {
            throw InputError{fmt::format("--policy: '{}' is given twice", n)};
        }
        out.push_back(c.policy);
        if (!c.note.empty()) {
            m.notes.push_back(c.note);
        }
    }
    return out;
}

// The columns of the chosen callers, in the order of the files; m.callers as given.
void choose_callers(const std::vector<std::string>& names, Matrix& m) {
    std::vector<std::string> valid;
    for (const auto& c : m.columns) {
        const std::string& caller = c.scenario.matrix_caller;
        if (!caller.empty() && std::find(valid.begin(), valid.end(), caller) == valid.end()) {
            valid.push_back(caller);
        }
    }
    for (const auto& n : names) {
        if (std::find(valid.begin(), valid.end(), n) == valid.end()) {
            throw InputError{fmt::format("--caller: unknown caller '{}' (valid: {})", n,
                                         valid.empty()
                                             ? std::string("none: no file has a [matrix] caller")
                                             : joined(valid))};
        }
        if (std::find(m.callers.begin(), m.callers.end(), n) != m.callers.end()) {
            throw InputError{fmt::format("--caller: '{}' is given twice", n)};
        }
        m.callers.push_back(n);
    }
    std::erase_if(m.columns, [&m](const Plan& c) {
        return std::find(m.callers.begin(), m.callers.end(), c.scenario.matrix_caller) ==
               m.callers.end();
    });
}

}  // namespace

namespace {

// The livelocks a cell found, each as its violation's detail: who loops for ever, and the
// class (killable or not, yielding or spinning). Two cells have "the same livelock" when the
// same actors loop in it with the same class.
std::set<std::string> livelocks_of(const Result& c) {
    std::set<std::string> s;
    const auto add = [&s](const sim::Witness& w) {
        if (w.violation.kind == sim::ViolationKind::Livelock) {
            s.insert(w.violation.detail);
        }
    };
    if (c.certificate) {
        for (const auto& w : c.certificate->totals.violations) {
            add(w);
        }
    }
    for (const auto& f : c.findings) {
        add(f.witness);
    }
    return s;
}

// Each cell's livelocks against the same file under `original`, today's kernel: a livelock
// there is today's, and a policy keeps it, adds one or removes it. Without the original row
// in the matrix there is nothing to compare with.
void compare_with_original(Matrix& m) {
    const auto o = std::find_if(m.rows.begin(), m.rows.end(), [](const model::Policy& p) {
        return p.kind == model::Policy::Kind::Original;
    });
    if (o == m.rows.end()) {
        return;
    }
    const auto orow = static_cast<std::size_t>(o - m.rows.begin());
    for (std::size_t i = 0; i < m.columns.size(); ++i) {
        const std::set<std::string> today = livelocks_of(m.cells[orow][i]);
        for (std::size_t p = 0; p < m.rows.size(); ++p) {
            Result& c = m.cells[p][i];
            const std::set<std::string> mine = livelocks_of(c);
            if (p == orow) {
                c.livelock_vs_original = today.empty() ? "" : "today";
            } else if (mine.empty()) {
                c.livelock_vs_original = today.empty() ? "" : "removes";
            } else {
                const bool added = std::any_of(mine.begin(), mine.end(),
                                               [&](const auto& l) { return today.count(l) == 0; });
                c.livelock_vs_original = added ? "adds" : "keeps";
            }
        }
    }
}

}  // namespace

Matrix run_matrix(const std::vector<std::string>& files, const Overrides& o,
                  const CellProgress& progress, const CellMode& mode, const MatrixSelection& only) {
    Matrix m;
    for (const auto& f : files) {
        m.columns.push_back(make_plan(f, o));
    }
    if (!only.policies.empty()) {
        m.rows = chosen_policies(only.policies, m);
    } else {
        std::size_t np = 0;
        const model::Policy* pols = model::all_policies(np);
        m.rows.assign(pols, pols + np);
    }
    if (!only.callers.empty()) {
        choose_callers(only.callers, m);
    }
    const std::size_t np = m.rows.size();
    m.cells.resize(np);
    for (std::size_t p = 0; p < np; ++p) {
        for (const auto& col : m.columns) {
            const Plan plan = col.with_policy(m.rows[p]);
            const sim::Progress pr =
                progress ? progress(fmt::format("{} x {}", m.rows[p].name(), col.scenario.name))
                         : sim::Progress{};
            m.cells[p].push_back(mode.random
                                     ? explore_plan(plan, false, pr)
                                     : certify_plan(plan, std::nullopt, mode.max_states, pr));
            // As `check` judges a file: by the verdict (the most severe finding) against the
            // scenario's expectation; a lesser finding beside it is shown, not a failure.
            m.unexpected = m.unexpected || !m.cells[p].back().as_expected;
        }
    }
    compare_with_original(m);
    return m;
}

std::vector<MatrixView> matrix_views(const Matrix& m) {
    auto index_of = [](std::vector<std::string>& v, const std::string& s) {
        auto it = std::find(v.begin(), v.end(), s);
        if (it == v.end()) {
            v.push_back(s);
            return v.size() - 1;
        }
        return static_cast<std::size_t>(it - v.begin());
    };
    MatrixView pivot;
    pivot.pivot = true;
    pivot.columns = m.callers;  // chosen callers come in their given order
    MatrixView plain;
    // (api, column, line) -> the matrix column; a second file for the same place is plain.
    std::map<std::tuple<int, std::size_t, std::size_t>, std::size_t> at;
    std::vector<std::size_t> plain_cols;
    for (std::size_t i = 0; i < m.columns.size(); ++i) {
        const model::Scenario& sc = m.columns[i].scenario;
        if (sc.matrix_caller.empty()) {
            plain_cols.push_back(i);
            continue;
        }
        const int api = sc.follow_errno ? static_cast<int>(*sc.follow_errno) : 99;
        const std::size_t c = index_of(pivot.columns, sc.matrix_caller);
        const std::size_t l = index_of(pivot.lines, sc.matrix_race);
        if (!at.emplace(std::tuple{api, c, l}, i).second) {
            plain_cols.push_back(i);
        }
    }
    std::set<int> apis;
    for (const auto& [k, i] : at) {
        apis.insert(std::get<0>(k));
    }
    for (const int api : apis) {
        MatrixView::Block b;
        b.api = api == 99 ? "" : model::follow_errno_name(static_cast<model::FollowErrno>(api));
        for (std::size_t p = 0; p < m.rows.size(); ++p) {
            MatrixView::Row r;
            r.policy = p;
            r.scenario.assign(pivot.columns.size(), std::vector<long>(pivot.lines.size(), -1));
            for (const auto& [k, i] : at) {
                if (std::get<0>(k) == api) {
                    r.scenario[std::get<1>(k)][std::get<2>(k)] = static_cast<long>(i);
                }
            }
            b.rows.push_back(std::move(r));
        }
        pivot.blocks.push_back(std::move(b));
    }
    std::vector<MatrixView> out;
    if (!pivot.blocks.empty()) {
        out.push_back(std::move(pivot));
    }
    if (!plain_cols.empty()) {
        MatrixView::Block b;
        for (const std::size_t i : plain_cols) {
            plain.columns.push_back(m.columns[i].scenario.label);
        }
        for (std::size_t p = 0; p < m.rows.size(); ++p) {
            MatrixView::Row r;
            r.policy = p;
            for (const std::size_t i : plain_cols) {
                r.scenario.push_back({static_cast<long>(i)});
            }
            b.rows.push_back(std::move(r));
        }
        plain.blocks.push_back(std::move(b));
        out.push_back(std::move(plain));
    }
    return out;
}

std::vector<std::string> flagship_scenarios(const std::string& dir) {
    std::vector<std::string> out;
    for (const char* n : {"seed-split-refault.toml", "lockstep-split.toml", "pin-zap-race.toml",
                          "pin-outside-vma.toml", "pin-munmap-retry.toml", "seed-split-signal.toml",
                          "kvm-split-refault.toml"}) {
        out.push_back(fmt::format("{}/{}", dir, n));
    }
    return out;
}

bool CheckedFile::ok() const {
    return error.empty() &&
           std::all_of(cells.begin(), cells.end(), [](const Result& c) { return c.as_expected; });
}

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
    // A file named twice (a directory and a file or directory under it) is checked once.
    std::sort(files.begin(), files.end());
    files.erase(std::unique(files.begin(), files.end()), files.end());
    return files;
}

namespace {

// A bug file: each variant is its own test, under its own kernel settings (as --kernel, before
// the command line's), policy and expectation.
void check_variants(const std::string& f, const Plan& base, CheckedFile& cf,
                    const CellProgress& progress, std::uint64_t max_states,
                    const CellDecider& decide, const std::vector<std::string>& kernel,
                    std::vector<CheckedFile>& out) {
    for (const model::Scenario::Variant& v : base.scenario.variants) {
        CheckedFile vf;
        vf.file = f;
        vf.variant = v.name;
        vf.scenario_hash = cf.scenario_hash;
        try {
            Overrides o;
            o.scenario_strategy = true;
            o.kernel = v.kernel;
            o.kernel.insert(o.kernel.end(), kernel.begin(), kernel.end());
            o.policy = v.policy;
            Plan plan = make_plan(f, o);
            plan.scenario.expect_verdict = v.expect;
            plan.scenario.expect_policies.clear();
            plan.scenario.expect_detail = v.expect_detail;
            const sim::Progress pr =
                progress ? progress(fmt::format("{} [{}]", base.scenario.name, v.name))
                         : sim::Progress{};
            vf.cells.push_back(decide ? decide(plan, max_states, pr)
                                      : check_plan(plan, max_states, pr));
        } catch (const InternalError& e) {
            vf.error = fmt::format("{} [{}]: {}", f, v.name, e.message);
            vf.internal = true;
        } catch (const InputError& e) {
            vf.error = fmt::format("{} [{}]: {}", f, v.name, e.message);
        }
        out.push_back(std::move(vf));
    }
}

}  // namespace

std::string CheckedFile::name() const {
    const std::string f = sim::escape_name(file);
    return variant.empty() ? f : fmt::format("{} [{}]", f, variant);
}

std::vector<CheckedFile> check_files(const std::vector<std::string>& files,
                                     const CellProgress& progress, std::uint64_t max_states,
                                     const CellDecider& decide,
                                     const std::vector<std::string>& kernel) {
    std::vector<CheckedFile> out;
    for (const auto& f : files) {
        CheckedFile cf;
        cf.file = f;
        Plan base;
        try {
            Overrides o;
            o.scenario_strategy = true;
            o.kernel = kernel;
            base = make_plan(f, o);
        } catch (const InputError& e) {
            cf.error = e.message;
            out.push_back(std::move(cf));
            continue;
        }
        cf.scenario_hash = base.scenario_hash;
        if (!base.scenario.variants.empty()) {
            check_variants(f, base, cf, progress, max_states, decide, kernel, out);
            continue;
        }
        std::vector<model::Policy> pols = {base.scenario.policy};
        for (const auto& [name, v] : base.scenario.expect_policies) {
            const auto p = model::parse_policy(name);
            if (p && std::find(pols.begin(), pols.end(), *p) == pols.end()) {
                pols.push_back(*p);
            }
        }
        for (const auto& p : pols) {
            Plan plan = base.with_policy(p);
            const sim::Progress pr =
                progress ? progress(fmt::format("{} {}", base.scenario.name, p.name()))
                         : sim::Progress{};
            // A search that fails is this file's diagnostic; the other files go on.
            try {
                cf.cells.push_back(decide ? decide(plan, max_states, pr)
                                          : check_plan(plan, max_states, pr));
            } catch (const InternalError& e) {
                cf.error = fmt::format("{} (policy {}): {}", f, p.name(), e.message);
                cf.internal = true;
                break;
            } catch (const InputError& e) {
                cf.error = fmt::format("{} (policy {}): {}", f, p.name(), e.message);
                break;
            }
        }
        out.push_back(std::move(cf));
    }
    return out;
}

}  // namespace pfnsim::app
