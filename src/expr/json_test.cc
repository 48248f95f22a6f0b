#include "bulwark/expr/json.h"

#include <gtest/gtest.h>

#include "expr/test_util.h"

namespace bulwark::expr {
namespace {

std::string JsonOf(const std::string& src) {
  auto v = testing::RunExpr(src);
  if (!v) return "error: " + v.error().message();
  auto j = ToJson(*v);
  return j ? *j : "error: " + j.error().message();
}

TEST(JsonTest, RendersEveryKind) {
  EXPECT_EQ(JsonOf("[1, 2u, 2.5, 2.0, true, null, 'a\"b']"), "[1,2,2.5,2.0,true,null,\"a\\\"b\"]");
  EXPECT_EQ(JsonOf("{'k': b'hi', 1: 'x'}"), "{\"k\":\"aGk=\",\"1\":\"x\"}");
  EXPECT_EQ(JsonOf("timestamp('2009-02-13T23:31:30.5Z')"), "\"2009-02-13T23:31:30.5Z\"");
  EXPECT_EQ(JsonOf("duration('1500ms')"), "\"1.5s\"");
  EXPECT_EQ(JsonOf("type(1)"), "\"int\"");
  EXPECT_EQ(JsonOf("ip('10.0.0.1')"), "\"10.0.0.1\"");
  EXPECT_EQ(JsonOf("18446744073709551615u"), "18446744073709551615");
  EXPECT_EQ(JsonOf("1.0 / 0.0"), "\"Infinity\"");
}

TEST(JsonTest, EscapesStringsAsJsonDoes) {
  // The short escapes where JSON has one (\b \f included), \u00xx for other control characters.
  EXPECT_EQ(JsonOf("'q\\\"\\\\ \\b\\f\\n\\r\\t\\x01\\x7f\u00e9'"),
            "\"q\\\"\\\\ \\b\\f\\n\\r\\t\\u0001\x7f\u00e9\"");
}

TEST(JsonTest, PrettyPrintsWithIndent) {
  auto v = testing::RunExpr("{'a': [1]}");
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(*ToJson(*v, 2), "{\n  \"a\": [\n    1\n  ]\n}");
}

}  // namespace
}  // namespace bulwark::expr
