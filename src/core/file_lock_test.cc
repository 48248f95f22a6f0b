#include "bulwark/core/file_lock.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>

#include <filesystem>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "bulwark/core/runtime.h"
#include "bulwark/testing/child_processes.h"
#include "bulwark/testing/temp_dir.h"

namespace bulwark {
namespace {

namespace fs = std::filesystem;

class FileLockTest : public ::testing::Test {
 protected:
  testing::TempDir tmp_{"bulwark-core-file-lock"};
  const fs::path dir_ = tmp_.path();
};

TEST_F(FileLockTest, FailsNamingWhatAndTheFileWhenItCannotBeCreated) {
  const fs::path lock_file = dir_ / "missing-dir" / "keyring.lock";
  auto lock = FileLock::Acquire(lock_file, "keyring");
  ASSERT_FALSE(lock);
  EXPECT_EQ(lock.error().code(), ErrorCode::kUnavailable);
  EXPECT_NE(lock.error().message().find(lock_file.string()), std::string::npos);
  EXPECT_NE(lock.error().message().find("keyring lock"), std::string::npos);
}

// Whether another open file description can take the lock right now (as another process would).
bool FreeForOthers(const fs::path& lock_file) {
  const int fd = ::open(lock_file.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return false;
  const bool free = ::flock(fd, LOCK_EX | LOCK_NB) == 0;
  ::close(fd);
  return free;
}

TEST_F(FileLockTest, MovedLockStaysHeldUntilItsLastOwnerIsDestroyed) {
  const fs::path lock_file = dir_ / "x.lock";
  {
    auto first = FileLock::Acquire(lock_file, "x");
    ASSERT_TRUE(first) << first.error();
    FileLock moved = std::move(*first);
    { FileLock gone = std::move(*first); }  // a moved-from handle releases nothing
    EXPECT_FALSE(FreeForOthers(lock_file));
  }
  EXPECT_TRUE(FreeForOthers(lock_file));
  auto again = FileLock::Acquire(lock_file, "x", [] { ADD_FAILURE() << "waited for a free lock"; });
  EXPECT_TRUE(again) << again.error();
}

TEST_F(FileLockTest, TryAcquireTakesAFreeLockAndReportsAHeldOneWithoutWaiting) {
  const fs::path lock_file = dir_ / "ship.lock";
  auto first = FileLock::TryAcquire(lock_file, "ship");
  ASSERT_TRUE(first) << first.error();
  ASSERT_TRUE(first->has_value());
  EXPECT_FALSE(FreeForOthers(lock_file));
  auto second = FileLock::TryAcquire(lock_file, "ship");  // another open file description
  ASSERT_TRUE(second) << second.error();
  EXPECT_FALSE(second->has_value());
  first->reset();
  EXPECT_TRUE(FreeForOthers(lock_file));
  auto missing = FileLock::TryAcquire(dir_ / "no-dir" / "x.lock", "ship");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), ErrorCode::kUnavailable);
}

// The lock tests below rely on the child-process helper to report a failing child.
TEST(ChildProcessesTest, ReportsEveryChildThatDidNotExitWithZero) {
  const auto failures = testing::RunInChildProcesses(3, [](int i) { return i == 1 ? 3 : 0; });
  EXPECT_EQ(failures, std::vector<std::string>{"child 1: exit 3"});
  const auto killed = testing::RunInChildProcesses(1, [](int) -> int { std::abort(); });
  ASSERT_EQ(killed.size(), 1u);
  EXPECT_EQ(killed[0], "child 0: killed by signal 6");
}

// The race the lock exists for: processes that each read a file, change it and write it back
// atomically. Under the lock every increment survives; the final count is exact.
TEST_F(FileLockTest, ConcurrentReadModifyWriteUnderTheLockLosesNoUpdate) {
  constexpr int kProcesses = 4;
  constexpr int kRounds = 100;
  const fs::path counter = dir_ / "counter";
  const fs::path lock_file = dir_ / "counter.lock";
  ASSERT_TRUE(NewLocalFileSystem()->WriteFileAtomic(
      counter, "0", fs::perms::owner_read | fs::perms::owner_write));
  const auto failures = testing::RunInChildProcesses(kProcesses, [&](int) {
    auto files = NewLocalFileSystem();
    for (int r = 0; r < kRounds; ++r) {
      auto lock = FileLock::Acquire(lock_file, "counter");
      if (!lock) return 2;
      auto text = files->ReadFile(counter);
      if (!text) return 3;
      const long n = std::stol(*text) + 1;
      if (!files->WriteFileAtomic(counter, std::to_string(n),
                                  fs::perms::owner_read | fs::perms::owner_write)) {
        return 4;
      }
    }
    return 0;
  });
  EXPECT_TRUE(failures.empty()) << ::testing::PrintToString(failures);
  auto text = NewLocalFileSystem()->ReadFile(counter);
  ASSERT_TRUE(text) << text.error();
  EXPECT_EQ(*text, std::to_string(kProcesses * kRounds));
}

}  // namespace
}  // namespace bulwark
