// Names of the shared objects that steps touch (locks, page-table entries, flags).
#pragma once

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

  private:
    std::map<std::string, ObjectId> ids_;
    std::vector<std::string> names_;
    std::vector<std::uint64_t> hashes_;
    std::vector<std::string> classes_;  // "" = the name
};

}  // namespace pfnsim::sim
