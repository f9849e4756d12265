// Loading and validating scenario files with toml++.
#include "pfnsim/model/scenario.hpp"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <set>
#include <sstream>

#include "pfnsim/model/limits.hpp"

namespace pfnsim::model {

const char* actor_kind_name(ActorKind k) {
    switch (k) {
        case ActorKind::Pin:
            return "pin";
        case ActorKind::Split:
            return "split";
        case ActorKind::Zap:
            return "zap";
        case ActorKind::Enable:
            return "enable";
        case ActorKind::Fault:
            return "fault";
        case ActorKind::Munmap:
            return "munmap";
        case ActorKind::Signal:
            return "signal";
        case ActorKind::Kvm:
            return "kvm";
        case ActorKind::S390MmioWrite:
            return "s390-mmio-write";
        case ActorKind::S390MmioRead:
            return "s390-mmio-read";
        case ActorKind::AcrnMap:
            return "acrn-map";
        case ActorKind::AccessPhys:
            return "access-phys";
        case ActorKind::BoMove:
            return "bo-move";
    }
    return "?";
}

namespace {

constexpr std::uint32_t kind_bit(ActorKind k) {
    return 1U << static_cast<unsigned>(k);
}
constexpr std::uint32_t kAllKinds = (1U << (static_cast<unsigned>(ActorKind::BoMove) + 1)) - 1;
constexpr ActorKind kKinds[] = {ActorKind::Pin,          ActorKind::Split,
                                ActorKind::Zap,          ActorKind::Enable,
                                ActorKind::Fault,        ActorKind::Munmap,
                                ActorKind::Signal,       ActorKind::Kvm,
                                ActorKind::S390MmioWrite, ActorKind::S390MmioRead,
                                ActorKind::AcrnMap,      ActorKind::AccessPhys,
                                ActorKind::BoMove};

// The one table of which [[actor]] keys apply to which kinds: what each kind's code in
// world.cpp (and the kernel functions it calls) reads. The s390 kinds take their direction
// from the kind; access-phys and acrn-map never fault, so fault_retry would never be used.
struct ActorKey {
    std::string_view key;
    std::uint32_t kinds;
};
constexpr std::uint32_t kCallers =
    kind_bit(ActorKind::Pin) | kind_bit(ActorKind::Fault) | kind_bit(ActorKind::Kvm) |
    kind_bit(ActorKind::S390MmioWrite) | kind_bit(ActorKind::S390MmioRead) |
    kind_bit(ActorKind::AcrnMap) | kind_bit(ActorKind::AccessPhys);
constexpr std::uint32_t kRanged =
    kind_bit(ActorKind::Pin) | kind_bit(ActorKind::Munmap) | kind_bit(ActorKind::AcrnMap);
constexpr ActorKey kActorKeys[] = {
    {"name", kAllKinds},
    {"kind", kAllKinds},
    {"after", kAllKinds},
    {"allowed", kAllKinds},
    {"vaddr", kCallers | kind_bit(ActorKind::Munmap)},
    {"size", kRanged},
    {"write", kind_bit(ActorKind::Pin) | kind_bit(ActorKind::Fault) | kind_bit(ActorKind::Kvm) |
                  kind_bit(ActorKind::AcrnMap) | kind_bit(ActorKind::AccessPhys)},
    {"repeat", kind_bit(ActorKind::Split) | kind_bit(ActorKind::Zap) |
                   kind_bit(ActorKind::Enable) | kind_bit(ActorKind::Fault)},
    {"forever", kind_bit(ActorKind::Split)},
    {"target", kind_bit(ActorKind::Signal)},
    {"fault_retry", kind_bit(ActorKind::Pin) | kind_bit(ActorKind::Fault) |
                        kind_bit(ActorKind::Kvm) | kind_bit(ActorKind::S390MmioWrite) |
                        kind_bit(ActorKind::S390MmioRead)},
    {"device", kind_bit(ActorKind::Zap) | kind_bit(ActorKind::Enable) |
                   kind_bit(ActorKind::BoMove)},
    {"placement", kind_bit(ActorKind::BoMove)},
};

}  // namespace

bool actor_key_applies(ActorKind kind, std::string_view key) {
    for (const auto& k : kActorKeys) {
        if (k.key == key) {
            return (k.kinds & kind_bit(kind)) != 0;
        }
    }
    return false;
}

std::string actor_keys(ActorKind kind) {
    std::string s;
    for (const auto& k : kActorKeys) {
        if ((k.kinds & kind_bit(kind)) != 0) {
            s += s.empty() ? "" : ", ";
            s += k.key;
        }
    }
    return s;
}

std::vector<std::pair<std::string, std::string>> actor_key_table() {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& k : kActorKeys) {
        std::string kinds;
        if (k.kinds == kAllKinds) {
            kinds = "all";
        } else {
            for (ActorKind a : kKinds) {
                if ((k.kinds & kind_bit(a)) != 0) {
                    kinds += kinds.empty() ? "" : ", ";
                    kinds += actor_kind_name(a);
                }
            }
        }
        out.emplace_back(std::string(k.key), kinds);
    }
    return out;
}

