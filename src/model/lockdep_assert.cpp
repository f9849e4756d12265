// include/linux/mmap_lock.h, include/linux/lockdep.h and mm/memory.c: the lock-context
// assertions of the path (lockdep_assert_held and its mmap_lock wrappers). Each is an
// invariant, I-LOCK, checked with no step: under CONFIG_LOCKDEP (or CONFIG_DEBUG_VM) the
// kernel WARNs where the model stops with the assertion named.
#include <fmt/format.h>

#include "pfnsim/model/world.hpp"
#include "pfnsim/sim/execution.hpp"

namespace pfnsim::model {

namespace {

bool rwsem_held(const sim::RwSemaphore& l) {
    const sim::ActorId me = sim::current_actor();
    return l.write_held_by(me) || l.read_held_by(me);
}

[[noreturn]] void lock_assert_failed(World& w, sim::Name func, const char* assertion,
                                     const char* what) {
    sim::fail_invariant(w.current_name(), fmt::format("I-LOCK: {}() without {}: {}() WARNs",
                                                      func.text, what, assertion));
}

}  // namespace

// include/linux/mmap_lock.h mmap_assert_locked: mmap_lock held, for read or write.
void mmap_assert_locked(World& w, sim::Name func) {
    if (!rwsem_held(w.mm.mmap_lock)) {
        lock_assert_failed(w, func, "mmap_assert_locked", "mmap_lock held");
    }
}

// include/linux/mmap_lock.h mmap_assert_write_locked.
void mmap_assert_write_locked(World& w, sim::Name func) {
    if (!w.mm.mmap_lock.write_held_by(sim::current_actor())) {
        lock_assert_failed(w, func, "mmap_assert_write_locked", "mmap_lock held for write");
    }
}

// mm/memory.c pfnmap_lockdep_assert (v6.12): the file's i_mmap_rwsem or mmap_lock; only
// mmap_lock for a vma without a file (the fix of syzbot's NULL mapping, Oct 2024).
void pfnmap_lockdep_assert(World& w, const vm_area_struct* vma, sim::Name func) {
    const bool mapping_held = vma->mapping != nullptr && rwsem_held(vma->mapping->i_mmap_rwsem);
    if (!mapping_held && !rwsem_held(w.mm.mmap_lock)) {
        lock_assert_failed(
            w, func, "pfnmap_lockdep_assert",
            vma->mapping != nullptr ? "i_mmap_rwsem or mmap_lock held" : "mmap_lock held");
    }
}

}  // namespace pfnsim::model
