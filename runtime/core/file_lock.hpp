#pragma once
/// An exclusive advisory lock on a file (flock), held for the life of the object and released by the kernel when the
/// process dies, so a crash never leaves it stale. The holder's pid is written into the file for the message of
/// whoever finds it taken. Blocking: start-up code only.

#include <chrono>
#include <filesystem>
#include <optional>

namespace agentos::core {

class FileLock {
public:
    /// Takes the lock on `path` (created when missing), trying for up to `wait`. nullopt when another process holds
    /// it that long; `holder` then gets its pid (0 when unknown). Throws core::Error when the file cannot be opened.
    static std::optional<FileLock> Acquire(
        const std::filesystem::path& path, std::chrono::milliseconds wait, long* holder = nullptr
    );

    FileLock(FileLock&& other) noexcept;
    FileLock& operator=(FileLock&& other) noexcept;
    FileLock(const FileLock&) = delete;
    FileLock& operator=(const FileLock&) = delete;
    ~FileLock();

private:
    explicit FileLock(int fd) : fd_(fd) {}

    int fd_ = -1;
};

}  // namespace agentos::core