const char* follow_errno_name(FollowErrno e) {
    return e == FollowErrno::Enoent ? "enoent" : "einval";
}

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

namespace {

class Loader {
  public:
    explicit Loader(std::string path) : path_(std::move(path)) {}

    [[noreturn]] void fail(const toml::source_region& where, const std::string& msg) const {
        throw ScenarioError(
            fmt::format("{}:{}:{}: {}", path_, where.begin.line, where.begin.column, msg));
    }
    [[noreturn]] void fail(const toml::node& n, const std::string& msg) const {
        fail(n.source(), msg);
    }

    // Rejects keys not in `allowed`, naming the valid ones.
    void check_keys(const toml::table& t, std::initializer_list<std::string_view> allowed,
                    const char* what) const {
        check_keys(t, std::vector<std::string_view>(allowed), what);
    }
    void check_keys(const toml::table& t, const std::vector<std::string_view>& allowed,
                    const char* what) const {
        for (const auto& [k, v] : t) {
            if (std::find(allowed.begin(), allowed.end(), k.str()) == allowed.end()) {
                std::string valid;
                for (auto a : allowed) {
                    valid += valid.empty() ? "" : ", ";
                    valid += a;
                }
                fail(v, fmt::format("unknown key '{}' in {} (valid: {})", k.str(), what, valid));
            }
        }
    }

    std::string str(const toml::table& t, std::string_view key, const std::string& dflt,
                    bool required = false) const {
        const toml::node* n = t.get(key);
        if (n == nullptr) {
            if (required) {
                fail(t, fmt::format("missing key '{}'", key));
            }
            return dflt;
        }
        if (!n->is_string()) {
            fail(*n, fmt::format("'{}' must be a string", key));
        }
        std::string s(n->as_string()->get());
        return s;
    }

    bool boolean(const toml::table& t, std::string_view key, bool dflt) const {
        const toml::node* n = t.get(key);
        if (n == nullptr) {
            return dflt;
        }
        if (!n->is_boolean()) {
            fail(*n, fmt::format("'{}' must be true or false", key));
        }
        return n->as_boolean()->get();
    }

    // A number under its rule (include/pfnsim/model/limits.hpp): an integer, or for sizes and
    // addresses also a string with a K, M or G suffix ("2G", "4K"); out of range is an error.
    std::uint64_t number(const toml::table& t, const NumberRule& rule, std::uint64_t dflt,
                         bool required = false) const {
        const std::string_view key = rule.name;
        const toml::node* n = t.get(key);
        if (n == nullptr) {
            if (required) {
                fail(t, fmt::format("missing key '{}'", key));
            }
            return dflt;
        }
        std::optional<std::uint64_t> v;
        std::string shown;
        if (n->is_integer()) {
            const std::int64_t i = n->as_integer()->get();
            shown = std::to_string(i);
            if (i >= 0 && in_range(rule, static_cast<std::uint64_t>(i))) {
                v = static_cast<std::uint64_t>(i);
            }
        } else if (n->is_string()) {
            const std::string_view str = n->as_string()->get();
            shown = fmt::format("\"{}\"", str);
            v = parse_unsigned(str);
            if (!v) {
                fail(*n, fmt::format("'{}' = {} is not a size (an integer, or digits with K, M "
                                     "or G: \"2G\")",
                                     key, shown));
            }
            v = in_range(rule, *v) ? v : std::nullopt;
        } else {
            fail(*n, fmt::format("'{}' must be an integer or a size string like \"1G\"", key));
        }
        if (!v) {
            fail(*n, fmt::format("'{}' = {} is out of range (valid: {})", key, shown,
                                 valid_range(rule)));
        }
        return *v;
    }

    const toml::table& table_of(const toml::node& n, const char* what) const {
        if (!n.is_table()) {
            fail(n, fmt::format("{} must be a table", what));
        }
        return *n.as_table();
    }

    const toml::array* array(const toml::table& t, std::string_view key) const {
        const toml::node* n = t.get(key);
        if (n == nullptr) {
            return nullptr;
        }
        if (!n->is_array()) {
            fail(*n, fmt::format("'{}' must be an array", key));
        }
        return n->as_array();
    }

