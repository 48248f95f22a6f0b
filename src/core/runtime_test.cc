#include "bulwark/core/runtime.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>

#include "bulwark/testing/fake_runtime.h"
#include "bulwark/testing/temp_dir.h"

namespace bulwark {
namespace {
namespace fs = std::filesystem;

class LocalFileSystemTest : public ::testing::Test {
 protected:
  testing::TempDir tmp_{"bulwark-fs"};
  const fs::path dir_ = tmp_.path();
  std::shared_ptr<FileSystem> fs_ = NewLocalFileSystem();
};

TEST_F(LocalFileSystemTest, AtomicWriteReplacesContentsWithMode) {
  const fs::path p = dir_ / "keystore";
  ASSERT_TRUE(fs_->WriteFileAtomic(p, "one", fs::perms::owner_read | fs::perms::owner_write));
  ASSERT_TRUE(fs_->WriteFileAtomic(p, "two", fs::perms::owner_read | fs::perms::owner_write));
  EXPECT_EQ(fs_->ReadFile(p).value(), "two");
  struct stat st {};
  ASSERT_EQ(::stat(p.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // No temporary files are left behind.
  EXPECT_EQ(fs_->ListDirectory(dir_).value().size(), 1u);
}

TEST_F(LocalFileSystemTest, ReadErrorsNameThePath) {
  auto missing = fs_->ReadFile(dir_ / "nope.yaml");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound);
  EXPECT_NE(missing.error().message().find("nope.yaml"), std::string::npos);
  auto d = fs_->ReadFile(dir_);
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code(), ErrorCode::kInvalidArgument);
}

TEST_F(LocalFileSystemTest, ReadRefusesFilesOverTheLimit) {
  ASSERT_TRUE(fs_->WriteFileAtomic(dir_ / "big", std::string(100, 'x'), fs::perms::owner_all));
  auto r = fs_->ReadFile(dir_ / "big", 10);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
}

TEST(FakeFileSystemTest, InjectedWriteFailureChangesNothing) {
  testing::FakeFileSystem fs;
  ASSERT_TRUE(fs.WriteFileAtomic("/h/a", "v1", fs::perms::owner_read));
  fs.FailWritesAfter(0);
  auto s = fs.WriteFileAtomic("/h/a", "v2", fs::perms::owner_read);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(fs.ReadFile("/h/a").value(), "v1");
}

TEST(FakeClockTest, AdvancesOnlyWhenTold) {
  testing::FakeClock clock;
  const TimePoint t0 = clock.Now();
  EXPECT_EQ(clock.Now(), t0);
  clock.Advance(std::chrono::hours(24 * 90));
  EXPECT_EQ(clock.Now() - t0, std::chrono::hours(24 * 90));
}

TEST(SystemRandomTest, FillsDistinctBuffers) {
  auto rng = NewSystemRandom();
  auto a = rng->Bytes(32).value();
  auto b = rng->Bytes(32).value();
  EXPECT_NE(a, b);
}

TEST(Rfc3339Test, RoundTripsAndHonoursOffsets) {
  auto t = ParseRfc3339("2026-11-22T05:21:07Z").value();
  EXPECT_EQ(FormatRfc3339(t), "2026-11-22T05:21:07.000000Z");
  auto t2 = ParseRfc3339("2026-11-22T07:21:07.5+02:00").value();
  EXPECT_EQ(FormatRfc3339(t2), "2026-11-22T05:21:07.500000Z");
  EXPECT_FALSE(ParseRfc3339("2026-13-01T00:00:00Z"));
  EXPECT_FALSE(ParseRfc3339("2026-02-30T00:00:00Z"));
  EXPECT_FALSE(ParseRfc3339("yesterday"));
  EXPECT_FALSE(ParseRfc3339("2026-11-22T05:21:07"));
}

}  // namespace
}  // namespace bulwark
