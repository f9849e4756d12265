#include "pfnsim/sim/sync.hpp"

#include <algorithm>

#include "pfnsim/sim/execution.hpp"
#include "pfnsim/sim/prng.hpp"

namespace pfnsim::sim {

namespace {
constexpr ExclusiveLock::Flavour kSpin = {"spin_lock", "spin_unlock", "spin_lock: contended, spins",
                                          "spin_trylock", "spin"};
constexpr ExclusiveLock::Flavour kMutex = {
    "mutex_lock", "mutex_unlock", "mutex_lock: contended, sleeps", "mutex_trylock", "mutex"};
constexpr ExclusiveLock::Flavour kWwMutex = {"ww_mutex_lock", "ww_mutex_unlock",
                                             "ww_mutex_lock: contended, sleeps", "ww_mutex_trylock",
                                             "mutex"};
}  // namespace

SpinLock::SpinLock() : ExclusiveLock(kSpin) {}
Mutex::Mutex() : ExclusiveLock(kMutex) {}
WwMutex::WwMutex() : ExclusiveLock(kWwMutex) {}

void ExclusiveLock::init(ObjectId id) {
    id_ = id;
    owner_ = kNoActor;
    waiters_.clear();
    changed();
}

void ExclusiveLock::lock_nested(Name func, unsigned subclass) {
    point(Op::Acquire, id_, func, flavour_->lock);
    note_acquiring(id_, flavour_->mode, subclass, func.text, false);
    changed();
    const ActorId me = current_actor();
    if (owner_ == kNoActor) {
        owner_ = me;
        note_acquired(id_, flavour_->mode, me);
        return;
    }
    waiters_.push_back(me);
    annotate(flavour_->contended);
    block_on(id_, flavour_->mode);
}

bool ExclusiveLock::try_lock(Name func) {
    point(Op::Acquire, id_, func, flavour_->trylock);
    note_acquiring(id_, flavour_->mode, 0, func.text, true);
    changed();
    if (owner_ != kNoActor) {
        annotate("trylock: contended, fails");
        return false;
    }
    owner_ = current_actor();
    note_acquired(id_, flavour_->mode, owner_);
    return true;
}

void ExclusiveLock::unlock(Name func) {
    point(Op::Release, id_, func, flavour_->unlock);
    changed();
    note_released(id_, owner_);
    owner_ = kNoActor;
    if (!waiters_.empty()) {
        owner_ = waiters_.front();
        waiters_.pop_front();
        note_acquired(id_, flavour_->mode, owner_);
        wake(owner_);
    }
}

void RwSemaphore::init(ObjectId id, RwFlavour flavour) {
    id_ = id;
    flavour_ = flavour;
    writer_ = kNoActor;
    handoff_ = false;
    readers_.clear();
    waiters_.clear();
    changed();
}

bool RwSemaphore::read_held_by(ActorId a) const {
    return std::find(readers_.begin(), readers_.end(), a) != readers_.end();
}

// kernel/locking/rwsem.c down_read: a reader queues behind a holding or waiting writer.
void RwSemaphore::down_read_nested(Name func, unsigned subclass) {
    point(Op::Acquire, id_, func, "down_read");
    note_acquiring(id_, "read", subclass, func.text, false);
    changed();
    const ActorId me = current_actor();
    // Linux (rwsem_down_read_slowpath): with waiters queued, a reader steals a lock no writer
    // holds and no handoff guards, unless readers hold it already (then it queues).
    const bool steal = flavour_ == RwFlavour::Linux && !handoff_ && readers_.empty();
    if (writer_ == kNoActor && (waiters_.empty() || steal)) {
        if (!waiters_.empty()) {
            annotate("down_read: lock free, steals it ahead of the queue");
        }
        readers_.push_back(me);
        note_acquired(id_, "read", me);
        return;
    }
    waiters_.push_back({me, false});
    annotate("down_read: writer holds or waits, sleeps");
    block_on(id_, "read");
}

bool RwSemaphore::down_read_trylock(Name func) {
    point(Op::Acquire, id_, func, "down_read_trylock");
    note_acquiring(id_, "read", 0, func.text, true);
    changed();
    if (writer_ != kNoActor || !waiters_.empty()) {
        annotate("down_read_trylock: writer holds or waits, fails");
        return false;
    }
    const ActorId me = current_actor();
    readers_.push_back(me);
    note_acquired(id_, "read", me);
    return true;
}

void RwSemaphore::up_read(Name func) {
    point(Op::Release, id_, func, "up_read");
    changed();
    const ActorId me = current_actor();
    auto it = std::find(readers_.begin(), readers_.end(), me);
    if (it != readers_.end()) {
        readers_.erase(it);
    }
    note_released(id_, me);
    grant_waiters();
}

// kernel/locking/rwsem.c down_write
void RwSemaphore::down_write_nested(Name func, unsigned subclass) {
    point(Op::Acquire, id_, func, "down_write");
    note_acquiring(id_, "write", subclass, func.text, false);
    changed();
    const ActorId me = current_actor();
    if (flavour_ == RwFlavour::Linux) {
        down_write_linux(func, me);
        return;
    }
    if (writer_ == kNoActor && readers_.empty() && waiters_.empty()) {
        writer_ = me;
        note_acquired(id_, "write", me);
        return;
    }
    waiters_.push_back({me, true});
    annotate("down_write: held, sleeps");
    block_on(id_, "write");
}

// kernel/locking/rwsem.c rwsem_down_write_slowpath, rwsem_try_write_lock: a free lock is taken
// (optimistic spinning steals it from the queue) unless the head set the handoff bit; a woken
// writer retries, and the one at the head may set the handoff bit when it finds the lock taken.
void RwSemaphore::down_write_linux(Name func, ActorId me) {
    auto free_for = [&] {
        if (writer_ != kNoActor || !readers_.empty()) {
            return false;
        }
        return waiters_.empty() || !handoff_ || waiters_.front().actor == me;
    };
    if (free_for()) {
        if (!waiters_.empty()) {
            annotate("down_write: lock free, steals it ahead of the queue");
        }
        writer_ = me;
        note_acquired(id_, "write", me);
        return;
    }
    waiters_.push_back({me, true});
    annotate("down_write: held, sleeps");
    // Every wake-up retries: a loop of its own, so that what one round observed does not pile
    // up in the caller's location (the state space would grow with every retry).
    Loop wait_loop("rwsem_down_write_slowpath: wait");
    for (;;) {
        wait_loop.head();
        block_on(id_, "write");
        point(Op::Acquire, id_, func, "rwsem_try_write_lock");
        changed();
        if (free_for()) {
            const auto it = std::find_if(waiters_.begin(), waiters_.end(),
                                         [&](const Waiter& w) { return w.actor == me; });
            const bool head = it == waiters_.begin();
            waiters_.erase(it);
            if (head) {
                handoff_ = false;
            }
            writer_ = me;
            note_acquired(id_, "write", me);
            return;
        }
        // The timeout passes whatever the others do: setting the bit is a weakly fair event,
        // and a cycle in which the head writer keeps putting it off is not a fair one.
        if (!handoff_ && waiters_.front().actor == me &&
            eventually("rwsem: head writer waited past RWSEM_WAIT_TIMEOUT, sets handoff")) {
            handoff_ = true;
            changed();
            annotate("rwsem_try_write_lock: taken again, sets RWSEM_FLAG_HANDOFF, sleeps");
        } else {
            annotate("rwsem_try_write_lock: taken again, sleeps");
        }
    }
}

bool RwSemaphore::down_write_trylock(Name func) {
    point(Op::Acquire, id_, func, "down_write_trylock");
    note_acquiring(id_, "write", 0, func.text, true);
    changed();
    if (writer_ != kNoActor || !readers_.empty() || !waiters_.empty()) {
        annotate("down_write_trylock: held or waited for, fails");
        return false;
    }
    writer_ = current_actor();
    note_acquired(id_, "write", writer_);
    return true;
}

void RwSemaphore::up_write(Name func) {
    point(Op::Release, id_, func, "up_write");
    changed();
    note_released(id_, writer_);
    writer_ = kNoActor;
    grant_waiters();
}

void RwSemaphore::downgrade_write(Name func) {
    point(Op::Release, id_, func, "downgrade_write");
    changed();
    const ActorId me = writer_;
    writer_ = kNoActor;
    readers_.push_back(me);
    note_downgraded(id_, me, func.text);
    grant_readers();
}

// kernel/locking/rwsem.c rwsem_mark_wake: the writer at the head, or the readers at the head.
void RwSemaphore::grant_waiters() {
    if (writer_ != kNoActor || waiters_.empty()) {
        return;
    }
    if (waiters_.front().write) {
        if (readers_.empty() && flavour_ == RwFlavour::Linux) {
            wake(waiters_.front().actor);  // rwsem_mark_wake: woken, not handed the lock
        } else if (readers_.empty()) {
            writer_ = waiters_.front().actor;
            waiters_.pop_front();
            note_acquired(id_, "write", writer_);
            wake(writer_);
        }
        return;
    }
    grant_readers();
}

void RwSemaphore::grant_readers() {
    if (flavour_ == RwFlavour::Linux) {
        // rwsem_mark_wake: the head is a reader; every reader of the queue is let in.
        if (waiters_.empty() || waiters_.front().write) {
            return;
        }
        for (auto it = waiters_.begin(); it != waiters_.end();) {
            if (it->write) {
                ++it;
                continue;
            }
            readers_.push_back(it->actor);
            note_acquired(id_, "read", it->actor);
            wake(it->actor);
            it = waiters_.erase(it);
        }
        return;
    }
    while (!waiters_.empty() && !waiters_.front().write) {
        const ActorId a = waiters_.front().actor;
        waiters_.pop_front();
        readers_.push_back(a);
        note_acquired(id_, "read", a);
        wake(a);
    }
}

void might_lock(const ExclusiveLock& l) {
    note_acquiring(l.id(), l.mode(), 0, "might_lock", false);
}

void might_lock(const RwSemaphore& s) {
    note_acquiring(s.id(), "write", 0, "might_lock", false);
}

void might_lock_read(const RwSemaphore& s) {
    note_acquiring(s.id(), "read", 0, "might_lock_read", false);
}

namespace {
template <typename Q>
std::uint64_t hash_queue(std::uint64_t h, const Q& q) {
    for (const auto& w : q) {
        h = hash_mix(h, static_cast<std::uint64_t>(w) + 1);
    }
    return h;
}
}  // namespace

std::uint64_t ExclusiveLock::state_hash() const {
    if (!hash_valid_) {
        hash_ = state_hash_walk();
        hash_valid_ = true;
    }
    return hash_;
}

std::uint64_t ExclusiveLock::state_hash_walk() const {
    // Not the object id (it depends on the order objects were interned): callers hash locks in
    // a canonical order.
    return hash_queue(hash_mix(0x9fb21c651e98df25ULL, owner_), waiters_);
}

std::uint64_t RwSemaphore::state_hash() const {
    if (!hash_valid_) {
        hash_ = state_hash_walk();
        hash_valid_ = true;
    }
    return hash_;
}

std::uint64_t RwSemaphore::state_hash_walk() const {
    // Acquisition order does not matter: the readers enter as a sum, which ignores it.
    std::uint64_t readers = 0;
    for (ActorId r : readers_) {
        readers += hash_mix(0x51ed270b27d1a5c3ULL, static_cast<std::uint64_t>(r) + 1);
    }
    std::uint64_t h = hash_mix(hash_mix(0x2545f4914f6cdd1dULL, writer_), readers);
    if (flavour_ == RwFlavour::Linux) {  // Fifo keeps its signatures
        h = hash_mix(h, handoff_ ? 0x3c6ef372fe94f82bULL : 0x1b873593cc9e2d51ULL);
    }
    for (const auto& w : waiters_) {
        h = hash_mix(h, (static_cast<std::uint64_t>(w.actor) << 1U) | (w.write ? 1U : 0U));
    }
    return h;
}

}  // namespace pfnsim::sim
