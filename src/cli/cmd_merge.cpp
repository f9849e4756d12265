// pfnsim merge: the shards of a sweep, as one certificate.
#include <fmt/format.h>

#include <iostream>

#include "cli/commands.hpp"
#include "cli/render.hpp"
#include "cli/validate.hpp"
#include "pfnsim/app/envelope.hpp"
#include "pfnsim/app/error.hpp"
#include "pfnsim/app/files.hpp"
#include "pfnsim/app/sweep.hpp"

namespace pfnsim::cli {

void add_merge(CLI::App& cmd, Options& o) {
    cmd.add_option("files", o.paths, "JSON files written by sweep --shard i/N")->required();
    add_lock_order(cmd, o);
    cmd.add_flag("--json", o.json, "print one JSON document");
    cmd.add_flag("--no-minimize", o.no_minimize, "report witnesses as found");
    add_minimize_budget(cmd, o);
    cmd.footer(
        footer("pfnsim merge shard0.json shard1.json shard2.json shard3.json", Codes::incomplete));
}

int cmd_merge(const Options& o) {
    check_outputs(o);
    std::vector<app::Result> parts;
    for (const auto& f : o.paths) {
        parts.push_back(app::read_shard(app::read_input(f, app::kStateCap, "shard"), f));
    }
    app::check_shard_tasks(parts, o.paths);
    app::Result m =
        app::merge_shards(parts, o.paths, !o.no_minimize, parse_minimize_budget(o.minimize_budget));
    // The union of the shards' lock-order graphs, reported as the unsplit sweep's (with the
    // scenario file readable: the report replays each edge's witness for its call chains).
    m.lock_order.listed = o.lock_order;
    if (!o.lock_order_dot.empty() && !m.not_minimized.empty()) {
        throw app::InputError{fmt::format("--lock-order-dot: {}", m.not_minimized)};
    }
    write_lock_order_dot(o, m);
    std::cout << (o.json ? sweep_json(m).dump(2) + "\n" : sweep_text(m));
    return exit_code(m, true);
}

}  // namespace pfnsim::cli
