#include "bulwark/core/runtime.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <ctime>
#include <limits>

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

TEST_F(LocalFileSystemTest, RestrictToOwnerRemovesGroupAndOtherBitsAndSaysWhatItHad) {
  const fs::path f = dir_ / "store.db";
  ASSERT_TRUE(fs_->WriteFileAtomic(f, "x", fs::perms::owner_read | fs::perms::owner_write));
  fs::permissions(f, static_cast<fs::perms>(0664));
  fs::permissions(dir_, static_cast<fs::perms>(0755));
  auto had = fs_->RestrictToOwner(f);
  ASSERT_TRUE(had) << had.error();
  EXPECT_EQ(static_cast<unsigned>(*had & fs::perms::mask), 0664u);
  EXPECT_EQ(static_cast<unsigned>(fs::status(f).permissions()), 0600u);
  auto dir = fs_->RestrictToOwner(dir_);
  ASSERT_TRUE(dir) << dir.error();
  EXPECT_EQ(static_cast<unsigned>(*dir & fs::perms::mask), 0755u);
  EXPECT_EQ(static_cast<unsigned>(fs::status(dir_).permissions()), 0700u);
  // Already private: unchanged, and reported as it is.
  EXPECT_EQ(static_cast<unsigned>(fs_->RestrictToOwner(f).value()), 0600u);
  auto missing = fs_->RestrictToOwner(dir_ / "nope");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound);
  EXPECT_NE(missing.error().message().find("nope"), std::string::npos);
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

// Issue #14: `get --at 2262-04-12T00:00:00Z` answered "no version at 1677-09-21..." and
// 1677-09-20 returned the latest version: the time wrapped around the 64-bit nanosecond count.
TEST(Rfc3339Test, TimesOutsideTheClocksRangeAreRefusedInsteadOfWrapping) {
  for (const char* t : {"2262-04-12T00:00:00Z", "2262-04-11T23:59:59Z", "9999-12-31T23:59:59Z",
                        "1677-09-20T00:00:00Z", "1677-09-21T00:12:44Z", "0000-01-01T00:00:00Z",
                        "2262-04-10T23:00:00-02:00"}) {
    auto r = ParseRfc3339(t);
    ASSERT_FALSE(r.has_value()) << t;
    EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(r.error().message().find("outside the range"), std::string::npos) << t;
  }
  for (const char* t : {"2262-04-10T00:00:00Z", "1677-09-23T00:00:00Z", "2000-02-29T12:00:00Z"}) {
    auto r = ParseRfc3339(t);
    ASSERT_TRUE(r.has_value()) << t << ": " << r.error().message();
    EXPECT_EQ(FormatRfc3339(*r).substr(0, 19), std::string(t).substr(0, 19));
  }
}

// The implementation FormatRfc3339 had before it wrote fixed-width digits (fmt and gmtime_r).
std::string ReferenceFormatRfc3339(TimePoint t) {
  const auto secs = std::chrono::floor<std::chrono::seconds>(t);
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(t - secs).count();
  const std::time_t tt = std::chrono::system_clock::to_time_t(secs);
  std::tm tm{};
  ::gmtime_r(&tt, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, micros);
}

TEST(Rfc3339Test, FormatsEdgeTimesAsTheReferenceDoes) {
  using Rep = TimePoint::duration::rep;
  const std::int64_t day = 86'400;
  // Epoch, the day before, leap days, centuries (2000 is a leap year, 1900 and 2100 are not),
  // the last second of a year, and the ends of the clock's range (floor to seconds must not
  // overflow, hence one second inside the minimum).
  std::vector<Rep> ticks = {0, -1, 1, std::numeric_limits<Rep>::max(),
                            std::numeric_limits<Rep>::min() + TimePoint::period::den};
  const std::int64_t seconds[] = {0,
                                  -day,
                                  951'782'400,     // 2000-02-29
                                  -2'203'891'200,  // 1900-03-01
                                  4'107'542'400,   // 2100-03-01
                                  1'798'761'599,   // 2026-12-31T23:59:59
                                  4'102'444'800};  // 2100-01-01
  for (std::int64_t s : seconds) {
    for (std::int64_t delta : {-day, std::int64_t{-1}, std::int64_t{0}, std::int64_t{1}}) {
      const auto d =
          std::chrono::duration_cast<TimePoint::duration>(std::chrono::seconds(s + delta));
      for (Rep frac : {Rep{0}, Rep{1}, Rep{999}, Rep{1000}, TimePoint::period::den / 2,
                       TimePoint::period::den - 1}) {
        ticks.push_back(d.count() + frac);
      }
    }
  }
  for (Rep tick : ticks) {
    const TimePoint t{TimePoint::duration(tick)};
    EXPECT_EQ(FormatRfc3339(t), ReferenceFormatRfc3339(t)) << tick;
  }
  EXPECT_EQ(FormatRfc3339(TimePoint{}), "1970-01-01T00:00:00.000000Z");
  EXPECT_EQ(FormatRfc3339(TimePoint{} - std::chrono::microseconds(1)),
            "1969-12-31T23:59:59.999999Z");
}

RC_GTEST_PROP(Rfc3339Test, FormatsEveryTimeAsTheReferenceDoes, ()) {
  using Rep = TimePoint::duration::rep;
  // The whole range of the clock (one second inside its minimum: flooring must not overflow),
  // and times within a few centuries of now with every sub-second value.
  const Rep tick = *rc::gen::oneOf(
      rc::gen::inRange<Rep>(std::numeric_limits<Rep>::min() + TimePoint::period::den,
                            std::numeric_limits<Rep>::max()),
      rc::gen::map(
          rc::gen::inRange<std::int64_t>(-8'000'000'000, 8'000'000'000),
          [](std::int64_t s) {
            return std::chrono::duration_cast<TimePoint::duration>(std::chrono::seconds(s)).count();
          }),
      rc::gen::arbitrary<Rep>());
  const auto sub = *rc::gen::inRange<Rep>(0, TimePoint::period::den);
  const Rep t = tick > std::numeric_limits<Rep>::max() - sub ? tick : tick + sub;
  if (t < std::numeric_limits<Rep>::min() + TimePoint::period::den) return;
  RC_ASSERT(FormatRfc3339(TimePoint(TimePoint::duration(t))) ==
            ReferenceFormatRfc3339(TimePoint(TimePoint::duration(t))));
  std::array<char, kRfc3339MaxSize> buf;
  const std::size_t n = FormatRfc3339To(TimePoint(TimePoint::duration(t)), buf);
  RC_ASSERT(std::string(buf.data(), n) == FormatRfc3339(TimePoint(TimePoint::duration(t))));
}

}  // namespace
}  // namespace bulwark
