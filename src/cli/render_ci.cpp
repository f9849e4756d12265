// The CI formats of `check`: KTAP (as kselftest and KUnit print it) and JUnit XML, from the
// same results as check_text and check_json. No wall-clock time: the output is deterministic.
#include <fmt/format.h>

#include "cli/render.hpp"
#include "pfnsim/app/error.hpp"
#include "pfnsim/app/provenance.hpp"
#include "pfnsim/sim/text.hpp"
#include "pfnsim/sim/violation.hpp"

namespace pfnsim::cli {

namespace {

std::string expected_text(const app::Result& c) {
    const std::string& d = c.plan.scenario.expect_detail;
    return c.expected.empty() ? "clean" : d.empty() ? c.expected : c.expected + ": " + d;
}

std::string hash_of(const app::CheckedFile& f) {
    return f.scenario_hash.empty() ? "unknown" : f.scenario_hash;
}

// What failed in a file, a line each: every expectation not met, then each finding of that
// cell with the command that replays it (or, for a missing violation, how far it looked).
std::vector<std::string> failure_lines(const app::CheckedFile& f) {
    std::vector<std::string> out;
    if (!f.error.empty()) {
        out.push_back("error: " + app::one_line(f.error));
        return out;
    }
    for (std::size_t i = 0; i < f.cells.size(); ++i) {
        if (f.cells[i].as_expected) {
            continue;
        }
        const auto& c = f.cells[i];
        out.push_back(fmt::format("policy {}: got {}, expected {}", c.plan.policy.name(),
                                  c.verdict.full(), expected_text(c)));
        for (const auto& fd : c.findings) {
            const auto& v = fd.witness.violation;
            out.push_back(fmt::format("  {}: {}", sim::kind_name(v.kind), app::one_line(v.detail)));
            out.push_back("  replay: " + fd.replay);
        }
        if (c.findings.empty()) {
            out.push_back(
                c.certified()
                    ? "  not found by a complete sweep: " + c.certificate->line()
                    : fmt::format("  not found in {} random executions", c.tally().executions));
        }
    }
    return out;
}

// A KTAP test name is one line without '#', which would start a directive: the name escaped
// (sim/text.hpp), and '#' as \x23 (a backslash in the name is already \\, so this stays
// lossless).
// An escaped name with '#' escaped as well (it starts a KTAP directive).
std::string ktap_name(const std::string& s) {
    std::string out;
    for (const char ch : s) {
        out += ch == '#' ? std::string("\\x23") : std::string(1, ch);
    }
    return out;
}

// Text for an XML 1.0 attribute or element: the five entities escaped, and the control
// characters XML cannot carry at all replaced; an attribute keeps its newlines and tabs.
std::string xml(const std::string& s, bool attribute = true) {
    std::string out;
    out.reserve(s.size());
    for (const char ch : s) {
        const auto u = static_cast<unsigned char>(ch);
        if (ch == '&') {
            out += "&amp;";
        } else if (ch == '<') {
            out += "&lt;";
        } else if (ch == '>') {
            out += "&gt;";
        } else if (ch == '"') {
            out += "&quot;";
        } else if (ch == '\'') {
            out += "&apos;";
        } else if (u < 0x20 && (attribute || (ch != '\n' && ch != '\t'))) {
            out += ch == '\n' || ch == '\t' || ch == '\r' ? fmt::format("&#{};", u) : "?";
        } else {
            out += ch;
        }
    }
    return out;
}

}  // namespace

std::string check_ktap(const std::vector<app::CheckedFile>& files) {
    std::string out = "KTAP version 1\n# " + app::version_line() + "\n";
    out += fmt::format("1..{}\n", files.size());
    std::size_t pass = 0;
    std::size_t fail = 0;
    std::size_t error = 0;
    for (std::size_t n = 0; n < files.size(); ++n) {
        const auto& f = files[n];
        out += fmt::format("# scenario hash {}\n", hash_of(f));
        // Every cell: every class found, most severe first, and how it was decided.
        for (const auto& c : f.cells) {
            out += fmt::format("# {}: {}, {}\n", c.plan.policy.name(), app::one_line(classes(c)),
                               decided_text(c));
        }
        // Diagnostic lines of at most 80 columns, a long one continued on "#   " lines.
        for (const auto& line : failure_lines(f)) {
            if (line.starts_with("  replay: ")) {
                out += "# " + line + "\n";  // a command, whole on its line
                continue;
            }
            const std::string lead = line.substr(0, line.find_first_not_of(' '));
            const std::string body = wrap(line, 78, lead.size() + 2, false, lead.size());
            std::size_t at = 0;
            while (at < body.size()) {
                const std::size_t nl = body.find('\n', at);
                out += "# " + body.substr(at, nl - at) + "\n";
                at = nl + 1;
            }
        }
        (f.ok() ? pass : f.error.empty() ? fail : error) += 1;
        // The test line carries how it was decided (KTAP diagnostic data after " # ").
        const std::string d = f.error.empty() ? decided_of(f) : "error";
        out += fmt::format("{} {} {}{}\n", f.ok() ? "ok" : "not ok", n + 1, ktap_name(f.name()),
                           d.empty() ? "" : " # " + d);
    }
    out += fmt::format("# Totals: pass:{} fail:{} xfail:0 xpass:0 skip:0 error:{}\n", pass, fail,
                       error);
    return out;
}

std::string check_junit(const std::vector<app::CheckedFile>& files) {
    std::size_t failures = 0;
    std::size_t errors = 0;
    for (const auto& f : files) {
        failures += f.error.empty() && !f.ok() ? 1 : 0;
        errors += f.error.empty() ? 0 : 1;
    }
    const std::string counts =
        fmt::format(R"(tests="{}" failures="{}" errors="{}")", files.size(), failures, errors);
    std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    out += fmt::format("<testsuites name=\"pfnsim check\" {} time=\"0\">\n", counts);
    out += fmt::format("  <testsuite name=\"pfnsim check\" {} skipped=\"0\" time=\"0\">\n", counts);
    out += "    <properties>\n";
    out += fmt::format("      <property name=\"pfnsim.version\" value=\"{}\"/>\n",
                       xml(app::version_line()));
    out += "    </properties>\n";
    for (const auto& f : files) {
        out += fmt::format("    <testcase name=\"{}\" classname=\"pfnsim.check\" time=\"0\">\n",
                           xml(f.name()));
        out += "      <properties>\n";
        out += fmt::format("        <property name=\"scenario_hash\" value=\"{}\"/>\n",
                           xml(hash_of(f)));
        if (f.error.empty()) {
            out += fmt::format("        <property name=\"decided\" value=\"{}\"/>\n",
                               xml(decided_of(f)));
        }
        for (const auto& c : f.cells) {
            out += fmt::format("        <property name=\"verdict.{}\" value=\"{}\"/>\n",
                               xml(c.plan.policy.name()), xml(classes(c)));
        }
        out += "      </properties>\n";
        if (!f.ok()) {
            const auto lines = failure_lines(f);
            std::string body;
            for (const auto& l : lines) {
                body += l + "\n";
            }
            const char* tag = f.error.empty() ? "failure" : "error";
            const char* type = !f.error.empty() ? (f.internal ? "search-failed" : "bad-input")
                                                : "unexpected-verdict";
            out +=
                fmt::format("      <{} message=\"{}\" type=\"{}\">{}</{}>\n", tag,
                            xml(lines.empty() ? "" : lines.front()), type, xml(body, false), tag);
        }
        out += "    </testcase>\n";
    }
    out += "  </testsuite>\n</testsuites>\n";
    return out;
}

}  // namespace pfnsim::cli
