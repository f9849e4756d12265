#include "pfnsim/app/files.hpp"

#include <fcntl.h>
#include <fmt/format.h>
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

void save_durably(const std::string& path, const std::string& text) {
    const std::filesystem::path p(path);
    const std::string dir = p.has_parent_path() ? p.parent_path().string() : std::string(".");
    const std::string tmp = path + ".tmp";
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        fail(tmp, fmt::format("cannot write: {}", std::strerror(errno)));
    }
    try {
        write_all(fd, text, tmp);
    } catch (...) {
        ::close(fd);
        throw;
    }
    if (::fsync(fd) != 0 || ::close(fd) != 0) {
        fail(tmp, fmt::format("cannot write: {}", std::strerror(errno)));
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        fail(path, fmt::format("cannot replace: {}", std::strerror(errno)));
    }
    const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        ::fsync(dfd);
        ::close(dfd);
    }
}

}  // namespace pfnsim::app
