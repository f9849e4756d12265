// The number rules of include/pfnsim/model/limits.hpp.
#include "pfnsim/model/limits.hpp"

#include <fmt/format.h>

#include <charconv>

namespace pfnsim::model {

std::string valid_range(const NumberRule& r) {
    const auto num = [&](std::uint64_t v) {
        return r.size && v >= 4096 ? fmt::format("{:#x}", v) : std::to_string(v);
    };
    const std::string range =
        r.max == UINT64_MAX ? fmt::format("{}..2^64-1", r.min) : num(r.min) + ".." + num(r.max);
    return fmt::format("{}{}{}", range, r.unit.empty() ? "" : " ", r.unit);
}

std::optional<std::uint64_t> parse_unsigned(std::string_view text) {
    std::uint64_t mul = 1;
    if (!text.empty()) {
        switch (text.back()) {
            case 'K':
                mul = 1ULL << 10U;
                break;
            case 'M':
                mul = 1ULL << 20U;
                break;
            case 'G':
                mul = 1ULL << 30U;
                break;
            default:
                break;
        }
        if (mul != 1) {
            text.remove_suffix(1);
        }
    }
    int base = 10;
    if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
        text.remove_prefix(2);
        base = 16;
    }
    // from_chars takes no sign, no space and no "+": "-1" is refused here, not wrapped.
    std::uint64_t v = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v, base);
    if (text.empty() || ec != std::errc() || ptr != text.data() + text.size() ||
        v > UINT64_MAX / mul) {
        return std::nullopt;
    }
    return v * mul;
}

std::optional<std::uint64_t> parse_number(const NumberRule& r, std::string_view text) {
    const std::optional<std::uint64_t> v = parse_unsigned(text);
    if (!v || !in_range(r, *v)) {
        return std::nullopt;
    }
    return v;
}

}  // namespace pfnsim::model
