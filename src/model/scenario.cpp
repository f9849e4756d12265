// Loading a scenario file: the text guard, one toml++ parse, then the table loaders in turn
// (loader.hpp names them and their files).
#include "pfnsim/model/scenario.hpp"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <fstream>
#include <sstream>

#include "loader.hpp"
#include "toml_text_check.hpp"

namespace pfnsim::model {

// The name the [kernel] table gives it (load_options.cpp: the one list of arch values).
const char* arch_name(Arch a) {
    return kernel_values("arch").at(static_cast<std::size_t>(a)).data();
}

// The file's spelling of a device kind ([[device]] kind).
const char* device_kind_name(DeviceKind k) {
    switch (k) {
        case DeviceKind::VfioPci:
            return "vfio-pci";
        case DeviceKind::TtmVram:
            return "ttm-vram";
        case DeviceKind::DevMem:
            return "devmem";
    }
    return "?";
}

const char* follow_errno_name(FollowErrno e) {
    return e == FollowErrno::Enoent ? "enoent" : "einval";
}

namespace {

// The top-level keys: name, label, description, the policy and the bounds.
void load_top(const Loader& L, const toml::table& root, Scenario& sc) {
    L.check_keys(
        root,
        {"name", "label", "description", "policy", "step_bound", "iterations", "seed", "kernel",
         "device", "vma", "entry", "actor", "expect", "explore", "matrix", "bug", "variants"},
        "the scenario");
    sc.name = L.str(root, "name", "", true);
    sc.description = L.str(root, "description", "");
    sc.label = L.str(root, "label", sc.name);
    const std::string pol = L.str(root, "policy", "original");
    if (auto p = parse_policy(pol)) {
        sc.policy = *p;
        if (const std::string note = policy_note(pol); !note.empty()) {
            sc.notes.push_back(L.note(*root.get("policy"), note));
        }
    } else {
        L.fail(*root.get("policy"),
               fmt::format("unknown policy '{}' (valid: {})", pol, kValidPolicies));
    }
    sc.step_bound = L.number(root, limits::kStepBound, 2000);
    sc.iterations = L.number(root, limits::kIterations, 2000);
    sc.seed = L.number(root, limits::kSeed, 1);
}

// The parsed file without the keys that do not shape an execution, printed canonically (toml++
// keeps a table's keys sorted): a comment, a description or an expectation can change without
// invalidating the schedules recorded for the file. It erases from the parsed table itself: a
// copy would lose the values' formats (0x40000000 would print as 1073741824).
std::string shape_of(toml::table& t) {
    for (const char* k :
         {"description", "label", "iterations", "seed", "expect", "explore", "bug", "variants"}) {
        t.erase(k);
    }
    std::ostringstream os;
    os << t;
    return os.str();
}

Scenario build(const toml::table& root, const std::string& path, const KernelSettings& kernel) {
    const Loader L(path);
    Scenario sc;
    sc.path = path;
    load_top(L, root, sc);
    load_kernel(L, root, sc);
    // The command line's settings, over the file's, before anything is checked against them.
    apply_kernel(sc, kernel);
    load_devices(L, root, sc);
    load_vmas(L, root, sc);
    load_entries(L, root, sc);
    load_actors(L, root, sc);
    load_matrix(L, root, sc);
    load_explore(L, root, sc);
    load_expect(L, root, sc);
    load_bug(L, root, sc);
    return sc;
}

}  // namespace

Scenario parse_scenario(const std::string& text, const std::string& path,
                        const KernelSettings& kernel) {
    if (auto problem = toml_text_check(text, path)) {
        throw ScenarioError(*problem);
    }
    try {
        toml::table root = toml::parse(text, path);
        Scenario sc = build(root, path, kernel);
        sc.shape = shape_of(root);
        return sc;
    } catch (const toml::parse_error& e) {
        const auto& b = e.source().begin;
        throw ScenarioError(fmt::format("{}:{}:{}: {}", path, b.line, b.column, e.description()));
    }
}

Scenario load_scenario(const std::string& path, const KernelSettings& kernel) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw ScenarioError(fmt::format("{}: cannot read the file", path));
    }
    std::stringstream ss;
    ss << in.rdbuf();
    return parse_scenario(ss.str(), path, kernel);
}

}  // namespace pfnsim::model
