#include "pfnsim/sim/trace.hpp"

#include <fmt/format.h>

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
        s += fmt::format("{:>5}  {:<{}}  {:<30} {:<8} {:<28} {}\n", i + 1, actor, width,
                         st.func.text, op_name(st.op), obj, render_effect(st));
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
