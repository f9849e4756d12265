#include "pfnsim/sim/objects.hpp"

namespace pfnsim::sim {

ObjectId ObjectTable::intern(const std::string& name) {
    auto [it, inserted] = ids_.try_emplace(name, static_cast<ObjectId>(names_.size()));
    if (inserted) {
        names_.push_back(name);
        hashes_.push_back(fnv1a(name));
        classes_.emplace_back();
    }
    return it->second;
}

const std::string& ObjectTable::name(ObjectId id) const {
    static const std::string none = "-";
    return id < names_.size() ? names_[id] : none;
}

void ObjectTable::set_class(ObjectId id, std::string_view cls) {
    if (id < classes_.size() && class_name(id) != cls) {
        classes_[id] = cls == names_[id] ? std::string() : std::string(cls);
    }
}

const std::string& ObjectTable::class_name(ObjectId id) const {
    return id < classes_.size() && !classes_[id].empty() ? classes_[id] : name(id);
}

}  // namespace pfnsim::sim
