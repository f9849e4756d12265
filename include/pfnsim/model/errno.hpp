// Linux errno values and vm_fault_t bits, and their symbolic names.
#pragma once

#include <cerrno>
#include <optional>
#include <string>
#include <string_view>

#include "pfnsim/sim/types.hpp"

namespace pfnsim::model {

// The model uses the host's <cerrno> macros; they must have the kernel's values
// (include/uapi/asm-generic/errno-base.h) so results read the same everywhere.
static_assert(ENOENT == 2 && EINTR == 4 && EIO == 5 && EAGAIN == 11 && ENOMEM == 12 &&
                  EACCES == 13 && EFAULT == 14 && EBUSY == 16 && EEXIST == 17 && ENODEV == 19 &&
                  EINVAL == 22,
              "errno values differ from Linux's");
// include/linux/errno.h: kernel-internal, never seen by user space (a sleep interrupted by a
// signal; the syscall restarts).
inline constexpr int ERESTARTSYS = 512;
// Not an errno: a CPU access that ends with SIGBUS delivered to the task.
inline constexpr int kSigbus = 1000;
// Not an errno: KVM's hva_to_pfn() returned KVM_PFN_ERR_RO_FAULT (a write to a read-only
// mapping; the vCPU fault is emulated instead).
inline constexpr int kKvmRoFault = 1001;

// include/linux/mm_types.h vm_fault_t
using vm_fault_t = unsigned;
inline constexpr vm_fault_t VM_FAULT_OOM = 0x000001;
inline constexpr vm_fault_t VM_FAULT_SIGBUS = 0x000002;
inline constexpr vm_fault_t VM_FAULT_SIGSEGV = 0x000040;
inline constexpr vm_fault_t VM_FAULT_NOPAGE = 0x000100;
inline constexpr vm_fault_t VM_FAULT_RETRY = 0x000400;
inline constexpr vm_fault_t VM_FAULT_FALLBACK = 0x000800;
inline constexpr vm_fault_t VM_FAULT_COMPLETED = 0x004000;
inline constexpr vm_fault_t VM_FAULT_ERROR = VM_FAULT_OOM | VM_FAULT_SIGBUS | VM_FAULT_SIGSEGV;

// "0", "-EINVAL", "SIGBUS", or "-<n>" for an errno without a name here.
std::string result_name(int r);
// Parses a result as written in scenario files ("0", "-EFAULT", "SIGBUS").
std::optional<int> parse_result(std::string_view s);
// Static "returns ..." effect text for the trace.
sim::Name returns_effect(int r);
// All names parse_result accepts, for error messages.
std::string valid_result_names();

}  // namespace pfnsim::model
