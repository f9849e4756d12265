// The progress line on stderr: only on a terminal and without --quiet, one line cut to the
// terminal's width, rewritten in place and cleared at the end.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

namespace pfnsim::cli {

// The width of the terminal on stderr: TIOCGWINSZ, else $COLUMNS, else 80.
std::size_t terminal_width();
// `text` in at most width-1 characters (a full last column would wrap on some terminals).
std::string cut_to_width(const std::string& text, std::size_t width);

class ProgressLine {
  public:
    explicit ProgressLine(bool enabled) : enabled_(enabled) {}
    ProgressLine(const ProgressLine&) = delete;
    ProgressLine& operator=(const ProgressLine&) = delete;
    ~ProgressLine() { clear(); }

    bool enabled() const { return enabled_; }
    // Rewrites the line; at most every 100 ms unless `now` (the first line is always shown).
    void show(const std::string& text, bool now = false);
    void clear();  // erases the line, if one was shown

  private:
    bool enabled_;
    bool shown_ = false;
    std::chrono::steady_clock::time_point last_{};
};

}  // namespace pfnsim::cli
