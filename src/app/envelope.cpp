#include "pfnsim/app/envelope.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "pfnsim/app/error.hpp"
#include "pfnsim/app/provenance.hpp"
#include "pfnsim/app/sweep.hpp"
#include "pfnsim/sim/sweep_checkpoint.hpp"
#include "pfnsim/sim/types.hpp"

namespace pfnsim::app {

using nlohmann::json;

namespace {

// Deeper than any file pfnsim writes; dump() and the readers recurse by depth.
constexpr std::size_t kMaxDepth = 32;

// FNV-1a over the canonical text (dump(): sorted keys, no spaces) of the document with its
// envelope's checksum removed.
std::string checksum_of(json doc) {
    doc["envelope"].erase("checksum");
    return fmt::format("fnv1a64:{:016x}", sim::fnv1a(doc.dump()));
}

[[noreturn]] void bad(const std::string& file, const std::string& what) {
    throw InputError{one_line(fmt::format("{}: {}", file, what))};
}

std::string string_field(const json& env, const char* key, const std::string& file) {
    const auto it = env.find(key);
    if (it == env.end()) {
        bad(file, fmt::format("envelope.{} is missing", key));
    }
    if (!it->is_string()) {
        bad(file, fmt::format("envelope.{} is not a string", key));
    }
    return it->get<std::string>();
}

}  // namespace

std::string envelope_tool() {
    return fmt::format("pfnsim {} model {}", tool_version(), model_version());
}

json seal(json body, const EnvelopeMeta& meta) {
    body["envelope"] = {{"format", meta.format}, {"format_version", kEnvelopeVersion},
                        {"tool", meta.tool},     {"scenario_hash", meta.scenario_hash},
                        {"policy", meta.policy}, {"bound", meta.bound}};
    body["envelope"]["checksum"] = checksum_of(body);
    return body;
}

Opened unseal(const std::string& text, const std::string& file, const std::string& format) {
    json doc;
    try {
        doc = json::parse(text, [](int depth, json::parse_event_t /*event*/, json& /*j*/) {
            if (static_cast<std::size_t>(depth) > kMaxDepth) {
                throw InputError{fmt::format("JSON nested deeper than {} levels", kMaxDepth)};
            }
            return true;
        });
    } catch (const InputError& e) {
        bad(file, e.message);
    } catch (const json::parse_error& e) {
        // The byte index of the last character read, 1-based: its line and column.
        const std::size_t upto = std::min<std::size_t>(e.byte, text.size());
        std::size_t line = 1;
        std::size_t col = 0;
        for (std::size_t k = 0; k < upto; ++k) {
            col = text[k] == '\n' ? 0 : col + 1;
            line += text[k] == '\n' ? 1 : 0;
        }
        std::string what = e.what();
        if (const auto colon = what.find(": "); colon != std::string::npos) {
            what = what.substr(colon + 2);
        }
        throw InputError{one_line(fmt::format("{}:{}:{}: not JSON ({})", file, line,
                                              std::max<std::size_t>(col, 1), what))};
    } catch (const json::exception& e) {
        // A number beyond the range of a double (out_of_range 406), and the like.
        std::string what = e.what();
        if (const auto end = what.find("] "); end != std::string::npos) {
            what = what.substr(end + 2);
        }
        bad(file, fmt::format("not JSON ({})", what));
    }
    if (!doc.is_object()) {
        bad(file, fmt::format("not a {} file (not a JSON object)", format));
    }
    const auto env = doc.find("envelope");
    if (env == doc.end() || !env->is_object()) {
        bad(file, fmt::format("not a {} file (no \"envelope\": not written by this pfnsim, or "
                              "by an older one)",
                              format));
    }
    Opened o;
    o.meta.format = string_field(*env, "format", file);
    if (o.meta.format != format) {
        bad(file, fmt::format("envelope.format is '{}', expected '{}'", o.meta.format, format));
    }
    const auto v = env->find("format_version");
    if (v == env->end() || !v->is_number_unsigned() ||
        v->get<std::uint64_t>() != kEnvelopeVersion) {
        bad(file,
            fmt::format("envelope.format_version {} is not supported (valid: {})",
                        v == env->end() ? std::string("(missing)") : v->dump(), kEnvelopeVersion));
    }
    o.meta.tool = string_field(*env, "tool", file);
    o.meta.scenario_hash = string_field(*env, "scenario_hash", file);
    o.meta.policy = string_field(*env, "policy", file);
    o.meta.bound = string_field(*env, "bound", file);
    const std::string sum = string_field(*env, "checksum", file);
    for (const auto& [k, _] : env->items()) {
        if (k != "format" && k != "format_version" && k != "tool" && k != "scenario_hash" &&
            k != "policy" && k != "bound" && k != "checksum") {
            bad(file, fmt::format("envelope.{} is not a field of the envelope", k));
        }
    }
    if (sum != checksum_of(doc)) {
        bad(file,
            "envelope.checksum does not match the contents (the file is corrupt or was "
            "edited)");
    }
    if (o.meta.tool != envelope_tool()) {
        bad(file, fmt::format("envelope.tool is '{}', this is '{}' (a file of another pfnsim "
                              "release or model version)",
                              o.meta.tool, envelope_tool()));
    }
    doc.erase("envelope");
    o.body = std::move(doc);
    return o;
}

void expect_meta(const Opened& got, const EnvelopeMeta& want, const std::string& file) {
    const auto check = [&](const char* field, const std::string& a, const std::string& b) {
        if (a != b) {
            bad(file, fmt::format("envelope.{} is '{}', expected '{}'", field, a, b));
        }
    };
    check("format", got.meta.format, want.format);
    check("tool", got.meta.tool, want.tool);
    check("scenario_hash", got.meta.scenario_hash, want.scenario_hash);
    check("policy", got.meta.policy, want.policy);
    check("bound", got.meta.bound, want.bound);
}

EnvelopeMeta sweep_meta(const Certificate& c, const char* format) {
    EnvelopeMeta m;
    m.format = format;
    m.tool = envelope_tool();
    m.scenario_hash = c.scenario_hash;
    m.policy = c.policy;
    m.bound = fmt::format("preemptions={} faults={} step_bound={}{}{}",
                          c.preemptions ? std::to_string(*c.preemptions) : "all",
                          c.faults ? std::to_string(*c.faults) : "scenario", c.step_bound,
                          c.stateful ? " stateful" : "", kernel_options_text(c.kernel));
    return m;
}

std::string checkpoint_text(const sim::SweepState& s, const Certificate& c) {
    return seal(sim::state_json(s, c.actors), sweep_meta(c, kCheckpointFormat)).dump() + "\n";
}

sim::SweepState read_checkpoint(const std::string& text, const std::string& file,
                                const Certificate& c, const std::string& key, unsigned shard,
                                unsigned shards) {
    const Opened saved = unseal(text, file, kCheckpointFormat);
    expect_meta(saved, sweep_meta(c, kCheckpointFormat), file);
    sim::SweepState state;
    try {
        state = sim::state_from_json(saved.body, c.actors);
    } catch (const sim::SweepError& e) {
        bad(file, e.what());
    }
    if (state.key != key) {
        bad(file, fmt::format("key: the checkpoint belongs to another sweep ({}); this one is "
                              "({})",
                              state.key, key));
    }
    sim::StateLimits l;
    l.actors = c.actors.size();
    l.preemptions = c.preemptions;
    l.faults = c.faults;
    l.step_bound = c.step_bound;
    l.reduce = c.reduction && c.actors.size() <= 64;  // as sim::sweep runs it
    l.shard = shard;
    l.shards = shards;
    l.stateful = c.stateful;
    try {
        sim::check_state(state, l);
    } catch (const sim::SweepError& e) {
        bad(file, e.what());
    }
    return state;
}

Result read_shard(const std::string& text, const std::string& file) {
    const Opened o = unseal(text, file, kShardFormat);
    Result r;
    try {
        r = certificate_from_json(o.body);
    } catch (const InputError& e) {
        bad(file, e.message);
    }
    const Certificate& c = *r.certificate;
    expect_meta(o, sweep_meta(c, kShardFormat), file);
    if (!c.shard) {
        bad(file, "shard: is missing (only the JSON of a --shard run merges)");
    }
    const auto [index, count] = *c.shard;
    if (count == 0 || count > kMaxShards) {
        bad(file, fmt::format("shard.count: {} (valid: 1..{})", count, kMaxShards));
    }
    if (index >= count) {
        bad(file, fmt::format("shard.index: {} is not below the count {}", index, count));
    }
    if (c.tasks_done > c.tasks) {
        bad(file, fmt::format("shard.tasks_done: {} of {} tasks", c.tasks_done, c.tasks));
    }
    if (c.complete != (c.tasks_done == c.tasks) || c.complete != c.stopped.empty()) {
        bad(file, fmt::format("complete: {} with {} of {} tasks done{}", c.complete, c.tasks_done,
                              c.tasks, c.stopped.empty() ? "" : " and stopped: " + c.stopped));
    }
    if (c.actors.empty()) {
        bad(file, "actors: none");
    }
    sim::StateLimits l;
    l.actors = c.actors.size();
    l.preemptions = c.preemptions;
    l.faults = c.faults;
    l.step_bound = c.step_bound;
    l.stateful = c.stateful;
    try {
        sim::check_totals(c.totals, l, "");
        if (c.stateful) {
            sim::check_graph_counts(c.totals, c.tasks_done, c.tasks, "");
        }
        sim::check_lock_graph(c.totals, l, "");
    } catch (const sim::SweepError& e) {
        bad(file, e.what());
    }
    // Every finished task ran at least once.
    if (c.totals.executions + c.totals.redundant < c.tasks_done) {
        bad(file, fmt::format("executions: {} (and {} redundant runs) cannot finish {} tasks",
                              c.totals.executions, c.totals.redundant, c.tasks_done));
    }
    return r;
}

void check_shard_tasks(const std::vector<Result>& results, const std::vector<std::string>& files) {
    std::vector<const Certificate*> parts;
    for (const auto& r : results) {
        if (!r.certificate) {
            return;  // merge_shards names what is wrong
        }
        parts.push_back(&*r.certificate);
    }
    if (parts.empty() || !parts.front()->shard) {
        return;
    }
    const unsigned count = parts.front()->shard->second;
    if (parts.size() != count) {
        return;  // shards missing or given twice: merge_shards says which
    }
    std::vector<bool> seen(count, false);
    std::size_t total = 0;
    for (const auto* p : parts) {
        if (!p->shard || p->shard->second != count || p->shard->first >= count) {
            return;  // merge_shards names what is wrong
        }
        seen[p->shard->first] = true;
        total += p->tasks;
    }
    if (std::find(seen.begin(), seen.end(), false) != seen.end()) {
        return;  // an incomplete merge; its certificate says so
    }
    for (std::size_t i = 0; i < parts.size(); ++i) {
        const unsigned index = parts[i]->shard->first;
        const std::size_t share = total / count + (index < total % count ? 1 : 0);
        if (parts[i]->tasks != share) {
            bad(files[i], fmt::format("shard.tasks: {}, but shard {} of {} has {} of the {} "
                                      "tasks the shards name",
                                      parts[i]->tasks, index, count, share, total));
        }
    }
}

}  // namespace pfnsim::app
