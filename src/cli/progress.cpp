#include "cli/progress.hpp"

#include <fmt/format.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "pfnsim/sim/text.hpp"

namespace pfnsim::cli {

std::size_t terminal_width() {
    winsize ws{};
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) {
        return ws.ws_col;
    }
    if (const char* c = std::getenv("COLUMNS")) {
        std::size_t n = 0;
        const auto [ptr, ec] = std::from_chars(c, c + std::strlen(c), n);
        if (ec == std::errc() && *ptr == '\0' && n > 0 && n < 10000) {
            return n;
        }
    }
    return 80;
}

std::string cut_to_width(const std::string& text, std::size_t width) {
    const std::size_t keep = width > 1 ? width - 1 : 1;
    return sim::display_width(text) <= keep ? text
                                            : text.substr(0, sim::prefix_fitting(text, keep));
}

void ProgressLine::show(const std::string& text, bool now) {
    if (!enabled_) {
        return;
    }
    const auto t = std::chrono::steady_clock::now();
    if (lines_) {
        if (!shown_ || t - last_ >= std::chrono::seconds(1)) {
            last_ = t;
            shown_ = true;
            std::fputs((text + "\n").c_str(), stderr);  // a log: whole lines
            std::fflush(stderr);
        }
        return;
    }
    if (shown_ && !now && t - last_ < std::chrono::milliseconds(100)) {
        return;
    }
    last_ = t;
    shown_ = true;
    std::fputs(fmt::format("\r{}\033[K", cut_to_width(text, terminal_width())).c_str(), stderr);
    std::fflush(stderr);
}

void ProgressLine::clear() {
    if (shown_ && !lines_) {
        std::fputs("\r\033[K", stderr);
        std::fflush(stderr);
        shown_ = false;
    }
}

bool progress_wanted(bool quiet) {
    return !quiet && isatty(STDERR_FILENO) != 0;
}

sim::Progress progress_printer(bool quiet, const std::string& label) {
    if (!progress_wanted(quiet)) {
        return {};
    }
    auto line = std::make_shared<ProgressLine>(true);
    return [label, line](std::uint64_t done, std::uint64_t total) {
        if (done == total) {
            line->clear();
        } else {
            line->show(fmt::format("{}: {}/{} executions", label, done, total), done == 1);
        }
    };
}

app::CellProgress cell_progress(bool quiet) {
    return [quiet](const std::string& label) { return progress_printer(quiet, label); };
}

std::function<void(std::size_t, std::size_t, std::uint64_t)> minimize_printer(
    bool quiet, const std::string& label, const app::MinimizeBudget& budget) {
    if (!progress_wanted(quiet)) {
        return {};
    }
    auto line = std::make_shared<ProgressLine>(true);
    const std::string of = budget.seconds > 0 ? fmt::format(" (budget {})", budget.text())
                                              : fmt::format("/{}", budget.executions);
    return [label, line, of](std::size_t witness, std::size_t n, std::uint64_t spent) {
        line->show(fmt::format("{}: minimising witness {}/{}: {}{} executions", label, witness, n,
                               spent, of),
                   spent == 1);
    };
}

std::function<void(const sim::SweepProgress&)> sweep_printer(const std::string& label,
                                                             ProgressLine& line) {
    using clock = std::chrono::steady_clock;
    const auto start = clock::now();
    auto last = start;
    std::uint64_t first = ~std::uint64_t{0};
    std::uint64_t first_states = 0;
    return [label, start, last, first, first_states, &line](const sim::SweepProgress& p) mutable {
        const auto now = clock::now();
        if (first == ~std::uint64_t{0}) {
            first = p.executions;  // resumed from a checkpoint: the rate is this run's
            first_states = p.states;
        }
        if (now - last < std::chrono::milliseconds(200)) {
            return;
        }
        last = now;
        const double secs = std::chrono::duration<double>(now - start).count();
        if (p.stateful) {
            // A state graph's size is unknown until explored: what it holds so far and how
            // fast it grows (display only).
            const double rate =
                secs > 0 ? static_cast<double>(p.states - std::min(first_states, p.states)) / secs
                         : 0;
            line.show(fmt::format("{}: {} states, {} transitions, {:.0f} states/s ({} executions, "
                                  "{} options queued)",
                                  label, p.states, p.transitions, rate, p.executions, p.queued),
                      true);
            return;
        }
        const double rate = secs > 0 ? static_cast<double>(p.executions - first) / secs : 0;
        const std::string estimate =
            p.estimate > 0 ? fmt::format(", ~{:.3g} in all", p.estimate) : std::string();
        line.show(fmt::format("{}: {} executions, {:.0f}/s{}", label, p.executions, rate, estimate),
                  true);
    };
}

}  // namespace pfnsim::cli
