// The state tables of a scenario: [[device]], [[vma]] and [[entry]].
#include <fmt/format.h>

#include "loader.hpp"

namespace pfnsim::model {

namespace {

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

// A device's table.
void load_device(const Loader& L, const toml::table& t, Scenario& sc) {
    L.check_keys(t, {"name", "kind", "bar_base", "bar_size", "mem_enabled", "virtfn", "bus"},
                 "[[device]]");
    DeviceSpec d;
    d.name = L.short_name(t, "name");
    const std::string kind = L.str(t, "kind", "vfio-pci");
    if (kind == "vfio-pci") {
        d.kind = DeviceKind::VfioPci;
    } else if (kind == "ttm-vram") {
        d.kind = DeviceKind::TtmVram;
    } else if (kind == "devmem") {
        d.kind = DeviceKind::DevMem;
    } else {
        L.fail(*t.get("kind"),
               fmt::format("unknown device kind '{}' (valid: {})", kind, kValidDeviceKinds));
    }
    d.bar_base = L.number(t, limits::kBarBase, 0, true);
    d.bar_size = L.number(t, limits::kBarSize, 0, true);
    d.virtfn = L.boolean(t, "virtfn", false);
    // drivers/pci/iov.c: a VF's PCI_COMMAND_MEMORY is hardwired to 0 (its BARs are enabled by
    // the PF's VF MSE).
    d.mem_enabled = L.boolean(t, "mem_enabled", !d.virtfn);
    if (d.virtfn && d.kind != DeviceKind::VfioPci) {
        L.fail(*t.get("virtfn"),
               "impossible state: 'virtfn' on a device that is not vfio-pci "
               "(valid: a vfio-pci device)");
    }
    d.bus = t.get("bus") != nullptr ? L.short_name(t, "bus") : d.name;
    if (t.get("bus") != nullptr && d.kind != DeviceKind::VfioPci) {
        L.fail(*t.get("bus"),
               "impossible state: 'bus' on a device that is not vfio-pci: only vfio-pci "
               "functions form device sets (valid: a vfio-pci device)");
    }
    if (d.virtfn && d.mem_enabled) {
        L.fail(*t.get("mem_enabled"),
               "impossible state: 'mem_enabled' on a VF: its PCI_COMMAND_MEMORY reads 0 "
               "(valid: leave it out)");
    }
    // drivers/char/mem.c: a physical range has no PCI_COMMAND; one a driver claimed already
    // cannot be mmapped (range_is_allowed()), so it never starts revoked.
    if (d.kind == DeviceKind::DevMem && t.get("mem_enabled") != nullptr) {
        L.fail(*t.get("mem_enabled"),
               "impossible state: 'mem_enabled' on a devmem range: it has no PCI_COMMAND "
               "(valid: a vfio-pci device)");
    }
    if (d.bar_base % PAGE_SIZE != 0 || d.bar_size == 0 || d.bar_size % PAGE_SIZE != 0) {
        L.fail(t, "a BAR's base and size must be non-zero multiples of 4K");
    }
    for (const auto& o : sc.devices) {
        if (o.name == d.name) {
            L.fail(t, fmt::format("device '{}' defined twice", d.name));
        }
    }
    sc.devices.push_back(d);
}

// A vma's table: within user space, a device mapping, inside its device's BAR, overlapping no
// other.
void load_vma(const Loader& L, const toml::table& t, Scenario& sc) {
    L.check_keys(t, {"start", "size", "flags", "pgoff", "device", "mapped"}, "[[vma]]");
    VmaSpec v;
    v.start = L.number(t, limits::kStart, 0, true);
    v.size = L.number(t, limits::kSize, 0, true);
    v.flags = parse_flags(L, t);
    v.pgoff = L.number(t, limits::kPgoff, 0);
    v.device = L.str(t, "device", "");
    v.mapped = L.boolean(t, "mapped", true);
    if (!v.mapped && v.device.empty()) {
        L.fail(*t.get("mapped"),
               "an unmapped vma needs a 'device' to be mmapped from "
               "(valid: give its device)");
    }
    if (v.start % PAGE_SIZE != 0 || v.size == 0 || v.size % PAGE_SIZE != 0) {
        L.fail(t, "a vma's start and size must be non-zero multiples of 4K");
    }
    if (v.start + v.size > kTaskSize) {
        L.fail(t, fmt::format("a vma must end within the user address space (at most {:#x})",
                              kTaskSize));
    }
    // Neither flag: private anonymous memory (mm/memory.c do_anonymous_page), with no device.
    if ((v.flags & (VM_IO | VM_PFNMAP)) == 0 && !v.device.empty()) {
        L.fail(*t.get("flags"),
               "a device mapping needs VM_IO or VM_PFNMAP (valid: both, or no "
               "device for anonymous memory)");
    }
    if ((v.flags & (VM_IO | VM_PFNMAP)) == 0 && (v.flags & VM_SHARED) != 0) {
        L.fail(*t.get("flags"),
               "shared anonymous memory (shmem) is not modelled (valid: a "
               "private anonymous vma, without VM_SHARED)");
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
        // mm/memory.c remap_pfn_range (mmap_mem_prepare's mmap action) sets both flags.
        if (d->kind == DeviceKind::DevMem &&
            (v.flags & (VM_IO | VM_PFNMAP)) != (VM_IO | VM_PFNMAP)) {
            L.fail(*t.get("flags"),
                   fmt::format("impossible state: a devmem vma ({}) is mapped by "
                               "remap_pfn_range(), which sets VM_IO and VM_PFNMAP (valid: both)",
                               d->name));
        }
        // remap_pfn_range() at mmap (or, in the vma_lock era, at the first fault) fills one PTE
        // per page, and the model keeps a slot for each: at most 512 (2M) of them per vma.
        if ((d->kind == DeviceKind::DevMem ||
             (d->kind == DeviceKind::VfioPci &&
              (sc.vfio_pci_mmap == VfioPciMmapVariant::PreAbafbc551fdd ||
               vfio_vma_lock_era(sc.vfio_pci_mmap)))) &&
            v.size > PMD_SIZE) {
            L.fail(t.get("size") != nullptr ? *t.get("size") : static_cast<const toml::node&>(t),
                   fmt::format("a vma that remap_pfn_range() fills ({}) has one PTE per "
                               "page: the model takes at most 2M of it (valid: size up to "
                               "0x200000)",
                               d->name));
        }
        if ((v.pgoff << PAGE_SHIFT) + v.size > d->bar_size) {
            L.fail(t,
                   fmt::format("impossible state: the vma maps past the end of {}'s BAR", d->name));
        }
    }
    // An unmapped vma may lie where a mapped one is: an mmap actor maps it once that one is gone.
    for (const auto& o : sc.vmas) {
        if (v.start < o.start + o.size && o.start < v.start + v.size && o.mapped == v.mapped) {
            L.fail(t, v.mapped ? "impossible state: vmas overlap"
                               : "unmapped vmas overlap: one mmap actor maps each");
        }
    }
    sc.vmas.push_back(v);
}

// An entry's table: aligned, inside a device vma, mapping an aligned physical address,
// overlapping no other.
void load_entry(const Loader& L, const toml::table& t, Scenario& sc) {
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
    // vfio_pci_mmap_huge_fault() and the huge inserts exist only where the architecture
    // selects them: anything else is a state the kernel cannot reach.
    if (e.level == Level::PUD && !arch_supports_pud_pfnmap(sc.arch)) {
        L.fail(*t.get("level"),
               fmt::format("impossible state: a pud entry needs CONFIG_ARCH_SUPPORTS_PUD_PFNMAP, "
                           "which {} does not select",
                           arch_name(sc.arch)));
    }
    if (e.level == Level::PMD && !arch_supports_huge_pfnmap(sc.arch)) {
        L.fail(*t.get("level"),
               fmt::format("impossible state: a pmd entry needs CONFIG_ARCH_SUPPORTS_HUGE_PFNMAP, "
                           "which {} does not select",
                           arch_name(sc.arch)));
    }
    e.addr = L.number(t, limits::kAddr, 0, true);
    const std::uint64_t span = e.level == Level::PUD   ? PUD_SIZE
                               : e.level == Level::PMD ? PMD_SIZE
                                                       : PAGE_SIZE;
    if (e.addr % span != 0) {
        L.fail(t, fmt::format("impossible state: a {} entry must be at a {}-aligned address", lv,
                              span == PUD_SIZE   ? "1G"
                              : span == PMD_SIZE ? "2M"
                                                 : "4K"));
    }
    // mm/memory.c remap_pfn_range -> remap_pte_range: a devmem mapping (and a vfio-pci one before
    // abafbc551fdd) has PTEs only (every one present from mmap on: World::reset fills them).
    for (const auto& v : sc.vmas) {
        for (const auto& o : sc.devices) {
            const bool premapped = o.kind == DeviceKind::DevMem ||
                                   (o.kind == DeviceKind::VfioPci &&
                                    sc.vfio_pci_mmap == VfioPciMmapVariant::PreAbafbc551fdd);
            if (e.level != Level::PTE && e.addr >= v.start && e.addr < v.start + v.size &&
                o.name == v.device && premapped) {
                L.fail(*t.get("level"),
                       fmt::format("impossible state: a {} entry in a vma mmap filled with "
                                   "remap_pfn_range() ({}): it maps PTEs only (valid: pte)",
                                   lv, o.name));
            }
        }
    }
    // In the vma_lock era only a fault fills a vfio-pci vma, and it lists the vma as it does:
    // an entry no fault made would escape vfio_pci_zap_and_vma_lock().
    if (vfio_vma_lock_era(sc.vfio_pci_mmap)) {
        for (const auto& v : sc.vmas) {
            for (const auto& o : sc.devices) {
                if (e.addr >= v.start && e.addr < v.start + v.size && o.name == v.device &&
                    o.kind == DeviceKind::VfioPci) {
                    L.fail(t, fmt::format("impossible state: an entry in a vfio-pci vma ({}) "
                                          "under vfio_pci_mmap = \"{}\": only the fault fills "
                                          "it, listing the vma in vma_list (valid: no entry)",
                                          o.name, kernel_value(sc, "vfio_pci_mmap")));
                }
            }
        }
    }
    const VmaSpec* vma = nullptr;
    for (const auto& v : sc.vmas) {
        if (v.mapped && e.addr >= v.start && e.addr + span <= v.start + v.size) {
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
}

}  // namespace

void load_devices(const Loader& L, const toml::table& root, Scenario& sc) {
    L.each(root, "device", [&](const toml::table& t) { load_device(L, t, sc); });
}

void load_vmas(const Loader& L, const toml::table& root, Scenario& sc) {
    L.each(root, "vma", [&](const toml::table& t) { load_vma(L, t, sc); });
}

void load_entries(const Loader& L, const toml::table& root, Scenario& sc) {
    L.each(root, "entry", [&](const toml::table& t) { load_entry(L, t, sc); });
}

}  // namespace pfnsim::model
