// Blocking primitives with kernel semantics. Every acquire and release is a scheduling point;
// ownership is handed to waiters in FIFO order, as Linux's queued locks do.
#pragma once

#include <cstdint>
#include <deque>
#include <vector>

#include "pfnsim/sim/types.hpp"

namespace pfnsim::sim {

// An exclusive lock with FIFO hand-off to its waiters (as qspinlock and the mutex handoff do).
// SpinLock and Mutex differ only in how a waiter waits, which the trace and reports name.
class ExclusiveLock {
  public:
    // The texts a flavour of lock shows in traces and reports.
    struct Flavour {
        Name lock;
        Name unlock;
        Name contended;
        Name trylock;
        const char* mode;
    };
    void init(ObjectId id);
    void lock(Name func) { lock_nested(func, 0); }
    // spin_lock_nested, mutex_lock_nested: a deliberate nesting of two locks of one class, the
    // inner one taken as `subclass` (a node of its own in the lock-order graph).
    void lock_nested(Name func, unsigned subclass);
    // Takes the lock if it is free (spin_trylock, mutex_trylock, ww_mutex_trylock): never waits.
    bool try_lock(Name func);
    void unlock(Name func);
    bool held_by(ActorId a) const { return owner_ == a; }
    ActorId owner() const { return owner_; }
    ObjectId id() const { return id_; }
    const char* mode() const { return flavour_->mode; }  // "spin", "mutex"
    // Owner and waiters in queue order; kept from one change of the lock to the next, so that a
    // state signature reading an unchanged lock costs a load. state_hash_walk recomputes it.
    std::uint64_t state_hash() const;
    std::uint64_t state_hash_walk() const;

  protected:
    explicit ExclusiveLock(const Flavour& f) : flavour_(&f) {}

  private:
    // Every change of the state below is followed by changed(), with no scheduling point in
    // between (each change follows the operation's point, see sync.cpp).
    void changed() { hash_valid_ = false; }
    const Flavour* flavour_;
    ObjectId id_ = kNoObject;
    ActorId owner_ = kNoActor;
    std::deque<ActorId> waiters_;
    mutable std::uint64_t hash_ = 0;
    mutable bool hash_valid_ = false;
};

// include/linux/spinlock.h spin_lock. A spinning waiter burns its CPU but cannot proceed:
// modelled as not enabled until handed the lock, which keeps the enabled set meaningful for
// deadlock and livelock detection.
class SpinLock final : public ExclusiveLock {
  public:
    SpinLock();
};

// kernel/locking/mutex.c mutex_lock: a sleeping lock.
class Mutex final : public ExclusiveLock {
  public:
    Mutex();
};

// kernel/locking/ww_mutex.h ww_mutex_lock without an acquire context (dma_resv_lock): a
// sleeping lock, as a mutex.
class WwMutex final : public ExclusiveLock {
  public:
    WwMutex();
};

// How an RwSemaphore arbitrates. Fifo: a waiting writer blocks new readers, and a release hands
// the lock to the writer at the head of the queue or to the readers at its head. Linux
// (kernel/locking/rwsem.c): a release wakes the writer at the head without handing it the lock,
// so a reader or writer arriving first may steal a free lock (a reader only when no reader
// holds it); a woken writer that finds it taken again may set the handoff bit (a data choice of
// the strategy standing for "waited past RWSEM_WAIT_TIMEOUT"), which stops stealing until it
// gets the lock; a release to readers lets in every reader of the queue.
enum class RwFlavour : std::uint8_t { Fifo, Linux };

class RwSemaphore {
  public:
    void init(ObjectId id, RwFlavour flavour = RwFlavour::Fifo);
    void down_read(Name func) { down_read_nested(func, 0); }
    // down_read_nested, down_write_nested: as lock_nested.
    void down_read_nested(Name func, unsigned subclass);
    void down_write_nested(Name func, unsigned subclass);
    // kernel/locking/rwsem.c down_read_trylock: fails while a writer holds the lock or any
    // waiter is queued (RWSEM_READ_FAILED_MASK); never sleeps.
    bool down_read_trylock(Name func);
    void up_read(Name func);
    void down_write(Name func) { down_write_nested(func, 0); }
    // kernel/locking/rwsem.c down_write_trylock: succeeds only on a semaphore nobody holds or
    // waits for (the count is exactly RWSEM_UNLOCKED_VALUE); never sleeps.
    bool down_write_trylock(Name func);
    void up_write(Name func);
    // kernel/locking/rwsem.c downgrade_write: the writer keeps the lock as a reader and the
    // readers queued at the head are let in with it.
    void downgrade_write(Name func);
    bool read_held_by(ActorId a) const;
    bool write_held_by(ActorId a) const { return writer_ == a; }
    ObjectId id() const { return id_; }
    int readers() const { return static_cast<int>(readers_.size()); }
    bool write_locked() const { return writer_ != kNoActor; }
    bool handoff() const { return handoff_; }
    RwFlavour flavour() const { return flavour_; }
    // Writer, readers as a set, waiters in queue order, the handoff bit; kept as for
    // ExclusiveLock::state_hash.
    std::uint64_t state_hash() const;
    std::uint64_t state_hash_walk() const;

  private:
    struct Waiter {
        ActorId actor;
        bool write;
    };
    void grant_waiters();
    void grant_readers();  // the readers at the head of the queue (Linux: every queued reader)
    void down_write_linux(Name func, ActorId me);
    void changed() { hash_valid_ = false; }  // after every change, as in ExclusiveLock
    ObjectId id_ = kNoObject;
    RwFlavour flavour_ = RwFlavour::Fifo;
    ActorId writer_ = kNoActor;
    bool handoff_ = false;  // Linux: RWSEM_FLAG_HANDOFF, set by the writer at the head
    std::vector<ActorId> readers_;
    std::deque<Waiter> waiters_;
    mutable std::uint64_t hash_ = 0;
    mutable bool hash_valid_ = false;
};

// Lockdep's annotations (include/linux/lockdep.h might_lock, might_lock_read): the lock-order
// edges of acquiring the lock now, without acquiring it, waiting or a scheduling point; e.g.
// might_fault()'s might_lock_read(mmap_lock) in every user copy. Outside an execution, no-ops.
void might_lock(const ExclusiveLock& l);
void might_lock(const RwSemaphore& s);  // for write
void might_lock_read(const RwSemaphore& s);

}  // namespace pfnsim::sim