    std::string path_;
};

std::uint64_t parse_flags(const Loader& L, const toml::table& t) {
    const toml::array* a = L.array(t, "flags");
    if (a == nullptr) {
        L.fail(t, "missing key 'flags'");
    }
    std::uint64_t f = 0;
    for (const auto& n : *a) {
        const auto s = n.value<std::string>();
        if (s == "VM_READ") {
            f |= VM_READ;
        } else if (s == "VM_WRITE") {
            f |= VM_WRITE;
        } else if (s == "VM_SHARED") {
            f |= VM_SHARED;
        } else if (s == "VM_IO") {
            f |= VM_IO;
        } else if (s == "VM_PFNMAP") {
            f |= VM_PFNMAP;
        } else {
            L.fail(n, fmt::format("unknown vma flag {} (valid: VM_READ, VM_WRITE, VM_SHARED, "
                                  "VM_IO, VM_PFNMAP)",
                                  s ? "'" + *s + "'" : std::string("(not a string)")));
        }
    }
    return f;
}

std::string check_verdict(const Loader& L, const toml::node& n) {
    const auto v = n.value<std::string>();
    static const std::set<std::string> kVerdicts = {"clean",
                                                    "new-errno",
                                                    "wrong-return",
                                                    "step-bound",
                                                    "livelock",
                                                    "livelock (killable, spinning)",
                                                    "livelock (killable, yielding)",
                                                    "livelock (unkillable, spinning)",
                                                    "livelock (unkillable, yielding)",
                                                    "deadlock",
                                                    "invariant"};
    if (!v || kVerdicts.count(*v) == 0) {
        L.fail(n, fmt::format("unknown verdict {} (valid: {})",
                              v ? "'" + *v + "'" : std::string("(not a string)"), kValidVerdicts));
    }
    return *v;
}

// Resolves every actor's `after` names to indices: each must name another actor of the file
// that does not run forever, and the order they give must have no cycle.
void resolve_after(
    const Loader& L, Scenario& sc,
    const std::vector<std::vector<std::pair<std::string, toml::source_region>>>& names) {
    for (std::size_t i = 0; i < sc.actors.size(); ++i) {
        ActorSpec& a = sc.actors[i];
        for (const auto& [n, where] : names[i]) {
            if (n == a.name) {
                L.fail(where, fmt::format("actor '{}' cannot start after itself", n));
            }
            std::size_t j = 0;
            while (j < sc.actors.size() && sc.actors[j].name != n) {
                ++j;
            }
            if (j == sc.actors.size()) {
                std::string valid;
                for (const auto& o : sc.actors) {
                    if (o.name != a.name) {
                        valid += (valid.empty() ? "" : ", ") + o.name;
                    }
                }
                L.fail(where, fmt::format("'after' names unknown actor '{}' (valid: {})", n,
                                          valid.empty() ? std::string("none") : valid));
            }
            if (sc.actors[j].forever) {
                L.fail(where, fmt::format("'after' names '{}', which runs forever: '{}' would "
                                          "never start",
                                          n, a.name));
            }
            a.after.push_back(j);
        }
    }
    // A cycle: depth-first from each actor in file order; the first back edge found is
    // reported at the name that closes it, with the cycle spelled out.
    enum class Mark : std::uint8_t { New, Open, Done };
    std::vector<Mark> mark(sc.actors.size(), Mark::New);
    std::vector<std::size_t> path;
    const auto visit = [&](const auto& self, std::size_t v) -> void {
        mark[v] = Mark::Open;
        path.push_back(v);
        for (std::size_t k = 0; k < sc.actors[v].after.size(); ++k) {
            const std::size_t w = sc.actors[v].after[k];
            if (mark[w] == Mark::Open) {
                std::string cycle;
                const auto from = std::find(path.begin(), path.end(), w);
                for (auto it = from; it != path.end(); ++it) {
                    cycle += sc.actors[*it].name + " -> ";
                }
                cycle += sc.actors[w].name;
                L.fail(names[v][k].second,
                       fmt::format("'after' makes a cycle ({}: each waits for the next to "
                                   "finish)",
                                   cycle));
            }
            if (mark[w] == Mark::New) {
                self(self, w);
            }
        }
        path.pop_back();
        mark[v] = Mark::Done;
    };
    for (std::size_t v = 0; v < sc.actors.size(); ++v) {
        if (mark[v] == Mark::New) {
            visit(visit, v);
        }
    }
}

Scenario build(const toml::table& root, const std::string& path, const KernelSettings& kernel) {
    Loader L(path);
    Scenario sc;
    sc.path = path;
    L.check_keys(root,
                 {"name", "label", "description", "policy", "step_bound", "iterations", "seed",
                  "kernel", "device", "vma", "entry", "actor", "expect", "explore", "matrix"},
                 "the scenario");
    sc.name = L.str(root, "name", "", true);
    sc.description = L.str(root, "description", "");
    sc.label = L.str(root, "label", sc.name);
    const std::string pol = L.str(root, "policy", "original");
    if (auto p = parse_policy(pol)) {
        sc.policy = *p;
        if (const std::string note = policy_note(pol); !note.empty()) {
            const auto& b = root.get("policy")->source().begin;
            sc.notes.push_back(fmt::format("{}:{}:{}: note: {}", path, b.line, b.column, note));
        }
    } else {
        L.fail(*root.get("policy"),
               fmt::format("unknown policy '{}' (valid: {})", pol, kValidPolicies));
    }
    sc.step_bound = L.number(root, limits::kStepBound, 2000);
    sc.iterations = L.number(root, limits::kIterations, 2000);
    sc.seed = L.number(root, limits::kSeed, 1);

    if (const toml::node* k = root.get("kernel")) {
        const toml::table& t = L.table_of(*k, "[kernel]");
        for (const auto& [key, n] : t) {
            const bool known = !kernel_values(key.str()).empty();
            if (known && !n.is_string()) {
                L.fail(n, fmt::format("'{}' must be a string", key.str()));
            }
            const std::string_view value = known ? n.as_string()->get() : std::string_view();
            if (const std::string err = set_kernel(sc, key.str(), value); !err.empty()) {
                L.fail(n, err);
            }
        }
    }
    // The command line's settings, over the file's, before anything is checked against them.
    for (const auto& [key, value] : kernel) {
        if (const std::string err = set_kernel(sc, key, value); !err.empty()) {
            throw ScenarioError(err);
        }
    }

    auto each = [&](std::string_view key, auto&& fn) {
        if (const toml::node* n = root.get(key)) {
            if (!n->is_array_of_tables()) {
                L.fail(*n, fmt::format("'{}' must be an array of tables ([[{}]])", key, key));
            }
            for (const auto& e : *n->as_array()) {
                fn(*e.as_table());
            }
        }
    };

    each("device", [&](const toml::table& t) {
        L.check_keys(t, {"name", "kind", "bar_base", "bar_size", "mem_enabled"}, "[[device]]");
        DeviceSpec d;
        d.name = L.str(t, "name", "", true);
        const std::string kind = L.str(t, "kind", "vfio-pci");
        if (kind == "vfio-pci") {
            d.kind = DeviceKind::VfioPci;
        } else if (kind == "ttm-vram") {
            d.kind = DeviceKind::TtmVram;
        } else {
            L.fail(*t.get("kind"),
                   fmt::format("unknown device kind '{}' (valid: {})", kind, kValidDeviceKinds));
        }
        d.bar_base = L.number(t, limits::kBarBase, 0, true);
        d.bar_size = L.number(t, limits::kBarSize, 0, true);
        d.mem_enabled = L.boolean(t, "mem_enabled", true);
        if (d.bar_base % PAGE_SIZE != 0 || d.bar_size == 0 || d.bar_size % PAGE_SIZE != 0) {
            L.fail(t, "a BAR's base and size must be non-zero multiples of 4K");
        }
        for (const auto& o : sc.devices) {
            if (o.name == d.name) {
                L.fail(t, fmt::format("device '{}' defined twice", d.name));
            }
        }
        sc.devices.push_back(d);
    });

    each("vma", [&](const toml::table& t) {
        L.check_keys(t, {"start", "size", "flags", "pgoff", "device"}, "[[vma]]");
        VmaSpec v;
        v.start = L.number(t, limits::kStart, 0, true);
        v.size = L.number(t, limits::kSize, 0, true);
        v.flags = parse_flags(L, t);
        v.pgoff = L.number(t, limits::kPgoff, 0);
        v.device = L.str(t, "device", "");
        if (v.start % PAGE_SIZE != 0 || v.size == 0 || v.size % PAGE_SIZE != 0) {
            L.fail(t, "a vma's start and size must be non-zero multiples of 4K");
        }
        if (v.start + v.size > kTaskSize) {
            L.fail(t, fmt::format("a vma must end within the user address space (at most {:#x})",
                                  kTaskSize));
        }
        if ((v.flags & (VM_IO | VM_PFNMAP)) == 0) {
            L.fail(t, "only device mappings are modelled: a vma needs VM_IO or VM_PFNMAP");
        }
        if (!v.device.empty()) {
            const DeviceSpec* d = nullptr;
            for (const auto& o : sc.devices) {
                if (o.name == v.device) {
                    d = &o;
                }
            }
            if (d == nullptr) {
                L.fail(*t.get("device"), fmt::format("unknown device '{}'", v.device));
            }
            if ((v.pgoff << PAGE_SHIFT) + v.size > d->bar_size) {
                L.fail(t, fmt::format("impossible state: the vma maps past the end of {}'s BAR",
                                      d->name));
            }
        }
        for (const auto& o : sc.vmas) {
            if (v.start < o.start + o.size && o.start < v.start + v.size) {
                L.fail(t, "impossible state: vmas overlap");
            }
        }
        sc.vmas.push_back(v);
    });

    each("entry", [&](const toml::table& t) {
        L.check_keys(t, {"level", "addr"}, "[[entry]]");
        EntrySpec e;
        const std::string lv = L.str(t, "level", "", true);
        if (lv == "pud") {
            e.level = Level::PUD;
        } else if (lv == "pmd") {
            e.level = Level::PMD;
        } else if (lv == "pte") {
            e.level = Level::PTE;
        } else {
            L.fail(*t.get("level"), fmt::format("unknown level '{}' (valid: pud, pmd, pte)", lv));
        }
        e.addr = L.number(t, limits::kAddr, 0, true);
        const std::uint64_t span = e.level == Level::PUD   ? PUD_SIZE
                                   : e.level == Level::PMD ? PMD_SIZE
                                                           : PAGE_SIZE;
        if (e.addr % span != 0) {
            L.fail(t,
                   fmt::format("impossible state: a {} entry must be at a {}-aligned address", lv,
                               span == PUD_SIZE   ? "1G"
                               : span == PMD_SIZE ? "2M"
                                                  : "4K"));
        }
        const VmaSpec* vma = nullptr;
        for (const auto& v : sc.vmas) {
            if (e.addr >= v.start && e.addr + span <= v.start + v.size) {
                vma = &v;
            }
        }
        if (vma == nullptr || vma->device.empty()) {
            L.fail(t, fmt::format("impossible state: the {} entry at {:#x} is outside every "
                                  "device vma",
                                  lv, e.addr));
        }
        const DeviceSpec* d = nullptr;
        for (const auto& o : sc.devices) {
            if (o.name == vma->device) {
                d = &o;
            }
        }
        const std::uint64_t phys = d->bar_base + (vma->pgoff << PAGE_SHIFT) + (e.addr - vma->start);
        if (phys % span != 0) {
            L.fail(t, fmt::format("impossible state: the {} entry at {:#x} would map physical "
                                  "{:#x}, which is not {}-aligned",
                                  lv, e.addr, phys, span == PUD_SIZE ? "1G" : "2M"));
        }
        for (const auto& o : sc.entries) {
            const std::uint64_t ospan = o.level == Level::PUD   ? PUD_SIZE
                                        : o.level == Level::PMD ? PMD_SIZE
                                                                : PAGE_SIZE;
            if (e.addr < o.addr + ospan && o.addr < e.addr + span) {
                L.fail(t, "impossible state: entries overlap");
            }
        }
        sc.entries.push_back(e);
    });

    // Each actor's `after` names, with where each is written, resolved once all are read.
    std::vector<std::vector<std::pair<std::string, toml::source_region>>> after_names;
    each("actor", [&](const toml::table& t) {
        std::vector<std::string_view> all_keys;
        for (const auto& k : kActorKeys) {
            all_keys.push_back(k.key);
        }
        L.check_keys(t, all_keys, "[[actor]]");
        ActorSpec a;
        a.name = L.str(t, "name", "", true);
        const std::string kind = L.str(t, "kind", "", true);
        bool found = false;
        for (auto k : kKinds) {
            if (kind == actor_kind_name(k)) {
                a.kind = k;
                found = true;
            }
        }
        if (!found) {
            L.fail(*t.get("kind"),
                   fmt::format("unknown actor kind '{}' (valid: {})", kind, kValidActorKinds));
        }
        for (const auto& [k, v] : t) {
            if (!actor_key_applies(a.kind, k.str())) {
                L.fail(v, fmt::format("key '{}' does not apply to a '{}' actor (its keys: {})",
                                      k.str(), kind, actor_keys(a.kind)));
            }
        }
        a.vaddr = L.number(t, limits::kVaddr, 0);
        a.size = L.number(t, limits::kSize, 0);
        // The s390 syscalls' direction is their kind; the oracle reads `write` for it.
        a.write = a.kind == ActorKind::S390MmioWrite || a.kind == ActorKind::S390MmioRead
                      ? a.kind == ActorKind::S390MmioWrite
                      : L.boolean(t, "write", true);
        a.repeat = L.number(t, limits::kRepeat, 1);
        a.forever = L.boolean(t, "forever", false);
        a.target = L.str(t, "target", "");
        a.fault_retry = L.number(t, limits::kFaultRetry, 0);
        a.placement = L.number(t, limits::kPlacement, 0);
        a.device = L.str(t, "device", "");
        const DeviceSpec* dev = sc.devices.empty() ? nullptr : &sc.devices.front();
        if (!a.device.empty()) {
            dev = nullptr;
            for (const auto& o : sc.devices) {
                if (o.name == a.device) {
                    dev = &o;
                }
            }
            if (dev == nullptr) {
                std::string valid;
                for (const auto& o : sc.devices) {
                    valid += (valid.empty() ? "" : ", ") + o.name;
                }
                L.fail(*t.get("device"),
                       fmt::format("unknown device '{}' (valid: {})", a.device, valid));
            }
        }
        if (a.kind == ActorKind::BoMove) {
            if (dev == nullptr || dev->kind != DeviceKind::TtmVram) {
                L.fail(t, "a bo-move actor needs a ttm-vram [[device]] ('device')");
            }
            if (a.placement % PAGE_SIZE != 0) {
                L.fail(*t.get("placement"), "'placement' must be a multiple of 4K");
            }
            for (const auto& v : sc.vmas) {
                if (v.device == dev->name &&
                    a.placement + (v.pgoff << PAGE_SHIFT) + v.size > dev->bar_size) {
                    L.fail(t, fmt::format("impossible state: the BO would be placed past the end "
                                          "of {}'s VRAM",
                                          dev->name));
                }
            }
        }
        if (a.fault_retry != 0) {
            // Only a fault handler that drops mmap_lock can return VM_FAULT_RETRY.
            for (const auto& v : sc.vmas) {
                if (a.vaddr >= v.start && a.vaddr < v.start + v.size && !v.device.empty()) {
                    for (const auto& o : sc.devices) {
                        if (o.name == v.device && o.kind == DeviceKind::VfioPci) {
                            L.fail(*t.get("fault_retry"),
                                   fmt::format("impossible state: 'fault_retry' on a vfio-pci "
                                               "mapping ({}): vfio_pci_mmap_huge_fault() never "
                                               "returns VM_FAULT_RETRY (valid: a ttm-vram device)",
                                               o.name));
                        }
                    }
                }
            }
        }
        const bool ranged =
            a.kind == ActorKind::Pin || a.kind == ActorKind::Munmap || a.kind == ActorKind::AcrnMap;
        const bool addressed = a.kind == ActorKind::Fault || a.kind == ActorKind::Kvm ||
                               a.kind == ActorKind::S390MmioWrite ||
                               a.kind == ActorKind::S390MmioRead || a.kind == ActorKind::AccessPhys;
        if ((ranged || addressed) && t.get("vaddr") == nullptr) {
            L.fail(t, fmt::format("a {} actor needs 'vaddr'", kind));
        }
        if (ranged && (a.size == 0 || a.size % PAGE_SIZE != 0 || a.vaddr % PAGE_SIZE != 0)) {
            L.fail(t,
                   fmt::format("a {} actor needs a 4K-aligned 'vaddr' and a non-zero 4K-multiple "
                               "'size'",
                               kind));
        }
        if (ranged && a.vaddr + a.size > kTaskSize) {
            L.fail(t, fmt::format("a {} actor's range must end within the user address space (at "
                                  "most {:#x})",
                                  kind, kTaskSize));
        }
        if ((a.kind == ActorKind::Zap || a.kind == ActorKind::Enable) && sc.devices.empty()) {
            L.fail(t, fmt::format("a {} actor needs a [[device]]", kind));
        }
        if (a.forever && t.get("repeat") != nullptr) {
            L.fail(*t.get("repeat"), "'repeat' and 'forever' together: a forever walker has no "
                                     "count (give one of them)");
        }
        auto& names = after_names.emplace_back();
        if (const toml::array* af = L.array(t, "after")) {
            for (const auto& n : *af) {
                const auto s = n.value<std::string>();
                if (!s) {
                    L.fail(n, "'after' must be an array of actor names");
                }
                for (const auto& [o, where] : names) {
                    if (o == *s) {
                        L.fail(n, fmt::format("'after' names '{}' twice", *s));
                    }
                }
                names.emplace_back(*s, n.source());
            }
        }
        if (const toml::array* al = L.array(t, "allowed")) {
            for (const auto& n : *al) {
                const auto s = n.value<std::string>();
                const auto r = s ? parse_result(*s) : std::nullopt;
                if (!r) {
                    L.fail(n, fmt::format("unknown result {} (valid: {})",
                                          s ? "'" + *s + "'" : std::string("(not a string)"),
                                          valid_result_names()));
                }
                a.allowed.push_back(*r);
            }
        }
        for (const auto& o : sc.actors) {
            if (o.name == a.name) {
                L.fail(t, fmt::format("actor '{}' defined twice", a.name));
            }
        }
        sc.actors.push_back(a);
    });
    if (sc.actors.empty()) {
        L.fail(root, "a scenario needs at least one [[actor]]");
    }
    if (sc.actors.size() > 16) {
        L.fail(root, "at most 16 actors are supported");
    }
    bool finite = false;
    for (const auto& a : sc.actors) {
        finite = finite || !a.forever;
        if (a.kind == ActorKind::Signal) {
            bool ok = false;
            for (const auto& o : sc.actors) {
                ok = ok || (o.name == a.target && o.name != a.name);
            }
            if (!ok) {
                L.fail(root, fmt::format("signal actor '{}' targets unknown actor '{}'", a.name,
                                         a.target));
            }
        }
    }
    if (!finite) {
        L.fail(root, "every actor runs forever: an execution would never end");
    }
    resolve_after(L, sc, after_names);

    if (const toml::node* x = root.get("matrix")) {
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

    if (const toml::node* x = root.get("explore")) {
        const toml::table& t = L.table_of(*x, "[explore]");
        L.check_keys(t, {"strategy", "mode", "depth", "preemptions", "faults"}, "[explore]");
        if (t.get("strategy") != nullptr && t.get("mode") != nullptr) {
            L.fail(*t.get("mode"), "'mode' is the old spelling of 'strategy': give one of them");
        }
        const char* key = t.get("mode") != nullptr ? "mode" : "strategy";
        const std::string strategy = L.str(t, key, "random");
        if (t.get("mode") != nullptr) {
            const auto& b = t.get("mode")->source().begin;
            sc.notes.push_back(fmt::format("{}:{}:{}: note: [explore] 'mode' is the old spelling "
                                           "of 'strategy' (read as strategy = \"{}\")",
                                           path, b.line, b.column, strategy));
        }
        if (strategy == "sweep") {
            sc.explore_mode = Scenario::ExploreMode::Sweep;
        } else if (strategy == "pct") {
            sc.explore_mode = Scenario::ExploreMode::Pct;
        } else if (strategy != "random") {
            L.fail(*t.get(key), fmt::format("unknown explore strategy '{}' (valid: random, pct, "
                                            "sweep)",
                                            strategy));
        }
        // Each bound belongs to one strategy.
        struct Bound {
            const NumberRule* rule;
            std::optional<unsigned>* into;
            Scenario::ExploreMode owner;
        };
        for (const Bound& b : {Bound{&limits::kDepth, &sc.explore_depth, Scenario::ExploreMode::Pct},
                               Bound{&limits::kPreemptions, &sc.explore_preemptions,
                                     Scenario::ExploreMode::Sweep},
                               Bound{&limits::kFaults, &sc.explore_faults,
                                     Scenario::ExploreMode::Sweep}}) {
            const toml::node* n = t.get(b.rule->name);
            if (n == nullptr) {
                continue;
            }
            if (b.owner != sc.explore_mode) {
                const char* bounds = sc.explore_mode == Scenario::ExploreMode::Pct
                                         ? "pct's bound: depth"
                                     : sc.explore_mode == Scenario::ExploreMode::Sweep
                                         ? "sweep's bounds: preemptions, faults"
                                         : "random takes no bound";
                L.fail(*n, fmt::format("'{}' in [explore] belongs to strategy = \"{}\", not "
                                       "\"{}\" ({})",
                                       b.rule->name,
                                       b.owner == Scenario::ExploreMode::Pct ? "pct" : "sweep",
                                       strategy, bounds));
            }
            *b.into = static_cast<unsigned>(L.number(t, *b.rule, 0));
        }
    }

    if (const toml::node* x = root.get("expect")) {
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
                    L.fail(v,
                           fmt::format("unknown policy '{}' (valid: {})", k.str(), kValidPolicies));
                }
                if (const std::string note = policy_note(k.str()); !note.empty()) {
                    const auto& b = v.source().begin;
                    sc.notes.push_back(
                        fmt::format("{}:{}:{}: note: {}", path, b.line, b.column, note));
                }
                // Keyed by the canonical name, which is what the CLI looks expectations up by.
                sc.expect_policies[pk->name()] = check_verdict(L, v);
            }
        }
    }
    return sc;
}

}  // namespace

