#include "runtime/core/file_lock.hpp"

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <unistd.h>

#include "runtime/core/error.hpp"
#include "runtime/core/ids.hpp"

namespace agentos::core {
namespace {

using std::chrono::milliseconds;

TEST(FileLock, OneHolderAtATimeAndTheOtherLearnsItsPid) {
    const auto dir = std::filesystem::temp_directory_path() / ("agentos-lock-" + NewUuidV7());
    std::filesystem::create_directories(dir);
    const auto path = dir / "dev.lock";
    {
        auto first = FileLock::Acquire(path, milliseconds(0));
        ASSERT_TRUE(first);
        // A second open of the file is another holder, even in this process (flock locks an open file).
        long holder = 0;
        const auto start = std::chrono::steady_clock::now();
        EXPECT_FALSE(FileLock::Acquire(path, milliseconds(300), &holder));
        EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(300)) << "it tried for the whole wait";
        EXPECT_EQ(holder, static_cast<long>(getpid()));

        // Moved, it is still held; released, it can be taken again.
        std::optional<FileLock> moved = std::move(first);
        EXPECT_FALSE(FileLock::Acquire(path, milliseconds(0)));
        moved.reset();
        EXPECT_TRUE(FileLock::Acquire(path, milliseconds(0)));
    }
    // A folder that is not there is an error that names the file.
    try {
        FileLock::Acquire(dir / "missing" / "dev.lock", milliseconds(0));
        ADD_FAILURE() << "no error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("missing/dev.lock"), std::string::npos) << e.what();
    }
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace agentos::core
