// The toml++ input guard: a scan of the text before toml++ parses it.
#include "toml_text_check.hpp"

#include <fmt/format.h>

namespace pfnsim::model {

namespace {

// toml++ 3.3 reaches TOML_UNREACHABLE (undefined behaviour) when it asks whether some non-ASCII
// code points are whitespace: is_non_ascii_horizontal_whitespace() has no case for
// U+00A1..U+0499, U+2C5E..U+3057 and U+FB26..U+FEFE (bar U+3000). It asks at every character
// outside a string or comment, after a backslash in a basic string, and at the first character
// after a line-ending backslash in a multi-line one. TOML 1.0 allows non-ASCII only inside
// strings and comments, so this scan rejects exactly the inputs toml++ would reject there, plus
// a non-ASCII character that starts the line after a line-ending backslash (a rare valid case),
// before toml++ sees them. It also rejects text that is not UTF-8.
class TextCheck {
  public:
    TextCheck(const std::string& text, const std::string& path) : s_(text), path_(path) {}

    // The first problem found, as "file:line:column: message"; none: nullopt.
    std::optional<std::string> run() {
        if (s_.starts_with("\xEF\xBB\xBF")) {
            i_ = 3;  // toml++ skips a byte order mark
        }
        enum class In { Toml, Comment, Basic, MultiBasic, Literal, MultiLiteral } in = In::Toml;
        while (i_ < s_.size()) {
            const std::size_t at = i_;
            const char32_t c = next();
            switch (in) {
                case In::Toml:
                    if (c >= 0x80) {
                        fail(at, fmt::format("character U+{:04X} outside a string or comment",
                                             static_cast<std::uint32_t>(c)));
                    } else if (c == '#') {
                        in = In::Comment;
                    } else if (c == '"' || c == '\'') {
                        const bool multi = s_.compare(i_, 2, std::string(2, char(c))) == 0;
                        if (multi) {
                            i_ += 2;
                        }
                        in = c == '"' ? (multi ? In::MultiBasic : In::Basic)
                                      : (multi ? In::MultiLiteral : In::Literal);
                    }
                    break;
                case In::Comment:
                    if (c == '\n') {
                        in = In::Toml;
                    }
                    break;
                case In::Basic:
                case In::Literal:
                    if (c == '\n' || (in == In::Basic ? c == '"' : c == '\'')) {
                        in = In::Toml;
                    } else if (in == In::Basic && c == '\\') {
                        escape(false);
                    }
                    break;
                case In::MultiBasic:
                case In::MultiLiteral: {
                    const char q = in == In::MultiBasic ? '"' : '\'';
                    if (c == static_cast<unsigned char>(q)) {
                        std::size_t n = 1;
                        while (i_ < s_.size() && s_[i_] == q && n < 5) {
                            ++i_;
                            ++n;
                        }
                        if (n >= 3) {
                            in = In::Toml;
                        }
                    } else if (in == In::MultiBasic && c == '\\') {
                        escape(true);
                    }
                    break;
                }
            }
        }
        return error_;
    }

  private:
    // After a backslash in a basic string.
    void escape(bool multi) {
        if (i_ >= s_.size()) {
            return;
        }
        const std::size_t at = i_;
        const char32_t c = next();
        if (c >= 0x80) {
            fail(at, fmt::format("'\\' before U+{:04X} is not an escape sequence",
                                 static_cast<std::uint32_t>(c)));
        }
        if (!multi || (c != ' ' && c != '\t' && c != '\r' && c != '\n')) {
            return;  // the escaped character is consumed
        }
        // A line-ending backslash: whitespace and line breaks up to the next character.
        while (i_ < s_.size() &&
               (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\r' || s_[i_] == '\n')) {
            ++i_;
        }
        if (i_ < s_.size() && static_cast<unsigned char>(s_[i_]) >= 0x80) {
            const std::size_t here = i_;
            fail(here, fmt::format("U+{:04X} after a line-ending backslash (toml++ 3.3 cannot "
                                   "parse it; write it as a \\u escape)",
                                   static_cast<std::uint32_t>(next())));
        }
    }

    // Decodes one UTF-8 code point at i_ and moves past it (not UTF-8: fails, and returns 0).
    char32_t next() {
        const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s_[i_ + k]); };
        const unsigned char c = b(0);
        std::size_t len = 0;
        char32_t cp = 0;
        char32_t min = 0;
        if (c < 0x80) {
            ++i_;
            return c;
        }
        if ((c & 0xE0) == 0xC0) {
            len = 2;
            cp = c & 0x1F;
            min = 0x80;
        } else if ((c & 0xF0) == 0xE0) {
            len = 3;
            cp = c & 0x0F;
            min = 0x800;
        } else if ((c & 0xF8) == 0xF0) {
            len = 4;
            cp = c & 0x07;
            min = 0x10000;
        } else {
            fail(i_, fmt::format("byte 0x{:02x} is not UTF-8", c));
            return 0;
        }
        if (s_.size() - i_ < len) {
            fail(i_, "UTF-8 sequence cut off by the end of the file");
            return 0;
        }
        for (std::size_t k = 1; k < len; ++k) {
            if ((b(k) & 0xC0) != 0x80) {
                fail(i_, fmt::format("byte 0x{:02x} is not UTF-8", b(k)));
                return 0;
            }
            cp = (cp << 6) | (b(k) & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
            fail(i_, fmt::format("bytes {:02x}.. are not UTF-8 (overlong, a surrogate or "
                                 "beyond U+10FFFF)",
                                 c));
            return 0;
        }
        i_ += len;
        return cp;
    }

    // Records the first problem and ends the scan.
    void fail(std::size_t at, const std::string& msg) {
        if (error_) {
            return;
        }
        std::size_t line = 1;
        std::size_t col = 1;
        for (std::size_t k = 0; k < at; ++k) {
            if (s_[k] == '\n') {
                ++line;
                col = 1;
            } else if ((static_cast<unsigned char>(s_[k]) & 0xC0) != 0x80) {
                ++col;
            }
        }
        error_ = fmt::format("{}:{}:{}: {}", path_, line, col, msg);
        i_ = s_.size();
    }

    const std::string& s_;
    const std::string& path_;
    std::size_t i_ = 0;
    std::optional<std::string> error_;
};

}  // namespace

std::optional<std::string> toml_text_check(const std::string& text, const std::string& path) {
    return TextCheck(text, path).run();
}

}  // namespace pfnsim::model
