#include "pfnsim/sim/sweep.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <tuple>

#include "pfnsim/sim/minimize.hpp"
#include "pfnsim/sim/replay_strategy.hpp"
#include "pfnsim/sim/self_check.hpp"
#include "pfnsim/sim/stateful_strategy.hpp"
#include "sim/describe_strategy.hpp"

namespace pfnsim::sim {

namespace {

auto key_of(const Violation& v) {
    return std::tie(v.kind, v.actor, v.detail);
}

// Deeper splits cost a probe execution per prefix and level and buy nothing once there are
// enough tasks; a tree this deep with fewer tasks than wanted is a path.
constexpr std::size_t kMaxPartitionDepth = 48;

// Splits the tree into the subtrees below the prefixes of one level (breadth first, until there
// are `target` of them), in depth-first order. Leaves above that level are tasks of their own.
// Each node above the level is probed exactly once, here: its pruned options are counted in
// `top`, and so are the runs that end there because every option is asleep.
std::vector<std::vector<std::uint32_t>> partition(Program& p, const SweepConfig& cfg, bool reduce,
                                                  std::size_t target, SweepTotals& top) {
    struct Item {
        std::vector<std::uint32_t> prefix;
        bool leaf = false;
    };
    std::vector<Item> frontier(1);
    for (std::size_t level = 0; frontier.size() < target && level < kMaxPartitionDepth; ++level) {
        std::vector<Item> next;
        bool grew = false;
        for (auto& item : frontier) {
            if (item.leaf) {
                next.push_back(std::move(item));
                continue;
            }
            DfsStrategy probe(cfg.max_preemptions, reduce);
            probe.restrict_to(item.prefix);
            probe.set_probe(true);
            run_execution(p, probe, 0, cfg.exec);
            if (!probe.error().empty()) {
                throw SweepInconsistency(probe.error());
            }
            if (!probe.probed()) {
                item.leaf = true;  // the execution ended before another choice
                next.push_back(std::move(item));
                continue;
            }
            const DfsStrategy::Node& n = *probe.probed();
            top.pruned += probe.pruned();
            if (n.explorable == 0) {
                ++top.redundant;
                continue;
            }
            for (std::uint32_t i = 0; i < n.options.size(); ++i) {
                if ((n.explorable & (1ULL << i)) != 0) {
                    Item child{item.prefix, false};
                    child.prefix.push_back(n.options[i]);
                    next.push_back(std::move(child));
                    grew = true;
                }
            }
        }
        frontier = std::move(next);
        if (!grew) {
            break;
        }
    }
    std::vector<std::vector<std::uint32_t>> tasks;
    tasks.reserve(frontier.size());
    for (auto& item : frontier) {
        tasks.push_back(std::move(item.prefix));
    }
    return tasks;
}

// Fair components of one task's graph checked by replay; more add no new verdict.
constexpr std::size_t kMaxLassos = 32;

// What the threads of one sweep share; everything but the atomics is guarded by `mu`.
struct Shared {
    const SweepConfig* cfg = nullptr;
    const SweepHooks* hooks = nullptr;
    const ProgramFactory* make = nullptr;
    bool reduce = false;
    std::mutex mu;
    SweepState* state = nullptr;
    std::deque<std::size_t> queue;  // tasks to run, in order
    std::atomic<std::uint64_t> executions{0};
    std::atomic<bool> stop{false};
    std::string stopped;
    std::string error;
    // The first exception of another kind (a hook's: a checkpoint that cannot be saved), thrown
    // again on the calling thread once every worker has stopped.
    std::exception_ptr thrown;
    struct Running {
        double estimate = 0;  // runs of the task the thread is on
        bool active = false;
    };
    std::vector<Running> progress;  // per thread
    std::size_t tasks = 0;
    std::size_t tasks_done = 0;
    std::uint64_t last_progress = 0;
    std::optional<std::chrono::steady_clock::time_point> deadline;

