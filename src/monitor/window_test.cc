#include "bulwark/monitor/window.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace bulwark::monitor {
namespace {

constexpr std::int64_t kMinute = 60'000'000;

TEST(WindowCounterTest, FiresWhenMoreThanThresholdEventsFallInTheWindow) {
  WindowCounter w(5 * kMinute, 5, 100);
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(w.Observe("alice", i * kMinute / 2).has_value());
  auto fired = w.Observe("alice", 3 * kMinute);
  ASSERT_TRUE(fired.has_value());
  EXPECT_EQ(*fired, 6u);
  // The group starts over.
  EXPECT_FALSE(w.Observe("alice", 3 * kMinute + 1).has_value());
}

TEST(WindowCounterTest, EventsOlderThanTheWindowDoNotCount) {
  WindowCounter w(5 * kMinute, 2, 100);
  EXPECT_FALSE(w.Observe("a", 0).has_value());
  EXPECT_FALSE(w.Observe("a", 2 * kMinute).has_value());
  EXPECT_FALSE(w.Observe("a", 6 * kMinute).has_value());  // the first one left the window
  EXPECT_TRUE(w.Observe("a", 6 * kMinute + 1).has_value());
}

TEST(WindowCounterTest, GroupsCountSeparately) {
  WindowCounter w(kMinute, 1, 100);
  EXPECT_FALSE(w.Observe("a", 0).has_value());
  EXPECT_FALSE(w.Observe("b", 1).has_value());
  EXPECT_TRUE(w.Observe("a", 2).has_value());
}

TEST(WindowCounterTest, KeepsAtMostMaxGroupsAndCountsLiveEvictions) {
  WindowCounter w(kMinute, 3, 10);
  for (int i = 0; i < 1000; ++i) w.Observe("g" + std::to_string(i), i);
  EXPECT_LE(w.groups(), 10u);
  EXPECT_GT(w.evicted_live(), 0u);
  // Stale groups evicted later are not "live".
  WindowCounter s(kMinute, 3, 2);
  s.Observe("old1", 0);
  s.Observe("old2", 0);
  s.Observe("new", 10 * kMinute);
  EXPECT_EQ(s.evicted_live(), 0u);
}

// The naive reference: every event since the group's last alert, counted in full.
class NaiveWindow {
 public:
  NaiveWindow(std::int64_t window, std::uint32_t threshold)
      : window_(window), threshold_(threshold) {}
  bool Observe(const std::string& g, std::int64_t t) {
    auto& v = events_[g];
    v.push_back(t);
    const std::int64_t newest = *std::max_element(v.begin(), v.end());
    const auto count =
        std::count_if(v.begin(), v.end(), [&](std::int64_t x) { return x > newest - window_; });
    if (count > threshold_) {
      v.clear();
      return true;
    }
    return false;
  }

 private:
  std::int64_t window_;
  std::uint32_t threshold_;
  std::map<std::string, std::vector<std::int64_t>> events_;
};

RC_GTEST_PROP(WindowCounterProperty, AgreesWithTheNaiveReference, ()) {
  const auto window = *rc::gen::inRange<std::int64_t>(1, 1000);
  const auto threshold = *rc::gen::inRange<std::uint32_t>(0, 8);
  const auto steps = *rc::gen::container<std::vector<std::tuple<int, int>>>(
      rc::gen::tuple(rc::gen::inRange(0, 4), rc::gen::inRange(-50, 400)));
  WindowCounter fast(window, threshold, 16);
  NaiveWindow naive(window, threshold);
  std::int64_t t = 0;
  for (const auto& [group, dt] : steps) {
    t += dt;  // mostly forward, sometimes slightly back (writers' clocks differ)
    const std::string g = "g" + std::to_string(group);
    const bool expected = naive.Observe(g, t);
    const auto got = fast.Observe(g, t);
    RC_ASSERT(got.has_value() == expected);
    if (got) RC_ASSERT(*got == threshold + 1);
  }
}

class NaiveDistinct {
 public:
  NaiveDistinct(std::int64_t window, std::uint32_t threshold)
      : window_(window), threshold_(threshold) {}
  std::optional<std::uint32_t> Observe(const std::string& g, std::uint64_t item, std::int64_t t) {
    auto& m = items_[g];
    m[item] = std::max(m.count(item) ? m[item] : t, t);
    std::int64_t newest = newest_.count(g) ? std::max(newest_[g], t) : t;
    newest_[g] = newest;
    std::uint32_t n = 0;
    for (const auto& [id, time] : m) n += time > newest - window_ ? 1 : 0;
    if (n > threshold_) {
      m.clear();
      newest_.erase(g);
      return n;
    }
    return std::nullopt;
  }

 private:
  std::int64_t window_;
  std::uint32_t threshold_;
  std::map<std::string, std::map<std::uint64_t, std::int64_t>> items_;
  std::map<std::string, std::int64_t> newest_;
};

RC_GTEST_PROP(DistinctWindowCounterProperty, AgreesWithTheNaiveReference, ()) {
  const auto window = *rc::gen::inRange<std::int64_t>(1, 1000);
  const auto threshold = *rc::gen::inRange<std::uint32_t>(0, 6);
  const auto steps = *rc::gen::container<std::vector<std::tuple<int, int, int>>>(
      rc::gen::tuple(rc::gen::inRange(0, 3), rc::gen::inRange(0, 12), rc::gen::inRange(-20, 300)));
  DistinctWindowCounter fast(window, threshold, 16);
  NaiveDistinct naive(window, threshold);
  std::int64_t t = 0;
  for (const auto& [group, item, dt] : steps) {
    t += dt;
    const std::string g = "g" + std::to_string(group);
    const auto expected = naive.Observe(g, static_cast<std::uint64_t>(item), t);
    const auto got = fast.Observe(g, static_cast<std::uint64_t>(item), t);
    RC_ASSERT(got.has_value() == expected.has_value());
    if (got) RC_ASSERT(*got == *expected);
  }
}

TEST(DistinctWindowCounterTest, CountsDistinctItemsOnly) {
  DistinctWindowCounter d(kMinute, 2, 10);
  EXPECT_FALSE(d.Observe("a", 1, 0).has_value());
  EXPECT_FALSE(d.Observe("a", 1, 1).has_value());
  EXPECT_FALSE(d.Observe("a", 2, 2).has_value());
  EXPECT_FALSE(d.Observe("a", 2, 3).has_value());
  auto fired = d.Observe("a", 3, 4);
  ASSERT_TRUE(fired.has_value());
  EXPECT_EQ(*fired, 3u);
}

}  // namespace
}  // namespace bulwark::monitor
