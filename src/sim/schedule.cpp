#include "pfnsim/sim/schedule.hpp"

#include <fmt/format.h>

#include "pfnsim/sim/types.hpp"

namespace pfnsim::sim {

namespace {

void encode_run(std::string& s, std::uint32_t v, std::size_t n) {
    if (v < 26) {
        s += static_cast<char>('a' + v);
    } else {
        s += fmt::format("[{}]", v);
    }
    if (n > 1) {
        s += std::to_string(n);
    }
}

void encode_range(std::string& s, const std::vector<std::uint32_t>& c, std::size_t b,
                  std::size_t e) {
    std::size_t i = b;
    while (i < e) {
        std::size_t j = i;
        while (j < e && c[j] == c[i]) {
            ++j;
        }
        encode_run(s, c[i], j - i);
        i = j;
    }
}

std::string checksum(std::string_view body) {
    return fmt::format("{:04x}", static_cast<unsigned>(fnv1a(body) & 0xffffU));
}

struct Decoder {
    std::string_view t;
    std::size_t pos = 0;

    [[noreturn]] void fail(const std::string& what) const {
        throw ScheduleError(fmt::format("bad schedule string at column {}: {}", pos + 1, what));
    }
    bool digit() const { return pos < t.size() && t[pos] >= '0' && t[pos] <= '9'; }
    std::uint64_t number() {
        if (!digit()) {
            fail("expected a number");
        }
        std::uint64_t n = 0;
        while (digit()) {
            n = n * 10 + static_cast<std::uint64_t>(t[pos] - '0');
            if (n > 100000000ULL) {
                fail("number too large");
            }
            ++pos;
        }
        return n;
    }
    // Parses tokens until `stop` (or the end when stop == 0).
    void tokens(std::vector<std::uint32_t>& out, char stop) {
        while (pos < t.size() && t[pos] != stop) {
            std::uint32_t v = 0;
            const char c = t[pos];
            if (c >= 'a' && c <= 'z') {
                v = static_cast<std::uint32_t>(c - 'a');
                ++pos;
            } else if (c == '[') {
                ++pos;
                v = static_cast<std::uint32_t>(number());
                if (pos >= t.size() || t[pos] != ']') {
                    fail("expected ']'");
                }
                ++pos;
            } else {
                fail(
                    fmt::format("unexpected character '{}' (expected a-z, '[N]', '(' or a "
                                "repeat count)",
                                c));
            }
            std::uint64_t n = 1;
            if (digit()) {
                n = number();
                if (n == 0) {
                    fail("repeat count 0");
                }
            }
            if (out.size() + n > 50000000ULL) {
                fail("schedule too long");
            }
            out.insert(out.end(), n, v);
        }
    }
};

}  // namespace

std::string encode_schedule(const Schedule& s) {
    std::string body =
        s.key ? fmt::format("{}.{:08x}.", kScheduleFormatVersion, *s.key) : std::string("1.");
    const std::size_t prefix_end = s.cycle_start.value_or(s.choices.size());
    encode_range(body, s.choices, 0, prefix_end);
    if (s.cycle_start) {
        body += '(';
        encode_range(body, s.choices, prefix_end, s.choices.size());
        body += ')';
    }
    return body + "-" + checksum(body);
}

Schedule decode_schedule(std::string_view text) {
    Decoder d{text};
    const auto dot = text.find('.');
    if (dot == std::string_view::npos) {
        throw ScheduleError("bad schedule string: missing format version (expected '2.')");
    }
    const std::string_view version = text.substr(0, dot);
    if (version != "1" && version != "2") {
        throw ScheduleError(fmt::format(
            "bad schedule string: format version '{}' is not supported (valid: 1, 2)", version));
    }
    const auto dash = text.rfind('-');
    std::string_view body = text;
    if (dash != std::string_view::npos && dash > dot) {
        body = text.substr(0, dash);
        const std::string_view sum = text.substr(dash + 1);
        if (sum != checksum(body)) {
            d.pos = dash + 1;
            d.fail(
                fmt::format("checksum '{}' does not match (the string is corrupt or was "
                            "edited; drop the '-{}' suffix to replay it anyway)",
                            sum, sum));
        }
    }
    d.t = body;
    d.pos = dot + 1;
    Schedule s;
    if (version == "2") {
        std::uint32_t key = 0;
        for (int i = 0; i < 8; ++i, ++d.pos) {
            const char c = d.pos < body.size() ? body[d.pos] : '\0';
            const int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
            if (v < 0) {
                d.fail("expected the 8 hex digits of the scenario key");
            }
            key = key << 4U | static_cast<std::uint32_t>(v);
        }
        if (d.pos >= body.size() || body[d.pos] != '.') {
            d.fail("expected '.' after the scenario key");
        }
        ++d.pos;
        s.key = key;
    }
    d.tokens(s.choices, '(');
    if (d.pos < body.size()) {
        ++d.pos;  // '('
        s.cycle_start = s.choices.size();
        d.tokens(s.choices, ')');
        if (d.pos >= body.size()) {
            d.fail("missing ')'");
        }
        ++d.pos;  // an empty cycle "()": the run goes on without choices and repeats
        if (d.pos != body.size()) {
            d.fail("text after the cycle");
        }
    }
    return s;
}

}  // namespace pfnsim::sim
