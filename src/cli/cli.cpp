// The pfnsim command line: options, and the dispatch to one command.
#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <charconv>
#include <fstream>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "cli/suggest.hpp"
#include "pfnsim/app/error.hpp"
#include "pfnsim/app/provenance.hpp"
#include "pfnsim/model/limits.hpp"

namespace pfnsim::cli {

bool progress_wanted(bool quiet) {
    return !quiet && isatty(STDERR_FILENO) != 0;
}

void print_notes(const app::Plan& plan) {
    for (const auto& n : plan.notes) {
        fmt::print(stderr, "{}\n", n);
    }
}

app::Plan load_plan(const Options& o) {
    app::Plan plan = app::make_plan(o.scenario, overrides(o));
    print_notes(plan);
    return plan;
}

app::Overrides overrides(const Options& o) {
    app::Overrides v = o.over;
    if (!o.faults.empty() && o.faults != "scenario") {
        const std::optional<std::uint64_t> n =
            model::parse_number(model::limits::kFaults, o.faults);
        if (!n) {
            throw app::InputError{fmt::format(
                "bad --faults '{}' (valid: {}, or scenario for the scenario's fault_retry "
                "budgets)",
                o.faults, model::valid_range(model::limits::kFaults))};
        }
        v.faults = static_cast<unsigned>(*n);
    }
    return v;
}

void write_file(const std::string& path, const std::string& text) {
    std::ofstream f(path, std::ios::binary);
    if (!f || !(f << text)) {
        throw app::InputError{fmt::format("{}: cannot write the file", path)};
    }
}

int exit_code(const app::Result& r, bool judged) {
    if (r.unexpected_found) {
        return 1;
    }
    if (!judged) {
        return 0;
    }
    return !r.complete() ? 3 : !r.as_expected ? 1 : 0;
}

namespace {

// Values CLI11 fills; an option given on the command line becomes an override.
struct Raw {
    std::uint64_t seed = 0;
    std::uint64_t iterations = 0;
    std::uint64_t step_bound = 0;
    unsigned depth = 3;
};

// A numeric flag under its rule (the same as the scenario key's): out of range, negative,
// overflowing or not a number is refused with the valid range; a valid one is passed on in
// decimal, so that CLI11 never converts anything but a checked value.
CLI::Validator number(const model::NumberRule& rule) {
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

// A time limit in seconds: finite, above zero, at most 1e7 (115 days).
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

void add_policy(CLI::App* c, Options& o) {
    c->add_option("--policy", o.over.policy,
                  std::string("retry policy (default: the scenario's): ") + model::kValidPolicies);
}

void add_bounds(CLI::App* c, Raw& r) {
    c->add_option("--step-bound", r.step_bound,
                  "steps per execution before giving up (default: the scenario's)")
        ->transform(number(model::limits::kStepBound));
}

void add_exports(CLI::App* c, Options& o) {
    c->add_option("--trace-out", o.trace_out,
                  "write the execution as Chrome trace-event JSON (Perfetto) (default: none)");
    c->add_option("--dot", o.dot_out,
                  "write the execution as a Graphviz happens-before graph (default: none)");
}

void add_faults(CLI::App* c, Options& o) {
    c->add_option("--faults", o.faults,
                  "open every fault site, at most N faults per execution; scenario (the "
                  "default) uses the scenario's fault_retry budgets");
}

void add_minimize_budget(CLI::App* c, Options& o) {
    c->add_option("--minimize-budget", o.minimize_budget,
                  fmt::format("per witness: executions (500) or a time (30s, 2m; where it stops "
                              "then varies between runs) (default: {} executions)",
                              sim::kDefaultMinimizeBudget));
}

// The end of a command's help: one example and what its exit code says. `found`: 1 is a
// violation beyond the scenario's expectations (run, replay: one execution need not show the
// expected one); `judged`: also an expected one not found (explore, matrix, check);
// `incomplete`: as `judged`, and 3 is a sweep that is not a certificate.
enum class Codes { found, judged, incomplete, none };

std::string footer(const std::string& example, Codes codes) {
    std::string s = "Example:\n  " + example + "\n\nExit codes:\n";
    if (codes == Codes::none) {
        return s + "  0    done\n  2    bad input (one line on stderr)\n";
    }
    s += "  0    as expected and complete\n";
    s += codes == Codes::found ? "  1    a violation the scenario does not expect\n"
                               : "  1    an unexpected violation, or an expected one not found\n";
    s += "  2    bad input (one line on stderr)\n";
    if (codes == Codes::incomplete) {
        s += "  3    incomplete: stopped by a limit, or shards missing (not a certificate)\n";
    }
    return s;
}

std::vector<std::string> command_names(const std::vector<CLI::App*>& cmds) {
    std::vector<std::string> names;
    for (const auto* c : cmds) {
        names.push_back(c->get_name());
    }
    return names;
}

std::string joined(const std::vector<std::string>& names) {
    std::string s;
    for (const auto& n : names) {
        s += (s.empty() ? "" : ", ") + n;
    }
    return s;
}

// "unknown command 'swep' (did you mean 'sweep'?)", or with the valid names.
std::string unknown(const std::string& what, const std::string& word,
                    const std::vector<std::string>& names) {
    const std::string near = closest_name(word, names);
    return near.empty() ? fmt::format("unknown {} '{}' (valid: {})", what, word, joined(names))
                        : fmt::format("unknown {} '{}' (did you mean '{}'?)", what, word, near);
}

// The first option on the command line that `cmd` (or the top level) does not have, if any.
std::string unknown_option(const CLI::App& app, const CLI::App& cmd, int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--") {
            break;
        }
        if (arg.size() < 2 || arg[0] != '-' || (arg[1] >= '0' && arg[1] <= '9')) {
            continue;
        }
        const std::string name = arg.substr(0, arg.find('='));
        if (cmd.get_option_no_throw(name) == nullptr && app.get_option_no_throw(name) == nullptr) {
            return name;
        }
    }
    return "";
}

std::vector<std::string> option_names(const CLI::App& cmd) {
    std::vector<std::string> names;
    for (const auto* opt : cmd.get_options()) {
        for (const auto& n : opt->get_lnames()) {
            names.push_back("--" + n);
        }
    }
    return names;
}

}  // namespace

