#include "pfnsim/sim/trace.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace pfnsim::sim {

std::string render_effect(const Step& s) {
    if (!s.arg_used) {
        return s.effect.text;
    }
    try {
        return fmt::format(fmt::runtime(s.effect.text), s.arg);
    } catch (const fmt::format_error&) {
        return fmt::format("{} ({:#x})", s.effect.text, s.arg);
    }
}

std::vector<std::string> call_chain(const Outcome& out, const Step& s) {
    std::vector<std::string> c{s.func.text};
    if (s.chain < out.chains.size()) {
        const auto& frames = out.chains[s.chain];
        for (std::size_t k = frames.size(); k-- > 0;) {  // innermost first
            if (c.back() != frames[k].func.text) {
                c.emplace_back(frames[k].func.text);
            }
        }
    }
    return c;
}

std::string call_chain_text(const Outcome& out, const Step& s) {
    std::string t;
    for (const auto& f : call_chain(out, s)) {
        t += t.empty() ? f : " <- " + f;
    }
    return t;
}

namespace {
// "/any/where/src/model/memory.cpp" -> "src/model/memory.cpp"
std::string from_src(const char* file) {
    const std::string f = file;
    const std::size_t at = f.rfind("src/");
    return at == std::string::npos ? f : f.substr(at);
}
}  // namespace

std::string step_location(const Outcome& out, const Step& s) {
    const std::string f = from_src(s.file);
    if (f.rfind("src/model/", 0) == 0 || s.chain >= out.chains.size() ||
        out.chains[s.chain].empty()) {
        return s.line == 0 ? std::string() : fmt::format("{}:{}", f, s.line);
    }
    const CallFrame& in = out.chains[s.chain].back();
    return fmt::format("{}:{}", from_src(in.file), in.line);
}

std::string render_trace(const Outcome& out, Program& program) {
    std::string s;
    const auto& actors = program.actors();
    std::size_t width = 5;
    for (const auto& a : actors) {
        width = std::max(width, a.name.size());
    }
    for (std::size_t i = 0; i < out.trace.size(); ++i) {
        const Step& st = out.trace[i];
        const std::string& actor = st.actor < actors.size() ? actors[st.actor].name : "?";
        const std::string obj =
            st.object == kNoObject ? std::string("-") : program.objects().name(st.object);
        // "step actor func: effect", then what it did to which object at column 50, or on a
        // line of its own where both do not fit in 80 columns.
        const std::string left = fmt::format("{:>5}  {:<{}}  {}: {}", i + 1, actor, width,
                                             st.func.text, render_effect(st));
        const std::string right = fmt::format("{} {}", op_name(st.op), obj);
        if (std::max<std::size_t>(left.size() + 2, 50) + right.size() <= 80) {
            s += fmt::format("{:<48}  {}\n", left, right);
        } else {
            s.append(left).append("\n").append(width + 9, ' ').append(right).append("\n");
        }
        // The call chain and the model line, as a lockdep or KCSAN report gives them, in lines
        // of 80 columns broken before a " <- ".
        const std::string indent(width + 9, ' ');
        std::string line = indent;
        for (const auto& f : call_chain(out, st)) {
            const std::string part = line.size() == indent.size() ? f : " <- " + f;
            if (line.size() > indent.size() && line.size() + part.size() > 80) {
                s.append(line).append("\n");
                line = indent;
                line.append("  <- ").append(f);
            } else {
                line += part;
            }
        }
        if (const std::string loc = step_location(out, st); !loc.empty()) {
            if (line.size() + loc.size() + 3 > 80) {
                s += line + "\n";
                line = indent + "  ";
            } else {
                line += " ";
            }
            line += "(" + loc + ")";
        }
        s += line + "\n";
    }
    return s;
}

const char* status_name(Status s) {
    switch (s) {
        case Status::Completed:
            return "completed";
        case Status::Deadlock:
            return "deadlock";
        case Status::StepBound:
            return "step bound reached";
        case Status::Invariant:
            return "invariant violated";
        case Status::Livelock:
            return "livelock (a fair cycle)";
        case Status::Revisited:
            return "state revisited (path cut)";
        case Status::Pruned:
            return "pruned";
    }
    return "?";
}

}  // namespace pfnsim::sim
