// Basic vocabulary of the simulation core: actors, objects, operations, steps.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace pfnsim::sim {

using ActorId = std::uint32_t;
using ObjectId = std::uint32_t;
inline constexpr ActorId kNoActor = ~ActorId{0};
inline constexpr ObjectId kNoObject = ~ObjectId{0};

// 64-bit FNV-1a, usable at compile time so that static names hash for free.
constexpr std::uint64_t fnv1a(std::string_view s) {
    std::uint64_t h = 0xcbf29ce484222325ULL;
    for (char c : s) {
        h ^= static_cast<unsigned char>(c);
        h *= 0x100000001b3ULL;
    }
    return h;
}

// A static string (kernel function name or effect text) with its hash computed at compile time;
// the trace hash must never depend on the address of a string literal.
struct Name {
    const char* text = "";
    std::uint64_t hash = fnv1a("");
    consteval Name(const char* s)
        : text(s), hash(fnv1a(s)) {}  // NOLINT(google-explicit-constructor)
    constexpr Name() = default;
};

// What a step does to its object; the dependency relation of later reductions is built on it.
enum class Op : std::uint8_t {
    Read,     // reads shared state (page-table entry, flag, VMA tree, IOMMU table)
    Write,    // writes shared state
    Acquire,  // takes a lock (or starts waiting for it)
    Release,  // releases a lock
    Yield,    // cond_resched() or another voluntary scheduling point with no object
    Choice,   // a data choice (injected fault, handler outcome)
    Start,    // the actor starts
    Finish,   // the actor returns its result
};

const char* op_name(Op op);

// Where a model call was written: the caller's file and line, through compiler builtins that
// GCC 12 and clang 14 share (clang 14 cannot compile libstdc++'s std::source_location).
struct SourceLine {
    const char* file = "";
    std::uint32_t line = 0;
    static constexpr SourceLine here(const char* file = __builtin_FILE(),
                                     std::uint32_t line = __builtin_LINE()) {
        return {file, line};
    }
};

// A model function on an actor's call stack (sim::Call), with the model source line it starts at.
struct CallFrame {
    Name func;
    const char* file = "";  // as the compiler names it; reports print it from "src/"
    std::uint32_t line = 0;
};
inline constexpr std::uint32_t kNoChain = ~std::uint32_t{0};

// One atomic step of one actor, as recorded in the trace.
struct Step {
    ActorId actor = kNoActor;
    Op op = Op::Yield;
    ObjectId object = kNoObject;
    Name func;    // kernel function the step belongs to
    Name effect;  // fmt-style text; "{}" is replaced by arg
    std::uint64_t arg = 0;
    bool arg_used = false;
    bool blocked = false;  // the actor then slept or spun until another actor woke it (a lock)
    // The call chain: an index into Outcome::chains (innermost frame last), or kNoChain.
    std::uint32_t chain = kNoChain;
    // Where the model took the step (the point() call).
    const char* file = "";
    std::uint32_t line = 0;
};

}  // namespace pfnsim::sim
