// Text wrapped to a width: reports that fit 80 columns, and printed commands that still paste.
#include "cli/render.hpp"

namespace pfnsim::cli {

std::string wrap(const std::string& text, std::size_t width, std::size_t indent, bool shell,
                 std::size_t first) {
    std::vector<std::string> words;
    std::string w;
    bool quoted = false;
    for (const char ch : text) {
        if (shell && ch == '\'') {
            quoted = !quoted;
        }
        if (ch == ' ' && !quoted) {
            if (!w.empty()) {
                words.push_back(w);
            }
            w.clear();
        } else {
            w += ch;
        }
    }
    if (!w.empty()) {
        words.push_back(w);
    }
    std::vector<std::string> lines(1, std::string(first, ' '));
    const std::size_t tail = shell ? 2 : 0;
    for (const auto& word : words) {
        std::string& l = lines.back();
        const bool blank = l.find_first_not_of(' ') == std::string::npos;
        if (!blank && l.size() + 1 + word.size() + tail > width) {
            lines.push_back(std::string(indent, ' ') + word);
        } else {
            l += blank ? word : " " + word;
        }
    }
    std::string out;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        out += lines[i] + (shell && i + 1 < lines.size() ? " \\\n" : "\n");
    }
    return out;
}

}  // namespace pfnsim::cli
