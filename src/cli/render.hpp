// The renderers: one per output format, for results from any command.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "pfnsim/app/explore.hpp"
#include "pfnsim/app/matrix.hpp"
#include "pfnsim/app/result.hpp"
#include "pfnsim/app/sweep.hpp"

namespace pfnsim::cli {

// --- JSON (render_json.cpp): every document names "version" and "scenario_hash". ----------
nlohmann::json finding_json(const app::Finding& f, const std::vector<std::string>& actors);
nlohmann::json explore_json(const app::Result& r);
nlohmann::json run_json(const app::Result& r);    // r.run
nlohmann::json sweep_json(const app::Result& r);  // r.certificate
nlohmann::json stats_json(const app::Plan& plan, const std::vector<app::PolicyStats>& st);
nlohmann::json matrix_json(const app::Matrix& m);
nlohmann::json check_json(const std::vector<app::CheckedFile>& files);

// --- Text (render_text.cpp): for people, ending in the provenance line. ---------------------
std::string provenance_line(const std::string& scenario_hash);
std::string provenance_text(const app::Plan& plan);
std::string explore_text(const app::Result& r);
std::string run_text(const app::Result& r, bool diagram);  // r.run
std::string sweep_text(const app::Result& r);              // r.certificate
std::string stats_text(const app::Plan& plan, const std::vector<app::PolicyStats>& st);
std::string check_text(const std::vector<app::CheckedFile>& files);

// --- The lock-order graph (render_lockdep.cpp). --------------------------------------------
// The lockdep-style report of a lock-order violation ("" when the view has none for it).
std::string lock_report_text(const app::LockOrderView& v, const sim::Violation& violation,
                             std::uint64_t executions);
// The whole graph, an edge each with its call chains and replay command (--lock-order).
std::string lock_graph_text(const app::LockOrderView& v, std::uint64_t executions);
nlohmann::json lock_order_json(const app::LockOrderView& v);

// How a result was decided, every report's one wording (Result::decided, with what it ran):
// "certified (a complete stateful sweep, 584 states)", "sampled (3000 random executions)".
std::string decided_text(const app::Result& r);
// A file's cells: "certified" when they agree, else "certified (original), sampled (eagain)".
std::string decided_of(const app::CheckedFile& f);
// Every class a result found, most severe first: "wrong-return+livelock (killable, spinning)".
std::string classes(const app::Result& r);

// --- CI (render_ci.cpp): check's results as KTAP, and as JUnit XML for a file. -----------
std::string check_ktap(const std::vector<app::CheckedFile>& files);
std::string check_junit(const std::vector<app::CheckedFile>& files);

// Words joined into lines of at most `width` (the first indented by `first`, the others by
// `indent`); a word longer than a line stands alone, nothing is cut. With `shell`, a printed
// command: words are shell words and every line but the last ends in " \" (text_wrap.cpp).
std::string wrap(const std::string& text, std::size_t width, std::size_t indent, bool shell,
                 std::size_t first = 0);
// Help text (CLI11's layout) with every line longer than `width` wrapped: an option's or a
// command's text in its column, an example command as a pasteable command, prose under itself.
std::string fit_help(const std::string& help, std::size_t width = 80);

// --- The matrix (render_matrix.cpp): text and markdown. --------------------------------------
// At most `width` columns (tables split by columns; a single word longer than a line, such as
// a long schedule, is never cut). --wide passes a width no table reaches.
std::string matrix_text(const app::Matrix& m, std::size_t width = 80);
std::string matrix_markdown(const app::Matrix& m, std::size_t width = 80);

}  // namespace pfnsim::cli
