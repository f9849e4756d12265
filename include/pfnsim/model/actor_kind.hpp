// The actor kinds of a scenario, their names and the [[actor]] keys each takes. One table
// (src/model/actor_kinds.cpp) holds every fact about a kind: its name, its keys, what the
// loader checks, its driver and its oracle; everything here is derived from it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pfnsim::model {

enum class ActorKind : std::uint8_t {
    Pin,
    Split,
    Zap,
    Enable,
    Fault,
    Munmap,
    Signal,
    Kvm,
    S390MmioWrite,
    S390MmioRead,
    AcrnMap,
    AccessPhys,
    BoMove,
    RequestRegion,
    D3hot,
    Mmap,
    BarRw,
    Ioeventfd,
    Reset,
    D0,
    LowPower,
    LowPowerExit,
    HotReset,
    HotResetInfo,
    Hotplug,
};

const char* actor_kind_name(ActorKind k);
std::optional<ActorKind> parse_actor_kind(std::string_view name);
// "pin, split, zap, ...": every kind's name, in the table's order.
std::string valid_actor_kinds();

// Which [[actor]] keys apply to which kinds: a key that does not apply to an actor's kind is
// an error naming the kind and its keys.
bool actor_key_applies(ActorKind kind, std::string_view key);
// The keys of `kind`, in the key order: "name, kind, after, allowed, device, repeat".
std::string actor_keys(ActorKind kind);
// Every key, in its order, and the kinds it applies to ("all" or a list): docs/scenarios.md's
// table of [[actor]] keys (a test compares them).
std::vector<std::pair<std::string, std::string>> actor_key_table();

}  // namespace pfnsim::model
