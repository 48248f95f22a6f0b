#include "access/pattern_algebra.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

namespace bulwark::access::internal {
namespace {

Glob G(std::string_view p, char sep = '/') { return *Glob::Compile(p, sep, sep == '/'); }
ResourcePattern P(std::string_view p) { return *ResourcePattern::Parse(p); }

TEST(PatternAlgebraTest, InclusionOfGlobs) {
  EXPECT_TRUE(GlobIncludes(G("**"), G("a/*/b")));
  EXPECT_TRUE(GlobIncludes(G("a/**"), G("a/*/b")));
  EXPECT_TRUE(GlobIncludes(G("a/*"), G("a/b?")));
  EXPECT_TRUE(GlobIncludes(G("tenant-*"), G("tenant-5")));
  EXPECT_FALSE(GlobIncludes(G("a/*"), G("a/**")));
  EXPECT_FALSE(GlobIncludes(G("a/*/b"), G("a/**")));
  EXPECT_FALSE(GlobIncludes(G("tenant-5"), G("tenant-*")));
  EXPECT_TRUE(GlobIncludes(G("a/**"), G("a")));  // a/** matches a
  EXPECT_FALSE(GlobIncludes(G("a/*"), G("a/**/b")));
}

TEST(PatternAlgebraTest, IntersectionFindsAWitness) {
  auto w = GlobIntersection(G("tenant-5/**"), G("*/production"));
  ASSERT_TRUE(w.has_value());
  EXPECT_EQ(*w, "tenant-5/production");
  EXPECT_FALSE(GlobIntersection(G("a/*"), G("b/*")).has_value());
  auto r = PatternIntersection(P("config:tenant-5/**"), P("config:*/prod:db.*"));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->ToString(), "config:tenant-5/prod:db.x0");
  EXPECT_FALSE(PatternIntersection(P("key:*"), P("config")).has_value());
}

TEST(PatternAlgebraTest, ExamplesMatchTheirPattern) {
  for (std::string_view text : {"*", "config", "config:a/*/b", "config:x:db.*", "key:k?",
                                "config:[ab]c/**", "audit:*"}) {
    ResourcePattern p = P(text);
    for (const ResourceName& r : PatternExamples(p)) EXPECT_TRUE(p.Matches(r.ref())) << text;
  }
}

TEST(PatternAlgebraTest, InclusionOfPatterns) {
  EXPECT_TRUE(PatternIncludes(P("*"), P("config:a")));
  EXPECT_TRUE(PatternIncludes(P("config"), P("config:a:b")));
  EXPECT_TRUE(PatternIncludes(P("config:a"), P("config:a:b.*")));
  EXPECT_TRUE(PatternIncludes(P("config:a:**"), P("config:a")));
  EXPECT_FALSE(PatternIncludes(P("config:a:b.*"), P("config:a")));
  EXPECT_FALSE(PatternIncludes(P("key:*"), P("config:a")));
  EXPECT_FALSE(PatternIncludes(P("config:a"), P("*")));
}

std::string Pick(const std::vector<int>& picks, std::initializer_list<std::string_view> a) {
  std::vector<std::string_view> alphabet(a);
  std::string out;
  for (int p : picks) out += alphabet[static_cast<std::size_t>(p) % alphabet.size()];
  return out;
}

RC_GTEST_PROP(PatternAlgebraProperties, InclusionIsSoundAndWitnessesMatchBoth, ()) {
  auto gen = [] {
    return *rc::gen::container<std::vector<int>>(*rc::gen::inRange(0, 6), rc::gen::inRange(0, 50));
  };
  std::string a = Pick(gen(), {"a", "b", "/", "*", "**", "?", "/**"});
  std::string b = Pick(gen(), {"a", "b", "/", "*", "**", "?", "/**"});
  Glob ga = G(a), gb = G(b);
  if (auto w = GlobIntersection(ga, gb)) {
    RC_ASSERT(ga.Matches(*w));
    RC_ASSERT(gb.Matches(*w));
  }
  if (GlobIncludes(ga, gb)) {
    for (int i = 0; i < 30; ++i) {
      std::string s = Pick(*rc::gen::container<std::vector<int>>(*rc::gen::inRange(0, 8),
                                                                  rc::gen::inRange(0, 50)),
                           {"a", "b", "/", "x0"});
      if (gb.Matches(s)) RC_ASSERT(ga.Matches(s));
    }
  }
  RC_ASSERT(ga.Matches(GlobExample(ga)));
}

}  // namespace
}  // namespace bulwark::access::internal
