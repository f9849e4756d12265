#include "pfnsim/app/matrix.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "pfnsim/app/error.hpp"

namespace pfnsim::app {

Matrix run_matrix(const std::vector<std::string>& files, const Overrides& o,
                  const CellProgress& progress) {
    Matrix m;
    for (const auto& f : files) {
        m.columns.push_back(make_plan(f, o));
    }
    std::size_t np = 0;
    const model::Policy* pols = model::all_policies(np);
    m.rows.assign(pols, pols + np);
    m.cells.resize(np);
    for (std::size_t p = 0; p < np; ++p) {
        for (const auto& col : m.columns) {
            const Plan plan = col.with_policy(m.rows[p]);
            m.cells[p].push_back(explore_plan(
                plan, false,
                progress ? progress(fmt::format("{} x {}", m.rows[p].name(), col.scenario.name))
                         : sim::Progress{}));
            m.unexpected = m.unexpected || m.cells[p].back().unexpected();
        }
    }
    return m;
}

bool CheckedFile::ok() const {
    return error.empty() && std::all_of(matches.begin(), matches.end(), [](bool b) { return b; });
}

std::vector<std::string> scenario_files(const std::vector<std::string>& paths) {
    std::vector<std::string> files;
    for (const auto& p : paths) {
        std::error_code ec;
        if (std::filesystem::is_directory(p, ec)) {
            for (const auto& e : std::filesystem::recursive_directory_iterator(p, ec)) {
                if (e.is_regular_file() && e.path().extension() == ".toml") {
                    files.push_back(e.path().string());
                }
            }
        } else if (std::filesystem::exists(p, ec)) {
            files.push_back(p);
        } else {
            throw InputError{fmt::format("{}: no such file or directory", p)};
        }
    }
    std::sort(files.begin(), files.end());
    return files;
}

std::vector<CheckedFile> check_files(const std::vector<std::string>& files,
                                     const CellProgress& progress) {
    std::vector<CheckedFile> out;
    for (const auto& f : files) {
        CheckedFile cf;
        cf.file = f;
        Plan base;
        try {
            base = make_plan(f, {});
        } catch (const InputError& e) {
            cf.error = e.message;
            out.push_back(std::move(cf));
            continue;
        }
        std::vector<model::Policy> pols = {base.scenario.policy};
        for (const auto& [name, v] : base.scenario.expect_policies) {
            const auto p = model::parse_policy(name);
            if (p && std::find(pols.begin(), pols.end(), *p) == pols.end()) {
                pols.push_back(*p);
            }
        }
        for (const auto& p : pols) {
            const Plan plan = base.with_policy(p);
            cf.cells.push_back(
                explore_plan(plan, false,
                             progress ? progress(fmt::format("{} {}", base.scenario.name, p.name()))
                                      : sim::Progress{}));
            cf.matches.push_back(meets(cf.cells.back().verdict, cf.cells.back().expected));
        }
        out.push_back(std::move(cf));
    }
    return out;
}

}  // namespace pfnsim::app
