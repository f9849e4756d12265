// Text wrapped to a width: reports that fit 80 columns, and printed commands that still paste.
#include "cli/render.hpp"
#include "pfnsim/sim/text.hpp"

namespace pfnsim::cli {

std::string wrap(const std::string& text, std::size_t width, std::size_t indent, bool shell,
                 std::size_t first) {
    std::vector<std::string> words;
    std::string w;
    bool quoted = false;
    bool ansi = false;    // in $'...', where \' does not end the quotes
    bool escape = false;  // the character after a backslash in $'...'
    char prev = 0;
    for (const char ch : text) {
        if (shell && escape) {
            escape = false;
        } else if (shell && quoted && ansi && ch == '\\') {
            escape = true;
        } else if (shell && ch == '\'') {
            ansi = !quoted && prev == '$';
            quoted = !quoted;
        }
        prev = ch;
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
    // Prose: a word longer than a line (a long name) is cut into pieces that fit, at code-point
    // boundaries, so that nothing is lost and no line is longer than `width`. A shell word is
    // never cut (the command would no longer paste).
    if (!shell && width > indent + 8) {
        std::vector<std::string> pieces;
        const std::size_t room = width - indent;
        for (const auto& word : words) {
            std::string_view rest = word;
            while (sim::display_width(rest) > room) {
                const std::size_t n = sim::prefix_fitting(rest, room);
                pieces.emplace_back(rest.substr(0, n));
                rest.remove_prefix(n);
            }
            pieces.emplace_back(rest);
        }
        words = std::move(pieces);
    }
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

std::string fit_help(const std::string& help, std::size_t width) {
    constexpr std::size_t kColumn = 30;  // CLI11's column: names and options, then the text
    std::string out;
    std::size_t at = 0;
    while (at < help.size()) {
        std::size_t end = help.find('\n', at);
        end = end == std::string::npos ? help.size() : end;
        const std::string line = help.substr(at, end - at);
        const bool last = end == help.size();
        at = end + 1;
        if (line.size() <= width) {
            out += line + (last ? "" : "\n");
            continue;
        }
        const std::size_t lead = line.find_first_not_of(' ');
        std::string body;
        const std::size_t gap = line.find("  ", lead);
        const bool columns = lead == 2 && line.size() > kColumn && gap < kColumn &&
                             line[kColumn] != ' ' && line.find_first_not_of(' ', gap) == kColumn;
        if (columns) {
            // An option or a command: its text wrapped in the second column.
            body = line.substr(0, kColumn) +
                   wrap(line.substr(kColumn), width, kColumn, false, kColumn).substr(kColumn);
        } else if (lead > 0 && line.compare(lead, 7, "pfnsim ") == 0) {
            body = wrap(line.substr(lead), width, lead + 4, true, lead);  // an example
        } else {
            // Prose, or a two-column row of its own ("  3    interrupted ..."): continued
            // under its text.
            std::size_t indent = lead;
            if (gap != std::string::npos && gap < kColumn) {
                indent = line.find_first_not_of(' ', gap);
            }
            body = line.substr(0, indent) +
                   wrap(line.substr(indent), width, indent, false, indent).substr(indent);
        }
        if (last && !body.empty() && body.back() == '\n') {
            body.pop_back();
        }
        out += body;
    }
    return out;
}

}  // namespace pfnsim::cli
