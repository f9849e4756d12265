// Which steps depend on which: the one definition that partial-order reduction, minimisation,
// the race diagram and the exports all use.
#pragma once

#include "pfnsim/sim/types.hpp"

namespace pfnsim::sim {

// Whether a step changes its object for the steps after it: a write, or taking or releasing a
// lock (a lock's owner is state that other actors' lock steps read).
constexpr bool op_writes(Op op) {
    return op == Op::Write || op == Op::Acquire || op == Op::Release;
}

// Whether two steps on objects `a` and `b` may end differently when run in either order: they
// touch the same object and one of them writes it. Steps without an object depend on nothing.
constexpr bool accesses_conflict(Op a_op, ObjectId a, Op b_op, ObjectId b) {
    if (a == kNoObject || a != b) {
        return false;
    }
    return op_writes(a_op) || op_writes(b_op);
}

// What an enabled actor does when it runs next: the step it declared at the scheduling point it
// waits in. An actor that has not started, or was just woken from a lock, has not reached a
// point yet: its step is unknown.
struct NextStep {
    Op op = Op::Yield;
    ObjectId object = kNoObject;
    bool known = false;
};

// The dependency relation of partial-order reduction on next steps. An unknown step conflicts
// with everything, and so does a finish: it may end the execution (stopping `forever` actors)
// and it closes the actor's oracle window, which other actors' steps consult.
constexpr bool conflicts(const NextStep& a, const NextStep& b) {
    if (!a.known || !b.known || a.op == Op::Finish || b.op == Op::Finish) {
        return true;
    }
    return accesses_conflict(a.op, a.object, b.op, b.object);
}

}  // namespace pfnsim::sim