    void request_stop(const std::string& why) {
        const std::lock_guard<std::mutex> lock(mu);
        if (stopped.empty()) {
            stopped = why;
        }
        stop = true;
    }
    void fail(const std::string& why) {
        const std::lock_guard<std::mutex> lock(mu);
        if (error.empty()) {
            error = why;
        }
        stop = true;
    }
    void fail(std::exception_ptr e) {
        const std::lock_guard<std::mutex> lock(mu);
        if (!thrown) {
            thrown = std::move(e);
        }
        stop = true;
    }
    bool should_stop() {
        if (stop) {
            return true;
        }
        if (cfg->interrupt != nullptr && *cfg->interrupt) {
            request_stop("interrupted");
        } else if (cfg->max_executions != 0 && executions >= cfg->max_executions) {
            request_stop("max-executions");
        } else if (deadline && std::chrono::steady_clock::now() >= *deadline) {
            request_stop("time-limit");
        }
        return stop;
    }
    // Records where task `k` stands (the path to run next and its totals so far); with `save`,
    // writes the checkpoint. Called between executions only, so the two always agree.
    void deposit(std::size_t k, const std::function<void(SweepState::Active&)>& fill, bool save) {
        const std::lock_guard<std::mutex> lock(mu);
        auto& act = state->active;
        auto it = std::find_if(act.begin(), act.end(), [k](const auto& a) { return a.task == k; });
        if (it == act.end()) {
            it = act.insert(
                std::upper_bound(act.begin(), act.end(), k,
                                 [](std::size_t t, const auto& a) { return t < a.task; }),
                SweepState::Active{});
            it->task = k;
        }
        fill(*it);
        if (save && hooks->save) {
            hooks->save(*state);
        }
    }
    void finish(std::size_t k, const SweepTotals& part, unsigned worker) {
        const std::lock_guard<std::mutex> lock(mu);
        state->finished.merge(part);
        state->done[k] = true;
        auto& act = state->active;
        act.erase(
            std::remove_if(act.begin(), act.end(), [k](const auto& a) { return a.task == k; }),
            act.end());
        ++tasks_done;
        progress[worker] = Running{};
        if (hooks->save) {
            hooks->save(*state);
        }
    }
    // Stateful: the executions so far, the task's graph and the options still queued.
    void report_stateful(std::size_t queued, std::size_t states, std::size_t transitions) {
        const std::uint64_t n = executions;
        const std::lock_guard<std::mutex> lock(mu);
        if (!hooks->progress || n < last_progress + 256) {
            return;
        }
        last_progress = n;
        SweepProgress p;
        p.executions = n;
        p.stateful = true;
        p.states = states;
        p.transitions = transitions;
        p.queued = queued;
        hooks->progress(p);
    }
    // The estimate: runs of the finished tasks and the estimated sizes of the running ones,
    // scaled from the tasks started to all tasks of the shard.
    void report_progress(unsigned worker, const DfsStrategy& dfs) {
        const std::lock_guard<std::mutex> lock(mu);
        progress[worker] = Running{dfs.estimate(), true};
        const std::uint64_t n = executions;
        if (!hooks->progress || n < last_progress + 256) {
            return;
        }
        last_progress = n;
        double runs = static_cast<double>(state->finished.executions + state->finished.redundant);
        double estimate = runs;
        std::size_t started = tasks_done;
        for (const auto& r : progress) {
            if (r.active) {
                estimate += r.estimate;
                ++started;
            }
        }
        if (started > 0) {
            estimate *= static_cast<double>(tasks) / static_cast<double>(started);
        }
        hooks->progress({n, estimate});
    }
};

// The determinism self-check of a new violation: its schedule must replay to the same trace.
void check_replays(Program& program, const ExecutionConfig& exec, const Outcome& out,
                   const Violation& v, SweepTotals& part) {
    const SelfCheck c = self_check(program, exec, out.schedule, out.trace_hash);
    if (!c.diff.empty()) {
        Witness w = Witness::of({ViolationKind::Nondeterminism, v.actor, c.diff}, out);
        w.seed.reset();
        w.lasso.reset();
        part.add_witness(w);
    }
}

// One task's search, as the task loop (run_task) drives it: the stateless DFS, which saves
// its path in checkpoints, or the stateful search, which saves its whole graph and queue.
class TaskSearch {
  public:
    TaskSearch() = default;
    virtual ~TaskSearch() = default;
    TaskSearch(const TaskSearch&) = delete;
    TaskSearch& operator=(const TaskSearch&) = delete;
    TaskSearch(TaskSearch&&) = delete;
    TaskSearch& operator=(TaskSearch&&) = delete;

