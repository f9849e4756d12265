// Names of the shared objects that steps touch (locks, page-table entries, flags).
#pragma once

#include <map>
#include <string>
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

  private:
    std::map<std::string, ObjectId> ids_;
    std::vector<std::string> names_;
    std::vector<std::uint64_t> hashes_;
};

}  // namespace pfnsim::sim
