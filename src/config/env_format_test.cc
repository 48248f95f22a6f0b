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

TEST(EnvEmitTest, WritesExportLinesWithPrefixUppercaseAndSingleQuotes) {
  Value v = Map({{"database", Map({{"port", 5432}, {"pass-word", "it's $x"}})},
                 {"hosts", List({"a", "b"})},
                 {"debug", false}});
  EXPECT_EQ(EmitOk(v, Format::kEnv, {.env_prefix = "APP_"}),
            "export APP_DATABASE__PORT='5432'\n"
            "export APP_DATABASE__PASS_WORD='it'\\''s $x'\n"
            "export APP_HOSTS__0='a'\n"
            "export APP_HOSTS__1='b'\n"
            "export APP_DEBUG='false'\n");
}

TEST(EnvEmitTest, RejectsCollisionsInvalidNamesAndNul) {
  auto clash = EmitDocument(Map({{"a-b", 1}, {"A_B", 2}}), Format::kEnv);
  ASSERT_FALSE(clash);
  EXPECT_THAT(clash.error().message(), HasSubstr("both become the variable 'A_B'"));
  auto digit = EmitDocument(Map({{"1x", 1}}), Format::kEnv);
  ASSERT_FALSE(digit);
  EXPECT_THAT(digit.error().message(), HasSubstr("not a shell identifier"));
  EXPECT_TRUE(EmitDocument(Map({{"1x", 1}}), Format::kEnv, {.env_prefix = "P_"}));
  auto nul = EmitDocument(Map({{"a", std::string("x\0y", 3)}}), Format::kEnv);
  ASSERT_FALSE(nul);
  EXPECT_THAT(nul.error().message(), HasSubstr("NUL"));
}

TEST(EnvParseTest, ReadsExportLinesBack) {
  auto doc = ParseDocument(
      "# exported\nexport A='x'\\''y'\nB=plain/word:1\nexport C='multi\nline'\nD=''\n",
      Format::kEnv, {.source_name = "vars.sh"});
  ASSERT_TRUE(doc) << doc.error();
  EXPECT_EQ(doc->root, Map({{"A", "x'y"}, {"B", "plain/word:1"}, {"C", "multi\nline"}, {"D", ""}}));
  EXPECT_EQ(LocationOf(*doc, "C"), "vars.sh:4:8");
}

TEST(EnvParseTest, RejectsShellSyntaxItCannotExpand) {
  EXPECT_EQ(ParseError("A=$HOME\n", Format::kEnv),
            "<input>:1:3: unexpected '$' in the value of 'A' (only single-quoted text and plain "
            "words are supported)");
  EXPECT_THAT(ParseError("A=\"x\"\n", Format::kEnv), HasSubstr("unexpected '\"'"));
  EXPECT_THAT(ParseError("A = 'x'\n", Format::kEnv), HasSubstr("expected '=' right after"));
  EXPECT_THAT(ParseError("A='x\n", Format::kEnv), HasSubstr("1:3: unterminated"));
  EXPECT_THAT(ParseError("A='1'\nA='2'\n", Format::kEnv), HasSubstr("2:1: duplicate variable"));
}

TEST(EnvFormatTest, EmittedTextParsesBackToTheFlatStrings) {
  Value v = Map({{"db", Map({{"url", "postgres://u:p@h/db?x='1'"}, {"n", 3}})}});
  ASSERT_OK_AND_ASSIGN(std::string text, EmitOk(v, Format::kEnv, {.env_prefix = "X_"}));
  ASSERT_OK_AND_ASSIGN(Value back, ParseOk(text, Format::kEnv));
  EXPECT_EQ(back, Map({{"X_DB__URL", "postgres://u:p@h/db?x='1'"}, {"X_DB__N", "3"}}));
}

}  // namespace
}  // namespace bulwark::config
