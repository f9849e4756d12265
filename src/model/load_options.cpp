// The option tables of a scenario: [kernel], [matrix], [explore] and [expect].
#include <fmt/format.h>

#include <algorithm>
#include <array>

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

namespace {

// The one table of [kernel] keys: what each is called in messages, the names of its values
// (in the order of its enum), and how a Scenario field is set from and read as an index into
// them. kUnset is a key left unset (only where `unsettable`: the field is an optional).
constexpr std::size_t kUnset = static_cast<std::size_t>(-1);
struct KernelKey {
    std::string_view key;
    std::string_view what;  // "unknown {what} 'x' (valid: ...)"
    std::array<std::string_view, 4> values;
    bool unsettable;
    void (*set)(Scenario&, std::size_t);
    std::size_t (*get)(const Scenario&);
};
constexpr KernelKey kKernelKeys[] = {
    {"pagewalk",
     "pagewalk variant",
     {"current", "pre-3b89863c3fa4"},
     false,
     [](Scenario& sc, std::size_t i) { sc.pagewalk = static_cast<PagewalkVariant>(i); },
     [](const Scenario& sc) { return static_cast<std::size_t>(sc.pagewalk); }},
    {"follow_pfnmap",
     "follow_pfnmap variant",
     {"current", "pre-ffef67b93aa3"},
     false,
     [](Scenario& sc, std::size_t i) { sc.follow = static_cast<FollowVariant>(i); },
     [](const Scenario& sc) { return static_cast<std::size_t>(sc.follow); }},
    {"follow_pfnmap_errno",
     "follow_pfnmap_errno",
     {"einval", "enoent"},
     true,
     [](Scenario& sc, std::size_t i) {
         sc.follow_errno =
             i == kUnset ? std::nullopt : std::optional<FollowErrno>(static_cast<FollowErrno>(i));
     },
     [](const Scenario& sc) {
         return sc.follow_errno ? static_cast<std::size_t>(*sc.follow_errno) : kUnset;
     }},
    {"preempt",
     "preempt model",
     {"none", "voluntary", "full"},
     false,
     [](Scenario& sc, std::size_t i) { sc.preempt = static_cast<PreemptModel>(i); },
     [](const Scenario& sc) { return static_cast<std::size_t>(sc.preempt); }},
    {"rwsem",
     "rwsem variant",
     {"linux", "fifo"},
     false,
     [](Scenario& sc, std::size_t i) { sc.rwsem = static_cast<RwsemVariant>(i); },
     [](const Scenario& sc) { return static_cast<std::size_t>(sc.rwsem); }},
    {"arch",
     "architecture",
     {"x86_64", "arm64", "s390"},
     false,
     [](Scenario& sc, std::size_t i) { sc.arch = static_cast<Arch>(i); },
     [](const Scenario& sc) { return static_cast<std::size_t>(sc.arch); }},
    {"vaddr_get_pfn",
     "vaddr_get_pfn form",
     {"current", "pre-07956b6269d3", "pre-41311242221e", "pre-5cbf3264bc71"},
     false,
     [](Scenario& sc, std::size_t i) { sc.vaddr_get_pfn = static_cast<VaddrGetPfnVariant>(i); },
     [](const Scenario& sc) { return static_cast<std::size_t>(sc.vaddr_get_pfn); }},
    {"hva_to_pfn_remapped",
     "hva_to_pfn_remapped form",
     {"current", "pre-bd2fae8da794", "withdrawn-2020"},
     false,
     [](Scenario& sc, std::size_t i) {
         sc.hva_to_pfn_remapped = static_cast<HvaToPfnRemappedVariant>(i);
     },
     [](const Scenario& sc) { return static_cast<std::size_t>(sc.hva_to_pfn_remapped); }},
    {"s390_pci_mmio",
     "s390_pci_mmio form",
     {"current", "pre-41a0926e82f4", "pre-a67a88b0b8de"},
     false,
     [](Scenario& sc, std::size_t i) { sc.s390_mmio = static_cast<S390MmioVariant>(i); },
     [](const Scenario& sc) { return static_cast<std::size_t>(sc.s390_mmio); }},
    {"generic_access_phys",
     "generic_access_phys form",
     {"current", "pre-96667f8a4382"},
     false,
     [](Scenario& sc, std::size_t i) { sc.access_phys = static_cast<AccessPhysVariant>(i); },
     [](const Scenario& sc) { return static_cast<std::size_t>(sc.access_phys); }},
    {"acrn_vm_ram_map",
     "acrn_vm_ram_map form",
     {"current", "pre-3d6586008f7b"},
     false,
     [](Scenario& sc, std::size_t i) { sc.acrn_map = static_cast<AcrnMapVariant>(i); },
     [](const Scenario& sc) { return static_cast<std::size_t>(sc.acrn_map); }},
    {"vfio_pci_mmap_huge_fault",
     "vfio_pci_mmap_huge_fault form",
     {"current", "f9e54c3a2f5b"},
     false,
     [](Scenario& sc, std::size_t i) { sc.vfio_huge_fault = static_cast<VfioHugeFaultVariant>(i); },
     [](const Scenario& sc) { return static_cast<std::size_t>(sc.vfio_huge_fault); }},
    {"vfio_pci_mmap",
     "vfio_pci_mmap form",
     {"current", "pre-abafbc551fdd", "pre-aac6db75a9fc", "pre-6a45ece4c9af"},
     false,
     [](Scenario& sc, std::size_t i) { sc.vfio_pci_mmap = static_cast<VfioPciMmapVariant>(i); },
     [](const Scenario& sc) { return static_cast<std::size_t>(sc.vfio_pci_mmap); }},
    {"vfio_pci_memory_enabled",
     "vfio_pci_memory_enabled form",
     {"current", "pre-2b2c651baf1c", "pre-ebfa440ce38b"},
     false,
     [](Scenario& sc, std::size_t i) {
         sc.vfio_memory_enabled = static_cast<VfioMemoryEnabledVariant>(i);
     },
     [](const Scenario& sc) { return static_cast<std::size_t>(sc.vfio_memory_enabled); }},
    {"lock_vma_under_rcu",
     "lock_vma_under_rcu form",
     {"current", "pre-350f6bbca1de"},
     false,
     [](Scenario& sc, std::size_t i) { sc.lock_vma = static_cast<LockVmaVariant>(i); },
     [](const Scenario& sc) { return static_cast<std::size_t>(sc.lock_vma); }},
    {"vm_flags_set",
     "vm_flags_set form",
     {"current", "pre-bc292ab00f6c"},
     false,
     [](Scenario& sc, std::size_t i) { sc.vm_flags_set = static_cast<VmFlagsSetVariant>(i); },
     [](const Scenario& sc) { return static_cast<std::size_t>(sc.vm_flags_set); }},
    {"vfio_pci_rdwr",
     "vfio_pci_rdwr form",
     {"current", "pre-38565c93c8a1", "pre-bc93b9ae0151"},
     false,
     [](Scenario& sc, std::size_t i) { sc.vfio_pci_rdwr = static_cast<VfioPciRdwrVariant>(i); },
     [](const Scenario& sc) { return static_cast<std::size_t>(sc.vfio_pci_rdwr); }},
    {"vfio_pci_hot_reset",
     "vfio_pci_hot_reset form",
     {"current", "pre-db44c17458fb"},
     false,
     [](Scenario& sc, std::size_t i) {
         sc.vfio_pci_hot_reset = static_cast<VfioPciHotResetVariant>(i);
     },
     [](const Scenario& sc) { return static_cast<std::size_t>(sc.vfio_pci_hot_reset); }},
    {"vfio_pci_hot_reset_info",
     "vfio_pci_hot_reset_info form",
     {"current", "pre-9062ff405b49"},
     false,
     [](Scenario& sc, std::size_t i) {
         sc.vfio_pci_hot_reset_info = static_cast<VfioPciHotResetInfoVariant>(i);
     },
     [](const Scenario& sc) { return static_cast<std::size_t>(sc.vfio_pci_hot_reset_info); }},
};

const KernelKey* kernel_key(std::string_view key) {
    for (const auto& k : kKernelKeys) {
        if (k.key == key) {
            return &k;
        }
    }
    return nullptr;
}

std::string joined(const std::vector<std::string_view>& v) {
    std::string s;
    for (auto x : v) {
        s += s.empty() ? "" : ", ";
        s += x;
    }
    return s;
}

}  // namespace

