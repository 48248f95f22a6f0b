#include "bulwark/compliance/history.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <thread>

#include "bulwark/testing/temp_dir.h"

#include "bulwark/testing/assert_ok.h"

namespace bulwark::compliance {
namespace {

VersionStatus Version(std::int64_t v, std::vector<StoredFinding> findings) {
  VersionStatus s;
  s.ns = "prod/api";
  s.version = v;
  s.recorded_at = 1700000000 + v;
  for (const auto& f : findings) ++s.by_severity[static_cast<int>(f.severity)];
  s.findings = std::move(findings);
  return s;
}

const StoredFinding kTls{"SEC_001", "services[1].database.ssl_mode", Severity::kCritical,
                         "worker connects without TLS"};
const StoredFinding kDebug{"OPS_001", "services[0].logging.level", Severity::kMedium, "debug"};

// One conformance suite, run against every implementation.
class HistoryConformanceTest : public ::testing::TestWithParam<std::string> {
 protected:
  Result<std::unique_ptr<ComplianceHistory>> Make() {
    if (GetParam() == "memory") return NewInMemoryComplianceHistory();
    return OpenSqliteComplianceHistory(":memory:");
  }
};

TEST_P(HistoryConformanceTest, RecordsAndListsVersionsInOrder) {
  ASSERT_OK_AND_ASSIGN(auto h, Make());
  ASSERT_TRUE(h->Record(Version(2, {kTls, kDebug})));
  ASSERT_TRUE(h->Record(Version(1, {kDebug})));
  ASSERT_TRUE(h->Record(Version(3, {})));
  VersionStatus other = Version(1, {kTls});
  other.ns = "dev/api";
  ASSERT_TRUE(h->Record(other));
  auto list = h->List("prod/api");
  ASSERT_TRUE(list) << list.error();
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ((*list)[0], Version(1, {kDebug}));
  EXPECT_EQ((*list)[1], Version(2, {kTls, kDebug}));
  EXPECT_EQ((*list)[2], Version(3, {}));
  EXPECT_TRUE(h->List("none")->empty());
}

TEST_P(HistoryConformanceTest, RecordingAVersionAgainReplacesIt) {
  ASSERT_OK_AND_ASSIGN(auto h, Make());
  ASSERT_TRUE(h->Record(Version(1, {kTls, kDebug})));
  ASSERT_TRUE(h->Record(Version(1, {kDebug})));
  auto list = h->List("prod/api");
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0], Version(1, {kDebug}));
}

// Issue #14: opening the history of a home created its tables, so eight commands started at once
// failed with "database is locked" (exit 5) on a read. Opening and listing now never write, and
// every statement waits (bounded) for another process's lock.
class SqliteHistoryFileTest : public ::testing::Test {
 protected:
  bulwark::testing::TempDir tmp_{"bulwark-history"};
  const std::filesystem::path db_ = tmp_.path() / "compliance.db";
};

TEST_F(SqliteHistoryFileTest, OpeningAndListingWriteNothingAndTheFileIsPrivate) {
  {
    auto h = OpenSqliteComplianceHistory(db_);
    ASSERT_TRUE(h) << h.error();
    auto list = (*h)->List("prod/api");
    ASSERT_TRUE(list) << list.error();
    EXPECT_TRUE(list->empty());
  }
  EXPECT_EQ(std::filesystem::file_size(db_), 0u);  // no table was created
  EXPECT_EQ(std::filesystem::status(db_).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  auto writer = OpenSqliteComplianceHistory(db_);
  auto reader = OpenSqliteComplianceHistory(db_);  // opened before the tables existed
  ASSERT_TRUE(writer && reader);
  ASSERT_TRUE((*writer)->Record(Version(1, {kTls})));
  auto list = (*reader)->List("prod/api");
  ASSERT_TRUE(list) << list.error();
  ASSERT_EQ(list->size(), 1u);
}

TEST_F(SqliteHistoryFileTest, ARecordWaitsForAnotherWriterAndGivesUpAfterTheTimeout) {
  ASSERT_TRUE((*OpenSqliteComplianceHistory(db_))->Record(Version(1, {})));
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(db_.c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  auto h = OpenSqliteComplianceHistory(db_, std::chrono::milliseconds(200));
  ASSERT_TRUE(h);
  EXPECT_TRUE((*h)->List("prod/api"));  // WAL: a reader is not blocked by the writer
  auto refused = (*h)->Record(Version(2, {}));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::kUnavailable);
  // Released while a second record waits: it goes through.
  std::thread release([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    sqlite3_exec(other, "COMMIT", nullptr, nullptr, nullptr);
  });
  auto patient = OpenSqliteComplianceHistory(db_, std::chrono::seconds(30));
  EXPECT_TRUE((*patient)->Record(Version(2, {})));
  release.join();
  sqlite3_close(other);
  EXPECT_EQ((*patient)->List("prod/api")->size(), 2u);
}

INSTANTIATE_TEST_SUITE_P(Implementations, HistoryConformanceTest,
                         ::testing::Values("memory", "sqlite"));

TEST(FindingTimelineTest, ShowsWhenFindingsAppearAndDisappear) {
  std::vector<VersionStatus> versions = {Version(1, {kDebug}), Version(2, {kDebug, kTls}),
                                         Version(3, {kTls}), Version(4, {}), Version(5, {kDebug})};
  auto t = FindingTimeline(versions);
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(t[0].rule_id, "OPS_001");
  EXPECT_EQ(t[0].appeared_in, 1);
  EXPECT_EQ(t[0].disappeared_in, 3);
  EXPECT_EQ(t[1].rule_id, "SEC_001");
  EXPECT_EQ(t[1].appeared_in, 2);
  EXPECT_EQ(t[1].disappeared_in, 4);
  EXPECT_EQ(t[2].rule_id, "OPS_001");
  EXPECT_EQ(t[2].appeared_in, 5);
  EXPECT_FALSE(t[2].disappeared_in);
  const std::string text = RenderHistoryText("prod/api", versions);
  EXPECT_NE(text.find("v2: 2 findings (1 critical"), std::string::npos) << text;
  EXPECT_NE(text.find("  + critical SEC_001 services[1].database.ssl_mode"), std::string::npos);
  EXPECT_NE(text.find("  - critical SEC_001 services[1].database.ssl_mode (since v2)"),
            std::string::npos)
      << text;
}

}  // namespace
}  // namespace bulwark::compliance
