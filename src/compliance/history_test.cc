#include "bulwark/compliance/history.h"

#include <gtest/gtest.h>

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
