#include "bulwark/expr/parser.h"

#include <gtest/gtest.h>

#include "expr/test_util.h"

namespace bulwark::expr {
namespace {

using testing::Show;

TEST(ParserTest, ParsesLiteralsOfEveryKind) {
  EXPECT_EQ(Show("42"), "42");
  EXPECT_EQ(Show("0x2A"), "42");
  EXPECT_EQ(Show("42u"), "42u");
  EXPECT_EQ(Show("0x2Au"), "42u");
  EXPECT_EQ(Show("-9223372036854775808"), "-9223372036854775808");
  EXPECT_EQ(Show("18446744073709551615u"), "18446744073709551615u");
  EXPECT_EQ(Show("2.5e3"), "2500");
  EXPECT_EQ(Show(".5"), "0.5");
  EXPECT_EQ(Show("true"), "true");
  EXPECT_EQ(Show("null"), "null");
  EXPECT_EQ(Show("'a' + \"b\""), "\"ab\"");
  EXPECT_EQ(Show("'''multi\nline'''"), "\"multi\nline\"");
  EXPECT_EQ(Show("r'\\n'"), "\"\\n\"");
  EXPECT_EQ(Show("b'\\xff' == b'\\377'"), "true");
  EXPECT_EQ(Show("size(b'\\xff')"), "1");
  EXPECT_EQ(Show("size('\\xff')"), "1");  // one code point, two bytes
  EXPECT_EQ(Show("'\\u00e9' == '\\U000000e9'"), "true");
  EXPECT_EQ(Show("'\\a\\b\\f\\n\\r\\t\\v\\\\\\'\\\"\\`\\?'.size()"), "12");
}

TEST(ParserTest, RejectsOutOfRangeNumbers) {
  EXPECT_FALSE(Parse("9223372036854775808").has_value());
  EXPECT_FALSE(Parse("18446744073709551616u").has_value());
  EXPECT_TRUE(Parse("-9223372036854775808").has_value());
}

TEST(ParserTest, AppliesCelPrecedence) {
  EXPECT_EQ(Show("1 + 2 * 3"), "7");
  EXPECT_EQ(Show("(1 + 2) * 3"), "9");
  EXPECT_EQ(Show("10 - 4 - 3"), "3");
  EXPECT_EQ(Show("true || false && false"), "true");
  EXPECT_EQ(Show("1 < 2 == true"), "true");
  EXPECT_EQ(Show("false ? 1 : true ? 2 : 3"), "2");
  EXPECT_EQ(Show("!true || true"), "true");
  EXPECT_EQ(Show("--5"), "5");
  EXPECT_EQ(Show("2 in [1, 2] && 'a' in {'a': 1}"), "true");
}

TEST(ParserTest, ParsesMembersIndexesAndCalls) {
  EXPECT_EQ(Show("[1, 2, 3][1]"), "2");
  EXPECT_EQ(Show("{'a': {'b': 5}}.a.b"), "5");
  EXPECT_EQ(Show("{'a-b': 5}.`a-b`"), "5");
  EXPECT_EQ(Show("'abc'.startsWith('ab')"), "true");
  EXPECT_EQ(Show("[1, 2,]"), "[1, 2]");
  EXPECT_EQ(Show("{'k': 1,}"), "{\"k\": 1}");
}

TEST(ParserTest, ErrorsCarryLineColumnAndCaret) {
  auto r = Parse("1 +\n  * 2");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(r.error().message(), "2:3: Syntax error: unexpected token '*'\n |   * 2\n | ..^");
}

TEST(ParserTest, RejectsReservedWordsAsIdentifiersButNotAsFields) {
  EXPECT_FALSE(Parse("while").has_value());
  EXPECT_TRUE(Parse("x.while").has_value());
  EXPECT_TRUE(Parse("x.if()").has_value());
}

TEST(ParserTest, RejectsMalformedInput) {
  for (const char* bad : {"", "1 +", "(1", "[1, 2", "{1: }", "'unterminated", "a.", "1 ? 2",
                          "'\\q'", "'\\uD800'", "`x`", "has(x)", "[].all(1, true)", "a.b(", "#"}) {
    EXPECT_FALSE(Parse(bad).has_value()) << bad;
  }
}

TEST(ParserTest, DepthLimitStopsHostileNesting) {
  std::string deep(10000, '(');
  auto r = Parse(deep + "1" + std::string(10000, ')'));
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message().find("depth limit"), std::string::npos);
  std::string chain = "1";
  for (int i = 0; i < 5000; ++i) chain += " + 1";
  EXPECT_FALSE(Parse(chain).has_value());
  std::string negs(10000, '-');
  EXPECT_FALSE(Parse(negs + "x").has_value());
  std::string ok = "1";
  for (int i = 0; i < 100; ++i) ok += " + 1";
  EXPECT_EQ(Show(ok), "101");
}

TEST(ParserTest, RejectsSourceOverTheSizeLimit) {
  ParseOptions opts;
  opts.max_source_size = 10;
  EXPECT_FALSE(Parse("1 + 2 + 3 + 4", opts).has_value());
}

TEST(ParserTest, MacrosCanBeDisabled) {
  ParseOptions opts;
  opts.enable_macros = false;
  auto r = Parse("[1].all(x, x > 0)", opts);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->root->kind, ExprKind::kCall);
}

TEST(ParserTest, DescribeLocationCountsCodePoints) {
  EXPECT_EQ(DescribeLocation("'é' + x", 6), "1:6\n | 'é' + x\n | .....^");
}

}  // namespace
}  // namespace bulwark::expr
