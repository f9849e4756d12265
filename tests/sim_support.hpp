// Test helpers of the sim layer: programs made of lambdas.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "pfnsim/sim/execution.hpp"
#include "pfnsim/sim/program.hpp"

namespace pfnsim::test {

inline std::string source_path(const std::string& rel) {
    return std::string(PFNSIM_SOURCE_DIR) + "/" + rel;
}

// Runs lambdas as actors over some state owned by the test.
class LambdaProgram : public sim::Program {
  public:
    std::vector<sim::ActorDecl> decls;
    std::vector<std::function<void()>> bodies;
    std::function<void()> on_reset;
    std::function<std::uint64_t()> state;             // the shared state's hash (cycle detection)
    std::function<void(sim::StateFields&)> describe;  // its fields, named (the audit's names)
    std::vector<std::string> results;
    sim::ObjectTable table;
    bool drops_frames = false;  // Program::stop_drops_frames

    void add(const std::string& name, std::function<void()> body, bool forever = false) {
        decls.push_back({name, forever});
        bodies.push_back(std::move(body));
    }
    const std::vector<sim::ActorDecl>& actors() const override { return decls; }
    sim::ObjectTable& objects() override { return table; }
    void reset() override {
        results.assign(decls.size(), "");
        if (on_reset) {
            on_reset();
        }
    }
    void run_actor(sim::ActorId id) override {
        bodies[id]();
        results[id] = "done";
    }
    std::string result(sim::ActorId id) const override { return results[id]; }
    void check_results(std::vector<sim::Violation>& /*out*/) const override {}
    std::optional<std::uint64_t> loop_state_hash() const override {
        return state ? std::optional<std::uint64_t>(state()) : std::nullopt;
    }
    bool stop_drops_frames() const override { return drops_frames; }
    void describe_state(sim::StateFields& out) const override {
        if (describe) {
            describe(out);
        }
    }
};

}  // namespace pfnsim::test
