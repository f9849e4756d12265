// The progress line on stderr: only on a terminal and without --quiet, one line cut to the
// terminal's width, rewritten in place and cleared at the end. Forced (sweep --progress) when
// stderr is not a terminal: plain lines, one a second, nothing to clear.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "pfnsim/app/findings.hpp"
#include "pfnsim/app/matrix.hpp"
#include "pfnsim/sim/explore.hpp"
#include "pfnsim/sim/sweep.hpp"

namespace pfnsim::cli {

// The width of the terminal on stderr: TIOCGWINSZ, else $COLUMNS, else 80.
std::size_t terminal_width();
// `text` in at most width-1 columns (a full last column would wrap on some terminals), cut at a
// character, never inside one or inside an escaped name's escape sequence.
std::string cut_to_width(const std::string& text, std::size_t width);

class ProgressLine {
  public:
    explicit ProgressLine(bool enabled, bool lines = false) : enabled_(enabled), lines_(lines) {}
    ProgressLine(const ProgressLine&) = delete;
    ProgressLine& operator=(const ProgressLine&) = delete;
    ~ProgressLine() { clear(); }

    bool enabled() const { return enabled_; }
    // Rewrites the line; at most every 100 ms unless `now` (the first line is always shown).
    void show(const std::string& text, bool now = false);
    void clear();  // erases the line, if one was shown

  private:
    bool enabled_;
    bool lines_;  // whole lines, not rewritten in place
    bool shown_ = false;
    std::chrono::steady_clock::time_point last_{};
};

// Progress goes to stderr only when it is a terminal, and not with --quiet.
bool progress_wanted(bool quiet);

// The printers the commands hand the application layer; none when stderr is not a terminal or
// with --quiet (`quiet`).
// "LABEL: 12/3000 executions", for random executions.
sim::Progress progress_printer(bool quiet, const std::string& label);
// The same for each cell of a matrix or a check.
app::CellProgress cell_progress(bool quiet);
// The minimiser's line: "LABEL: minimising witness 1/2: 40/2000 executions".
std::function<void(std::size_t, std::size_t, std::uint64_t)> minimize_printer(
    bool quiet, const std::string& label, const app::MinimizeBudget& budget);
// A sweep's line on `line`: executions, rate, and an estimate of the total from the branching
// so far; for a stateful sweep, its states, transitions and states per second instead.
std::function<void(const sim::SweepProgress&)> sweep_printer(const std::string& label,
                                                             ProgressLine& line);

}  // namespace pfnsim::cli
