// The table of actor kinds (actor_kinds.cpp): one row per kind, naming its keys, what the
// loader checks of it, the driver World::run_actor calls and the oracle check_results asks.
// A new kind is a value of ActorKind, a row, a driver (actors.cpp) and an oracle (oracle.cpp).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "pfnsim/model/actor_kind.hpp"

namespace pfnsim::model {

class World;
struct ActorSpec;
struct task_struct;

// The [[actor]] keys, in the order messages and docs/scenarios.md list them.
enum class ActorKey : std::uint8_t {
    Name,
    Kind,
    After,
    Allowed,
    Vaddr,
    Size,
    Write,
    Repeat,
    Forever,
    Target,
    FaultRetry,
    Device,
    Placement,
    Walker,
    Signal,
};
inline constexpr std::string_view kActorKeyNames[] = {
    "name",    "kind",   "after",       "allowed", "vaddr",     "size",   "write",  "repeat",
    "forever", "target", "fault_retry", "device",  "placement", "walker", "signal",
};
constexpr std::uint32_t key_bit(ActorKey k) {
    return 1U << static_cast<unsigned>(k);
}
// The keys every kind takes.
inline constexpr std::uint32_t kCommonKeys = key_bit(ActorKey::Name) | key_bit(ActorKey::Kind) |
                                             key_bit(ActorKey::After) | key_bit(ActorKey::Allowed);

// What the loader checks of an actor of the kind (bits of ActorKindRow::shape).
enum ActorShape : std::uint32_t {
    kRanged = 1U << 0,        // 'vaddr' and 'size': a 4K-aligned range within user space
    kAddressed = 1U << 1,     // 'vaddr' required
    kDevice = 1U << 2,        // a [[device]] required
    kTtmDevice = 1U << 3,     // a ttm-vram 'device' required, and the BO at 'placement' fits
    kDevmemDevice = 1U << 4,  // a devmem 'device' required
};

// The oracle's class of a caller's result (docs/policies.md, "Verdict classes").
enum class ResultClass : std::uint8_t { ok, new_errno, wrong };

// What the oracle of a finished actor reads: its result and what happened during its call.
struct OracleCase {
    const ActorSpec& a;
    const task_struct& t;
    int r;
    bool gone;      // memory disabled or the range not mappable during the call
    bool no_entry;  // gone, or the range unpopulated, or entries removed during the call
    bool to_user;   // the policy hands the retry to userspace
    bool bounded;   // the bounded policy
};

struct ActorKindRow {
    ActorKind kind;
    std::string_view name;
    std::uint32_t keys;  // key_bit()s, kCommonKeys included
    std::uint32_t shape;
    std::optional<bool> write;                    // set: the kind fixes `write` (the s390 syscalls)
    bool kvm_notifier;                            // the scenario registers KVM's MMU notifier
    int (*driver)(World& w, const ActorSpec& a);  // runs the actor; returns its result
    ResultClass (*oracle)(const OracleCase& c);
};

std::span<const ActorKindRow> actor_kind_rows();
const ActorKindRow& actor_kind_row(ActorKind k);

// --- the drivers (actors.cpp) ---------------------------------------------------------------
int drive_pin(World& w, const ActorSpec& a);
int drive_bar_rw(World& w, const ActorSpec& a);
int drive_ioeventfd(World& w, const ActorSpec& a);
int drive_reset(World& w, const ActorSpec& a);
int drive_d0(World& w, const ActorSpec& a);
int drive_low_power(World& w, const ActorSpec& a);
int drive_low_power_exit(World& w, const ActorSpec& a);
int drive_hot_reset(World& w, const ActorSpec& a);
int drive_hot_reset_info(World& w, const ActorSpec& a);
int drive_hotplug(World& w, const ActorSpec& a);
int drive_split(World& w, const ActorSpec& a);
int drive_zap(World& w, const ActorSpec& a);
int drive_enable(World& w, const ActorSpec& a);
int drive_fault(World& w, const ActorSpec& a);
int drive_munmap(World& w, const ActorSpec& a);
int drive_signal(World& w, const ActorSpec& a);
int drive_kvm(World& w, const ActorSpec& a);
int drive_s390_mmio_write(World& w, const ActorSpec& a);
int drive_s390_mmio_read(World& w, const ActorSpec& a);
int drive_acrn_map(World& w, const ActorSpec& a);
int drive_access_phys(World& w, const ActorSpec& a);
int drive_bo_move(World& w, const ActorSpec& a);
int drive_request_region(World& w, const ActorSpec& a);
int drive_d3hot(World& w, const ActorSpec& a);
int drive_mmap(World& w, const ActorSpec& a);

// --- the oracles (oracle.cpp) ---------------------------------------------------------------
ResultClass oracle_none(const OracleCase& c);  // any result is ok (`allowed` may narrow it)
ResultClass oracle_pin(const OracleCase& c);
ResultClass oracle_kvm(const OracleCase& c);
ResultClass oracle_s390_mmio(const OracleCase& c);
ResultClass oracle_acrn_map(const OracleCase& c);
ResultClass oracle_access_phys(const OracleCase& c);
ResultClass oracle_bar_rw(const OracleCase& c);
ResultClass oracle_fault(const OracleCase& c);

}  // namespace pfnsim::model
