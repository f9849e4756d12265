#include "pfnsim/sim/objects.hpp"

namespace pfnsim::sim {

ObjectId ObjectTable::intern(const std::string& name) {
    auto [it, inserted] = ids_.try_emplace(name, static_cast<ObjectId>(names_.size()));
    if (inserted) {
        names_.push_back(name);
        hashes_.push_back(fnv1a(name));
    }
    return it->second;
}

const std::string& ObjectTable::name(ObjectId id) const {
    static const std::string none = "-";
    return id < names_.size() ? names_[id] : none;
}

}  // namespace pfnsim::sim
