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
    std::size_t size() const { return names_.size(); }

  private:
    std::map<std::string, ObjectId> ids_;
    std::vector<std::string> names_;
};

}  // namespace pfnsim::sim