    virtual Strategy& strategy() = 0;
    // A forced prefix or a replayed path that did not fit the program; "" if none.
    virtual std::string error(Program& program, const Outcome& out) const = 0;
    // The configuration the self-check of a violation replays under.
    virtual const ExecutionConfig& check_config() const = 0;
    // After an execution was counted: what the search itself found in it.
    virtual void found(Program& /*program*/, const Outcome& /*out*/, SweepTotals& /*part*/) {}
    // The search reached its budget of states: the sweep stops.
    virtual bool full() const { return false; }
    // Prepares the next execution; false once the task is explored.
    virtual bool advance() = 0;
    // Between two executions: checkpoints and progress.
    virtual void between(Shared& sh, unsigned worker, std::size_t k, const SweepTotals& part) = 0;
    // The sweep stops before the task is done (`started`: the search has a path to save).
    virtual void stopped(Shared& sh, std::size_t k, const SweepTotals& part, bool started) = 0;
    // The task is done: the search's counts, and the witnesses it finds at the end.
    virtual void done(Program& program, SweepTotals& part) = 0;
};

class DfsSearch final : public TaskSearch {
  public:
    DfsSearch(const SweepConfig& cfg, bool reduce, std::vector<std::uint32_t> prefix)
        : cfg_(cfg), dfs_(cfg.max_preemptions, reduce) {
        dfs_.restrict_to(std::move(prefix));  // tasks do not change once partitioned
    }
    // Resumes from a checkpoint's path; whether there was one.
    bool restore(const SweepState::Active& a) {
        if (a.frontier.empty()) {
            return false;
        }
        dfs_.restore(a.frontier, a.pruned);
        return true;
    }
    Strategy& strategy() override { return dfs_; }
    std::string error(Program& /*program*/, const Outcome& /*out*/) const override {
        return dfs_.error();
    }
    const ExecutionConfig& check_config() const override { return cfg_.exec; }
    bool advance() override { return dfs_.advance(); }
    void between(Shared& sh, unsigned worker, std::size_t k, const SweepTotals& part) override {
        if (++since_save_ >= cfg_.checkpoint_every) {
            since_save_ = 0;
            deposit(sh, k, part, true);
        }
        sh.report_progress(worker, dfs_);
    }
    void stopped(Shared& sh, std::size_t k, const SweepTotals& part, bool started) override {
        if (started) {
            deposit(sh, k, part, false);
        }
    }
    void done(Program& /*program*/, SweepTotals& part) override { part.pruned += dfs_.pruned(); }

