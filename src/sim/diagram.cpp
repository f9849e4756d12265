#include "pfnsim/sim/diagram.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "pfnsim/sim/trace.hpp"

namespace pfnsim::sim {

namespace {

// "  replay: COMMAND", broken before an option with a shell continuation where it is wider than
// `width`, so that it still pastes into a shell as one command.
std::string replay_lines(const std::string& cmd, std::size_t width) {
    const std::string head = "  replay: ";
    const std::string indent(head.size(), ' ');
    std::string out;
    std::string line = head;
    std::size_t pos = 0;
    while (pos < cmd.size()) {
        std::size_t next = cmd.find(" --", pos + 1);
        if (next == std::string::npos) {
            next = cmd.size();
        }
        const std::string word = cmd.substr(pos, next - pos);  // " --option value" or the start
        if (line.size() > indent.size() && line.size() + word.size() + 2 > width) {
            out += line + " \\\n";
            const std::string w = word.substr(word.front() == ' ' ? 1 : 0);
            const std::size_t sp = w.find(' ');
            if (indent.size() + w.size() > width && sp != std::string::npos) {
                // Too wide even on its own line: the option, then its value (a long schedule)
                // on a line of its own, as far left as it must be to fit.
                out += indent + w.substr(0, sp) + " \\\n";
                const std::string v = w.substr(sp + 1);
                const std::size_t in = indent.size() + v.size() <= width ? indent.size()
                                       : width > v.size()                ? width - v.size()
                                                                         : 0;
                line = std::string(in, ' ') + v;
            } else {
                line = indent + w;
            }
        } else {
            line += word;
        }
        pos = next;
    }
    return out + line + "\n";
}

// A cell's text as lines of at most `w` characters: broken after a space where there is one,
// continuation lines indented by two; nothing is cut.
std::vector<std::string> fold(const std::string& s, std::size_t w) {
    std::vector<std::string> out;
    std::string rest = s;
    const std::size_t w2 = w > 4 ? w - 2 : w;
    while (rest.size() > (out.empty() ? w : w2)) {
        const std::size_t lim = out.empty() ? w : w2;
        // After the last space, or else after an opening bracket or a comma, in the line.
        std::size_t cut = rest.rfind(' ', lim);
        if (cut == std::string::npos || cut < lim / 3) {
            const std::size_t p = rest.find_last_of("([,=", lim - 1);
            cut = p != std::string::npos && p >= lim / 3 ? p + 1 : lim;
        }
        out.push_back((out.empty() ? "" : "  ") + rest.substr(0, cut));
        rest = rest.substr(cut < rest.size() && rest[cut] == ' ' ? cut + 1 : cut);
    }
    out.push_back((out.empty() ? "" : "  ") + rest);
    return out;
}

}  // namespace

std::vector<bool> key_steps(const Outcome& o, const Program& program, const Violation& v) {
    std::vector<bool> key(o.trace.size(), false);
    if (o.trace.empty()) {
        return key;
    }
    if (v.kind == ViolationKind::Livelock && o.lasso) {
        // One round of the cycle: its writes, and the reads of values another actor wrote.
        const std::size_t from = o.lasso->prefix_steps;
        const std::size_t to = std::min(o.trace.size(), from + o.lasso->cycle_steps);
        for (std::size_t s = from; s < to; ++s) {
            const Step& st = o.trace[s];
            if (st.op == Op::Write) {
                key[s] = true;
            } else if (st.op == Op::Read) {
                const long w = last_write_before(o, st.object, s);
                key[s] = w >= 0 && o.trace[static_cast<std::size_t>(w)].actor != st.actor;
            }
        }
        return key;
    }
    const ActorId victim = victim_of(o, program, v);
    const long t = last_step_of(o, victim);
    key[static_cast<std::size_t>(t)] = true;
    std::vector<std::pair<ActorId, std::size_t>> work{{victim, static_cast<std::size_t>(t)}};
    std::set<std::pair<ActorId, long>> seen;  // (reader, write) already shown
    std::set<std::pair<ActorId, std::size_t>> done;
    while (!work.empty()) {
        const auto [a, bound] = work.back();
        work.pop_back();
        if (!done.insert({a, bound}).second) {
            continue;
        }
        for (std::size_t s = 0; s < bound; ++s) {
            const Step& st = o.trace[s];
            if (st.actor != a || st.op != Op::Read) {
                continue;
            }
            const long w = last_write_before(o, st.object, s);
            if (w < 0 || o.trace[static_cast<std::size_t>(w)].actor == a ||
                !seen.insert({a, w}).second) {
                continue;
            }
            key[s] = true;
            key[static_cast<std::size_t>(w)] = true;
            work.emplace_back(o.trace[static_cast<std::size_t>(w)].actor,
                              static_cast<std::size_t>(w));
        }
    }
    return key;
}

std::pair<long, long> racing_pair(const Outcome& o, const std::vector<bool>& key,
                                  const Program& program, const Violation& v) {
    const ActorId victim = victim_of(o, program, v);
    for (std::size_t s = key.size(); s-- > 0;) {
        const Step& st = o.trace[s];
        if (!key[s] || st.actor != victim || st.op != Op::Read) {
            continue;
        }
        const long w = last_write_before(o, st.object, s);
        if (w >= 0 && o.trace[static_cast<std::size_t>(w)].actor != victim) {
            return {w, static_cast<long>(s)};
        }
    }
    return {-1, -1};
}

std::string render_diagram(const Outcome& o, Program& program, const Violation& v,
                           const std::string& replay, std::size_t width) {
    const auto key = key_steps(o, program, v);
    const auto [rw, rr] = racing_pair(o, key, program, v);
    const auto& decls = program.actors();
    // Columns: the actors with a step in the diagram, in id order.
    std::vector<ActorId> cols;
    for (ActorId a = 0; a < decls.size(); ++a) {
        for (std::size_t i = 0; i < key.size(); ++i) {
            if (key[i] && o.trace[i].actor == a) {
                cols.push_back(a);
                break;
            }
        }
    }
    if (cols.empty()) {
        cols.push_back(0);
    }
    // A gutter with the step number: gaps in the numbering are the folded steps.
    const std::size_t gap = 2;
    const std::size_t gutter = 7;
    const std::size_t cw =
        std::max<std::size_t>(12, (width - gutter - gap * (cols.size() - 1)) / cols.size());
    // A row: as many lines as its longest cell folds into.
    auto row = [&](const std::string& num, const std::vector<std::string>& cells) {
        std::vector<std::vector<std::string>> parts;
        std::size_t n = 1;
        for (const auto& c : cells) {
            // Logical lines (a racing step's call chain is a second one), each folded.
            std::vector<std::string> p;
            std::size_t at = 0;
            while (at <= c.size()) {
                const std::size_t nl = std::min(c.find('\n', at), c.size());
                for (auto& piece : fold(c.substr(at, nl - at), cw)) {
                    p.push_back(std::move(piece));
                }
                at = nl + 1;
            }
            parts.push_back(std::move(p));
            n = std::max(n, parts.back().size());
        }
        std::string out;
        for (std::size_t l = 0; l < n; ++l) {
            std::string line = fmt::format("{:>5}  ", l == 0 ? num : "");
            for (std::size_t c = 0; c < cols.size(); ++c) {
                std::string cell = l < parts[c].size() ? parts[c][l] : "";
                if (c + 1 < cols.size()) {
                    cell.resize(cw + gap, ' ');
                }
                line += cell;
            }
            while (!line.empty() && line.back() == ' ') {
                line.pop_back();
            }
            out += line + "\n";
        }
        return out;
    };
    auto col_of = [&](ActorId a) {
        return static_cast<std::size_t>(std::find(cols.begin(), cols.end(), a) - cols.begin());
    };

    std::string out;
    std::vector<std::string> head(cols.size());
    std::vector<std::string> rule(cols.size());
    for (std::size_t c = 0; c < cols.size(); ++c) {
        head[c] = fmt::format("CPU{} ({})", c, decls[cols[c]].name);
        rule[c] = std::string(std::min<std::size_t>(cw, 40), '-');
    }
    out += row("step", head) + row("", rule);
    long end = static_cast<long>(key.size()) - 1;
    while (end >= 0 && !key[static_cast<std::size_t>(end)]) {
        --end;  // nothing after the violating step matters
    }
    std::size_t folded = 0;
    for (long i = 0; i <= end; ++i) {
        const Step& st = o.trace[static_cast<std::size_t>(i)];
        if (!key[static_cast<std::size_t>(i)]) {
            ++folded;
            continue;
        }
        std::vector<std::string> cells(cols.size());
        const bool racing = i == rw || i == rr;
        cells[col_of(st.actor)] =
            fmt::format("{}{}: {}", racing ? "*" : "", st.func.text, render_effect(st));
        if (racing) {
            // Where the racing accesses are, as KCSAN names them: the callers and the line.
            std::string chain;
            const auto fns = call_chain(o, st);
            for (std::size_t k = 1; k < fns.size(); ++k) {
                chain.append(k == 1 ? "<- " : " <- ").append(fns[k]);
            }
            const std::string loc = step_location(o, st);
            if (!loc.empty()) {
                chain.append(chain.empty() ? "(" : " (").append(loc).append(")");
            }
            if (!chain.empty()) {
                cells[col_of(st.actor)].append("\n ").append(chain);
            }
        }
        out += row(std::to_string(i + 1), cells);
    }
    if (v.kind == ViolationKind::Livelock && o.lasso) {
        out += fmt::format(
            "\n  steps {}..{} are one round of a cycle that repeats for ever; "
            "stuck: {}\n",
            o.lasso->prefix_steps + 1, o.lasso->prefix_steps + o.lasso->cycle_steps, v.actor);
        if (!o.lasso->locks_held.empty()) {
            std::string held;
            for (const auto& l : o.lasso->locks_held) {
                held += held.empty() ? l : ", " + l;
            }
            out += fmt::format("  held across the loop: {}\n", held);
        }
        out += fmt::format("  => livelock: {}\n", v.detail);
        if (!replay.empty()) {
            out += replay_lines(replay, width);
        }
        return out;
    }
    out += fmt::format(
        "\n  {} of {} steps up to the violation folded (locks, reads nobody raced on)\n", folded,
        end + 1);
    const std::size_t after = o.trace.size() - static_cast<std::size_t>(end + 1);
    if (after != 0) {
        out += fmt::format("  {} step{} after it not shown; --trace full shows every step\n", after,
                           after == 1 ? "" : "s");
    } else {
        out += "  --trace full shows every step\n";
    }
    if (rw >= 0) {
        const std::string race =
            fmt::format("  * the race: step {} of {} and step {} of {}", rw + 1,
                        decls[o.trace[static_cast<std::size_t>(rw)].actor].name, rr + 1,
                        decls[o.trace[static_cast<std::size_t>(rr)].actor].name);
        const std::string touch = fmt::format(
            "touch {}", program.objects().name(o.trace[static_cast<std::size_t>(rr)].object));
        out += race + (race.size() + 1 + touch.size() <= width ? " " : "\n    ") + touch + "\n";
    }
    out += fmt::format("  => {}: {}\n", kind_name(v.kind), v.detail);
    if (!replay.empty()) {
        out += replay_lines(replay, width);
    }
    return out;
}

}  // namespace pfnsim::sim
