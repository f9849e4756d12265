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
    void lock(Name func);
    // Takes the lock if it is free (spin_trylock, mutex_trylock, ww_mutex_trylock): never waits.
    bool try_lock(Name func);
    void unlock(Name func);
    bool held_by(ActorId a) const { return owner_ == a; }
    ActorId owner() const { return owner_; }
    ObjectId id() const { return id_; }
    std::uint64_t state_hash() const;  // owner and waiters in queue order

  protected:
    explicit ExclusiveLock(const Flavour& f) : flavour_(&f) {}

  private:
    const Flavour* flavour_;
    ObjectId id_ = kNoObject;
    ActorId owner_ = kNoActor;
    std::deque<ActorId> waiters_;
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

// rw_semaphore: a waiting writer blocks new readers (no reader starvation of writers), and a
// release hands the lock to the writer at the head of the queue or to the readers at its head.
class RwSemaphore {
  public:
    void init(ObjectId id);
    void down_read(Name func);
    void up_read(Name func);
    void down_write(Name func);
    void up_write(Name func);
    // kernel/locking/rwsem.c downgrade_write: the writer keeps the lock as a reader and the
    // readers queued at the head are let in with it.
    void downgrade_write(Name func);
    bool read_held_by(ActorId a) const;
    bool write_held_by(ActorId a) const { return writer_ == a; }
    ObjectId id() const { return id_; }
    int readers() const { return static_cast<int>(readers_.size()); }
    bool write_locked() const { return writer_ != kNoActor; }
    std::uint64_t state_hash() const;  // writer, readers as a set, waiters in queue order

  private:
    struct Waiter {
        ActorId actor;
        bool write;
    };
    void grant_waiters();
    void grant_readers();  // the readers at the head of the queue
    ObjectId id_ = kNoObject;
    ActorId writer_ = kNoActor;
    std::vector<ActorId> readers_;
    std::deque<Waiter> waiters_;
};

}  // namespace pfnsim::sim
