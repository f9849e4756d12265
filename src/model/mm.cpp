// mm_struct, the VMA tree, mmap_lock and munmap.
#include <fmt/format.h>

#include <algorithm>
#include <memory_resource>

#include "pfnsim/model/world.hpp"
#include "pfnsim/sim/execution.hpp"

namespace pfnsim::model {

// include/linux/mmap_lock.h mmap_read_lock
void mmap_read_lock(World& w) {
    might_sleep(w);  // down_read
    w.mm.mmap_lock.down_read("mmap_read_lock");
}

// include/linux/mmap_lock.h mmap_read_unlock; a new generation for I-VMA.
void mmap_read_unlock(World& w) {
    w.mm.mmap_lock.up_read("mmap_read_unlock");
    ++w.current().mmap_lock_gen;
}

// include/linux/mmap_lock.h mmap_write_lock
void mmap_write_lock(World& w) {
    might_sleep(w);  // down_write
    w.mm.mmap_lock.down_write("mmap_write_lock");
}

// include/linux/mmap_lock.h mmap_write_unlock: vma_end_write_all() first.
void mmap_write_unlock(World& w) {
    vma_end_write_all(w);
    w.mm.mmap_lock.up_write("mmap_write_unlock");
    ++w.current().mmap_lock_gen;
}

// include/linux/mmap_lock.h mmap_write_downgrade: vma_end_write_all(), then downgrade_write.
void mmap_write_downgrade(World& w) {
    vma_end_write_all(w);
    w.mm.mmap_lock.downgrade_write("mmap_write_downgrade");
}

// include/linux/mmap_lock.h vma_start_write: with mmap_lock held for write, mark the VMA
// write-locked (new readers fail) and wait for its readers to drain (__vma_enter_locked).
void vma_start_write(World& w, vm_area_struct* vma) {
    mmap_assert_write_locked(w, "vma_start_write");
    if (!vma->vm_lock.write_held_by(sim::current_actor())) {  // __is_vma_write_locked
        vma->vm_lock.down_write("vma_start_write");
    }
}

// include/linux/mmap_lock.h vma_end_write_all: mm_lock_seq moves on, so every VMA this mmap_lock
// writer locked is unlocked at once.
void vma_end_write_all(World& w) {
    mmap_assert_write_locked(w, "vma_end_write_all");
    for (vm_area_struct& v : w.mm.vma_storage) {
        if (v.vm_lock.write_held_by(sim::current_actor())) {
            v.vm_lock.up_write("vma_end_write_all");
        }
    }
}

// mm/mmap_lock.c lock_vma_under_rcu: find the VMA under RCU (mas_walk) and vma_start_read() it,
// with no mmap_lock. NULL (fall back to mmap_lock) when no VMA maps addr, when the VMA is
// write-locked or a writer waits for it, when it was detached between the walk and the lock,
// and, before 350f6bbca1de, for any VMA that is not anonymous with an anon_vma (every device
// VMA: in a scenario without anonymous memory nothing is read or locked).
vm_area_struct* lock_vma_under_rcu(World& w, std::uint64_t address) {
    const bool old = w.sc.lock_vma == LockVmaVariant::Pre350f6bbca1de;
    if (old && !w.has_anonymous_vma) {
        return nullptr;  // !vma_is_anonymous(vma): goto inval, nothing is read or locked
    }
    sim::point(sim::Op::Read, w.mm.mm_mt, "lock_vma_under_rcu", "mas_walk({:#x})", address);
    vm_area_struct* vma = nullptr;
    for (vm_area_struct* v : w.mm.mm_mt_list) {
        if (address >= v->vm_start && address < v->vm_end) {
            vma = v;
        }
    }
    if (vma == nullptr) {
        sim::annotate("no vma: fall back to mmap_lock");
        return nullptr;
    }
    if (old && !vma_is_anonymous(vma)) {
        sim::annotate("not anonymous: fall back to mmap_lock");
        return nullptr;
    }
    if (!vma->vm_lock.down_read_trylock("vma_start_read")) {
        return nullptr;  // write-locked: fall back to mmap_lock
    }
    // Detached since the walk (its writer has finished): the walk again finds no VMA there.
    const auto& live = w.mm.mm_mt_list;
    if (std::find(live.begin(), live.end(), vma) == live.end()) {
        sim::annotate("vma detached since mas_walk: fall back to mmap_lock");
        vma->vm_lock.up_read("vma_end_read");
        return nullptr;
    }
    task_struct& t = w.current();
    t.looked_up_vma = vma;
    t.looked_up_gen = t.mmap_lock_gen;
    return vma;
}

// include/linux/mmap_lock.h vma_end_read: the VMA may change or go from here on.
void vma_end_read(World& w, vm_area_struct* vma) {
    vma->vm_lock.up_read("vma_end_read");
    ++w.current().mmap_lock_gen;
}

// include/linux/mm.h vma_lookup: the VMA containing addr, or NULL.
vm_area_struct* vma_lookup(World& w, std::uint64_t addr, sim::Name func) {
    sim::point(sim::Op::Read, w.mm.mm_mt, func, "vma_lookup({:#x}) -> none", addr);
    for (vm_area_struct* v : w.mm.mm_mt_list) {
        if (addr >= v->vm_start && addr < v->vm_end) {
            sim::annotate("vma_lookup -> vma [{:#x}, ...)", v->vm_start);
            task_struct& t = w.current();
            t.looked_up_vma = v;
            t.looked_up_gen = t.mmap_lock_gen;
            return v;
        }
    }
    return nullptr;
}

// I-VMA (mmap_assert_locked + the "vma may be stale after unlocked" rule of fixup_user_fault()):
// a vma pointer must not be used once mmap_lock was dropped after it was looked up.
void vma_assert_usable(World& w, const vm_area_struct* vma, sim::Name func) {
    const task_struct& t = w.current();
    if (vma->detached) {
        sim::fail_invariant(w.current_name(),
                            fmt::format("I-VMA: {}() uses vma [{:#x}, {:#x}) after munmap freed it",
                                        func.text, vma->vm_start, vma->vm_end));
    }
    if (t.looked_up_vma == vma && t.looked_up_gen != t.mmap_lock_gen) {
        sim::fail_invariant(
            w.current_name(),
            fmt::format("I-VMA: {}() uses vma [{:#x}, {:#x}) after mmap_lock was dropped",
                        func.text, vma->vm_start, vma->vm_end));
    }
}

// mm/mmap.c do_mmap -> mmap_region, for the unmapped [[vma]] that starts at addr: under
// mmap_lock (write), -EEXIST if the range is taken (MAP_FIXED_NOREPLACE: the model's mmap never
// unmaps), the driver's ->mmap (remap_pfn_range() of the whole range where the driver fills it
// at mmap: mmap_mem, vfio_pci_mmap before abafbc551fdd), then the vma linked into the tree and
// its file's i_mmap (vma_link_file, under i_mmap_rwsem).
int do_mmap(World& w, std::uint64_t addr) {
    const sim::Call frame{"do_mmap"};
    vm_area_struct* vma = nullptr;
    for (std::size_t k = 0; k < w.sc.vmas.size(); ++k) {
        if (!w.sc.vmas[k].mapped && w.sc.vmas[k].start == addr) {
            vma = &w.mm.vma_storage[k];
        }
    }
    mmap_write_lock(w);
    sim::point(sim::Op::Read, w.mm.mm_mt, "mmap_region", "range [{:#x}, ...) free", addr);
    auto& list = w.mm.mm_mt_list;
    for (const vm_area_struct* v : list) {
        if (v == vma || (vma->vm_start < v->vm_end && v->vm_start < vma->vm_end)) {
            sim::annotate("range taken: -EEXIST");
            mmap_write_unlock(w);
            return -EEXIST;
        }
    }
    if (vma->vm_private_data != nullptr && mapping_populated_at_mmap(w.sc, *vma->vm_private_data)) {
        remap_pfn_range(w, vma, vma->vm_start, vma_addr_to_pfn(vma, vma->vm_start),
                        vma->vm_end - vma->vm_start);
    }
    sim::point(sim::Op::Write, w.mm.mm_mt, "vma_iter_store", "link vma [{:#x}, ...)", addr);
    list.insert(std::upper_bound(list.begin(), list.end(), vma,
                                 [](const vm_area_struct* a, const vm_area_struct* b) {
                                     return a->vm_start < b->vm_start;
                                 }),
                vma);
    if (vma->mapping != nullptr) {
        vma->mapping->i_mmap_rwsem.down_write("vma_link_file");
        vma->mapping->i_mmap.push_back(vma);
        vma->mapping->i_mmap_rwsem.up_write("vma_link_file");
    }
    mmap_write_unlock(w);
    return 0;
}

// mm/mmap.c __vm_munmap -> do_vmi_munmap: detach every VMA inside [start, start+len), unlink it
// from its file's mapping, zap its entries and free its page tables.
int do_munmap(World& w, std::uint64_t start, std::uint64_t len) {
    const sim::Call frame{"do_munmap"};
    const std::uint64_t end = start + len;
    mmap_write_lock(w);
    std::pmr::vector<vm_area_struct*> victims(&sim::execution_memory());  // vms->mas_detach
    for (vm_area_struct* v : w.mm.mm_mt_list) {
        if (v->vm_start >= start && v->vm_end <= end) {
            victims.push_back(v);
        }
    }
    // mm/vma.c vms_gather_munmap_vmas: each VMA is write-locked before it is detached; a fault
    // under its per-VMA lock finishes first, and later ones fall back to mmap_lock.
    for (vm_area_struct* v : victims) {
        vma_start_write(w, v);
    }
    sim::point(sim::Op::Write, w.mm.mm_mt, "vma_iter_clear_gfp", "detach VMAs in [{:#x}, ...)",
               start);
    auto& list = w.mm.mm_mt_list;
    list.erase(std::remove_if(list.begin(), list.end(),
                              [&](vm_area_struct* v) {
                                  return std::find(victims.begin(), victims.end(), v) !=
                                         victims.end();
                              }),
               list.end());
    // mm/vma.c vms_complete_munmap_vmas: with the VMAs detached, mmap_lock is downgraded to
    // read before the zap and free_pgtables (readers of the mm run beside them).
    mmap_write_downgrade(w);
    for (vm_area_struct* v : victims) {
        // Pins in progress over this range may now legitimately fail with -EFAULT.
        for (auto& t : w.tasks) {
            if (t.in_pin) {
                t.saw_vma_gone = true;
            }
        }
        // mm/vma.c unmap_region: unmap_vmas zaps the entries while the vma is still in the
        // file's i_mmap (a concurrent unmap_mapping_range may zap beside it) ...
        zap_page_range_single(w, v, v->vm_start, v->vm_end);
        // ... then free_pgtables unlinks it from i_mmap (unlink_file_vma_batch) and frees the
        // page tables of the range.
        if (v->mapping != nullptr) {
            v->mapping->i_mmap_rwsem.down_write("unlink_file_vma_batch");
            auto& m = v->mapping->i_mmap;
            m.erase(std::remove(m.begin(), m.end(), v), m.end());
            v->mapping->i_mmap_rwsem.up_write("unlink_file_vma_batch");
        }
        // The VMA is detached and unlinked: no walker can reach these tables.
        for (std::uint64_t a = v->vm_start; a < v->vm_end; a += PUD_SIZE) {
            pt_slot& s = pt_offset(w, Level::PUD, a);
            if (s.e.kind == pt_entry::Kind::table) {
                pt_set(w, Level::PUD, a, s, pt_entry{}, "free_pmd_range");
            }
        }
        for (auto* m : {&w.mm.pgtable.pmd, &w.mm.pgtable.pte}) {
            for (auto it = m->lower_bound(v->vm_start); it != m->end() && it->first < v->vm_end;
                 ++it) {
                pt_store(w.mm.pgtable, it->second, pt_entry{});
            }
        }
        v->detached = true;
        // mm/vma.c remove_vma -> vma_close: vm_ops->close (ttm_bo_vm_close).
        if (v->vm_ops != nullptr && v->vm_ops->close != nullptr) {
            v->vm_ops->close(w, v);
        }
    }
    mmap_read_unlock(w);
    return 0;
}

}  // namespace pfnsim::model