  private:
    void deposit(Shared& sh, std::size_t k, const SweepTotals& part, bool save) const {
        sh.deposit(
            k,
            [&](SweepState::Active& a) {
                a.frontier = dfs_.frontier();
                a.pruned = dfs_.pruned();
                a.totals = part;
            },
            save);
    }
    const SweepConfig& cfg_;
    DfsStrategy dfs_;
    std::uint64_t since_save_ = 0;
};

// A stateful task: its checkpoint is its whole search (StatefulStrategy::save) with its totals,
// which count the graph; a resumed task goes on from it as if it had not stopped.
class StatefulSearch final : public TaskSearch {
  public:
    // Queued options are taken at state hits in the first quarter of the step bound: a longer
    // execution would come near the bound, which is a verdict (step-bound) of its own.
    StatefulSearch(const SweepConfig& cfg, std::vector<std::uint32_t> prefix)
        : cfg_(cfg),
          st_(graph_,
              {cfg.max_states, cfg.audit_points, cfg.take_at_hits ? cfg.exec.step_bound / 4 : 0}),
          replayed_(cfg.exec) {
        // A stateful execution samples no loop heads (it sees every point instead), so it is
        // never cut at a repeated loop-head state: its self-check replays it the same way.
        replayed_.detect_cycles = false;
        st_.restrict_to(std::move(prefix));
    }
    // Resumes from a checkpoint's search (checked by check_state before); whether there was
    // one. `part` becomes the saved totals, less what the graph counts (added at the end).
    bool restore(const SweepState::Active& a, std::size_t actors, SweepTotals& part) {
        if (a.search.empty()) {
            return false;
        }
        if (const std::string e = st_.restore(a.search, actors); !e.empty()) {
            throw SweepError(fmt::format("the saved search: {}", e));
        }
        part = a.totals;
        part.states = 0;
        part.transitions = 0;
        part.state_hits = 0;
        part.audited = 0;
        restored_ = true;
        return true;
    }
    Strategy& strategy() override { return st_; }
    std::string error(Program& program, const Outcome& out) const override {
        if (st_.error().empty()) {
            return out.strategy_error;
        }
        const auto& d = st_.divergence();
        if (!d) {
            return st_.error();
        }
        // Audited: the state as the execution that recorded it reached it, against this one.
        const std::optional<StatefulStrategy::Route> r = st_.first_route(d->state);
        if (!r) {
            return st_.error();
        }
        const DescribedState a = describe_point(program, replayed_, r->choices, r->point);
        const DescribedState b = describe_point(program, replayed_, out.schedule.choices, d->point);
        if (!a.signature || !b.signature) {
            return st_.error() + "; the replays that would name what differs did not reach it";
        }
        if (*a.signature != graph_.key(d->state)) {
            return st_.error() +
                   "; replaying the execution that recorded the state reaches another state as "
                   "well: the program is not deterministic";
        }
        const std::string diff = state_difference(a.fields, b.fields);
        return st_.error() + (diff.empty() ? "; no field of the registry differs: the difference "
                                             "is in a part of the state that no field covers"
                                           : "; it differs in: " + diff);
    }
    const ExecutionConfig& check_config() const override { return replayed_; }
    void found(Program& program, const Outcome& out, SweepTotals& part) override {
        if (out.status != Status::Revisited && out.status != Status::Pruned &&
            std::any_of(out.violations.begin(), out.violations.end(),
                        [](const Violation& v) { return rebuilt(v.kind); })) {
            st_.note_end(out.schedule.choices);
        }
        const auto& m = st_.mismatch();
        if (!m) {
            return;
        }
        Witness w =
            Witness::of({ViolationKind::StateMismatch, "", mismatch_detail(program, out, *m)}, out);
        w.seed.reset();
        part.add_witness(w);
    }
    // What the audit found, with what differs between the two successors: each described by
    // replaying its path to it (the recorded path and the choice; this execution's schedule).
    std::string mismatch_detail(Program& program, const Outcome& out,
                                const StatefulStrategy::Mismatch& m) const {
        std::string d = fmt::format(
            "a state hit's successor differs from the one recorded: after choice {} the state "
            "is {:016x}, not {:016x} as when reached by schedule {}",
            m.value == StateGraph::kNone ? std::string("(none)") : std::to_string(m.value), m.found,
            m.expected, encode_schedule(Schedule{m.recorded, {}, {}}));
        std::vector<std::uint32_t> to_recorded = m.recorded;
        if (m.value != StateGraph::kNone) {
            to_recorded.push_back(m.value);
        }
        const DescribedState a =
            describe_point(program, replayed_, std::move(to_recorded), m.recorded_point);
        const DescribedState b =
            describe_point(program, replayed_, out.schedule.choices, m.found_point);
        if (!a.signature || !b.signature) {
            return d + "; the replays that would name what differs did not reach it";
        }
        const std::string diff = state_difference(a.fields, b.fields);
        if (diff.empty()) {
            return d +
                   "; no field of the registry differs: the difference is in a part of the "
                   "state that no field covers";
        }
        return d + fmt::format("; {}: {}",
                               *a.signature == m.expected
                                   ? "it differs in"
                                   : "replayed, the recorded path reaches yet another state, "
                                     "differing in",
                               diff);
    }
    bool full() const override { return st_.full(); }
    bool advance() override { return st_.advance(); }
    void between(Shared& sh, unsigned /*worker*/, std::size_t k, const SweepTotals& part) override {
        // Only for a checkpoint: saving the search copies the whole graph.
        if (sh.hooks->save && ++since_save_ >= cfg_.checkpoint_every) {
            since_save_ = 0;
            deposit(sh, k, part, true);
        }
        sh.report_stateful(st_.frontier(), graph_.states(), graph_.transitions());
    }
    void stopped(Shared& sh, std::size_t k, const SweepTotals& part, bool started) override {
        if (started || restored_) {
            deposit(sh, k, part, false);
        }
    }
    void done(Program& program, SweepTotals& part) override {
        add_counts(part);
        // The search for the fewest preemptions, done once if a witness or a lasso needs it.
        std::optional<StateGraph::FewestPreemptions> best;
        bool searched = false;
        const auto fewest = [&]() -> const StateGraph::FewestPreemptions* {
            if (!searched) {
                searched = true;
                best = fewest_preemptions(program);
            }
            return best ? &*best : nullptr;
        };
        rebuild_witnesses(program, part, fewest);
        for (const Witness& w : graph_livelocks(program, graph_, cfg_.exec, kMaxLassos, fewest)) {
            part.add_witness(w);
        }
    }

