// Text from outside (file names, scenario and actor names, labels) made safe for every output:
// one line, valid UTF-8, no control or line-breaking character, and losslessly: the escape is
// injective, so two different names never print alike.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace pfnsim::sim {

// `s` escaped: "\\" for a backslash; "\n", "\r", "\t"; "\xNN" for any other C0 control, DEL, or a
// byte that is not part of valid UTF-8; "\u{NNNN}" for a C1 control, a line or paragraph
// separator, a bidirectional override or isolate, a zero-width or byte-order mark. Text that needs
// none of these comes back unchanged.
std::string escape_name(std::string_view s);

// The text escape_name(s) came from; nullopt when `e` is not something escape_name returns.
std::optional<std::string> unescape_name(std::string_view e);

// `s` as one shell word that bash (and any POSIX shell for printable names) reads back as `s`:
// as is when plain, in single quotes when printable, as $'...' with \xNN escapes otherwise.
std::string shell_word(std::string_view s);

// As escape_name, but a backslash stays itself: for a whole message (an error that quotes a file
// name) where readability beats round-tripping.
std::string escape_line(std::string_view s);

// The columns `s` takes on a terminal: code points (an escaped name is valid UTF-8), wide East
// Asian characters counting two.
std::size_t display_width(std::string_view s);

// The bytes of the longest prefix of `s` at most `width` columns wide that ends neither inside a
// code point nor inside an escape sequence of escape_name (at least one character).
std::size_t prefix_fitting(std::string_view s, std::size_t width);

// `s` cut to at most `width` columns, ending in "..." when it was cut (never inside a code
// point or an escape sequence).
std::string fit_width(std::string_view s, std::size_t width);

}  // namespace pfnsim::sim
