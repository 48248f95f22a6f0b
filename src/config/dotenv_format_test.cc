#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "bulwark/config/format.h"
#include "config/format_test_util.h"

namespace bulwark::config {
namespace {

using testing::EmitOk;
using ::testing::HasSubstr;
using testing::List;
using testing::LocationOf;
using testing::Map;
using testing::ParseError;
using testing::ParseOk;

TEST(DotenvParseTest, ParsesAssignmentsCommentsAndExport) {
  ASSERT_OK_AND_ASSIGN(
      Value v,
      ParseOk("# comment\n\nA=1\nexport B = two words  # trailing comment\nc.d-e=x#not-a-comment\n"
              "  EMPTY=\nHASH= #only comment\n",
              Format::kDotenv));
  EXPECT_EQ(v, Map({{"A", "1"},
                    {"B", "two words"},
                    {"c.d-e", "x#not-a-comment"},
                    {"EMPTY", ""},
                    {"HASH", ""}}));
}

TEST(DotenvParseTest, SingleQuotesAreLiteral) {
  EXPECT_EQ(ParseOk("A='a \\n $B # c'  # comment\n", Format::kDotenv),
            Map({{"A", "a \\n $B # c"}}));
  EXPECT_EQ(ParseOk("A='line1\nline2'\nB=x\n", Format::kDotenv),
            Map({{"A", "line1\nline2"}, {"B", "x"}}));
}

TEST(DotenvParseTest, DoubleQuotesHaveEscapesAndMayBeMultiline) {
  EXPECT_EQ(ParseOk("A=\"a\\nb\\tc\\r\\\"\\\\\\$d\"\nB=\"x\ny\"\n", Format::kDotenv),
            Map({{"A", "a\nb\tc\r\"\\$d"}, {"B", "x\ny"}}));
  EXPECT_THAT(ParseError("A=\"\\q\"", Format::kDotenv), HasSubstr("1:4: unknown escape \\'q'"));
}

TEST(DotenvParseTest, AcceptsCrlfLineEnds) {
  EXPECT_EQ(ParseOk("A=1\r\nB='x'\r\n", Format::kDotenv), Map({{"A", "1"}, {"B", "x"}}));
}

TEST(DotenvParseTest, ReportsErrorsWithPositions) {
  EXPECT_EQ(ParseError("A=1\nA=2\n", Format::kDotenv), "<input>:2:1: duplicate key 'A'");
  EXPECT_EQ(ParseError("A=1\n1B=2\n", Format::kDotenv),
            "<input>:2:1: expected a variable name ([A-Za-z_][A-Za-z0-9_.-]*), found '1'");
  EXPECT_EQ(ParseError("A 1\n", Format::kDotenv), "<input>:1:3: expected '=' after the name 'A'");
  EXPECT_EQ(ParseError("\nA='abc\n", Format::kDotenv),
            "<input>:2:3: unterminated single-quoted value");
  EXPECT_EQ(ParseError("A=\"abc", Format::kDotenv),
            "<input>:1:3: unterminated double-quoted value");
  EXPECT_EQ(ParseError("A='x' y\n", Format::kDotenv),
            "<input>:1:7: unexpected 'y' after the closing quote");
  EXPECT_EQ(ParseError("A=a\x01\n", Format::kDotenv),
            "<input>:1:4: control character 0x01 in an unquoted value");
  EXPECT_EQ(ParseError("A=\xFF\n", Format::kDotenv), "<input>:1:3: invalid UTF-8");
}

TEST(DotenvParseTest, RecordsKeyPositions) {
  auto doc = ParseDocument("A=1\n\n  export B=2\n", Format::kDotenv, {.source_name = ".env"});
  ASSERT_TRUE(doc);
  EXPECT_EQ(LocationOf(*doc, "A"), ".env:1:1");
  EXPECT_EQ(LocationOf(*doc, "B"), ".env:3:10");
}

TEST(DotenvEmitTest, FlattensWithDoubleUnderscoresAndQuotesEverything) {
  Value v = Map({{"db", Map({{"port", 5432}, {"hosts", List({"a", "b"})}})},
                 {"flag", true},
                 {"none", nullptr},
                 {"text", "say \"hi\"\n$HOME\\"},
                 {"empty", Value::EmptyMap()}});
  ASSERT_OK_AND_ASSIGN(std::string out, EmitOk(v, Format::kDotenv));
  EXPECT_EQ(out,
            "db__port=\"5432\"\n"
            "db__hosts__0=\"a\"\n"
            "db__hosts__1=\"b\"\n"
            "flag=\"true\"\n"
            "none=\"\"\n"
            "text=\"say \\\"hi\\\"\\n\\$HOME\\\\\"\n");
  ASSERT_OK_AND_ASSIGN(Value back, ParseOk(out, Format::kDotenv));
  ASSERT_NE(back.Get("text"), nullptr);
  EXPECT_EQ(*back.Get("text"), *v.Get("text"));
}

TEST(DotenvEmitTest, RejectsNamesThatAreNotDotenvNamesAndCollisions) {
  auto bad = EmitDocument(Map({{"has space", "x"}}), Format::kDotenv);
  ASSERT_FALSE(bad);
  EXPECT_THAT(bad.error().message(), HasSubstr("not a valid dotenv name"));
  auto clash = EmitDocument(Map({{"a__b", 1}, {"a", Map({{"b", 2}})}}), Format::kDotenv);
  ASSERT_FALSE(clash);
  EXPECT_THAT(clash.error().message(), HasSubstr("both become the variable 'a__b'"));
  EXPECT_FALSE(EmitDocument(Value("scalar"), Format::kDotenv));
}

}  // namespace
}  // namespace bulwark::config
