#include "audit/internal/tamper_locator.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "audit/reference_merkle_testutil.h"

namespace bulwark::audit::internal {
namespace {

std::vector<Hash> Leaves(int n) {
  std::vector<Hash> out;
  for (int i = 0; i < n; ++i) out.push_back(HashLeaf(fmt::format("event {}", i)));
  return out;
}

// A signed log of `signed_leaves` (checkpoint at `size`), whose stored entries became `stored`.
struct Scenario {
  std::vector<Hash> signed_leaves;
  std::vector<Hash> stored;
  std::uint64_t size = 0;
  std::uint64_t verified = 0;
  std::map<std::uint64_t, Hash> cache;  // group -> hash, as written at append time

  Scenario(int n, std::uint64_t checkpoint) : signed_leaves(Leaves(n)), stored(signed_leaves), size(checkpoint) {
    for (std::uint64_t g = 0; (g + 1) * kCachedGroupSize <= signed_leaves.size(); ++g) {
      cache[g] = reference::Mth(signed_leaves, g * kCachedGroupSize, (g + 1) * kCachedGroupSize);
    }
  }
  std::optional<TamperLocation> Locate(bool with_cache = true) const {
    TamperQuery q;
    q.size = size;
    q.root = reference::Mth(signed_leaves, 0, size);
    q.verified = verified;
    q.leaves = stored;
    if (with_cache) {
      q.cached_group = [this](std::uint64_t g) -> std::optional<Hash> {
        auto it = cache.find(g);
        if (it == cache.end()) return std::nullopt;
        return it->second;
      };
    }
    return LocateTampering(q);
  }
};

TEST(TamperLocatorTest, NamesAnInsertedEventFarFromTheLastGoodCheckpoint) {
  Scenario s(64, 64);
  s.stored.insert(s.stored.begin() + 20, HashLeaf("forged"));
  auto loc = s.Locate();
  ASSERT_TRUE(loc);
  EXPECT_TRUE(loc->exact);
  EXPECT_EQ(loc->first, 20u);
  EXPECT_NE(loc->explanation.find("event 20 was inserted"), std::string::npos) << loc->explanation;
}

TEST(TamperLocatorTest, NamesSwappedAndMovedEvents) {
  {
    Scenario s(64, 64);
    std::swap(s.stored[30], s.stored[31]);
    auto loc = s.Locate();
    ASSERT_TRUE(loc);
    EXPECT_TRUE(loc->exact);
    EXPECT_EQ(loc->first, 30u);
    EXPECT_NE(loc->explanation.find("events 30 and 31 were swapped"), std::string::npos);
  }
  {
    Scenario s(64, 64);
    std::swap(s.stored[33], s.stored[40]);
    auto loc = s.Locate();
    ASSERT_TRUE(loc && loc->exact);
    EXPECT_EQ(loc->first, 33u);
  }
  {
    Scenario s(64, 64);  // event 36 renumbered to sit before 34
    auto e = s.stored[36];
    s.stored.erase(s.stored.begin() + 36);
    s.stored.insert(s.stored.begin() + 34, e);
    auto loc = s.Locate();
    ASSERT_TRUE(loc && loc->exact) << (loc ? loc->explanation : "none");
    EXPECT_EQ(loc->first, 34u);
  }
}

TEST(TamperLocatorTest, FallsBackToTheGroupForEditsItCannotUndo) {
  Scenario s(64, 64);
  s.stored[45] = HashLeaf("modified, hash recomputed");
  auto loc = s.Locate();
  ASSERT_TRUE(loc);
  EXPECT_FALSE(loc->exact);
  EXPECT_EQ(loc->first, 32u);
  EXPECT_EQ(loc->end, 48u);
}

TEST(TamperLocatorTest, TriesTheUncachedTailAndSurvivesARewrittenCache) {
  {
    Scenario s(70, 70);  // 64 cached, 6 in the last partial group
    std::swap(s.stored[66], s.stored[68]);
    auto loc = s.Locate();
    ASSERT_TRUE(loc && loc->exact);
    EXPECT_EQ(loc->first, 66u);
  }
  {
    Scenario s(20, 20);
    s.verified = 10;
    s.stored.insert(s.stored.begin() + 13, HashLeaf("forged"));
    // The attacker rebuilt the cache from the forged entries: it no longer folds to the root.
    s.cache[0] = reference::Mth(s.stored, 0, 16);
    auto loc = s.Locate();
    ASSERT_TRUE(loc && loc->exact);
    EXPECT_EQ(loc->first, 13u);
    EXPECT_TRUE(s.Locate(/*with_cache=*/false));
  }
}

TEST(TamperLocatorTest, NothingToSayWithoutAMismatch) {
  Scenario s(64, 64);
  EXPECT_FALSE(s.Locate());
}

}  // namespace
}  // namespace bulwark::audit::internal