namespace {

// toml++ 3.3 reaches TOML_UNREACHABLE (undefined behaviour) when it asks whether some non-ASCII
// code points are whitespace: is_non_ascii_horizontal_whitespace() has no case for
// U+00A1..U+0499, U+2C5E..U+3057 and U+FB26..U+FEFE (bar U+3000). It asks at every character
// outside a string or comment, after a backslash in a basic string, and at the first character
// after a line-ending backslash in a multi-line one. TOML 1.0 allows non-ASCII only inside
// strings and comments, so this scan rejects exactly the inputs toml++ would reject there, plus
// a non-ASCII character that starts the line after a line-ending backslash (a rare valid case),
// before toml++ sees them. It also rejects text that is not UTF-8.
class TextCheck {
  public:
    TextCheck(const std::string& text, const std::string& path) : s_(text), path_(path) {}

    void run() {
        if (s_.starts_with("\xEF\xBB\xBF")) {
            i_ = 3;  // toml++ skips a byte order mark
        }
        enum class In { Toml, Comment, Basic, MultiBasic, Literal, MultiLiteral } in = In::Toml;
        while (i_ < s_.size()) {
            const std::size_t at = i_;
            const char32_t c = next();
            switch (in) {
                case In::Toml:
                    if (c >= 0x80) {
                        fail(at, fmt::format("character U+{:04X} outside a string or comment",
                                             static_cast<std::uint32_t>(c)));
                    } else if (c == '#') {
                        in = In::Comment;
                    } else if (c == '"' || c == '\'') {
                        const bool multi = s_.compare(i_, 2, std::string(2, char(c))) == 0;
                        if (multi) {
                            i_ += 2;
                        }
                        in = c == '"' ? (multi ? In::MultiBasic : In::Basic)
                                      : (multi ? In::MultiLiteral : In::Literal);
                    }
                    break;
                case In::Comment:
                    if (c == '\n') {
                        in = In::Toml;
                    }
                    break;
                case In::Basic:
                case In::Literal:
                    if (c == '\n' || (in == In::Basic ? c == '"' : c == '\'')) {
                        in = In::Toml;
                    } else if (in == In::Basic && c == '\\') {
                        escape(false);
                    }
                    break;
                case In::MultiBasic:
                case In::MultiLiteral: {
                    const char q = in == In::MultiBasic ? '"' : '\'';
                    if (c == static_cast<unsigned char>(q)) {
                        std::size_t n = 1;
                        while (i_ < s_.size() && s_[i_] == q && n < 5) {
                            ++i_;
                            ++n;
                        }
                        if (n >= 3) {
                            in = In::Toml;
                        }
                    } else if (in == In::MultiBasic && c == '\\') {
                        escape(true);
                    }
                    break;
                }
            }
        }
    }

