// pfnsim help [CMD]: the overview, or a command's options, defaults, example and exit codes.
#include <iostream>

#include "cli/commands.hpp"
#include "cli/suggest.hpp"

namespace pfnsim::cli {

void add_help(CLI::App& cmd, Options& o) {
    cmd.add_option("command", o.topic, "a command (default: the overview)");
    cmd.footer(footer("pfnsim help sweep", Codes::none));
}

int cmd_help(const Options& o) {
    const CLI::App& root = *o.root;
    if (o.topic.empty()) {
        std::cout << root.get_formatter()->make_help(&root, root.get_name(),
                                                     CLI::AppFormatMode::Normal);
        return 0;
    }
    std::vector<std::string> names;
    for (const auto& c : commands()) {
        names.emplace_back(c.name);
        if (o.topic == c.name) {
            std::cout << root.get_subcommand(c.name)->help(root.get_name());
            return 0;
        }
    }
    std::cerr << "pfnsim: " << unknown("command", o.topic, names) << "\n";
    return 2;
}

}  // namespace pfnsim::cli
