#include "cli/validate.hpp"

#include <fmt/format.h>

#include <charconv>

#include "pfnsim/app/error.hpp"
#include "pfnsim/app/sweep.hpp"
#include "pfnsim/model/limits.hpp"
#include "pfnsim/model/policy.hpp"
#include "pfnsim/model/scenario.hpp"

namespace pfnsim::cli {

namespace {

const model::NumberRule& rule_of(Number n) {
    switch (n) {
        case Number::seed:
            return model::limits::kSeed;
        case Number::iterations:
            return model::limits::kIterations;
        case Number::step_bound:
            return model::limits::kStepBound;
        case Number::depth:
            return model::limits::kDepth;
        case Number::max_executions:
            return model::limits::kMaxExecutions;
        case Number::jobs:
            return model::limits::kJobs;
        case Number::max_states:
            return model::limits::kMaxStates;
    }
    return model::limits::kSeed;
}

template <typename T>
bool parse_plain(const std::string& s, T& out) {
    const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return !s.empty() && ec == std::errc() && ptr == s.data() + s.size();
}

}  // namespace

CLI::Validator number(Number n) {
    const model::NumberRule& rule = rule_of(n);
    return {[&rule](std::string& s) {
                const std::optional<std::uint64_t> v = model::parse_number(rule, s);
                if (!v) {
                    return fmt::format("bad value '{}' (valid: {})", s, model::valid_range(rule));
                }
                s = std::to_string(*v);
                return std::string();
            },
            "", ""};
}

CLI::Validator seconds() {
    return {[](std::string& s) {
                double v = 0;
                const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
                if (s.empty() || ec != std::errc() || ptr != s.data() + s.size() || !(v > 0) ||
                    v > 1e7) {
                    return fmt::format("bad value '{}' (valid: seconds, above 0 and at most 1e7)",
                                       s);
                }
                return std::string();
            },
            "", ""};
}

CLI::Validator not_empty(const std::string& valid) {
    return {[valid](std::string& s) {
                return s.empty() ? fmt::format("an empty value (valid: {})", valid) : std::string();
            },
            "", ""};
}

const char* valid_policies() {
    return model::kValidPolicies;
}

std::string valid_kernel_settings() {
    std::string s;
    for (const auto key : model::kernel_keys()) {
        std::string values;
        for (const auto v : model::kernel_values(key)) {
            if (!v.empty()) {
                values += fmt::format("{}{}", values.empty() ? "" : ", ", v);
            }
        }
        s += fmt::format("{}{} ({})", s.empty() ? "" : "; ", key, values);
    }
    return s;
}

std::vector<std::string> parse_list(const std::string& s) {
    std::vector<std::string> out;
    if (s.empty()) {
        return out;
    }
    std::size_t from = 0;
    for (std::size_t comma = s.find(','); comma != std::string::npos; comma = s.find(',', from)) {
        out.push_back(s.substr(from, comma - from));
        from = comma + 1;
    }
    out.push_back(s.substr(from));
    return out;
}

std::optional<unsigned> parse_faults(const std::string& s) {
    if (s.empty() || s == "scenario") {
        return std::nullopt;
    }
    const std::optional<std::uint64_t> n = model::parse_number(model::limits::kFaults, s);
    if (!n) {
        throw app::InputError{
            fmt::format("bad --faults '{}' (valid: {}, or scenario for the scenario's fault_retry "
                        "budgets)",
                        s, model::valid_range(model::limits::kFaults))};
    }
    return static_cast<unsigned>(*n);
}

app::MinimizeBudget parse_minimize_budget(const std::string& s) {
    app::MinimizeBudget b;
    if (s.empty()) {
        return b;
    }
    const auto bad = [&s] {
        return app::InputError{fmt::format("--minimize-budget '{}': valid are {}, or 1s..1e7s", s,
                                           model::valid_range(model::limits::kMinimizeBudget))};
    };
    const char unit = s.back();
    if (unit == 's' || unit == 'm' || unit == 'h') {
        double v = 0;
        const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size() - 1, v);
        const double secs = v * (unit == 's' ? 1 : unit == 'm' ? 60 : 3600);
        if (s.size() < 2 || ec != std::errc() || ptr != s.data() + s.size() - 1 || !(secs >= 1) ||
            secs > 1e7) {
            throw bad();
        }
        b.seconds = secs;
        return b;
    }
    // A count follows the rules of every other number (decimal or 0x, K/M/G, no sign).
    const std::optional<std::uint64_t> n = model::parse_number(model::limits::kMinimizeBudget, s);
    if (!n) {
        throw bad();
    }
    b.executions = *n;
    return b;
}

std::optional<unsigned> parse_preemptions(const std::string& s) {
    if (s == "all") {
        return std::nullopt;
    }
    const std::optional<std::uint64_t> n = model::parse_number(model::limits::kPreemptions, s);
    if (!n) {
        throw app::InputError{fmt::format("bad --preemptions '{}' (valid: a bound {}, or all)", s,
                                          model::valid_range(model::limits::kPreemptions))};
    }
    return static_cast<unsigned>(*n);
}

std::pair<unsigned, unsigned> parse_shard(const std::string& s) {
    const auto slash = s.find('/');
    unsigned i = 0;
    unsigned n = 0;
    if (slash == std::string::npos || !parse_plain(s.substr(0, slash), i) ||
        !parse_plain(s.substr(slash + 1), n) || n == 0 || i >= n || n > app::kMaxShards) {
        throw app::InputError{
            fmt::format("bad --shard '{}' (valid: i/N with 0 <= i < N <= 100000, e.g. 0/4)", s)};
    }
    return {i, n};
}

}  // namespace pfnsim::cli
