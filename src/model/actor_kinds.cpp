// The one table of actor kinds, and the names and key lists derived from it.
#include "actor_kinds.hpp"

#include <string>

namespace pfnsim::model {

namespace {

constexpr std::uint32_t keys(std::initializer_list<ActorKey> ks) {
    std::uint32_t m = kCommonKeys;
    for (ActorKey k : ks) {
        m |= key_bit(k);
    }
    return m;
}

using K = ActorKey;

// One row per kind, in ActorKind's order. keys: what the kind's driver (and the kernel
// functions it calls) reads; the s390 kinds take their direction from the kind, and
// access-phys and acrn-map never fault, so fault_retry would never be used.
constexpr ActorKindRow kRows[] = {
    {ActorKind::Pin, "pin", keys({K::Vaddr, K::Size, K::Write, K::FaultRetry}), kRanged,
     std::nullopt, false, drive_pin, oracle_pin},
    {ActorKind::Split, "split", keys({K::Repeat, K::Forever, K::Walker}), 0, std::nullopt, false,
     drive_split, oracle_none},
    {ActorKind::Zap, "zap", keys({K::Repeat, K::Device}), kDevice, std::nullopt, false, drive_zap,
     oracle_none},
    {ActorKind::Enable, "enable", keys({K::Repeat, K::Device}), kDevice, std::nullopt, false,
     drive_enable, oracle_none},
    {ActorKind::Fault, "fault", keys({K::Vaddr, K::Write, K::Repeat, K::FaultRetry}), kAddressed,
     std::nullopt, false, drive_fault, oracle_fault},
    {ActorKind::Munmap, "munmap", keys({K::Vaddr, K::Size}), kRanged, std::nullopt, false,
     drive_munmap, oracle_none},
    {ActorKind::Signal, "signal", keys({K::Target, K::Signal}), 0, std::nullopt, false,
     drive_signal, oracle_none},
    {ActorKind::Kvm, "kvm", keys({K::Vaddr, K::Write, K::FaultRetry}), kAddressed, std::nullopt,
     true, drive_kvm, oracle_kvm},
    {ActorKind::S390MmioWrite, "s390-mmio-write", keys({K::Vaddr, K::FaultRetry}), kAddressed, true,
     false, drive_s390_mmio_write, oracle_s390_mmio},
    {ActorKind::S390MmioRead, "s390-mmio-read", keys({K::Vaddr, K::FaultRetry}), kAddressed, false,
     false, drive_s390_mmio_read, oracle_s390_mmio},
    {ActorKind::AcrnMap, "acrn-map", keys({K::Vaddr, K::Size, K::Write}), kRanged, std::nullopt,
     false, drive_acrn_map, oracle_acrn_map},
    {ActorKind::AccessPhys, "access-phys", keys({K::Vaddr, K::Write}), kAddressed, std::nullopt,
     false, drive_access_phys, oracle_access_phys},
    {ActorKind::BoMove, "bo-move", keys({K::Device, K::Placement}), kTtmDevice, std::nullopt, false,
     drive_bo_move, oracle_none},
    {ActorKind::RequestRegion, "request-region", keys({K::Device}), kDevmemDevice, std::nullopt,
     false, drive_request_region, oracle_none},
    {ActorKind::D3hot, "d3hot", keys({K::Device}), kDevice, std::nullopt, false, drive_d3hot,
     oracle_none},
    {ActorKind::Mmap, "mmap", keys({K::Vaddr}), kAddressed, std::nullopt, false, drive_mmap,
     oracle_none},
    {ActorKind::BarRw, "bar-rw", keys({K::Vaddr, K::Write, K::Device}), kAddressed | kDevice,
     std::nullopt, false, drive_bar_rw, oracle_bar_rw},
    {ActorKind::Ioeventfd, "ioeventfd", keys({K::Device}), kDevice, std::nullopt, false,
     drive_ioeventfd, oracle_none},
    {ActorKind::Reset, "reset", keys({K::Device}), kDevice, std::nullopt, false, drive_reset,
     oracle_none},
    {ActorKind::D0, "d0", keys({K::Device}), kDevice, std::nullopt, false, drive_d0, oracle_none},
    {ActorKind::LowPower, "low-power", keys({K::Device}), kDevice, std::nullopt, false,
     drive_low_power, oracle_none},
    {ActorKind::LowPowerExit, "low-power-exit", keys({K::Device}), kDevice, std::nullopt, false,
     drive_low_power_exit, oracle_none},
    {ActorKind::HotReset, "hot-reset", keys({K::Device}), kDevice, std::nullopt, false,
     drive_hot_reset, oracle_none},
    {ActorKind::HotResetInfo, "hot-reset-info", keys({K::Vaddr, K::Device}), kAddressed | kDevice,
     std::nullopt, false, drive_hot_reset_info, oracle_none},
    {ActorKind::Hotplug, "hotplug", keys({K::Device}), kDevice, std::nullopt, false, drive_hotplug,
     oracle_none},
};

constexpr bool rows_in_order() {
    for (std::size_t i = 0; i < std::size(kRows); ++i) {
        if (static_cast<std::size_t>(kRows[i].kind) != i) {
            return false;
        }
    }
    return true;
}
static_assert(rows_in_order(), "kRows is indexed by ActorKind");

constexpr std::uint32_t kAllKinds = (1U << std::size(kRows)) - 1;

std::uint32_t kinds_taking(std::string_view key) {
    std::uint32_t kinds = 0;
    for (std::size_t k = 0; k < std::size(kActorKeyNames); ++k) {
        if (kActorKeyNames[k] != key) {
            continue;
        }
        for (const auto& row : kRows) {
            if ((row.keys & (1U << k)) != 0) {
                kinds |= 1U << static_cast<unsigned>(row.kind);
            }
        }
    }
    return kinds;
}

}  // namespace

std::span<const ActorKindRow> actor_kind_rows() {
    return kRows;
}

const ActorKindRow& actor_kind_row(ActorKind k) {
    return kRows[static_cast<std::size_t>(k)];
}

const char* actor_kind_name(ActorKind k) {
    return actor_kind_row(k).name.data();
}

std::optional<ActorKind> parse_actor_kind(std::string_view name) {
    for (const auto& row : kRows) {
        if (row.name == name) {
            return row.kind;
        }
    }
    return std::nullopt;
}

std::string valid_actor_kinds() {
    std::string s;
    for (const auto& row : kRows) {
        s += s.empty() ? "" : ", ";
        s += row.name;
    }
    return s;
}

bool actor_key_applies(ActorKind kind, std::string_view key) {
    return (kinds_taking(key) & (1U << static_cast<unsigned>(kind))) != 0;
}

std::string actor_keys(ActorKind kind) {
    std::string s;
    for (std::size_t k = 0; k < std::size(kActorKeyNames); ++k) {
        if ((actor_kind_row(kind).keys & (1U << k)) != 0) {
            s += s.empty() ? "" : ", ";
            s += kActorKeyNames[k];
        }
    }
    return s;
}

std::vector<std::pair<std::string, std::string>> actor_key_table() {
    std::vector<std::pair<std::string, std::string>> out;
    for (const std::string_view key : kActorKeyNames) {
        const std::uint32_t kinds = kinds_taking(key);
        std::string names;
        if (kinds == kAllKinds) {
            names = "all";
        } else {
            for (const auto& row : kRows) {
                if ((kinds & (1U << static_cast<unsigned>(row.kind))) != 0) {
                    names += names.empty() ? "" : ", ";
                    names += row.name;
                }
            }
        }
        out.emplace_back(std::string(key), names);
    }
    return out;
}

}  // namespace pfnsim::model