std::vector<std::string_view> kernel_keys() {
    std::vector<std::string_view> out;
    for (const auto& k : kKernelKeys) {
        out.push_back(k.key);
    }
    return out;
}

std::vector<std::string_view> kernel_values(std::string_view key) {
    std::vector<std::string_view> out;
    if (const KernelKey* k = kernel_key(key)) {
        for (auto v : k->values) {
            if (!v.empty()) {
                out.push_back(v);
            }
        }
        if (k->unsettable) {
            out.emplace_back();
        }
    }
    return out;
}

std::string set_kernel(Scenario& sc, std::string_view key, std::string_view value) {
    const KernelKey* k = kernel_key(key);
    if (k == nullptr) {
        return fmt::format("unknown key '{}' in [kernel] (valid: {})", key, joined(kernel_keys()));
    }
    if (value.empty() && k->unsettable) {
        k->set(sc, kUnset);
        return "";
    }
    std::vector<std::string_view> names;
    for (std::size_t i = 0; i < k->values.size() && !k->values[i].empty(); ++i) {
        if (k->values[i] == value) {
            k->set(sc, i);
            return "";
        }
        names.push_back(k->values[i]);
    }
    return fmt::format("unknown {} '{}' (valid: {})", k->what, value, joined(names));
}

std::string_view kernel_value(const Scenario& sc, std::string_view key) {
    const KernelKey* k = kernel_key(key);
    if (k == nullptr) {
        return "";
    }
    const std::size_t i = k->get(sc);
    return i == kUnset ? std::string_view() : k->values.at(i);
}

// The file's [kernel] table goes through the same table as --kernel: every key is checked
// first, then each present value in the table's order, as before.
void load_kernel(const Loader& L, const toml::table& root, Scenario& sc) {
    const toml::node* k = root.get("kernel");
    if (k == nullptr) {
        return;
    }
    const toml::table& t = L.table_of(*k, "[kernel]");
    L.check_keys(t, kernel_keys(), "[kernel]");
    for (const auto& key : kKernelKeys) {
        const toml::node* n = t.get(key.key);
        if (n == nullptr) {
            continue;
        }
        const std::string value = L.str(t, key.key, "");
        if (value.empty()) {
            // An empty value would silently mean "unset": leaving the key out says that.
            std::vector<std::string_view> names;
            for (const auto v : key.values) {
                if (!v.empty()) {
                    names.push_back(v);
                }
            }
            L.fail(*n, fmt::format("empty {} (valid: {}{})", key.what, joined(names),
                                   key.unsettable ? "; leave the key out for unset" : ""));
        }
        if (const std::string err = set_kernel(sc, key.key, value); !err.empty()) {
            L.fail(*n, err);
        }
    }
}

void apply_kernel(Scenario& sc, const KernelSettings& kernel) {
    for (const auto& [key, value] : kernel) {
        if (const std::string err = set_kernel(sc, key, value); !err.empty()) {
            throw ScenarioError(err);
        }
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