  private:
    // After a backslash in a basic string.
    void escape(bool multi) {
        if (i_ >= s_.size()) {
            return;
        }
        const std::size_t at = i_;
        const char32_t c = next();
        if (c >= 0x80) {
            fail(at, fmt::format("'\\' before U+{:04X} is not an escape sequence",
                                 static_cast<std::uint32_t>(c)));
        }
        if (!multi || (c != ' ' && c != '\t' && c != '\r' && c != '\n')) {
            return;  // the escaped character is consumed
        }
        // A line-ending backslash: whitespace and line breaks up to the next character.
        while (i_ < s_.size() &&
               (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\r' || s_[i_] == '\n')) {
            ++i_;
        }
        if (i_ < s_.size() && static_cast<unsigned char>(s_[i_]) >= 0x80) {
            const std::size_t here = i_;
            fail(here, fmt::format("U+{:04X} after a line-ending backslash (toml++ 3.3 cannot "
                                   "parse it; write it as a \\u escape)",
                                   static_cast<std::uint32_t>(next())));
        }
    }

    // Decodes one UTF-8 code point at i_ and moves past it.
    char32_t next() {
        const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s_[i_ + k]); };
        const unsigned char c = b(0);
        std::size_t len = 0;
        char32_t cp = 0;
        char32_t min = 0;
        if (c < 0x80) {
            ++i_;
            return c;
        }
        if ((c & 0xE0) == 0xC0) {
            len = 2;
            cp = c & 0x1F;
            min = 0x80;
        } else if ((c & 0xF0) == 0xE0) {
            len = 3;
            cp = c & 0x0F;
            min = 0x800;
        } else if ((c & 0xF8) == 0xF0) {
            len = 4;
            cp = c & 0x07;
            min = 0x10000;
        } else {
            fail(i_, fmt::format("byte 0x{:02x} is not UTF-8", c));
        }
        if (s_.size() - i_ < len) {
            fail(i_, "UTF-8 sequence cut off by the end of the file");
        }
        for (std::size_t k = 1; k < len; ++k) {
            if ((b(k) & 0xC0) != 0x80) {
                fail(i_, fmt::format("byte 0x{:02x} is not UTF-8", b(k)));
            }
            cp = (cp << 6) | (b(k) & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
            fail(i_, fmt::format("bytes {:02x}.. are not UTF-8 (overlong, a surrogate or "
                                 "beyond U+10FFFF)",
                                 c));
        }
        i_ += len;
        return cp;
    }

