#include "pfnsim/model/policy.hpp"

#include <array>
#include <charconv>
#include <string>

namespace pfnsim::model {

std::string Policy::name() const {
    switch (kind) {
        case Kind::Original:
            return "original";
        case Kind::Eagain:
            return "eagain";
        case Kind::Bounded:
            return "bounded:" + std::to_string(max_retries);
        case Kind::Enoent:
            return "enoent";
        case Kind::EnoentKillable:
            return "enoent-killable";
        case Kind::ReturnToUser:
            return "return-to-user";
        case Kind::GupLoop:
            return "gup-loop";
    }
    return "?";
}

std::optional<Policy> parse_policy(std::string_view s) {
    if (s == "original") {
        return Policy{Policy::Kind::Original, 0};
    }
    if (s == "eagain") {
        return Policy{Policy::Kind::Eagain, 0};
    }
    if (s == "enoent") {
        return Policy{Policy::Kind::Enoent, 0};
    }
    if (s == "enoent-killable") {
        return Policy{Policy::Kind::EnoentKillable, 0};
    }
    if (s == "return-to-user" || s == "gup-style") {
        return Policy{Policy::Kind::ReturnToUser, 0};
    }
    if (s == "gup-loop") {
        return Policy{Policy::Kind::GupLoop, 0};
    }
    constexpr std::string_view kBounded = "bounded:";
    if (s.substr(0, kBounded.size()) == kBounded) {
        const std::string_view num = s.substr(kBounded.size());
        int k = -1;
        const auto [ptr, ec] = std::from_chars(num.data(), num.data() + num.size(), k);
        if (ec == std::errc() && ptr == num.data() + num.size() && !num.empty() && k >= 0 &&
            k <= 1000000) {
            return Policy{Policy::Kind::Bounded, k};
        }
    }
    return std::nullopt;
}

std::string policy_note(std::string_view s) {
    if (s == "gup-style") {
        return "policy 'gup-style' is now called 'return-to-user' (what __get_user_pages() "
               "itself does is 'gup-loop')";
    }
    return {};
}

const Policy* all_policies(std::size_t& n) {
    static const std::array<Policy, 7> kAll{{
        {Policy::Kind::Original, 0},
        {Policy::Kind::Eagain, 0},
        {Policy::Kind::Bounded, 3},
        {Policy::Kind::Enoent, 0},
        {Policy::Kind::EnoentKillable, 0},
        {Policy::Kind::ReturnToUser, 0},
        {Policy::Kind::GupLoop, 0},
    }};
    n = kAll.size();
    return kAll.data();
}

}  // namespace pfnsim::model
