// Test helpers of the model layer and above: the sim helpers, model functions run as actors,
// and scenarios from inline TOML.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "pfnsim/model/world.hpp"
#include "sim_support.hpp"

namespace pfnsim::test {

// Runs model functions as actors of a World built from `toml` (whose [[actor]]s give the task
// structs; their kinds are ignored).
class ModelHarness : public sim::Program {
  public:
    explicit ModelHarness(const std::string& toml)
        : world(model::parse_scenario(toml, "inline.toml")) {}
    model::World world;
    std::vector<std::function<void(model::World&)>> bodies;

    const std::vector<sim::ActorDecl>& actors() const override { return world.actors(); }
    sim::ObjectTable& objects() override { return world.objects(); }
    void reset() override { world.reset(); }
    void run_actor(sim::ActorId id) override { bodies.at(id)(world); }
    std::string result(sim::ActorId /*id*/) const override { return "done"; }
    void check_results(std::vector<sim::Violation>& /*out*/) const override {}
    std::uint64_t state_hash() const override { return world.state_hash(); }
    std::optional<std::uint64_t> loop_state_hash() const override {
        return world.loop_state_hash();
    }
};

// A 2 GiB BAR mapped at 1 GiB, optionally with initial entries and `actors` task slots.
inline std::string bar_scenario(const std::string& entries, int actors = 1,
                                bool mem_enabled = true) {
    std::string s = R"(name = "t"
[[device]]
name = "gpu"
bar_base = 0x4000000000
bar_size = "2G"
mem_enabled = )" + std::string(mem_enabled ? "true" : "false") +
                    R"(
[[vma]]
start = 0x40000000
size = "2G"
flags = ["VM_IO", "VM_PFNMAP", "VM_READ", "VM_WRITE", "VM_SHARED"]
device = "gpu"
)" + entries;
    for (int i = 0; i < actors; ++i) {
        s += "[[actor]]\nname = \"a" + std::to_string(i) + "\"\nkind = \"zap\"\n";
    }
    return s;
}

// The one-line error a scenario text gets (under --kernel settings), or "no error".
inline std::string error_of(const std::string& text, const model::KernelSettings& kernel = {}) {
    try {
        model::parse_scenario(text, "x.toml", kernel);
    } catch (const model::ScenarioError& e) {
        return e.what();
    }
    return "no error";
}

}  // namespace pfnsim::test
