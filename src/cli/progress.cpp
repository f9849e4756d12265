#include "cli/progress.hpp"

#include <fmt/format.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>

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
    std::size_t chars = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if ((c & 0xC0U) != 0x80U && chars++ == keep) {  // the first byte of a character
            return text.substr(0, i);
        }
    }
    return text;
}

void ProgressLine::show(const std::string& text, bool now) {
    if (!enabled_) {
        return;
    }
    const auto t = std::chrono::steady_clock::now();
    if (shown_ && !now && t - last_ < std::chrono::milliseconds(100)) {
        return;
    }
    last_ = t;
    shown_ = true;
    std::fputs(fmt::format("\r{}\033[K", cut_to_width(text, terminal_width())).c_str(), stderr);
    std::fflush(stderr);
}

void ProgressLine::clear() {
    if (shown_) {
        std::fputs("\r\033[K", stderr);
        std::fflush(stderr);
        shown_ = false;
    }
}

}  // namespace pfnsim::cli
