#include "bulwark/keyops/key_usage_lock.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "bulwark/keyops/key_usage_index.h"
#include "bulwark/testing/child_processes.h"
#include "bulwark/testing/temp_dir.h"

namespace bulwark::keyops {
namespace {

namespace fs = std::filesystem;

class KeyUsageLockTest : public ::testing::Test {
 protected:
  testing::TempDir tmp_{"bulwark-keyops-lock"};
  const fs::path dir_ = tmp_.path();
};

TEST_F(KeyUsageLockTest, LockFileSitsBesideTheIndex) {
  EXPECT_EQ(KeyUsageLock::PathFor("/home/u/.bulwark/key-usage.json"),
            fs::path("/home/u/.bulwark/key-usage.lock"));
}

TEST_F(KeyUsageLockTest, FailsNamingTheFileWhenItCannotBeCreated) {
  const fs::path lock_file = dir_ / "missing-dir" / "key-usage.lock";
  auto lock = KeyUsageLock::Acquire(lock_file);
  ASSERT_FALSE(lock);
  EXPECT_EQ(lock.error().code(), ErrorCode::kUnavailable);
  EXPECT_NE(lock.error().message().find(lock_file.string()), std::string::npos);
}

// A second process blocks (after saying so through on_wait) until the first releases the lock.
TEST_F(KeyUsageLockTest, AnotherProcessWaitsUntilTheLockIsReleased) {
  const fs::path lock_file = dir_ / "key-usage.lock";
  int go[2], report[2];
  ASSERT_EQ(::pipe(go), 0);
  ASSERT_EQ(::pipe(report), 0);
  // Forked before the lock is taken: a child would otherwise inherit the locked descriptor and
  // keep the lock alive after the parent released it.
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(go[1]);
    ::close(report[0]);
    char g = 0;
    if (::read(go[0], &g, 1) != 1) ::_exit(2);
    auto lock = KeyUsageLock::Acquire(lock_file, [&] { (void)!::write(report[1], "w", 1); });
    (void)!::write(report[1], lock ? "a" : "e", 1);
    ::_exit(0);
  }
  ::close(go[0]);
  ::close(report[1]);
  std::optional<KeyUsageLock> held;
  {
    auto lock = KeyUsageLock::Acquire(lock_file);
    ASSERT_TRUE(lock) << lock.error();
    held.emplace(std::move(*lock));
  }
  ASSERT_EQ(::write(go[1], "g", 1), 1);
  char c = 0;
  ASSERT_EQ(::read(report[0], &c, 1), 1);
  EXPECT_EQ(c, 'w');  // the child found the lock taken
  // While the lock is held the child cannot have written anything more.
  ASSERT_EQ(::fcntl(report[0], F_SETFL, O_NONBLOCK), 0);
  EXPECT_EQ(::read(report[0], &c, 1), -1);
  EXPECT_EQ(errno, EAGAIN);
  held.reset();  // releases the lock
  ASSERT_EQ(::fcntl(report[0], F_SETFL, 0), 0);
  ASSERT_EQ(::read(report[0], &c, 1), 1);
  EXPECT_EQ(c, 'a');  // and took it once it was released
  ::close(go[1]);
  ::close(report[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

// The race the lock exists for: processes that each add their own entries by read-modify-write
// of the same index. Without the lock, one process's Save overwrites entries another added after
// this one's Load, and `keys destroy` would no longer know those files.
TEST_F(KeyUsageLockTest, ConcurrentProcessesUpdatingTheIndexLoseNoEntry) {
  constexpr int kProcesses = 6;
  constexpr int kRounds = 40;
  const fs::path index_file = dir_ / "key-usage.json";
  const fs::path lock_file = KeyUsageLock::PathFor(index_file);
  const auto failures = testing::RunInChildProcesses(kProcesses, [&](int p) {
    auto files = NewLocalFileSystem();
    for (int r = 0; r < kRounds; ++r) {
      auto lock = KeyUsageLock::Acquire(lock_file);
      if (!lock) return 2;
      auto index = KeyUsageIndex::Load(*files, index_file);
      if (!index) return 3;
      IndexedFile entry;
      entry.values_per_key[0x1000 + static_cast<keys::KeyId>(p)] = 1;
      index->Record(dir_ / ("p" + std::to_string(p) + "-" + std::to_string(r) + ".yaml"),
                    std::move(entry));
      if (!index->Save(*files)) return 4;
    }
    return 0;
  });
  EXPECT_TRUE(failures.empty()) << ::testing::PrintToString(failures);
  auto index = KeyUsageIndex::Load(*NewLocalFileSystem(), index_file);
  ASSERT_TRUE(index) << index.error();
  EXPECT_EQ(index->files().size(), static_cast<std::size_t>(kProcesses * kRounds));
  for (int p = 0; p < kProcesses; ++p) {
    EXPECT_EQ(index->FilesUsing(0x1000 + static_cast<keys::KeyId>(p)).size(),
              static_cast<std::size_t>(kRounds))
        << "process " << p;
  }
}

}  // namespace
}  // namespace bulwark::keyops