  private:
    // The violations an execution shows at its end (its last point, then its last steps).
    static bool rebuilt(ViolationKind k) {
        return k == ViolationKind::WrongReturn || k == ViolationKind::NewErrno ||
               k == ViolationKind::Invariant || k == ViolationKind::Deadlock;
    }
    // The paths with the fewest preemptions from the first state (nullopt: too large a graph).
    std::optional<StateGraph::FewestPreemptions> fewest_preemptions(Program& program) const {
        constexpr std::size_t kMostSlots = std::size_t{8} << 20U;  // 128 MB for the search
        if (graph_.states() == 0) {
            return std::nullopt;
        }
        // The first state's arriving actor: the first point of any execution.
        PassedStatesStrategy first({});
        ExecutionConfig c = replayed_;
        c.cycle_check.reset();
        run_execution(program, first, 0, c);
        if (first.passed().empty()) {
            return std::nullopt;
        }
        return graph_.fewest_preemptions(program.actors().size(), first.passed().front().arrived,
                                         kMostSlots);
    }
    // A witness is the best of the executions that happened to show its violation, and which
    // executions run depends on the search order (state hits, moves). The graph holds every
    // path to the state where each such execution stopped (StatefulStrategy::ends): the one
    // with the fewest preemptions (then transitions), followed by the execution's last choice,
    // ends the same way. The ends are replayed from their best paths in that order, cheapest
    // first, until no end left could give any witness as few preemptions (or after
    // kMostReplays replays); a replay that shows a violation and is a better witness
    // (better_witness) becomes its witness. The result does not depend on the order the graph was
    // explored in, so neither on moves nor on checkpoints and resumes.
    void rebuild_witnesses(
        Program& program, SweepTotals& part,
        const std::function<const StateGraph::FewestPreemptions*()>& fewest) const {
        constexpr std::size_t kMostReplays = 1024;
        const auto wanted = [&] {  // the most preemptions of a witness that may improve
            unsigned most = 0;
            for (const Witness& w : part.violations) {
                if (rebuilt(w.violation.kind) && !w.schedule.cycle_start) {
                    most = std::max(most, w.preemptions);
                }
            }
            return most;
        };
        if (wanted() == 0 || st_.ends().empty() || fewest() == nullptr) {
            return;
        }
        const StateGraph::FewestPreemptions& best = *fewest();
        // Per end, its best path: (preemptions, transitions, end, arriving actor); only paths
        // that pass each state once, as an execution's does.
        using Best = std::tuple<std::uint32_t, std::uint32_t, std::uint32_t, ActorId>;
        std::vector<Best> order;
        for (std::uint32_t k = 0; k < st_.ends().size(); ++k) {
            const std::uint32_t state = st_.ends()[k].state;
            const std::optional<ActorId> a = best.best_arrival(state);
            if (a && best.simple(state, *a)) {
                order.emplace_back(best.preemptions(state, *a), best.transitions(state, *a), k, *a);
            }
        }
        std::sort(order.begin(), order.end());
        ExecutionConfig c = replayed_;
        c.cycle_check.reset();
        std::size_t replays = 0;
        for (const auto& [pre, len, k, arrived] : order) {
            if (pre > wanted() || replays++ >= kMostReplays) {
                break;  // sorted: no end left gives a witness as few preemptions
            }
            const StatefulStrategy::End& e = st_.ends()[k];
            Schedule s;
            s.choices = best.choices(e.state, arrived);
            if (e.choice != StateGraph::kNone) {
                s.choices.push_back(e.choice);
            }
            ReplayStrategy replay(s);
            const Outcome r = run_execution(program, replay, 0, c);
            if (!replay.error().empty()) {
                continue;
            }
            for (Witness& w : part.violations) {
                if (!rebuilt(w.violation.kind) || w.schedule.cycle_start ||
                    !shows(r, w.violation)) {
                    continue;
                }
                Witness better = Witness::of(w.violation, r);
                better.seed.reset();
                better.schedule.key = w.schedule.key;
                better.count = w.count;
                if (better_witness(better, w)) {
                    w = std::move(better);
                }
            }
        }
    }
    void deposit(Shared& sh, std::size_t k, const SweepTotals& part, bool save) const {
        SweepTotals t = part;
        add_counts(t);
        std::string search = st_.save();
        sh.deposit(
            k,
            [&](SweepState::Active& a) {
                a.frontier.clear();
                a.pruned = 0;
                a.totals = std::move(t);
                a.search = std::move(search);
            },
            save);
    }
    void add_counts(SweepTotals& part) const {
        part.states += graph_.states();
        part.transitions += graph_.transitions();
        part.state_hits += st_.state_hits();
        part.audited += st_.audited();
        part.table_bytes = std::max<std::uint64_t>(part.table_bytes, graph_.table_bytes());
    }
    const SweepConfig& cfg_;
    StateGraph graph_;
    StatefulStrategy st_;
    ExecutionConfig replayed_;
    std::uint64_t since_save_ = 0;
    bool restored_ = false;
};

// The one task loop: runs task `k` under `search` from `part` (its totals so far) to its end
// or to a stop.
void run_task(Shared& sh, unsigned worker, Program& program, std::size_t k, TaskSearch& search,
              SweepTotals part, bool started) {
    const SweepConfig& cfg = *sh.cfg;
    if (search.full()) {  // resumed from a search that had reached --max-states
        sh.request_stop("max-states");
        search.stopped(sh, k, part, started);
        return;
    }
    for (;;) {
        if (sh.should_stop()) {
            search.stopped(sh, k, part, started);
            return;
        }
        const Outcome out = run_execution(program, search.strategy(), 0, cfg.exec);
        if (const std::string e = search.error(program, out); !e.empty()) {
            sh.fail(fmt::format("task {}: {}", k, e));
            return;
        }
        started = true;
        if (out.status == Status::Pruned) {
            ++part.redundant;
        } else {
            ++sh.executions;
            for (const Violation& v : part.add(out)) {
                check_replays(program, search.check_config(), out, v, part);
            }
            search.found(program, out, part);
            if (cfg.stop_on_first && !out.violations.empty()) {
                sh.request_stop("stop-on-first");
            }
        }
        if (search.full()) {
            sh.request_stop("max-states");
            search.stopped(sh, k, part, started);
            return;
        }
        if (!search.advance()) {
            break;
        }
        search.between(sh, worker, k, part);
    }
    search.done(program, part);
    sh.finish(k, part, worker);
}

void work(Shared& sh, unsigned worker) {
    try {
        const std::unique_ptr<Program> program = (*sh.make)();
        for (;;) {
            std::size_t k = 0;
            std::optional<SweepState::Active> resume;
            {
                const std::lock_guard<std::mutex> lock(sh.mu);
                if (sh.stop || sh.queue.empty()) {
                    return;
                }
                k = sh.queue.front();
                sh.queue.pop_front();
                for (const auto& a : sh.state->active) {
                    if (a.task == k) {
                        resume = a;
                    }
                }
            }
            SweepTotals part;
            part.results.resize(program->actors().size());
            bool started = false;
            std::unique_ptr<TaskSearch> search;
            if (sh.cfg->stateful) {
                auto st = std::make_unique<StatefulSearch>(*sh.cfg, sh.state->tasks[k]);
                if (resume) {
                    started = st->restore(*resume, program->actors().size(), part);
                }
                search = std::move(st);
            } else {
                auto dfs = std::make_unique<DfsSearch>(*sh.cfg, sh.reduce, sh.state->tasks[k]);
                if (resume) {
                    part = resume->totals;
                    started = dfs->restore(*resume);
                }
                search = std::move(dfs);
            }
            run_task(sh, worker, *program, k, *search, std::move(part), started);
        }
    } catch (const std::exception& e) {
        sh.fail(e.what());
    } catch (...) {
        sh.fail(std::current_exception());  // not ours to judge: the caller's own error
    }
}

}  // namespace

std::vector<Witness> graph_livelocks(
    Program& program, const StateGraph& graph, const ExecutionConfig& exec, std::size_t max,
    const std::function<const StateGraph::FewestPreemptions*()>& fewest) {
    std::uint32_t forever = 0;
    for (ActorId a = 0; a < program.actors().size(); ++a) {
        forever |= program.actors()[a].forever ? 1U << a : 0U;
    }
    const auto lasso_of = [&](const std::vector<std::uint32_t>& prefix,
                              const std::vector<std::uint32_t>& cycle, Outcome& o) {
        Schedule s;
        s.choices = prefix;
        s.choices.insert(s.choices.end(), cycle.begin(), cycle.end());
        s.cycle_start = prefix.size();  // "()" when the cycle makes no choice
        ExecutionConfig c = replay_config(exec, s);
        c.detect_cycles = true;
        c.record_trace = false;
        ReplayStrategy replay(s);
        o = run_execution(program, replay, 0, c);
        return s;
    };
    const auto livelock = [](const Outcome& o) {
        return o.lasso &&
               std::any_of(o.violations.begin(), o.violations.end(),
                           [](const Violation& v) { return v.kind == ViolationKind::Livelock; });
    };
    std::vector<Witness> out;
    for (const StateGraph::Lasso& l : graph.fair_cycles(forever, max)) {
        Outcome o;
        Schedule s = lasso_of(l.prefix, l.cycle, o);
        // The prefix with the fewest preemptions to the cycle's state instead, if it closes the
        // cycle and makes a better witness (better_witness's order).
        const StateGraph::FewestPreemptions* best = fewest ? fewest() : nullptr;
        const std::optional<std::uint32_t> at = best ? graph.find(l.state) : std::nullopt;
        const std::optional<ActorId> by = at ? best->best_arrival(*at) : std::nullopt;
        if (by) {
            Outcome o2;
            Schedule s2 = lasso_of(best->choices(*at, *by), l.cycle, o2);
            const auto rank = [](const Outcome& x, const Schedule& y) {
                Witness w = Witness::of({}, x);
                w.schedule = y;
                return w;
            };
            if (livelock(o2) && (!livelock(o) || better_witness(rank(o2, s2), rank(o, s)))) {
                o = std::move(o2);
                s = std::move(s2);
            }
        }
        bool shown = false;
        for (const Violation& v : o.violations) {
            if (v.kind == ViolationKind::Livelock && o.lasso) {
                Witness w = Witness::of(v, o);
                w.seed.reset();
                w.schedule = s;  // the lasso as found: its replay closes the same cycle
                out.push_back(std::move(w));
                shown = true;
            }
        }
        if (!shown) {
            Witness w = Witness::of(
                {ViolationKind::StateMismatch, "",
                 fmt::format("the fair cycle of the state graph at state {:016x} did not close "
                             "when replayed (schedule {})",
                             l.state, encode_schedule(s))},
                o);
            w.seed.reset();
            out.push_back(std::move(w));
        }
    }
    return out;
}

std::vector<Violation> SweepTotals::add(const Outcome& o) {
    if (o.status == Status::Revisited && o.violations.empty()) {
        ++executions;
        steps += o.steps;
        ++revisited;
        std::vector<Violation> fresh;  // its steps up to the cut showed lock orders
        add_lock_edges(o, false, fresh);
        return fresh;  // cut where its future was explored: it ends in no state of its own
    }
    final_states.insert(o.final_state);
    return Tally::add(o, false);  // a sweep's executions replay from their schedules only
}

void SweepTotals::merge(const SweepTotals& other) {
    Tally::merge(other);
    pruned += other.pruned;
    redundant += other.redundant;
    states += other.states;
    transitions += other.transitions;
    state_hits += other.state_hits;
    revisited += other.revisited;
    audited += other.audited;
    table_bytes = std::max(table_bytes, other.table_bytes);
    final_states.insert(other.final_states.begin(), other.final_states.end());
}

bool SweepTotals::operator==(const SweepTotals& o) const {
    const auto same = [](const Witness& a, const Witness& b) {
        return key_of(a.violation) == key_of(b.violation) && a.schedule == b.schedule &&
               a.preemptions == b.preemptions && a.steps == b.steps && a.faults == b.faults &&
               a.count == b.count;
    };
    return executions == o.executions && steps == o.steps && pruned == o.pruned &&
           redundant == o.redundant && states == o.states && transitions == o.transitions &&
           results == o.results && final_states == o.final_states && lock_graph == o.lock_graph &&
           std::equal(violations.begin(), violations.end(), o.violations.begin(),
                      o.violations.end(), same);
}

std::size_t sweep_task_target(unsigned shards, unsigned jobs, bool stateful) {
    if (stateful) {
        // Each task keeps its own table, so tasks repeat each other's states: one per shard,
        // and threads do not split it further.
        return shards;
    }
    if (shards > 1) {
        return 64 * static_cast<std::size_t>(shards);  // never depends on jobs: shards must agree
    }
    return jobs > 1 ? 32 * static_cast<std::size_t>(jobs) : 1;
}

SweepReport sweep(const ProgramFactory& make, const SweepConfig& cfg, SweepState& state,
                  const SweepHooks& hooks) {
    if (cfg.shards == 0 || cfg.shard >= cfg.shards || cfg.jobs == 0) {
        throw SweepError(
            fmt::format("bad shard {}/{} or jobs {}", cfg.shard, cfg.shards, cfg.jobs));
    }
    SweepConfig c = cfg;
    c.exec.record_trace = false;
    c.exec.prune_revisits = true;  // a state repeated on the path: nothing new beyond it
    if (c.stateful) {
        c.reduce = false;  // sleep sets are not sound with state caching
    }
    Shared sh;
    sh.cfg = &c;
    sh.hooks = &hooks;
    sh.make = &make;
    sh.state = &state;
    {
        const std::unique_ptr<Program> program = make();
        // Sleep sets are actor bitmasks.
        sh.reduce = c.reduce && program->actors().size() <= 64;
        if (!state.partitioned) {
            SweepTotals top;
            top.results.resize(program->actors().size());
            state.tasks = partition(*program, c, sh.reduce,
                                    sweep_task_target(c.shards, c.jobs, c.stateful), top);
            state.done.assign(state.tasks.size(), false);
            state.finished = SweepTotals{};
            state.finished.results.resize(program->actors().size());
            if (c.shard == 0) {
                state.finished.merge(top);  // the partition is the same in every shard: count once
            }
            state.active.clear();
            state.partitioned = true;
        }
    }
    if (state.done.size() != state.tasks.size()) {
        throw SweepError("the saved search is inconsistent (tasks and done differ in length)");
    }
    // Started tasks first, so that a resumed sweep finishes what it had begun.
    for (const auto& a : state.active) {
        sh.queue.push_back(a.task);
    }
    std::uint64_t resumed = state.finished.executions;
    for (const auto& a : state.active) {
        resumed += a.totals.executions;
    }
    sh.executions = resumed;
    for (std::size_t k = c.shard; k < state.tasks.size(); k += c.shards) {
        ++sh.tasks;
        if (state.done[k]) {
            ++sh.tasks_done;
        } else if (std::find(sh.queue.begin(), sh.queue.end(), k) == sh.queue.end()) {
            sh.queue.push_back(k);
        }
    }
    if (c.time_limit > 0) {
        sh.deadline = std::chrono::steady_clock::now() +
                      std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                          std::chrono::duration<double>(c.time_limit));
    }
    sh.progress.assign(c.jobs, Shared::Running{});
    if (c.jobs == 1) {
        work(sh, 0);
    } else {
        // Each thread has its own fiber scheduler (thread_local) and its own Program.
        std::vector<std::thread> threads;
        threads.reserve(c.jobs);
        for (unsigned j = 0; j < c.jobs; ++j) {
            threads.emplace_back([&sh, j] { work(sh, j); });
        }
        for (auto& t : threads) {
            t.join();
        }
    }
    if (sh.thrown) {
        std::rethrow_exception(sh.thrown);
    }
    if (!sh.error.empty()) {
        throw SweepInconsistency(sh.error);
    }
    if (hooks.save) {
        hooks.save(state);
    }
    SweepReport rep;
    rep.totals = state.finished;
    for (const auto& a : state.active) {
        SweepTotals t = a.totals;
        t.pruned += a.pruned;
        rep.totals.merge(t);
    }
    rep.tasks = sh.tasks;
    rep.tasks_done = sh.tasks_done;
    // A stop that came after the last execution still leaves a complete sweep.
    rep.complete = sh.tasks_done == sh.tasks;
    rep.stopped = rep.complete ? std::string() : sh.stopped;
    return rep;
}

}  // namespace pfnsim::sim
