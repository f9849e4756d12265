// Names of the shared objects that steps touch (locks, page-table entries, flags).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "pfnsim/sim/types.hpp"

namespace pfnsim::sim {

// Interns object names; ids are stable for a name, independent of creation order across
// programs that create the same names in the same order.
class ObjectTable {
  public:
    ObjectId intern(const std::string& name);
    const std::string& name(ObjectId id) const;
    // A hash of the object's name: ids depend on the order objects were first touched (across
    // executions of one program), names do not, so trace hashes use this.
    std::uint64_t hash(ObjectId id) const { return id < hashes_.size() ? hashes_[id] : 0; }
    std::size_t size() const { return names_.size(); }
    // The object's lock class (lock_graph.hpp), as lockdep names it: every instance of a lock
    // in one class ("vfio_pci_core_device.memory_lock"); the object's own name until set.
    // Allocates nothing when the class is already set (a program sets it at every reset).
    void set_class(ObjectId id, std::string_view cls);
    const std::string& class_name(ObjectId id) const;
    // The object's lock class as a number, equal for the objects of one class (and stable for
    // a class within this table), and the class's name back from it: the lock-order edges of
    // an execution compare classes by number (execution.cpp). Numbers are never output.
    std::uint32_t class_number(ObjectId id) const {
        return id < class_numbers_.size() ? class_numbers_[id] : kNoClass;
    }
    // The class of number `n` as an interned name (intern_lock_name: valid for ever), interned
    // on first use, so that only the classes of locks in lock-order edges enter the pool.
    std::string_view interned_class(std::uint32_t n) const;
    static constexpr std::uint32_t kNoClass = ~std::uint32_t{0};

  private:
    std::uint32_t number_class(std::string_view cls);

    std::map<std::string, ObjectId> ids_;
    std::vector<std::string> names_;
    std::vector<std::uint64_t> hashes_;
    std::vector<std::string> classes_;                           // "" = the name
    std::vector<std::uint32_t> class_numbers_;                   // per object
    std::map<std::string, std::uint32_t, std::less<>> numbers_;  // per class name
    std::vector<std::string> numbered_;                          // class names by number
    mutable std::vector<std::string_view> interned_;             // of those used, by number
};

}  // namespace pfnsim::sim