int run_cli(int argc, char** argv) {
    CLI::App app{
        "pfnsim: a deterministic concurrency simulator of the Linux mm page-table / "
        "VFIO pin path",
        "pfnsim"};
    app.require_subcommand(0, 1);
    bool version = false;
    app.add_flag("--version", version, "print the tool, build and model versions");
    Options o;
    o.over.strategy = "random";  // a scenario's [explore] strategy is for `check` alone
    Raw r;

    auto* run = app.add_subcommand("run", "one execution with its trace");
    run->add_option("scenario", o.scenario, "scenario file")->required();
    add_policy(run, o);
    add_bounds(run, r);
    add_faults(run, o);
    add_exports(run, o);
    run->add_option("--seed", r.seed, "execution seed (default: the scenario's)")
        ->transform(number(model::limits::kSeed));
    run->add_flag("--json", o.json, "print one JSON document");

    auto* explore = app.add_subcommand("explore", "many executions, violations with witnesses");
    explore->add_option("scenario", o.scenario, "scenario file")->required();
    add_policy(explore, o);
    add_bounds(explore, r);
    add_faults(explore, o);
    add_exports(explore, o);
    explore->add_option(
        "--strategy", o.over.strategy,
        std::string("exploration strategy: ") + app::kValidStrategies + " (default: random)");
    explore
        ->add_option("--depth", r.depth,
                     "PCT depth d: d-1 priority change points per execution (default 3)")
        ->transform(number(model::limits::kDepth));
    explore->add_option("--iterations", r.iterations, "executions (default: the scenario's)")
        ->transform(number(model::limits::kIterations));
    explore->add_option("--seed", r.seed, "first seed (default: the scenario's)")
        ->transform(number(model::limits::kSeed));
    explore->add_flag("--json", o.json, "print one JSON document");
    explore->add_flag("--quiet", o.quiet, "no progress on stderr");
    explore->add_flag("--no-minimize", o.no_minimize, "report violations as found");
    add_minimize_budget(explore, o);

    auto* replay = app.add_subcommand("replay", "replay one execution from a seed or schedule");
    replay->add_option("scenario", o.scenario, "scenario file")->required();
    add_policy(replay, o);
    add_bounds(replay, r);
    add_faults(replay, o);
    add_exports(replay, o);
    auto* rs = replay->add_option("--seed", r.seed, "execution seed from a report")
                   ->transform(number(model::limits::kSeed));
    auto* rsc = replay->add_option("--schedule", o.schedule, "schedule string from a report");
    replay->add_option("--trace", o.trace, "full (every step) or diagram (the race, the default)")
        ->check(CLI::IsMember({"full", "diagram"}));
    replay->add_flag("--json", o.json, "print one JSON document");
    rs->excludes(rsc);
    rsc->excludes(rs);

    auto* sweep = app.add_subcommand(
        "sweep", "every schedule within a preemption and fault bound, with a certificate");
    sweep->add_option("scenario", o.scenario, "scenario file")->required();
    sweep->add_option("--preemptions", o.preemptions, "preemption bound: a number, or all")
        ->required();
    add_policy(sweep, o);
    add_bounds(sweep, r);
    add_faults(sweep, o);
    sweep->add_flag("--json", o.json, "print one JSON document");
    sweep
        ->add_option("--max-executions", o.max_executions,
                     "stop after this many executions (default: no limit)")
        ->transform(number(model::limits::kMaxExecutions));
    sweep
        ->add_option("--time-limit", o.time_limit,
                     "stop after this many seconds (default: no limit)")
        ->check(seconds());
    sweep->add_flag("--stop-on-first", o.stop_on_first, "stop at the first violation");
    sweep->add_flag("--quiet", o.quiet, "no progress on stderr");
    sweep->add_option("--jobs", o.jobs, "threads (results do not depend on it)")
        ->capture_default_str()
        ->transform(number(model::limits::kJobs));
    sweep->add_option("--shard", o.shard,
                      "explore shard i of N (i/N) and print its JSON (default: the whole sweep)");
    sweep->add_option("--checkpoint", o.checkpoint,
                      "save progress to FILE; rerunning with the same FILE resumes (default: "
                      "none)");
    sweep->add_flag("--no-reduction", o.no_reduction, "explore every interleaving (no sleep sets)");
    sweep->add_flag("--stateless", o.stateless,
                    "re-run every schedule, no visited-state table (the default under a bound)");
    sweep->add_flag("--stateful", o.stateful, "cache states (the default for --preemptions all)");
    sweep
        ->add_option("--max-states", o.max_states,
                     "stop (incomplete) when a task's state table holds this many states "
                     "(default: no limit)")
        ->transform(number(model::limits::kMaxStates));
    sweep->add_flag("--audit-states", o.audit_states,
                    "at each state hit, check the next steps against the ones recorded");
    sweep->add_flag("--no-minimize", o.no_minimize, "report witnesses as found");
    add_minimize_budget(sweep, o);

    auto* merge =
        app.add_subcommand("merge", "combine the JSON of sweep shards into one certificate");
    merge->add_option("files", o.paths, "JSON files written by sweep --shard i/N")->required();
    merge->add_flag("--json", o.json, "print one JSON document");
    merge->add_flag("--no-minimize", o.no_minimize, "report witnesses as found");
    add_minimize_budget(merge, o);

    auto* matrix = app.add_subcommand("matrix", "every retry policy against the scenarios");
    matrix->add_option("scenarios", o.paths,
                       "scenario files or directories (default: the flagship set)");
    matrix
        ->add_option("--iterations", r.iterations,
                     "executions per randomly decided cell (default: each scenario's)")
        ->transform(number(model::limits::kIterations));
    matrix->add_option("--seed", r.seed, "first seed of every cell (default: each scenario's)")
        ->transform(number(model::limits::kSeed));
    add_bounds(matrix, r);
    matrix->add_flag("--json", o.json, "print one JSON document");
    matrix->add_flag("--markdown", o.markdown, "print markdown for a mail or a review");
    matrix->add_flag("--wide", o.wide, "one table however wide (default: fit 80 columns)");
    matrix->add_flag("--quiet", o.quiet, "no progress on stderr");
    matrix->add_flag("--random", o.random_cells,
                     "decide every cell by random executions (no sweep, no certificates)");
    matrix
        ->add_option("--max-states", o.max_states,
                     "state budget of each cell's sweep (default 200000); random beyond it")
        ->transform(number(model::limits::kMaxStates));

    auto* stats = app.add_subcommand("stats", "retries per pin and results, per retry policy");
    stats->add_option("scenario", o.scenario, "scenario file")->required();
    stats->add_option("--policy", o.over.policy,
                      std::string("one retry policy (default: all): ") + model::kValidPolicies);
    stats->add_option("--iterations", r.iterations, "executions (default: the scenario's)")
        ->transform(number(model::limits::kIterations));
    stats->add_option("--seed", r.seed, "first seed (default: the scenario's)")
        ->transform(number(model::limits::kSeed));
    add_bounds(stats, r);
    stats->add_flag("--json", o.json, "print one JSON document");
    stats->add_flag("--quiet", o.quiet, "no progress on stderr");

    auto* check = app.add_subcommand("check", "run scenario files against their expectations");
    check->add_option("paths", o.paths, "files or directories (default: scenarios)");
    check->add_option("--format", o.format, "output on stdout: text (the default), json or ktap")
        ->check(CLI::IsMember({"text", "json", "ktap"}));
    check->add_flag("--json", o.json, "print one JSON document (--format json)");
    check->add_option("--junit", o.junit,
                      "also write the results as JUnit XML to FILE (default: none)");

    std::string topic;
    auto* help = app.add_subcommand("help", "print the help of a command: pfnsim help CMD");
    help->add_option("command", topic, "a command (default: the overview)");

    run->footer(
        footer("pfnsim run scenarios/pin-zap-race.toml --policy eagain --seed 7", Codes::found));
    explore->footer(
        footer("pfnsim explore scenarios/seed-split-refault.toml --strategy pct --iterations 2000",
               Codes::judged) +
        "  3    interrupted by SIGINT: the findings so far (a second one stops minimising)\n");
    replay->footer(
        footer("pfnsim replay scenarios/seed-split-refault.toml --policy original "
               "--seed 13 --trace full",
               Codes::found));
    sweep->footer(footer("pfnsim sweep scenarios/seed-split-refault.toml --preemptions 2 --jobs 2",
                         Codes::incomplete) +
                  "       and after SIGINT (the checkpoint, if any, is saved)\n");
    merge->footer(
        footer("pfnsim merge shard0.json shard1.json shard2.json shard3.json", Codes::incomplete));
    matrix->footer(footer("pfnsim matrix scenarios/*.toml --markdown", Codes::judged));
    stats->footer(
        footer("pfnsim stats scenarios/lockstep-split.toml --policy bounded:3", Codes::none));
    check->footer(
        footer("pfnsim check scenarios --format ktap --junit results.xml", Codes::judged));
    help->footer(footer("pfnsim help sweep", Codes::none));
    app.footer(
        "pfnsim help CMD (or pfnsim CMD --help) prints a command's options, defaults, an "
        "example and its exit codes.\n");
    check->add_flag("--quiet", o.quiet, "no progress on stderr");

    const std::vector<CLI::App*> all = {run,    explore, replay, sweep, merge,
                                        matrix, stats,   check,  help};
    const std::vector<std::string> names = command_names(all);
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        const auto parsed = app.get_subcommands();
        const CLI::App& cmd = parsed.empty() ? app : *parsed.front();
        const std::string opt = dynamic_cast<const CLI::ExtrasError*>(&e) != nullptr
                                    ? unknown_option(app, cmd, argc, argv)
                                    : std::string();
        if (argc > 1 && argv[1][0] != '-' && parsed.empty()) {
            std::cerr << "pfnsim: " << unknown("command", argv[1], names) << "\n";
        } else if (!opt.empty()) {
            std::vector<std::string> valid = option_names(cmd);
            for (const auto& n : option_names(app)) {
                if (std::find(valid.begin(), valid.end(), n) == valid.end()) {
                    valid.push_back(n);
                }
            }
            std::cerr << "pfnsim: "
                      << unknown(&cmd == &app ? "option" : cmd.get_name() + " option", opt, valid)
                      << "\n";
        } else {
            std::cerr << "pfnsim: " << e.what() << " (see pfnsim --help)\n";
        }
        return 2;
    }
    if (help->parsed()) {
        if (topic.empty()) {
            std::cout << app.get_formatter()->make_help(&app, app.get_name(),
                                                        CLI::AppFormatMode::Normal);
            return 0;
        }
        for (const auto* c : all) {
            if (c->get_name() == topic) {
                std::cout << c->help(app.get_name());
                return 0;
            }
        }
        std::cerr << "pfnsim: " << unknown("command", topic, names) << "\n";
        return 2;
    }
    if (version) {
        std::cout << app::version_line() << "\n";
        return 0;
    }
    CLI::App* cmd = nullptr;
    for (auto* c : all) {
        if (c->parsed()) {
            cmd = c;
        }
    }
    if (cmd == nullptr) {
        std::cerr << "pfnsim: a command is required (valid: " << joined(names) << ")\n";
        return 2;
    }
    if (cmd->get_option_no_throw("--seed") != nullptr && cmd->count("--seed") > 0) {
        o.over.seed = r.seed;
    }
    if (cmd->get_option_no_throw("--iterations") != nullptr && cmd->count("--iterations") > 0) {
        o.over.iterations = r.iterations;
    }
    if (cmd->get_option_no_throw("--step-bound") != nullptr && cmd->count("--step-bound") > 0) {
        o.over.step_bound = r.step_bound;
    }
    if (cmd->get_option_no_throw("--depth") != nullptr && cmd->count("--depth") > 0) {
        o.over.depth = r.depth;
    }
    try {
        if (o.trace.empty()) {
            o.trace = replay->parsed() ? "diagram" : "full";
        }
        if (cmd == run) {
            return cmd_run(o, false);
        }
        if (cmd == explore) {
            return cmd_explore(o);
        }
        if (cmd == replay) {
            if (!o.over.seed && o.schedule.empty()) {
                throw app::InputError{"replay needs --seed N or --schedule STR"};
            }
            return cmd_run(o, true);
        }
        if (cmd == matrix) {
            return cmd_matrix(o);
        }
        if (cmd == check) {
            return cmd_check(o);
        }
        if (cmd == stats) {
            return cmd_stats(o);
        }
        if (cmd == sweep) {
            return cmd_sweep(o);
        }
        if (cmd == merge) {
            return cmd_merge(o);
        }
    } catch (const app::InputError& e) {
        std::cerr << "pfnsim: " << app::one_line(e.message) << "\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "pfnsim: internal error: " << app::one_line(e.what()) << "\n";
        return 2;
    }
    return 2;
}

}  // namespace pfnsim::cli
