#include "bulwark/drift/ignore.h"

#include <gtest/gtest.h>

namespace bulwark::drift {
namespace {

config::Path P(std::string_view s) { return *config::Path::Parse(s); }

TEST(GlobMatchTest, OneStarStaysInASegmentAndTwoStarsCrossSegments) {
  EXPECT_TRUE(GlobMatch("db.*", "db.host"));
  EXPECT_FALSE(GlobMatch("db.*", "db.pool.size"));
  EXPECT_TRUE(GlobMatch("db.**", "db.pool.size"));
  EXPECT_TRUE(GlobMatch("**.password", "a.b.password"));
  EXPECT_TRUE(GlobMatch("a.**.b.*", "a.x.b.y.b.z"));
  EXPECT_TRUE(GlobMatch("pod?", "pod1"));
  EXPECT_FALSE(GlobMatch("pod?", "pod.1"));
  EXPECT_FALSE(GlobMatch("a*", "a[0]"));
  EXPECT_TRUE(GlobMatch("a**", "a[0]"));
}

TEST(IgnoreRulesTest, ARuleMatchesAPathAndEverythingBelowIt) {
  auto r = IgnoreRules::Create({"cache"});
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->Matches(P("cache")));
  EXPECT_TRUE(r->Matches(P("cache.ttl")));
  EXPECT_FALSE(r->Matches(P("cachex")));
  EXPECT_FALSE(r->Matches(P("other")));
}

TEST(IgnoreRulesTest, AFileSkipsCommentsAndBlankLinesAndNamesTheLineOfABadRule) {
  auto r = IgnoreRules::Parse("# build metadata\n\n  meta.build  \nhosts[*]\n", "drift.ignore");
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(r->globs(), (std::vector<std::string>{"meta.build", "hosts[*]"}));
  EXPECT_TRUE(r->Matches(P("hosts[3]")));
  auto bad = IgnoreRules::Parse("ok\nbad\x01rule\n", "drift.ignore");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("drift.ignore:2"), std::string::npos);
  EXPECT_FALSE(IgnoreRules::Create({"  "}));
}

}  // namespace
}  // namespace bulwark::drift
