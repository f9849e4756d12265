// mm/mmu_notifier.c mmu_notifier_invalidate_range_start/end, with the one subscriber modelled:
// KVM's kvm_mmu_notifier_invalidate_range_start/end (virt/kvm/kvm_main.c), which count the
// invalidations in progress and bump mmu_invalidate_seq when one ends.
#include "pfnsim/model/world.hpp"
#include "pfnsim/sim/execution.hpp"

namespace pfnsim::model {

// mm/mmu_notifier.c mmu_notifier_invalidate_range_start -> kvm_mmu_invalidate_begin (under
// kvm->mmu_lock). Nothing happens without a subscriber (mm_has_notifiers()).
void mmu_notifier_invalidate_range_start(World& w) {
    const sim::Call frame{"mmu_notifier_invalidate_range_start"};
    kvm_mmu_invalidate& k = w.mm.kvm;
    if (!k.registered) {
        return;
    }
    sim::point(sim::Op::Write, k.obj, "kvm_mmu_invalidate_begin", "mmu_invalidate_in_progress++");
    ++k.in_progress;
}

// mm/mmu_notifier.c mmu_notifier_invalidate_range_end -> kvm_mmu_invalidate_end: the sequence
// count moves on before the in-progress count drops.
void mmu_notifier_invalidate_range_end(World& w) {
    const sim::Call frame{"mmu_notifier_invalidate_range_end"};
    kvm_mmu_invalidate& k = w.mm.kvm;
    if (!k.registered) {
        return;
    }
    sim::point(sim::Op::Write, k.obj, "kvm_mmu_invalidate_end",
               "mmu_invalidate_seq++, in_progress--");
    ++k.seq;
    --k.in_progress;
}

}  // namespace pfnsim::model
