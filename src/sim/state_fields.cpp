#include "pfnsim/sim/state_fields.hpp"

#include <fmt/format.h>

#include <map>
#include <tuple>

namespace pfnsim::sim {

namespace {

// (object, field, how many equal names came before) -> value
using Keyed = std::map<std::tuple<std::string, std::string, std::size_t>, std::uint64_t>;

Keyed keyed(const StateFields& fields) {
    Keyed out;
    std::map<std::pair<std::string, std::string>, std::size_t> seen;
    for (const StateField& f : fields) {
        const std::size_t n = seen[{f.object, f.field}]++;
        out.emplace(std::tuple{f.object, f.field, n}, f.value);
    }
    return out;
}

std::string value_text(std::uint64_t v) {
    return v < 4096 ? fmt::format("{}", v) : fmt::format("{:#x}", v);
}

}  // namespace

std::string state_difference(const StateFields& recorded, const StateFields& found,
                             std::size_t limit) {
    const Keyed a = keyed(recorded);
    const Keyed b = keyed(found);
    std::vector<std::string> parts;
    std::size_t more = 0;
    const auto add = [&](std::string s) {
        if (parts.size() < limit) {
            parts.push_back(std::move(s));
        } else {
            ++more;
        }
    };
    // In the order of the recorded state's description, then what only the found one has.
    std::map<std::pair<std::string, std::string>, std::size_t> seen;
    for (const StateField& f : recorded) {
        const std::tuple key{f.object, f.field, seen[{f.object, f.field}]++};
        const auto it = b.find(key);
        if (it == b.end()) {
            add(fmt::format("{}: {} (only in the recorded state)", f.object, f.field));
        } else if (it->second != f.value) {
            add(fmt::format("{}: {} {} -> {}", f.object, f.field, value_text(f.value),
                            value_text(it->second)));
        }
    }
    seen.clear();
    for (const StateField& f : found) {
        const std::tuple key{f.object, f.field, seen[{f.object, f.field}]++};
        if (!a.contains(key)) {
            add(fmt::format("{}: {} (only in the state found)", f.object, f.field));
        }
    }
    std::string out;
    for (const std::string& p : parts) {
        out += out.empty() ? p : "; " + p;
    }
    if (more > 0) {
        out += fmt::format("; and {} more", more);
    }
    return out;
}

}  // namespace pfnsim::sim
