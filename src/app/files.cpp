#include "pfnsim/app/files.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "pfnsim/app/error.hpp"

namespace pfnsim::app {

namespace {

[[noreturn]] void fail(const std::string& path, const std::string& what) {
    throw InputError{fmt::format("{}: {}", path, what)};
}

void write_all(int fd, const std::string& text, const std::string& path) {
    std::size_t done = 0;
    while (done < text.size()) {
        const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            fail(path, fmt::format("cannot write: {}", std::strerror(errno)));
        }
        done += static_cast<std::size_t>(n);
    }
}

}  // namespace

std::string read_input(const std::string& path, std::uint64_t cap, const char* what) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        fail(path, fmt::format("cannot read the file: {}", std::strerror(errno)));
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        fail(path, fmt::format("not a regular file (a {} must be one)", what));
    }
    if (static_cast<std::uint64_t>(st.st_size) > cap) {
        ::close(fd);
        fail(path,
             fmt::format("{} bytes is more than a {} may have ({} bytes)", st.st_size, what, cap));
    }
    std::string text;
    text.resize(static_cast<std::size_t>(st.st_size));
    std::size_t got = 0;
    while (got < text.size()) {
        const ssize_t n = ::read(fd, text.data() + got, text.size() - got);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            ::close(fd);
            fail(path, fmt::format("cannot read the file: {}", std::strerror(errno)));
        }
        if (n == 0) {
            break;  // it shrank while we read: take what is there
        }
        got += static_cast<std::size_t>(n);
    }
    ::close(fd);
    text.resize(got);
    return text;
}

bool regular_file_exists(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        return false;
    }
    if (!S_ISREG(st.st_mode)) {
        fail(path, "exists and is not a regular file");
    }
    return true;
}

namespace {

// The mode of a new file: 0666 less the process's umask (read once, on the first check,
// before any thread writes).
mode_t new_file_mode() {
    static const mode_t mask = [] {
        const mode_t m = ::umask(0);
        ::umask(m);
        return m;
    }();
    return 0666 & ~mask;
}

std::string errno_text() {
    return std::strerror(errno);
}

std::string dir_of(const std::string& path) {
    const std::filesystem::path p(path);
    return p.has_parent_path() ? p.parent_path().string() : std::string(".");
}

// A new file beside `target`, created exclusively (mkostemp: O_CREAT|O_EXCL, so a planted
// link or FIFO at the name is never opened, only skipped); its name in `tmp`.
int create_beside(const std::string& target, std::string& tmp) {
    std::string name = target + ".tmp-XXXXXX";
    const int fd = ::mkostemp(name.data(), O_CLOEXEC);
    tmp = name;
    return fd;
}

// What `path` is, for writing: a directory (refused), a regular file to replace (its path,
// through a symbolic link if it is one), or something else written in place.
struct Target {
    bool in_place = false;
    std::string replace;  // the file to replace (in_place false)
    mode_t mode = 0;
};

Target target_of(const std::string& path) {
    if (path.empty()) {
        throw InputError{"'': an empty file name (valid: a path to write)"};
    }
    Target t;
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        if (errno != ENOENT) {
            fail(path, fmt::format("cannot write: {}", errno_text()));
        }
        t.replace = path;  // a new file (or a link to nothing, which the new file replaces)
        t.mode = new_file_mode();
        return t;
    }
    if (S_ISDIR(st.st_mode)) {
        fail(path, "is a directory (valid: a file to write)");
    }
    if (!S_ISREG(st.st_mode)) {
        t.in_place = true;  // a device or a pipe (/dev/stdout, process substitution)
        return t;
    }
    t.replace = path;
    struct stat lst {};
    if (::lstat(path.c_str(), &lst) == 0 && S_ISLNK(lst.st_mode)) {
        std::error_code ec;
        const auto real = std::filesystem::canonical(path, ec);
        if (ec) {
            fail(path, fmt::format("cannot write: {}", ec.message()));
        }
        t.replace = real.string();
    }
    t.mode = st.st_mode & 07777;
    return t;
}

// The temporary file beside t.replace (its name in `tmp`), or an InputError naming `path`.
int create_beside_or_fail(const std::string& path, const Target& t, std::string& tmp) {
    const int fd = create_beside(t.replace, tmp);
    if (fd < 0) {
        fail(path, fmt::format("cannot create a file in {}: {}", dir_of(t.replace), errno_text()));
    }
    return fd;
}

}  // namespace

void check_output(const std::string& path) {
    const Target t = target_of(path);
    if (t.in_place) {
        if (::access(path.c_str(), W_OK) != 0) {
            fail(path, fmt::format("cannot write: {}", errno_text()));
        }
        return;
    }
    std::string tmp;
    ::close(create_beside_or_fail(path, t, tmp));
    ::unlink(tmp.c_str());
}

void write_output(const std::string& path, const std::string& text) {
    const Target t = target_of(path);
    if (t.in_place) {
        const int fd = ::open(path.c_str(), O_WRONLY | O_NOCTTY | O_CLOEXEC);
        if (fd < 0) {
            fail(path, fmt::format("cannot write: {}", errno_text()));
        }
        try {
            write_all(fd, text, path);
        } catch (...) {
            ::close(fd);
            throw;
        }
        if (::close(fd) != 0) {
            fail(path, fmt::format("cannot write: {}", errno_text()));
        }
        return;
    }
    std::string tmp;
    const int fd = create_beside_or_fail(path, t, tmp);
    const auto give_up = [&](const std::string& what) {
        const std::string why = errno_text();
        ::unlink(tmp.c_str());
        fail(path, fmt::format("{}: {}", what, why));
    };
    try {
        write_all(fd, text, path);
    } catch (...) {
        ::close(fd);
        ::unlink(tmp.c_str());
        throw;
    }
    if (::fchmod(fd, t.mode) != 0 || ::fsync(fd) != 0) {
        const int e = errno;
        ::close(fd);
        errno = e;
        give_up("cannot write");
    }
    if (::close(fd) != 0) {
        give_up("cannot write");
    }
    if (::rename(tmp.c_str(), t.replace.c_str()) != 0) {
        give_up("cannot replace");
    }
    const int dfd = ::open(dir_of(t.replace).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        // Some file systems cannot sync a directory (EINVAL): the rename stands either way.
        const bool synced = ::fsync(dfd) == 0 || errno == EINVAL;
        const int e = errno;
        ::close(dfd);
        if (!synced) {
            errno = e;
            fail(path, fmt::format("cannot sync its directory: {}", errno_text()));
        }
    }
}

}  // namespace pfnsim::app
