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
        const std::string left =
            fmt::format("{:>5}  {:<{}}  {}: {}", i + 1, actor, width, st.func.text,
                        render_effect(st));
        const std::string right = fmt::format("{} {}", op_name(st.op), obj);
        if (std::max<std::size_t>(left.size() + 2, 50) + right.size() <= 80) {
            s += fmt::format("{:<48}  {}\n", left, right);
        } else {
            s += left + "\n" + std::string(width + 9, ' ') + right + "\n";
        }
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
