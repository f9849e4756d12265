// The valid range of every number pfnsim reads, one rule per quantity, used alike for a
// scenario file's keys and the command line's flags, so that the two cannot disagree.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pfnsim::model {

// x86-64's TASK_SIZE_MAX with 4-level paging (arch/x86/include/asm/page_64_types.h): the user
// address space ends one page below 2^47.
inline constexpr std::uint64_t kTaskSize = (1ULL << 47U) - 4096;
// The widest name of an actor or a device, in columns once escaped: it heads a column of the
// trace and names objects ("gpu.memory_lock") in reports of 80 columns.
inline constexpr std::size_t kMaxNameColumns = 16;

struct NumberRule {
    std::string_view name;  // the key; the flag is --name with '_' as '-'
    std::uint64_t min;
    std::uint64_t max;
    std::string_view unit;  // in the valid range's words: "1..1000000000 executions"
    bool size = false;      // an address or size: its range is shown in hex
};

namespace limits {
inline constexpr NumberRule kSeed{"seed", 0, UINT64_MAX, ""};
inline constexpr NumberRule kIterations{"iterations", 1, 1'000'000'000, "executions"};
inline constexpr NumberRule kStepBound{"step_bound", 1, 10'000'000, "steps per execution"};
inline constexpr NumberRule kDepth{"depth", 1, 1000, ""};
inline constexpr NumberRule kPreemptions{"preemptions", 0, 1000, "preemptions"};
inline constexpr NumberRule kFaults{"faults", 0, 1000, "faults per execution"};
inline constexpr NumberRule kMaxExecutions{"max_executions", 1, UINT64_MAX >> 1U, "executions"};
inline constexpr NumberRule kMaxStates{"max_states", 1, 1ULL << 40U, "states"};
inline constexpr NumberRule kJobs{"jobs", 1, 1024, "threads"};
inline constexpr NumberRule kRepeat{"repeat", 1, 1'000'000, "rounds"};
inline constexpr NumberRule kFaultRetry{"fault_retry", 0, 1000, "faults"};
// --minimize-budget given as a count (it also takes a time: cli/cmd_explore.cpp).
inline constexpr NumberRule kMinimizeBudget{"minimize_budget", 1, 1'000'000'000, "executions"};
// Addresses and sizes in the user address space, and a BAR's place in a 52-bit physical one.
inline constexpr NumberRule kVaddr{"vaddr", 0, kTaskSize, "(user addresses)", true};
inline constexpr NumberRule kSize{"size", 0, kTaskSize, "bytes", true};
inline constexpr NumberRule kStart{"start", 0, kTaskSize, "(user addresses)", true};
inline constexpr NumberRule kAddr{"addr", 0, kTaskSize, "(user addresses)", true};
inline constexpr NumberRule kPgoff{"pgoff", 0, (1ULL << 40U) - 1, "pages", true};
inline constexpr NumberRule kBarBase{"bar_base", 0, (1ULL << 52U) - 1, "(physical addresses)",
                                     true};
inline constexpr NumberRule kBarSize{"bar_size", 0, 1ULL << 46U, "bytes", true};
inline constexpr NumberRule kPlacement{"placement", 0, (1ULL << 52U) - 1, "(BAR offsets)", true};
}  // namespace limits

// "1..1000 threads": the range as an error message states it.
std::string valid_range(const NumberRule& r);

// The number `text` denotes: decimal digits or "0x" and hex digits, with an optional K, M or G
// suffix ("4K", "2G"); nullopt when it is not one or does not fit 64 bits (never wrapped).
std::optional<std::uint64_t> parse_unsigned(std::string_view text);

// parse_unsigned within the rule's range, else nullopt.
std::optional<std::uint64_t> parse_number(const NumberRule& r, std::string_view text);

// Whether v is within the rule's range.
inline bool in_range(const NumberRule& r, std::uint64_t v) {
    return v >= r.min && v <= r.max;
}

}  // namespace pfnsim::model
