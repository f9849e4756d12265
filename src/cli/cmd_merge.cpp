// pfnsim merge: the shards of a sweep, as one certificate.
#include <iostream>

#include "cli/commands.hpp"
#include "cli/render.hpp"
#include "cli/validate.hpp"
#include "pfnsim/app/envelope.hpp"
#include "pfnsim/app/files.hpp"
#include "pfnsim/app/sweep.hpp"

namespace pfnsim::cli {

void add_merge(CLI::App& cmd, Options& o) {
    cmd.add_option("files", o.paths, "JSON files written by sweep --shard i/N")->required();
    cmd.add_flag("--json", o.json, "print one JSON document");
    cmd.add_flag("--no-minimize", o.no_minimize, "report witnesses as found");
    add_minimize_budget(cmd, o);
    cmd.footer(
        footer("pfnsim merge shard0.json shard1.json shard2.json shard3.json", Codes::incomplete));
}

int cmd_merge(const Options& o) {
    std::vector<app::Result> parts;
    for (const auto& f : o.paths) {
        parts.push_back(app::read_shard(app::read_input(f, app::kStateCap, "shard"), f));
    }
    app::check_shard_tasks(parts, o.paths);
    const app::Result m =
        app::merge_shards(parts, o.paths, !o.no_minimize, parse_minimize_budget(o.minimize_budget));
    std::cout << (o.json ? sweep_json(m).dump(2) + "\n" : sweep_text(m));
    return exit_code(m, true);
}

}  // namespace pfnsim::cli
