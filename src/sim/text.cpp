// Escaping of names from outside, for every renderer (include/pfnsim/sim/text.hpp).
#include "pfnsim/sim/text.hpp"

#include <cstdint>

namespace pfnsim::sim {

namespace {

constexpr char kHex[] = "0123456789abcdef";

// One UTF-8 code point at s[i]: its value and length, or length 0 when the bytes there are not
// valid UTF-8 (overlong, a surrogate, beyond U+10FFFF, cut off).
struct CodePoint {
    std::uint32_t value = 0;
    std::size_t length = 0;
};

CodePoint decode(std::string_view s, std::size_t i) {
    const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
    const unsigned char c = b(0);
    if (c < 0x80) {
        return {c, 1};
    }
    std::size_t n = 0;
    std::uint32_t v = 0;
    std::uint32_t min = 0;
    if ((c & 0xe0) == 0xc0) {
        n = 2, v = c & 0x1fU, min = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
        n = 3, v = c & 0x0fU, min = 0x800;
    } else if ((c & 0xf8) == 0xf0) {
        n = 4, v = c & 0x07U, min = 0x10000;
    } else {
        return {};
    }
    if (i + n > s.size()) {
        return {};
    }
    for (std::size_t k = 1; k < n; ++k) {
        if ((b(k) & 0xc0) != 0x80) {
            return {};
        }
        v = (v << 6) | (b(k) & 0x3fU);
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) {
        return {};
    }
    return {v, n};
}

// Code points that break a line, reorder text or hide themselves on a terminal.
bool invisible(std::uint32_t v) {
    return (v >= 0x80 && v <= 0x9f) || v == 0x2028 || v == 0x2029 || (v >= 0x200b && v <= 0x200f) ||
           (v >= 0x202a && v <= 0x202e) || (v >= 0x2066 && v <= 0x2069) || v == 0xfeff;
}

void hex_byte(std::string& out, unsigned char u) {
    out += "\\x";
    out += kHex[u >> 4];
    out += kHex[u & 15];
}

std::string escape(std::string_view s, bool backslash) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size();) {
        const CodePoint cp = decode(s, i);
        if (cp.length == 0) {
            hex_byte(out, static_cast<unsigned char>(s[i]));
            ++i;
            continue;
        }
        const std::uint32_t v = cp.value;
        if (v == '\\' && backslash) {
            out += "\\\\";
        } else if (v == '\n') {
            out += "\\n";
        } else if (v == '\r') {
            out += "\\r";
        } else if (v == '\t') {
            out += "\\t";
        } else if (v < 0x20 || v == 0x7f) {
            hex_byte(out, static_cast<unsigned char>(v));
        } else if (invisible(v)) {
            out += "\\u{";
            std::string digits;
            for (std::uint32_t x = v; x != 0; x >>= 4) {
                digits.insert(digits.begin(), kHex[x & 15]);
            }
            out += digits + "}";
        } else {
            out.append(s.substr(i, cp.length));
        }
        i += cp.length;
    }
    return out;
}

bool wide(std::uint32_t v) {
    return (v >= 0x1100 && v <= 0x115f) || (v >= 0x2e80 && v <= 0xa4cf) ||
           (v >= 0xac00 && v <= 0xd7a3) || (v >= 0xf900 && v <= 0xfaff) ||
           (v >= 0xfe30 && v <= 0xfe4f) || (v >= 0xff00 && v <= 0xff60) ||
           (v >= 0xffe0 && v <= 0xffe6) || (v >= 0x1f300 && v <= 0x1faff) ||
           (v >= 0x20000 && v <= 0x3fffd);
}

}  // namespace

std::string escape_name(std::string_view s) {
    return escape(s, true);
}

std::string escape_line(std::string_view s) {
    return escape(s, false);
}

