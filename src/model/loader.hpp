// The scenario loader's shared pieces: the TOML helpers every table loader uses (Loader), and
// the table loaders build() calls in turn (scenario.cpp), each in the file of its tables.
#pragma once

#include <fmt/format.h>
#include <toml++/toml.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "pfnsim/model/limits.hpp"
#include "pfnsim/model/scenario.hpp"

namespace pfnsim::model {

// Reads values out of toml++ tables; every failure is a ScenarioError "file:line:column: ...".
class Loader {
  public:
    explicit Loader(std::string path) : path_(std::move(path)) {}
    const std::string& path() const { return path_; }

    [[noreturn]] void fail(const toml::source_region& where, const std::string& msg) const;
    [[noreturn]] void fail(const toml::node& n, const std::string& msg) const;
    // "file:line:column: note: ..." at n.
    std::string note(const toml::node& n, const std::string& msg) const;

    // Rejects keys not in `allowed`, naming the valid ones.
    void check_keys(const toml::table& t, std::initializer_list<std::string_view> allowed,
                    const char* what) const;
    void check_keys(const toml::table& t, const std::vector<std::string_view>& allowed,
                    const char* what) const;

    std::string str(const toml::table& t, std::string_view key, const std::string& dflt,
                    bool required = false) const;
    // A name that heads a column or names an object in a trace (an actor's, a device's): a
    // string of 1 to kMaxNameColumns columns once escaped.
    std::string short_name(const toml::table& t, std::string_view key) const;
    bool boolean(const toml::table& t, std::string_view key, bool dflt) const;
    // A number under its rule (include/pfnsim/model/limits.hpp): an integer, or for sizes and
    // addresses also a string with a K, M or G suffix ("2G", "4K"); out of range is an error.
    std::uint64_t number(const toml::table& t, const NumberRule& rule, std::uint64_t dflt,
                         bool required = false) const;
    const toml::table& table_of(const toml::node& n, const char* what) const;
    const toml::array* array(const toml::table& t, std::string_view key) const;
    // Calls fn on each table of the array of tables root[key] ([[key]]), if there is one.
    template <class Fn>
    void each(const toml::table& root, std::string_view key, Fn&& fn) const {
        if (const toml::node* n = root.get(key)) {
            if (!n->is_array_of_tables()) {
                fail(*n, fmt::format("'{}' must be an array of tables ([[{}]])", key, key));
            }
            for (const auto& e : *n->as_array()) {
                fn(*e.as_table());
            }
        }
    }

  private:
    std::string path_;
};

// The table loaders, in the order build() calls them; each reads its tables of `root` into sc.
void load_kernel(const Loader& L, const toml::table& root, Scenario& sc);   // load_options.cpp
void load_devices(const Loader& L, const toml::table& root, Scenario& sc);  // load_state.cpp
void load_vmas(const Loader& L, const toml::table& root, Scenario& sc);     // load_state.cpp
void load_entries(const Loader& L, const toml::table& root, Scenario& sc);  // load_state.cpp
void load_actors(const Loader& L, const toml::table& root, Scenario& sc);   // load_actors.cpp
void load_matrix(const Loader& L, const toml::table& root, Scenario& sc);   // load_options.cpp
void load_explore(const Loader& L, const toml::table& root, Scenario& sc);  // load_options.cpp
void load_expect(const Loader& L, const toml::table& root, Scenario& sc);   // load_options.cpp
void load_bug(const Loader& L, const toml::table& root, Scenario& sc);      // load_variants.cpp
// --kernel settings over the file's [kernel] values, right after load_kernel; a bad one is a
// ScenarioError with set_kernel's message.
void apply_kernel(Scenario& sc, const KernelSettings& kernel);  // load_options.cpp

}  // namespace pfnsim::model
