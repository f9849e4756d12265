// scenarios/bugs: [bug] (the catalogue entry a file reproduces) and [variants.NAME] (the
// kernels it is checked under: the buggy one, where the violation must show, and the fixed one,
// which must be clean), each variant's [kernel] values checked as --kernel's are.
#include <fmt/format.h>

#include "loader.hpp"
#include "pfnsim/model/policy.hpp"
#include "pfnsim/sim/text.hpp"

namespace pfnsim::model {

namespace {

// "invariant: I-PFN" -> the expectation "invariant" and the detail "I-PFN".
void read_expect(const Loader& L, const toml::node& n, Scenario::Variant& v) {
    const auto text = n.value<std::string>();
    const std::string s = text ? *text : std::string();
    const std::size_t colon = s.find(": ");
    const std::string kind = s.substr(0, colon);
    const auto e = text ? parse_expectation(kind) : std::nullopt;
    if (!e) {
        L.fail(n, fmt::format("unknown verdict {} (valid: {}, each optionally followed by "
                              "': ' and what the violation names, as 'invariant: I-PFN')",
                              text ? "'" + s + "'" : std::string("(not a string)"),
                              valid_expectations()));
    }
    v.expect = *e;
    v.expect_text = s;
    if (colon != std::string::npos) {
        v.expect_detail = s.substr(colon + 2);
        if (v.expect_detail.empty() || !e->kind) {
            L.fail(n, fmt::format("'{}': only a violation names something after ': '", s));
        }
    }
}

}  // namespace

void load_bug(const Loader& L, const toml::table& root, Scenario& sc) {
    if (const toml::node* b = root.get("bug")) {
        const toml::table& t = L.table_of(*b, "[bug]");
        L.check_keys(t, {"id", "commits", "summary"}, "[bug]");
        Scenario::Bug bug;
        bug.id = L.str(t, "id", "", true);
        bug.summary = L.str(t, "summary", "", true);
        if (const toml::array* a = L.array(t, "commits")) {
            for (const auto& c : *a) {
                if (!c.is_string()) {
                    L.fail(c, "'commits' must be an array of strings (commit ids)");
                }
                bug.commits.push_back(sim::escape_name(c.as_string()->get()));
            }
        }
        sc.bug = std::move(bug);
    }
    const toml::node* vs = root.get("variants");
    if (vs == nullptr) {
        return;
    }
    const toml::table& all = L.table_of(*vs, "[variants]");
    for (const auto& [name, node] : all) {
        const toml::table& t = L.table_of(node, "[variants.NAME]");
        L.check_keys(t, {"kernel", "policy", "expect"}, "[variants.NAME]");
        Scenario::Variant v;
        v.name = sim::escape_name(std::string(name.str()));
        if (const toml::node* k = t.get("kernel")) {
            const toml::table& kt = L.table_of(*k, "[variants.NAME.kernel]");
            Scenario scratch = sc;
            for (const auto& [key, value] : kt) {
                const auto val = value.value<std::string>();
                if (!val) {
                    L.fail(value, fmt::format("'{}' must be a string", key.str()));
                }
                if (const std::string e = set_kernel(scratch, key.str(), *val); !e.empty()) {
                    L.fail(value, e);
                }
                v.kernel.push_back(fmt::format("{}={}", key.str(), *val));
            }
        }
        if (const toml::node* p = t.get("policy")) {
            const auto text = p->value<std::string>();
            if (!text || !parse_policy(*text)) {
                L.fail(*p, fmt::format("unknown policy {} (valid: {})",
                                       text ? "'" + *text + "'" : std::string("(not a string)"),
                                       kValidPolicies));
            }
            v.policy = parse_policy(*text)->name();
        }
        const toml::node* e = t.get("expect");
        if (e == nullptr) {
            L.fail(t,
                   fmt::format("[variants.{}] needs 'expect' (the verdict it must have)", v.name));
        }
        read_expect(L, *e, v);
        sc.variants.push_back(std::move(v));
    }
    if (sc.variants.empty()) {
        L.fail(*vs, "[variants] names no variant (give [variants.buggy] and [variants.fixed])");
    }
}

}  // namespace pfnsim::model
