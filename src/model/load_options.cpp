// The option tables of a scenario: [kernel], [matrix], [explore] and [expect].
#include <fmt/format.h>

#include <algorithm>

#include "loader.hpp"
#include "pfnsim/sim/strategy_kind.hpp"

namespace pfnsim::model {

namespace {

Expectation check_verdict(const Loader& L, const toml::node& n) {
    const auto v = n.value<std::string>();
    const auto e = v ? parse_expectation(*v) : std::nullopt;
    if (!e) {
        L.fail(n, fmt::format("unknown verdict {} (valid: {})",
                              v ? "'" + *v + "'" : std::string("(not a string)"),
                              valid_expectations()));
    }
    return *e;
}

}  // namespace

void load_kernel(const Loader& L, const toml::table& root, Scenario& sc) {
    const toml::node* k = root.get("kernel");
    if (k == nullptr) {
        return;
    }
    const toml::table& t = L.table_of(*k, "[kernel]");
    L.check_keys(t, {"pagewalk", "follow_pfnmap", "follow_pfnmap_errno", "preempt", "rwsem"},
                 "[kernel]");
    const std::string pw = L.str(t, "pagewalk", "current");
    if (pw == "current") {
        sc.pagewalk = PagewalkVariant::Current;
    } else if (pw == "pre-3b89863c3fa4") {
        sc.pagewalk = PagewalkVariant::Pre3b89863c3fa4;
    } else {
        L.fail(*t.get("pagewalk"), fmt::format("unknown pagewalk variant '{}' (valid: "
                                               "current, pre-3b89863c3fa4)",
                                               pw));
    }
    const std::string fo = L.str(t, "follow_pfnmap", "current");
    if (fo == "current") {
        sc.follow = FollowVariant::Current;
    } else if (fo == "pre-ffef67b93aa3") {
        sc.follow = FollowVariant::PreFfef67b93aa3;
    } else {
        L.fail(*t.get("follow_pfnmap"), fmt::format("unknown follow_pfnmap variant '{}' "
                                                    "(valid: current, pre-ffef67b93aa3)",
                                                    fo));
    }
    const std::string fe = L.str(t, "follow_pfnmap_errno", "");
    if (fe.empty()) {
        sc.follow_errno.reset();
    } else if (fe == "einval") {
        sc.follow_errno = FollowErrno::Einval;
    } else if (fe == "enoent") {
        sc.follow_errno = FollowErrno::Enoent;
    } else {
        L.fail(*t.get("follow_pfnmap_errno"),
               fmt::format("unknown follow_pfnmap_errno '{}' (valid: einval, enoent)", fe));
    }
    const std::string pr = L.str(t, "preempt", "none");
    if (pr == "none") {
        sc.preempt = PreemptModel::None;
    } else if (pr == "voluntary") {
        sc.preempt = PreemptModel::Voluntary;
    } else if (pr == "full") {
        sc.preempt = PreemptModel::Full;
    } else {
        L.fail(*t.get("preempt"),
               fmt::format("unknown preempt model '{}' (valid: none, voluntary, full)", pr));
    }
    const std::string rw = L.str(t, "rwsem", "linux");
    if (rw == "linux") {
        sc.rwsem = RwsemVariant::Linux;
    } else if (rw == "fifo") {
        sc.rwsem = RwsemVariant::Fifo;
    } else {
        L.fail(*t.get("rwsem"), fmt::format("unknown rwsem variant '{}' (valid: linux, fifo)", rw));
    }
}

void load_matrix(const Loader& L, const toml::table& root, Scenario& sc) {
    const toml::node* x = root.get("matrix");
    if (x == nullptr) {
        return;
    }
    const toml::table& t = L.table_of(*x, "[matrix]");
    L.check_keys(t, {"caller", "race"}, "[matrix]");
    sc.matrix_caller = L.str(t, "caller", "", true);
    sc.matrix_race = L.str(t, "race", "", true);
    for (const char* k : {"caller", "race"}) {
        const std::string v = L.str(t, k, "");
        const bool plain = std::all_of(v.begin(), v.end(), [](char c) {
            return c >= 0x21 && c <= 0x7e;  // printable ASCII, no space
        });
        if (v.empty() || v.size() > 16 || !plain) {
            L.fail(*t.get(k), fmt::format("[matrix] {} must be 1 to 16 printable ASCII "
                                          "characters without spaces",
                                          k));
        }
    }
}

namespace {

// How `check` decides a file ([explore] strategy): random or PCT exploration, named as the
// strategy table names them, or "sweep" (a certificate: the sweep picks DFS or stateful itself).
struct ExploreModeRow {
    Scenario::ExploreMode mode;
    std::string_view name;
    const char* bounds;  // the keys of [explore] that belong to it
};
constexpr ExploreModeRow kExploreModes[] = {
    {Scenario::ExploreMode::Random, sim::strategy_name(sim::StrategyKind::Random), ""},
    {Scenario::ExploreMode::Pct, sim::strategy_name(sim::StrategyKind::Pct), "depth"},
    {Scenario::ExploreMode::Sweep, "sweep", "preemptions, faults"},
};

const ExploreModeRow& explore_mode_row(Scenario::ExploreMode m) {
    for (const auto& r : kExploreModes) {
        if (r.mode == m) {
            return r;
        }
    }
    return kExploreModes[0];
}

}  // namespace

void load_explore(const Loader& L, const toml::table& root, Scenario& sc) {
    const toml::node* x = root.get("explore");
    if (x == nullptr) {
        return;
    }
    const toml::table& t = L.table_of(*x, "[explore]");
    L.check_keys(t, {"strategy", "mode", "depth", "preemptions", "faults"}, "[explore]");
    if (t.get("strategy") != nullptr && t.get("mode") != nullptr) {
        L.fail(*t.get("mode"), "'mode' is the old spelling of 'strategy': give one of them");
    }
    const char* key = t.get("mode") != nullptr ? "mode" : "strategy";
    const std::string strategy = L.str(t, key, std::string(kExploreModes[0].name));
    if (t.get("mode") != nullptr) {
        sc.notes.push_back(
            L.note(*t.get("mode"), fmt::format("[explore] 'mode' is the old spelling of "
                                               "'strategy' (read as strategy = \"{}\")",
                                               strategy)));
    }
    const ExploreModeRow* row = nullptr;
    std::string valid;
    for (const auto& r : kExploreModes) {
        valid += fmt::format("{}{}", valid.empty() ? "" : ", ", r.name);
        row = r.name == strategy ? &r : row;
    }
    if (row == nullptr) {
        L.fail(*t.get(key),
               fmt::format("unknown explore strategy '{}' (valid: {})", strategy, valid));
    }
    sc.explore_mode = row->mode;
    // Each bound belongs to one strategy.
    struct Bound {
        const NumberRule* rule;
        std::optional<unsigned>* into;
        Scenario::ExploreMode owner;
    };
    for (const Bound& b :
         {Bound{&limits::kDepth, &sc.explore_depth, Scenario::ExploreMode::Pct},
          Bound{&limits::kPreemptions, &sc.explore_preemptions, Scenario::ExploreMode::Sweep},
          Bound{&limits::kFaults, &sc.explore_faults, Scenario::ExploreMode::Sweep}}) {
        const toml::node* n = t.get(b.rule->name);
        if (n == nullptr) {
            continue;
        }
        if (b.owner != sc.explore_mode) {
            const std::string bounds =
                row->bounds[0] == '\0'
                    ? fmt::format("{} takes no bound", row->name)
                    : fmt::format("{}'s bound{}: {}", row->name,
                                  std::string_view(row->bounds).find(',') == std::string_view::npos
                                      ? ""
                                      : "s",
                                  row->bounds);
            L.fail(*n, fmt::format("'{}' in [explore] belongs to strategy = \"{}\", not "
                                   "\"{}\" ({})",
                                   b.rule->name, explore_mode_row(b.owner).name, strategy, bounds));
        }
        *b.into = static_cast<unsigned>(L.number(t, *b.rule, 0));
    }
}

void load_expect(const Loader& L, const toml::table& root, Scenario& sc) {
    const toml::node* x = root.get("expect");
    if (x == nullptr) {
        return;
    }
    const toml::table& t = L.table_of(*x, "[expect]");
    L.check_keys(t, {"verdict", "policies"}, "[expect]");
    if (const toml::node* v = t.get("verdict")) {
        sc.expect_verdict = check_verdict(L, *v);
    }
    if (const toml::node* p = t.get("policies")) {
        const toml::table& pt = L.table_of(*p, "[expect.policies]");
        for (const auto& [k, v] : pt) {
            const auto pk = parse_policy(k.str());
            if (!pk) {
                L.fail(v, fmt::format("unknown policy '{}' (valid: {})", k.str(), kValidPolicies));
            }
            if (const std::string note = policy_note(k.str()); !note.empty()) {
                sc.notes.push_back(L.note(v, note));
            }
            // Keyed by the canonical name, which is what the CLI looks expectations up by.
            sc.expect_policies[pk->name()] = check_verdict(L, v);
        }
    }
}

}  // namespace pfnsim::model