    [[noreturn]] void fail(std::size_t at, const std::string& msg) const {
        std::size_t line = 1;
        std::size_t col = 1;
        for (std::size_t k = 0; k < at; ++k) {
            if (s_[k] == '\n') {
                ++line;
                col = 1;
            } else if ((static_cast<unsigned char>(s_[k]) & 0xC0) != 0x80) {
                ++col;
            }
        }
        throw ScenarioError(fmt::format("{}:{}:{}: {}", path_, line, col, msg));
    }

    const std::string& s_;
    const std::string& path_;
    std::size_t i_ = 0;
};

}  // namespace

Scenario parse_scenario(const std::string& text, const std::string& path,
                        const KernelSettings& kernel) {
    TextCheck(text, path).run();
    try {
        const toml::table root = toml::parse(text, path);
        return build(root, path, kernel);
    } catch (const toml::parse_error& e) {
        const auto& b = e.source().begin;
        throw ScenarioError(fmt::format("{}:{}:{}: {}", path, b.line, b.column, e.description()));
    }
}

Scenario load_scenario(const std::string& path, const KernelSettings& kernel) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw ScenarioError(fmt::format("{}: cannot read the file", path));
    }
    std::stringstream ss;
    ss << in.rdbuf();
    return parse_scenario(ss.str(), path, kernel);
}

}  // namespace pfnsim::model
