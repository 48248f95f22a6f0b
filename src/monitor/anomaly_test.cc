#include "bulwark/monitor/anomaly.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "monitor/test_util.h"

namespace bulwark::monitor {
namespace {

using testing::EventSpec;
using ::testing::HasSubstr;

AnomalyOptions Only(std::string_view which) {
  AnomalyOptions o;
  o.new_source.enabled = which == "new_source";
  o.unusual_hour.enabled = which == "unusual_hour";
  o.rate_spike.enabled = which == "rate_spike";
  o.mass_read.enabled = which == "mass_read";
  return o;
}

std::vector<AnomalyFinding> Observe(AnomalyDetectors& d, const EventSpec& s, std::uint64_t i = 0) {
  std::vector<AnomalyFinding> out;
  d.Observe(testing::View(s, i), out);
  return out;
}

TEST(AnomalyTest, NewSourceAlertsOnlyAfterLearningThePrincipal) {
  AnomalyOptions o = Only("new_source");
  o.new_source.min_events = 5;
  auto d = AnomalyDetectors::Create(o);
  ASSERT_TRUE(d.has_value());
  EventSpec s;
  s.source_address = "10.0.0.1";
  EXPECT_TRUE(Observe(**d, s).empty());  // first address while learning
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(Observe(**d, s).empty());
  s.source_address = "10.0.0.2";
  auto f = Observe(**d, s);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].detector, "new_source");
  EXPECT_THAT(f[0].summary, HasSubstr("local:alice acted from a new address 10.0.0.2"));
  EXPECT_TRUE(Observe(**d, s).empty());  // now known
  s.actor = "local:bob";                 // another principal learns on its own
  s.source_address = "10.9.9.9";
  EXPECT_TRUE(Observe(**d, s).empty());
}

TEST(AnomalyTest, UnusualHourIsLearnedFromThePrincipalsHistory) {
  AnomalyOptions o = Only("unusual_hour");
  o.unusual_hour.min_events = 50;
  o.timezone = "Europe/Paris";
  auto d = AnomalyDetectors::Create(o);
  ASSERT_TRUE(d.has_value()) << d.error().message();
  EventSpec s;
  // 60 events at 10:00-16:00 UTC on weekdays (11:00-17:00 in Paris in January).
  for (int i = 0; i < 60; ++i) {
    s.time = testing::Monday10() + std::chrono::hours(24 * (i % 5) + (i % 7));
    EXPECT_TRUE(Observe(**d, s).empty());
  }
  s.time = testing::Monday10() + std::chrono::hours(13);  // 23:00 UTC = 00:00 in Paris
  auto f = Observe(**d, s);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].details["hour"], 0);
  EXPECT_EQ(f[0].group, "local:alice 00");
  s.time = testing::Monday10() + std::chrono::hours(3);  // 14:00 in Paris: usual
  EXPECT_TRUE(Observe(**d, s).empty());
}

TEST(AnomalyTest, RateSpikeComparesTheBucketWithTheRollingBaseline) {
  AnomalyOptions o = Only("rate_spike");
  o.rate_spike.bucket = std::chrono::seconds(60);
  o.rate_spike.baseline = 30;
  o.rate_spike.min_baseline = 10;
  o.rate_spike.min_count = 20;
  o.rate_spike.z = 4;
  auto d = AnomalyDetectors::Create(o);
  ASSERT_TRUE(d.has_value());
  EventSpec s;
  // 20 minutes of 2-4 events per minute.
  for (int m = 0; m < 20; ++m) {
    for (int k = 0; k < 2 + m % 3; ++k) {
      s.time = testing::Monday10() + std::chrono::minutes(m) + std::chrono::seconds(k);
      EXPECT_TRUE(Observe(**d, s).empty());
    }
  }
  // Then 40 in one minute: alerts once, at the 20th or so.
  int alerts = 0;
  for (int k = 0; k < 40; ++k) {
    s.time = testing::Monday10() + std::chrono::minutes(20) + std::chrono::milliseconds(k * 100);
    auto f = Observe(**d, s);
    if (!f.empty()) {
      ++alerts;
      EXPECT_EQ(f[0].detector, "rate_spike");
      EXPECT_GE(f[0].details["z"].get<double>(), 4.0);
      EXPECT_EQ(f[0].count, 20u);
    }
  }
  EXPECT_EQ(alerts, 1);
}

TEST(AnomalyTest, RateSpikeNeedsABaselineFirst) {
  AnomalyOptions o = Only("rate_spike");
  o.rate_spike.min_count = 5;
  auto d = AnomalyDetectors::Create(o);
  ASSERT_TRUE(d.has_value());
  EventSpec s;
  for (int k = 0; k < 100; ++k) {
    s.time = testing::Monday10() + std::chrono::milliseconds(k);
    EXPECT_TRUE(Observe(**d, s).empty());
  }
}

TEST(AnomalyTest, MassReadCountsDistinctRevealedSensitivePaths) {
  AnomalyOptions o = Only("mass_read");
  o.mass_read.threshold = 3;
  o.mass_read.window = std::chrono::minutes(10);
  auto d = AnomalyDetectors::Create(o);
  ASSERT_TRUE(d.has_value());
  EventSpec s;
  s.operation = "config.reveal";
  s.action = request::Action::kReveal;
  s.revealed = true;
  std::vector<AnomalyFinding> found;
  for (int i = 0; i < 6; ++i) {
    s.sensitive_paths = {"k" + std::to_string(i % 3)};  // only 3 distinct: no alert
    s.time = testing::Monday10() + std::chrono::seconds(i);
    EXPECT_TRUE(Observe(**d, s).empty());
  }
  s.sensitive_paths = {"k3"};
  auto f = Observe(**d, s);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].details["distinct_paths"], 4);
  EXPECT_EQ(f[0].window_seconds, 600);
  // Not revealed: nothing counts.
  s.revealed = false;
  s.sensitive_paths = {"a", "b", "c", "d", "e"};
  EXPECT_TRUE(Observe(**d, s).empty());
}

TEST(AnomalyTest, RejectsUnknownTimeZonesAndBadOptions) {
  AnomalyOptions o;
  o.timezone = "Mars/Olympus";
  EXPECT_FALSE(AnomalyDetectors::Create(o).has_value());
  o.timezone = "x'; drop";
  EXPECT_FALSE(AnomalyDetectors::Create(o).has_value());
  o = {};
  o.rate_spike.min_baseline = 100;
  o.rate_spike.baseline = 10;
  EXPECT_FALSE(AnomalyDetectors::Create(o).has_value());
}

}  // namespace
}  // namespace bulwark::monitor
