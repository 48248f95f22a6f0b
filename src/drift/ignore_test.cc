#include "bulwark/drift/ignore.h"

#include <gtest/gtest.h>

namespace bulwark::drift {
namespace {

config::Path P(std::string_view s) { return *config::Path::Parse(s); }

TEST(IgnoreRulesTest, OneStarStaysInASegmentAndTwoStarsCrossSegments) {
  auto r = IgnoreRules::Create({"db.*", "**.password", "pod?", "a.**.b.*"});
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_TRUE(r->Matches(P("db.host")));
  EXPECT_TRUE(r->Matches(P("x.y.password")));
  EXPECT_TRUE(r->Matches(P("pod1")));
  EXPECT_TRUE(r->Matches(P("podx.y")));  // through its ancestor podx
  EXPECT_FALSE(r->Matches(P("pod")));
  EXPECT_TRUE(r->Matches(P("a.x.b.y.b.z")));
  EXPECT_FALSE(r->Matches(P("dbx.host")));
  EXPECT_FALSE(r->Matches(P("password_min")));
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
  EXPECT_FALSE(IgnoreRules::Create({"trailing\\"}));
}

}  // namespace
}  // namespace bulwark::drift
