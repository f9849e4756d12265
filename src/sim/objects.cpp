#include "pfnsim/sim/objects.hpp"

#include "pfnsim/sim/lock_graph.hpp"

namespace pfnsim::sim {

ObjectId ObjectTable::intern(const std::string& name) {
    auto [it, inserted] = ids_.try_emplace(name, static_cast<ObjectId>(names_.size()));
    if (inserted) {
        names_.push_back(name);
        hashes_.push_back(fnv1a(name));
        classes_.emplace_back();
        class_numbers_.push_back(number_class(name));
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
        class_numbers_[id] = number_class(cls);
    }
}

std::uint32_t ObjectTable::number_class(std::string_view cls) {
    const auto it = numbers_.find(cls);
    if (it != numbers_.end()) {
        return it->second;
    }
    const auto n = static_cast<std::uint32_t>(numbered_.size());
    numbers_.emplace(std::string(cls), n);
    numbered_.emplace_back(cls);
    return n;
}

std::string_view ObjectTable::interned_class(std::uint32_t n) const {
    if (n >= numbered_.size()) {
        return "-";
    }
    if (interned_.size() <= n) {
        interned_.resize(numbered_.size());
    }
    if (interned_[n].data() == nullptr) {  // a view of an interned string is never null
        interned_[n] = intern_lock_name(numbered_[n]);
    }
    return interned_[n];
}

const std::string& ObjectTable::class_name(ObjectId id) const {
    return id < classes_.size() && !classes_[id].empty() ? classes_[id] : name(id);
}

}  // namespace pfnsim::sim