std::optional<std::string> unescape_name(std::string_view e) {
    const auto hex = [](char c) -> int {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        return -1;
    };
    std::string out;
    for (std::size_t i = 0; i < e.size(); ++i) {
        if (e[i] != '\\') {
            out += e[i];
            continue;
        }
        if (++i == e.size()) {
            return std::nullopt;
        }
        const char k = e[i];
        if (k == '\\' || k == 'n' || k == 'r' || k == 't') {
            out += k == 'n' ? '\n' : k == 'r' ? '\r' : k == 't' ? '\t' : '\\';
        } else if (k == 'x' && i + 2 < e.size() && hex(e[i + 1]) >= 0 && hex(e[i + 2]) >= 0) {
            out += static_cast<char>(hex(e[i + 1]) * 16 + hex(e[i + 2]));
            i += 2;
        } else if (k == 'u' && i + 1 < e.size() && e[i + 1] == '{') {
            std::uint32_t v = 0;
            std::size_t j = i + 2;
            for (; j < e.size() && e[j] != '}' && j < i + 9; ++j) {
                if (hex(e[j]) < 0) {
                    return std::nullopt;
                }
                v = v * 16 + static_cast<std::uint32_t>(hex(e[j]));
            }
            if (j == e.size() || e[j] != '}' || !invisible(v)) {
                return std::nullopt;
            }
            // UTF-8 of v (an invisible code point is at most three bytes)
            if (v < 0x800) {
                out += static_cast<char>(0xc0 | (v >> 6));
                out += static_cast<char>(0x80 | (v & 0x3f));
            } else {
                out += static_cast<char>(0xe0 | (v >> 12));
                out += static_cast<char>(0x80 | ((v >> 6) & 0x3f));
                out += static_cast<char>(0x80 | (v & 0x3f));
            }
            i = j;
        } else {
            return std::nullopt;
        }
    }
    if (escape_name(out) != e) {
        return std::nullopt;  // not in escape_name's image (a character it would have escaped)
    }
    return out;
}

std::string shell_word(std::string_view s) {
    const bool plain = !s.empty() && s.find_first_not_of(
                                         "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                         "0123456789_./+:-") == std::string_view::npos;
    if (plain) {
        return std::string(s);
    }
    if (escape_name(s) == s) {
        std::string q = "'";
        for (const char c : s) {
            q += c == '\'' ? std::string("'\\''") : std::string(1, c);
        }
        return q + "'";
    }
    std::string q = "$'";
    for (const char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if (c == '\'' || c == '\\') {
            q += '\\';
            q += c;
        } else if (u < 0x20 || u >= 0x7f) {
            hex_byte(q, u);
        } else {
            q += c;
        }
    }
    return q + "'";
}

std::size_t display_width(std::string_view s) {
    std::size_t w = 0;
    for (std::size_t i = 0; i < s.size();) {
        const CodePoint cp = decode(s, i);
        if (cp.length == 0) {
            w += 4;  // shown as \xNN once escaped
            ++i;
            continue;
        }
        w += wide(cp.value) ? 2 : 1;
        i += cp.length;
    }
    return w;
}

std::size_t prefix_fitting(std::string_view s, std::size_t width) {
    std::size_t w = 0;
    std::size_t end = 0;
    std::size_t escape_start = std::string_view::npos;
    for (std::size_t i = 0; i < s.size();) {
        const CodePoint cp = decode(s, i);
        const std::size_t len = cp.length == 0 ? 1 : cp.length;
        const std::size_t cw = cp.length == 0 ? 4 : (wide(cp.value) ? 2 : 1);
        if (w + cw > width) {
            break;
        }
        // An escape sequence (\\, \n, \xNN, \u{...}) is kept whole or not at all.
        if (escape_start == std::string_view::npos && cp.length == 1 && cp.value == '\\') {
            escape_start = end;
        }
        w += cw;
        i += len;
        end = i;
        if (escape_start != std::string_view::npos) {
            const std::string_view seq = s.substr(escape_start, end - escape_start);
            const bool whole = (seq.size() == 2 && seq[1] != 'x' && seq[1] != 'u') ||
                               (seq.size() == 4 && seq[1] == 'x') ||
                               (seq.size() > 3 && seq[1] == 'u' && seq.back() == '}') ||
                               seq.size() > 12;
            if (whole) {
                escape_start = std::string_view::npos;
            }
        }
    }
    if (escape_start != std::string_view::npos && escape_start > 0) {
        end = escape_start;
    }
    if (end == 0 && !s.empty()) {  // not even one character fits: take one anyway
        const CodePoint cp = decode(s, 0);
        end = cp.length == 0 ? 1 : cp.length;
    }
    return end;
}

std::string fit_width(std::string_view s, std::size_t width) {
    if (display_width(s) <= width) {
        return std::string(s);
    }
    const std::size_t room = width > 3 ? width - 3 : 0;
    return std::string(s.substr(0, room == 0 ? 0 : prefix_fitting(s, room))) +
           std::string(width >= 3 ? 3 : width, '.');
}

}  // namespace pfnsim::sim
