// The [[actor]] tables of a scenario: each actor's keys as its kind's row (actor_kinds.cpp)
// allows them, the checks its shape asks for, and the order `after` gives.
#include <fmt/format.h>

#include <algorithm>

#include "actor_kinds.hpp"
#include "loader.hpp"

namespace pfnsim::model {

namespace {

// An actor's `after` names, with where each is written, resolved once all actors are read.
using AfterNames = std::vector<std::pair<std::string, toml::source_region>>;

// The device the actor names ('device'), else the scenario's first (none: nullptr).
const DeviceSpec* device_of(const Loader& L, const toml::table& t, const Scenario& sc,
                            const ActorSpec& a) {
    if (a.device.empty()) {
        return sc.devices.empty() ? nullptr : &sc.devices.front();
    }
    for (const auto& o : sc.devices) {
        if (o.name == a.device) {
            return &o;
        }
    }
    std::string valid;
    for (const auto& o : sc.devices) {
        valid += (valid.empty() ? "" : ", ") + o.name;
    }
    L.fail(*t.get("device"), fmt::format("unknown device '{}' (valid: {})", a.device, valid));
}

// What the kind's shape asks of the actor, and what its keys must not make impossible.
void check_actor(const Loader& L, const toml::table& t, const Scenario& sc, const ActorSpec& a) {
    const ActorKindRow& row = actor_kind_row(a.kind);
    // arch/s390/pci/pci_mmio.c: the syscalls exist only on s390.
    if ((a.kind == ActorKind::S390MmioWrite || a.kind == ActorKind::S390MmioRead) &&
        sc.arch != Arch::S390) {
        L.fail(*t.get("kind"), fmt::format("a {} actor needs [kernel] arch = \"s390\" (arch is {})",
                                           row.name, arch_name(sc.arch)));
    }
    // mm/mmap.c mmap_region: an mmap actor maps one unmapped [[vma]], starting at its vaddr.
    if (a.kind == ActorKind::Mmap) {
        const auto n = std::count_if(sc.vmas.begin(), sc.vmas.end(), [&](const VmaSpec& v) {
            return !v.mapped && v.start == a.vaddr;
        });
        if (n == 0) {
            L.fail(*t.get("vaddr"), fmt::format("an mmap actor maps a [[vma]] with mapped = "
                                                "false that starts at its vaddr; none starts at "
                                                "{:#x} (valid: such a vma's start)",
                                                a.vaddr));
        }
    }
    const DeviceSpec* dev = device_of(L, t, sc, a);
    if ((row.shape & kTtmDevice) != 0) {
        if (dev == nullptr || dev->kind != DeviceKind::TtmVram) {
            L.fail(t, fmt::format("a {} actor needs a ttm-vram [[device]] ('device')", row.name));
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
    if ((row.shape & kDevmemDevice) != 0 && (dev == nullptr || dev->kind != DeviceKind::DevMem)) {
        L.fail(t, fmt::format("a {} actor needs a devmem [[device]] ('device')", row.name));
    }
    // vfio_pci_memory_disable/enable write a PCI_COMMAND register: /dev/mem has none.
    if ((a.kind == ActorKind::Zap || a.kind == ActorKind::Enable) && dev != nullptr &&
        dev->kind == DeviceKind::DevMem) {
        L.fail(t.get("device") != nullptr ? *t.get("device") : *t.get("kind"),
               fmt::format("impossible state: a {} actor on a devmem range ({}): it has no "
                           "PCI_COMMAND (valid: a vfio-pci device; a devmem range "
                           "is taken away by a request-region actor)",
                           row.name, dev->name));
    }
    // vfio_pm_config_write -> vfio_pci_set_power_state: a vfio-pci device's PM_CTRL (and its
    // runtime PM, its reset); the device fd's read and write (vfio_pci_rw): its BAR.
    const bool power = a.kind == ActorKind::D3hot || a.kind == ActorKind::D0 ||
                       a.kind == ActorKind::Reset || a.kind == ActorKind::LowPower ||
                       a.kind == ActorKind::LowPowerExit || a.kind == ActorKind::HotReset ||
                       a.kind == ActorKind::HotResetInfo || a.kind == ActorKind::Hotplug;
    if ((power || a.kind == ActorKind::BarRw || a.kind == ActorKind::Ioeventfd) && dev != nullptr &&
        dev->kind != DeviceKind::VfioPci) {
        L.fail(
            t.get("device") != nullptr ? *t.get("device") : *t.get("kind"),
            fmt::format("impossible state: a {} actor on {} ({}): {} (valid: a vfio-pci "
                        "device)",
                        row.name, dev->kind == DeviceKind::DevMem ? "a devmem range" : "TTM VRAM",
                        dev->name,
                        power ? "only a vfio-pci device's power state is the user's to set"
                              : "only a vfio-pci device fd reads and writes a BAR"));
    }
    // VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY/EXIT exist since v6.1, after 2b2c651baf1c.
    if ((a.kind == ActorKind::LowPower || a.kind == ActorKind::LowPowerExit) &&
        (sc.vfio_memory_enabled != VfioMemoryEnabledVariant::Current ||
         sc.vfio_pci_mmap == VfioPciMmapVariant::PreAbafbc551fdd)) {
        L.fail(*t.get("kind"),
               fmt::format("impossible state: a {} actor under an older [kernel] "
                           "vfio_pci_memory_enabled or vfio_pci_mmap: the low power feature "
                           "came in v6.1 (valid: their current forms)",
                           row.name));
    }
    // GUP of anonymous pages (pin_user_pages_remote pinning them, KVM's and ACRN's fast paths)
    // and ptrace's access to them are not modelled: these callers take device memory only.
    const bool gup = a.kind == ActorKind::Pin || a.kind == ActorKind::Kvm ||
                     a.kind == ActorKind::AcrnMap || a.kind == ActorKind::AccessPhys ||
                     a.kind == ActorKind::S390MmioWrite || a.kind == ActorKind::S390MmioRead;
    for (const auto& v : sc.vmas) {
        const bool anon = v.device.empty() && (v.flags & (VM_IO | VM_PFNMAP)) == 0;
        const std::uint64_t end = a.vaddr + std::max<std::uint64_t>(a.size, 1);
        if (gup && anon && t.get("vaddr") != nullptr && a.vaddr < v.start + v.size &&
            v.start < end) {
            L.fail(*t.get("vaddr"),
                   fmt::format("a {} actor on anonymous memory ({:#x}): GUP of anonymous "
                               "pages is not modelled (valid: a device vma)",
                               row.name, v.start));
        }
    }
    // VFIO_DEVICE_PCI_HOT_RESET: db44c17458fb (v5.15) and the unmap_mapping_range() zap
    // (aac6db75a9fc, v6.10) are both later than abafbc551fdd (v5.8): the hot reset's form and
    // vfio_pci_mmap's must be of one kernel.
    if (a.kind == ActorKind::HotReset &&
        ((sc.vfio_pci_hot_reset == VfioPciHotResetVariant::Current &&
          sc.vfio_pci_mmap == VfioPciMmapVariant::PreAbafbc551fdd) ||
         (sc.vfio_pci_hot_reset == VfioPciHotResetVariant::PreDb44c17458fb &&
          sc.vfio_pci_mmap == VfioPciMmapVariant::Current))) {
        L.fail(
            *t.get("kind"),
            fmt::format("impossible state: a hot-reset actor under [kernel] "
                        "vfio_pci_hot_reset = \"{}\" and vfio_pci_mmap = \"{}\", forms of "
                        "no one kernel (valid: vfio_pci_hot_reset = \"pre-db44c17458fb\" "
                        "with an older vfio_pci_mmap, \"current\" with a newer one)",
                        kernel_value(sc, "vfio_pci_hot_reset"), kernel_value(sc, "vfio_pci_mmap")));
    }
    // drivers/vfio/pci/vfio_pci_config.c vfio_basic_config_write: a no_command_memory function
    // ignores the memory bit (nothing to disable or enable, nothing zapped).
    if ((a.kind == ActorKind::Zap || a.kind == ActorKind::Enable) && dev != nullptr &&
        dev->virtfn) {
        L.fail(t.get("device") != nullptr ? *t.get("device") : *t.get("kind"),
               fmt::format("impossible state: a {} actor on a VF ({}): PCI_COMMAND_MEMORY does "
                           "not gate its BARs (valid: a physical function; a d3hot actor)",
                           row.name, dev->name));
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
                    if (o.name == v.device && o.kind == DeviceKind::DevMem) {
                        L.fail(*t.get("fault_retry"),
                               fmt::format("impossible state: 'fault_retry' on a devmem "
                                           "mapping ({}): mmap_mem_ops has no fault handler "
                                           "(valid: a ttm-vram device)",
                                           o.name));
                    }
                }
            }
        }
    }
    const bool ranged = (row.shape & kRanged) != 0;
    if ((ranged || (row.shape & kAddressed) != 0) && t.get("vaddr") == nullptr) {
        L.fail(t, fmt::format("a {} actor needs 'vaddr'", row.name));
    }
    if (ranged && (a.size == 0 || a.size % PAGE_SIZE != 0 || a.vaddr % PAGE_SIZE != 0)) {
        L.fail(t, fmt::format("a {} actor needs a 4K-aligned 'vaddr' and a non-zero 4K-multiple "
                              "'size'",
                              row.name));
    }
    if (ranged && a.vaddr + a.size > kTaskSize) {
        L.fail(t, fmt::format("a {} actor's range must end within the user address space (at "
                              "most {:#x})",
                              row.name, kTaskSize));
    }
    if ((row.shape & kDevice) != 0 && sc.devices.empty()) {
        L.fail(t, fmt::format("a {} actor needs a [[device]]", row.name));
    }
    if (a.forever && t.get("repeat") != nullptr) {
        L.fail(*t.get("repeat"),
               "'repeat' and 'forever' together: a forever walker has no "
               "count (give one of them)");
    }
}

// The `after` names of an actor's table, each once.
AfterNames after_names(const Loader& L, const toml::table& t) {
    AfterNames names;
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
    return names;
}

// split's 'walker': the file's spelling of each.
constexpr std::pair<std::string_view, Walker> kWalkers[] = {
    {"numa_maps", Walker::NumaMaps},
    {"smaps", Walker::Smaps},
    {"smaps_rollup", Walker::SmapsRollup},
};

Walker walker_of(const Loader& L, const toml::table& t) {
    const std::string name = L.str(t, "walker", "numa_maps");
    std::string valid;
    for (const auto& [n, w] : kWalkers) {
        if (n == name) {
            return w;
        }
        valid += (valid.empty() ? "" : ", ") + std::string(n);
    }
    L.fail(*t.get("walker"), fmt::format("unknown walker '{}' (valid: {})", name, valid));
}

// signal's 'signal': the file's spelling of each.
constexpr std::pair<std::string_view, SignalKind> kSignals[] = {
    {"SIGKILL", SignalKind::Sigkill},
    {"SIGUSR1", SignalKind::Sigusr1},
};

SignalKind signal_of(const Loader& L, const toml::table& t) {
    const std::string name = L.str(t, "signal", "SIGKILL");
    std::string valid;
    for (const auto& [n, s] : kSignals) {
        if (n == name) {
            return s;
        }
        valid += (valid.empty() ? "" : ", ") + std::string(n);
    }
    L.fail(*t.get("signal"), fmt::format("unknown signal '{}' (valid: {})", name, valid));
}

// An actor's table: its kind first, then only the keys its kind takes.
ActorSpec load_actor(const Loader& L, const toml::table& t, const Scenario& sc) {
    L.check_keys(
        t, std::vector<std::string_view>(std::begin(kActorKeyNames), std::end(kActorKeyNames)),
        "[[actor]]");
    ActorSpec a;
    a.name = L.short_name(t, "name");
    const std::string kind = L.str(t, "kind", "", true);
    if (const auto k = parse_actor_kind(kind)) {
        a.kind = *k;
    } else {
        L.fail(*t.get("kind"),
               fmt::format("unknown actor kind '{}' (valid: {})", kind, valid_actor_kinds()));
    }
    const ActorKindRow& row = actor_kind_row(a.kind);
    for (const auto& [k, v] : t) {
        if (!actor_key_applies(a.kind, k.str())) {
            L.fail(v, fmt::format("key '{}' does not apply to a '{}' actor (its keys: {})", k.str(),
                                  kind, actor_keys(a.kind)));
        }
    }
    a.vaddr = L.number(t, limits::kVaddr, 0);
    a.size = L.number(t, limits::kSize, 0);
    // The s390 syscalls' direction is their kind; the oracle reads `write` for it.
    a.write = row.write ? *row.write : L.boolean(t, "write", true);
    a.repeat = L.number(t, limits::kRepeat, 1);
    a.forever = L.boolean(t, "forever", false);
    a.target = L.str(t, "target", "");
    a.fault_retry = L.number(t, limits::kFaultRetry, 0);
    a.placement = L.number(t, limits::kPlacement, 0);
    a.device = L.str(t, "device", "");
    a.walker = walker_of(L, t);
    a.signal = signal_of(L, t);
    check_actor(L, t, sc, a);
    return a;
}

// The results an actor allows ('allowed').
std::vector<int> allowed_results(const Loader& L, const toml::table& t) {
    std::vector<int> out;
    if (const toml::array* al = L.array(t, "allowed")) {
        for (const auto& n : *al) {
            const auto s = n.value<std::string>();
            const auto r = s ? parse_result(*s) : std::nullopt;
            if (!r) {
                L.fail(n, fmt::format("unknown result {} (valid: {})",
                                      s ? "'" + *s + "'" : std::string("(not a string)"),
                                      valid_result_names()));
            }
            out.push_back(*r);
        }
    }
    return out;
}

// Resolves every actor's `after` names to indices: each must name another actor of the file
// that does not run forever, and the order they give must have no cycle.
void resolve_after(const Loader& L, Scenario& sc, const std::vector<AfterNames>& names) {
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

}  // namespace

void load_actors(const Loader& L, const toml::table& root, Scenario& sc) {
    std::vector<AfterNames> names;
    L.each(root, "actor", [&](const toml::table& t) {
        ActorSpec a = load_actor(L, t, sc);
        names.push_back(after_names(L, t));
        a.allowed = allowed_results(L, t);
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
        if (actor_key_applies(a.kind, "target")) {
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
    resolve_after(L, sc, names);
}

}  // namespace pfnsim::model
