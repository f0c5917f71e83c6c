#include "runtime/core/file_lock.hpp"

#include <cerrno>
#include <cstring>
#include <string>
#include <thread>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "runtime/core/error.hpp"

namespace agentos::core {
namespace {

long ReadPid(int fd) {
    char buf[32] = {};
    const ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    return n > 0 ? std::strtol(buf, nullptr, 10) : 0;
}

}  // namespace

std::optional<FileLock> FileLock::Acquire(
    const std::filesystem::path& path, std::chrono::milliseconds wait, long* holder
) {
    const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        throw Error(ErrorCode::kUnavailable, "cannot open " + path.string() + ": " + std::strerror(errno));
    }
    const auto deadline = std::chrono::steady_clock::now() + wait;
    while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EINTR) {
            continue;  // a signal arrived: not an answer
        }
        if (errno != EWOULDBLOCK || std::chrono::steady_clock::now() >= deadline) {
            if (holder != nullptr) {
                *holder = ReadPid(fd);
            }
            close(fd);
            return std::nullopt;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    const std::string pid = std::to_string(getpid()) + "\n";
    if (ftruncate(fd, 0) != 0 || pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
        // Only the message of a later process needs the pid: the lock itself holds.
    }
    return FileLock(fd);
}

FileLock::FileLock(FileLock&& other) noexcept : fd_(other.fd_) {
    other.fd_ = -1;
}

FileLock& FileLock::operator=(FileLock&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) {
            close(fd_);
        }
        fd_ = other.fd_;
        other.fd_ = -1;
    }
    return *this;
}

FileLock::~FileLock() {
    if (fd_ >= 0) {
        close(fd_);  // releases the lock
    }
}

}  // namespace agentos::core
