#include "pfnsim/model/errno.hpp"

#include <array>
#include <string>

namespace pfnsim::model {

namespace {
struct ErrnoName {
    int value;
    const char* name;
    sim::Name returns;
};
constexpr std::array<ErrnoName, 14> kNames{{
    {0, "0", "returns 0"},
    {-ENOENT, "-ENOENT", "returns -ENOENT"},
    {-EINTR, "-EINTR", "returns -EINTR"},
    {-EIO, "-EIO", "returns -EIO"},
    {-EAGAIN, "-EAGAIN", "returns -EAGAIN"},
    {-ENOMEM, "-ENOMEM", "returns -ENOMEM"},
    {-EACCES, "-EACCES", "returns -EACCES"},
    {-EFAULT, "-EFAULT", "returns -EFAULT"},
    {-EBUSY, "-EBUSY", "returns -EBUSY"},
    {-EEXIST, "-EEXIST", "returns -EEXIST"},
    {-ENODEV, "-ENODEV", "returns -ENODEV"},
    {-EINVAL, "-EINVAL", "returns -EINVAL"},
    {kSigbus, "SIGBUS", "SIGBUS delivered"},
    {kKvmRoFault, "RO_FAULT", "returns KVM_PFN_ERR_RO_FAULT"},
}};
}  // namespace

std::string result_name(int r) {
    for (const auto& n : kNames) {
        if (n.value == r) {
            return n.name;
        }
    }
    return std::to_string(r);
}

std::optional<int> parse_result(std::string_view s) {
    for (const auto& n : kNames) {
        if (s == n.name) {
            return n.value;
        }
    }
    return std::nullopt;
}

sim::Name returns_effect(int r) {
    for (const auto& n : kNames) {
        if (n.value == r) {
            return n.returns;
        }
    }
    return "returns a positive count";
}

std::string valid_result_names() {
    std::string s;
    for (const auto& n : kNames) {
        s += s.empty() ? "" : ", ";
        s += n.name;
    }
    return s;
}

}  // namespace pfnsim::model
