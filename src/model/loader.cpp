// The TOML helpers of the scenario loader.
#include "loader.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "pfnsim/model/limits.hpp"
#include "pfnsim/sim/text.hpp"

namespace pfnsim::model {

void Loader::fail(const toml::source_region& where, const std::string& msg) const {
    throw ScenarioError(
        fmt::format("{}:{}:{}: {}", path_, where.begin.line, where.begin.column, msg));
}
void Loader::fail(const toml::node& n, const std::string& msg) const {
    fail(n.source(), msg);
}

void Loader::check_keys(const toml::table& t, std::initializer_list<std::string_view> allowed,
                        const char* what) const {
    check_keys(t, std::vector<std::string_view>(allowed), what);
}
void Loader::check_keys(const toml::table& t, const std::vector<std::string_view>& allowed,
                        const char* what) const {
    for (const auto& [k, v] : t) {
        if (std::find(allowed.begin(), allowed.end(), k.str()) == allowed.end()) {
            std::string valid;
            for (auto a : allowed) {
                valid += valid.empty() ? "" : ", ";
                valid += a;
            }
            fail(v, fmt::format("unknown key '{}' in {} (valid: {})", k.str(), what, valid));
        }
    }
}

std::string Loader::str(const toml::table& t, std::string_view key, const std::string& dflt,
                        bool required) const {
    const toml::node* n = t.get(key);
    if (n == nullptr) {
        if (required) {
            fail(t, fmt::format("missing key '{}'", key));
        }
        return dflt;
    }
    if (!n->is_string()) {
        fail(*n, fmt::format("'{}' must be a string", key));
    }
    // Names reach every output (text, JSON, KTAP, JUnit, progress): escaped once, here, so that
    // none can add a line or carry a control character; the escape is injective, so references
    // between names (an actor's device, `after`) still match.
    return sim::escape_name(n->as_string()->get());
}

std::string Loader::short_name(const toml::table& t, std::string_view key) const {
    std::string s = str(t, key, "", true);
    if (s.empty() || sim::display_width(s) > kMaxNameColumns) {
        fail(*t.get(key), fmt::format("'{}' must be 1 to {} columns (it heads a column of the "
                                      "trace); '{}' is {}",
                                      key, kMaxNameColumns, s, sim::display_width(s)));
    }
    return s;
}

bool Loader::boolean(const toml::table& t, std::string_view key, bool dflt) const {
    const toml::node* n = t.get(key);
    if (n == nullptr) {
        return dflt;
    }
    if (!n->is_boolean()) {
        fail(*n, fmt::format("'{}' must be true or false", key));
    }
    return n->as_boolean()->get();
}

std::uint64_t Loader::number(const toml::table& t, const NumberRule& rule, std::uint64_t dflt,
                             bool required) const {
    const std::string_view key = rule.name;
    const toml::node* n = t.get(key);
    if (n == nullptr) {
        if (required) {
            fail(t, fmt::format("missing key '{}'", key));
        }
        return dflt;
    }
    std::optional<std::uint64_t> v;
    std::string shown;
    if (n->is_integer()) {
        const std::int64_t i = n->as_integer()->get();
        shown = std::to_string(i);
        if (i >= 0 && in_range(rule, static_cast<std::uint64_t>(i))) {
            v = static_cast<std::uint64_t>(i);
        }
    } else if (n->is_string()) {
        const std::string_view str = n->as_string()->get();
        shown = fmt::format("\"{}\"", str);
        v = parse_unsigned(str);
        if (!v) {
            fail(*n, fmt::format("'{}' = {} is not a size (an integer, or digits with K, M "
                                 "or G: \"2G\")",
                                 key, shown));
        }
        v = in_range(rule, *v) ? v : std::nullopt;
    } else {
        fail(*n, fmt::format("'{}' must be an integer or a size string like \"1G\"", key));
    }
    if (!v) {
        fail(*n,
             fmt::format("'{}' = {} is out of range (valid: {})", key, shown, valid_range(rule)));
    }
    return *v;
}

const toml::table& Loader::table_of(const toml::node& n, const char* what) const {
    if (!n.is_table()) {
        fail(n, fmt::format("{} must be a table", what));
    }
    return *n.as_table();
}

const toml::array* Loader::array(const toml::table& t, std::string_view key) const {
    const toml::node* n = t.get(key);
    if (n == nullptr) {
        return nullptr;
    }
    if (!n->is_array()) {
        fail(*n, fmt::format("'{}' must be an array", key));
    }
    return n->as_array();
}

std::string Loader::note(const toml::node& n, const std::string& msg) const {
    const auto& b = n.source().begin;
    return fmt::format("{}:{}:{}: note: {}", path_, b.line, b.column, msg);
}

}  // namespace pfnsim::model
