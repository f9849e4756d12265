// libFuzzer: arbitrary names (a file name of any bytes; scenario, label, description, actor and
// device names of any code points) through every renderer (explore, check, matrix), and the output
// parsed back: text is valid UTF-8 without a control character but the newline, its lines fit 80
// columns (a printed command's shell words excepted); JSON parses and names the file losslessly;
// KTAP lines are whole (one test line per file); JUnit is well-formed XML.
//
// Input: up to six fields, each a length byte and that many bytes: file name, scenario name,
// label, description, actor name, device name.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "cli/render.hpp"
#include "pfnsim/app/error.hpp"
#include "pfnsim/app/explore.hpp"
#include "pfnsim/app/matrix.hpp"
#include "pfnsim/app/plan.hpp"
#include "pfnsim/sim/text.hpp"

using namespace pfnsim;

namespace {

[[noreturn]] void finding(const std::string& what, const std::string& out) {
    std::fprintf(stderr, "fuzz_names: %s\n--- output ---\n%s\n", what.c_str(), out.c_str());
    std::abort();
}

// A field's bytes as a TOML basic string: valid UTF-8 kept (controls as \u escapes), any other
// byte as the code point of the same value (TOML text is Unicode; only file names carry bytes).
std::string toml_string(std::string_view s) {
    std::string out = "\"";
    for (std::size_t i = 0; i < s.size(); ++i) {
        const auto u = static_cast<unsigned char>(s[i]);
        std::size_t n = u < 0x80 ? 1 : (u & 0xe0) == 0xc0 ? 2 : (u & 0xf0) == 0xe0 ? 3 : 4;
        const bool valid = u >= 0x80 && i + n <= s.size() &&
                           sim::escape_name(s.substr(i, n)).find("\\x") == std::string::npos;
        if (u == '"' || u == '\\') {
            out += '\\';
            out += static_cast<char>(u);
        } else if (u < 0x20 || u == 0x7f || (u >= 0x80 && !valid)) {
            char b[8];
            std::snprintf(b, sizeof b, "\\u%04X", u);
            out += b;
        } else if (u >= 0x80) {
            out.append(s.substr(i, n));
            i += n - 1;
        } else {
            out += static_cast<char>(u);
        }
    }
    return out + "\"";
}

bool utf8_clean(const std::string& out, bool newlines) {
    if (sim::escape_line(out) == out) {
        return true;
    }
    // escape_line escapes newlines too: compare line by line
    std::size_t at = 0;
    while (at <= out.size()) {
        const std::size_t nl = out.find('\n', at);
        const std::string line = out.substr(at, nl == std::string::npos ? nl : nl - at);
        if (sim::escape_line(line) != line) {
            return false;
        }
        if (nl == std::string::npos || !newlines) {
            break;
        }
        at = nl + 1;
    }
    return true;
}

void check_text(const char* what, const std::string& out) {
    if (!utf8_clean(out, true)) {
        finding(std::string(what) + ": a control character or a byte that is not UTF-8", out);
    }
    std::size_t at = 0;
    while (at < out.size()) {
        std::size_t nl = out.find('\n', at);
        nl = nl == std::string::npos ? out.size() : nl;
        const std::string line = out.substr(at, nl - at);
        if (sim::display_width(line) > 80 && line.find("pfnsim replay") == std::string::npos &&
            (line.empty() || line.back() != '\\') && line.find("--schedule") == std::string::npos) {
            finding(std::string(what) + ": a line longer than 80 columns: " + line, out);
        }
        at = nl + 1;
    }
}

// A small XML 1.0 well-formedness check of what check_junit writes: balanced tags, quoted
// attributes without '<', and only the five entities or character references.
void check_xml(const std::string& x) {
    std::vector<std::string> open;
    std::size_t i = x.find("?>");
    if (x.rfind("<?xml", 0) != 0 || i == std::string::npos) {
        finding("junit: no XML declaration", x);
    }
    i += 2;
    const auto entity = [&](std::size_t at) {
        const std::size_t semi = x.find(';', at);
        if (semi == std::string::npos || semi - at > 8) {
            return false;
        }
        const std::string e = x.substr(at + 1, semi - at - 1);
        if (e == "amp" || e == "lt" || e == "gt" || e == "quot" || e == "apos") {
            return true;
        }
        return e.size() > 1 && e[0] == '#' &&
               e.find_first_not_of("0123456789", 1) == std::string::npos;
    };
    while (i < x.size()) {
        if (x[i] == '&') {
            if (!entity(i)) {
                finding("junit: a bare '&'", x);
            }
            ++i;
        } else if (x[i] == '<') {
            const bool closing = i + 1 < x.size() && x[i + 1] == '/';
            std::size_t j = i + (closing ? 2 : 1);
            const std::size_t name_start = j;
            while (j < x.size() && x[j] != ' ' && x[j] != '>' && x[j] != '/') {
                ++j;
            }
            const std::string name = x.substr(name_start, j - name_start);
            if (name.empty()) {
                finding("junit: a tag without a name", x);
            }
            bool quoted = false;
            while (j < x.size() && (quoted || x[j] != '>')) {
                if (x[j] == '"') {
                    quoted = !quoted;
                } else if (quoted && x[j] == '<') {
                    finding("junit: '<' in an attribute", x);
                } else if (quoted && x[j] == '&' && !entity(j)) {
                    finding("junit: a bare '&' in an attribute", x);
                }
                ++j;
            }
            if (j == x.size()) {
                finding("junit: a tag never closed", x);
            }
            const bool empty = x[j - 1] == '/';
            if (closing) {
                if (open.empty() || open.back() != name) {
                    finding("junit: </" + name + "> does not close the open tag", x);
                }
                open.pop_back();
            } else if (!empty) {
                open.push_back(name);
            }
            i = j + 1;
        } else {
            ++i;
        }
    }
    if (!open.empty()) {
        finding("junit: <" + open.back() + "> never closed", x);
    }
}

void check_ktap(const std::string& k) {
    std::size_t tests = 0;
    std::size_t at = 0;
    while (at < k.size()) {
        std::size_t nl = k.find('\n', at);
        nl = nl == std::string::npos ? k.size() : nl;
        const std::string l = k.substr(at, nl - at);
        const bool test = l.rfind("ok ", 0) == 0 || l.rfind("not ok ", 0) == 0;
        tests += test ? 1 : 0;
        if (!(test || l.rfind("# ", 0) == 0 || l == "KTAP version 1" || l.rfind("1..", 0) == 0)) {
            finding("ktap: not a KTAP line: " + l, k);
        }
        if (test && l.find('#') != l.rfind('#')) {
            finding("ktap: a '#' in a test name: " + l, k);
        }
        at = nl + 1;
    }
    if (tests != 1) {
        finding("ktap: not one test line for one file", k);
    }
}

const char* kBase = R"(
[[vma]]
start = 0x40000000
size = "2M"
flags = ["VM_IO", "VM_PFNMAP", "VM_READ", "VM_WRITE", "VM_SHARED"]
device = DEVICE

[[actor]]
name = ACTOR
kind = "pin"
vaddr = 0x40000000
size = "2M"
allowed = ["0", "-EFAULT"]

[[actor]]
name = "zap"
kind = "zap"
)";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::vector<std::string> f;
    for (std::size_t i = 0; i < size && f.size() < 6;) {
        const std::size_t n = std::min<std::size_t>(data[i], size - i - 1);
        f.emplace_back(reinterpret_cast<const char*>(data + i + 1), n);
        i += 1 + n;
    }
    f.resize(6);
    static std::string dir;
    if (dir.empty()) {
        char tmpl[] = "/tmp/pfnsim-fuzz-names-XXXXXX";
        if (mkdtemp(tmpl) == nullptr) {
            std::abort();
        }
        dir = tmpl;
    }
    std::string name;
    for (const char c : f[0]) {
        if (c != '/' && c != '\0') {
            name += c;
        }
    }
    if (name.empty() || name == "." || name == "..") {
        name = "f";
    }
    const std::string path = dir + "/" + name;
    std::string text =
        "name = " + toml_string(f[1]) + "\nlabel = " + toml_string(f[2]) +
        "\ndescription = " + toml_string(f[3]) +
        "\nstep_bound = 300\niterations = 3\nseed = 1\n\n[[device]]\nname = DEVICE\n" +
        "bar_base = 0x4000000000\nbar_size = \"2M\"\n" + kBase;
    const std::string dev = toml_string(f[5].empty() ? std::string("gpu") : f[5]);
    const std::string actor = toml_string(f[4].empty() ? std::string("pin") : f[4]);
    for (std::size_t at; (at = text.find("DEVICE")) != std::string::npos;) {
        text.replace(at, 6, dev);
    }
    text.replace(text.find("ACTOR"), 5, actor);
    {
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        if (!out) {
            return 0;  // the system refused the name (too long): nothing to render
        }
        out << text;
    }
    app::Plan plan;
    try {
        plan = app::make_plan(path, app::Overrides{});
    } catch (const app::InputError& e) {
        // An error is one line on stderr (of any length): clean, and no line added.
        const std::string line = app::one_line(e.message);
        if (!utf8_clean(line, false) || line.find('\n') != std::string::npos) {
            finding("input error: not one clean line", line);
        }
        unlink(path.c_str());
        return 0;
    }
    const app::Result r = app::explore_plan(plan, false);
    check_text("explore text", cli::explore_text(r));
    const std::string j = cli::explore_json(r).dump(2);
    if (!utf8_clean(j, true)) {
        finding("explore json: not clean", j);
    }
    const nlohmann::json back = nlohmann::json::parse(j);
    const auto file = sim::unescape_name(back.at("file").get<std::string>());
    if (!file || *file != path) {
        finding("explore json: the file name does not come back", j);
    }
    const auto checked = app::check_files({path}, {}, 5000);
    check_text("check text", cli::check_text(checked));
    check_ktap(cli::check_ktap(checked));
    check_xml(cli::check_junit(checked));
    (void)nlohmann::json::parse(cli::check_json(checked).dump(2));
    // The matrix under two policies: its table, markdown and JSON.
    app::MatrixSelection two;
    two.policies = {"original", "eagain"};
    const app::Matrix m = app::run_matrix({path}, app::Overrides{}, {}, {}, two);
    check_text("matrix text", cli::matrix_text(m));
    check_text("matrix markdown", cli::matrix_markdown(m));
    (void)nlohmann::json::parse(cli::matrix_json(m).dump(2));
    unlink(path.c_str());
    return 0;
}
