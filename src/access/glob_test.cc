#include "bulwark/access/glob.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <string>

namespace bulwark::access {
namespace {

bool M(std::string_view pattern, std::string_view text, char sep = '/', bool classes = true) {
  auto g = Glob::Compile(pattern, sep, classes);
  EXPECT_TRUE(g.has_value()) << pattern;
  return g.has_value() && g->Matches(text);
}

TEST(GlobTest, LiteralsMatchExactly) {
  EXPECT_TRUE(M("tenant-5/production", "tenant-5/production"));
  EXPECT_FALSE(M("tenant-5/production", "tenant-5/production2"));
  EXPECT_FALSE(M("tenant-5", "tenant-50"));
}

TEST(GlobTest, StarStaysInsideOneSegment) {
  EXPECT_TRUE(M("tenant-*", "tenant-5"));
  EXPECT_FALSE(M("tenant-*", "tenant-5/production"));
  EXPECT_TRUE(M("*/production", "eu/production"));
  EXPECT_FALSE(M("*/production", "eu/west/production"));
  EXPECT_TRUE(M("a*b*c", "axxbyyc"));
  EXPECT_FALSE(M("a*b*c", "axx/byyc"));
}

TEST(GlobTest, DoubleStarCrossesSegments) {
  EXPECT_TRUE(M("tenant-5/**", "tenant-5/production/db"));
  EXPECT_TRUE(M("**", ""));
  EXPECT_TRUE(M("**/production", "eu/west/production"));
  EXPECT_TRUE(M("a/**/b", "a/x/y/b"));
}

TEST(GlobTest, SeparatorBeforeDoubleStarMayMatchNothing) {
  EXPECT_TRUE(M("tenant-5/**", "tenant-5"));
  EXPECT_FALSE(M("tenant-5/**", "tenant-50"));
  EXPECT_TRUE(M("a/**/b", "a/b"));
  EXPECT_TRUE(M("**/prod", "prod"));
  EXPECT_FALSE(M("**/prod", "preprod"));
  EXPECT_TRUE(M("x/**/y/**", "x/y"));
}

TEST(GlobTest, QuestionMarkAndClasses) {
  EXPECT_TRUE(M("k?", "k1"));
  EXPECT_FALSE(M("k?", "k/"));
  EXPECT_TRUE(M("eu-[a-c]", "eu-b"));
  EXPECT_FALSE(M("eu-[a-c]", "eu-d"));
  EXPECT_TRUE(M("eu-[!a-c]", "eu-d"));
  EXPECT_TRUE(M("a\\*b", "a*b"));
  EXPECT_FALSE(M("a\\*b", "axb"));
}

TEST(GlobTest, PathsUseDotsAndLiteralBrackets) {
  EXPECT_TRUE(M("services[*].token", "services[3].token", '.', false));
  EXPECT_FALSE(M("services.*.token", "services[3].token", '.', false));
  EXPECT_TRUE(M("db.*", "db.password", '.', false));
  EXPECT_FALSE(M("db.*", "db.primary.password", '.', false));
  EXPECT_TRUE(M("db.**", "db", '.', false));
  EXPECT_TRUE(M("a.**.b", "a.b", '.', false));
}

TEST(GlobTest, ReportsTheLiteralPrefix) {
  auto g = Glob::Compile("tenant-5/st*ging/**", '/', true);
  ASSERT_TRUE(g.has_value());
  EXPECT_EQ(g->literal_prefix(), "tenant-5/st");
  EXPECT_FALSE(g->is_literal());
  auto lit = Glob::Compile("a\\*", '/', true);
  ASSERT_TRUE(lit.has_value());
  EXPECT_TRUE(lit->is_literal());
  EXPECT_EQ(lit->literal_prefix(), "a*");
}

TEST(GlobTest, RejectsMalformedPatterns) {
  EXPECT_FALSE(Glob::Compile("eu-[a-c", '/', true).has_value());
  EXPECT_FALSE(Glob::Compile("abc\\", '/', true).has_value());
  EXPECT_FALSE(Glob::Compile(std::string(300, 'a') + "*b", '/', true).has_value());
  EXPECT_TRUE(Glob::Compile(std::string(300, 'a') + "**", '/', true).has_value());
}

// A backtracking reference with the documented semantics, written independently of the
// automaton (exponential, fine for short inputs).
bool Reference(const std::vector<Glob::Token>& t, std::size_t ti, std::string_view s,
               std::size_t si, char sep) {
  const std::size_t n = t.size();
  auto is_sep = [&](std::size_t i) {
    return i < n && t[i].kind == Glob::TokenKind::kChar && t[i].c == sep;
  };
  auto is_dstar = [&](std::size_t i) {
    return i < n && t[i].kind == Glob::TokenKind::kDoubleStar;
  };
  if (ti == n) return si == s.size();
  if (is_sep(ti) && is_dstar(ti + 1) && (ti + 2 == n || is_sep(ti + 2)) &&
      Reference(t, ti + 2, s, si, sep)) {
    return true;
  }
  if (ti == 0 && is_dstar(0) && is_sep(1) && Reference(t, 2, s, si, sep)) return true;
  const Glob::Token& tok = t[ti];
  switch (tok.kind) {
    case Glob::TokenKind::kChar:
      return si < s.size() && s[si] == tok.c && Reference(t, ti + 1, s, si + 1, sep);
    case Glob::TokenKind::kAnyChar:
      return si < s.size() && s[si] != sep && Reference(t, ti + 1, s, si + 1, sep);
    case Glob::TokenKind::kClass:
      return si < s.size() && s[si] != sep && tok.ClassContains(s[si]) &&
             Reference(t, ti + 1, s, si + 1, sep);
    case Glob::TokenKind::kStar:
      for (std::size_t k = si; k <= s.size(); ++k) {
        if (Reference(t, ti + 1, s, k, sep)) return true;
        if (k < s.size() && s[k] == sep) break;
      }
      return false;
    case Glob::TokenKind::kDoubleStar:
      for (std::size_t k = si; k <= s.size(); ++k) {
        if (Reference(t, ti + 1, s, k, sep)) return true;
      }
      return false;
  }
  return false;
}

std::string FromAlphabet(const std::vector<int>& picks, std::initializer_list<std::string_view> a) {
  std::vector<std::string_view> alphabet(a);
  std::string out;
  for (int p : picks) out += alphabet[static_cast<std::size_t>(p) % alphabet.size()];
  return out;
}

RC_GTEST_PROP(GlobProperties, AutomatonAgreesWithBacktracking, ()) {
  auto pp = *rc::gen::container<std::vector<int>>(*rc::gen::inRange(0, 9), rc::gen::inRange(0, 100));
  auto tp = *rc::gen::container<std::vector<int>>(*rc::gen::inRange(0, 12), rc::gen::inRange(0, 100));
  std::string lead = *rc::gen::element<std::string>("", "**/", "a/**", "*");
  std::string pattern =
      lead + FromAlphabet(pp, {"a", "b", "/", "*", "**", "?", "[ab]", "[!a]", "/**"});
  std::string text = FromAlphabet(tp, {"a", "b", "/", "c"});
  auto g = Glob::Compile(pattern, '/', true);
  RC_ASSERT(g.has_value());
  RC_ASSERT(g->Matches(text) == Reference(g->tokens(), 0, text, 0, '/'));
}

}  // namespace
}  // namespace bulwark::access
