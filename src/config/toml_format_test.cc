#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

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
using ::testing::StartsWith;

TEST(TomlParseTest, ParsesTablesArraysAndScalarsInDocumentOrder) {
  ASSERT_OK_AND_ASSIGN(
      Value v,
      ParseOk(
          "title = \"app\"\nport = 8080\nratio = 0.5\nenabled = true\nzeta = [1, \"a\"]\n"
          "[database]\nhost = \"db\"\nalpha.beta = 1\n\n[[servers]]\nname = \"a\"\n[[servers]]\n"
          "name = \"b\"\n",
          Format::kToml));
  EXPECT_EQ(v, Map({{"title", "app"},
                    {"port", 8080},
                    {"ratio", 0.5},
                    {"enabled", true},
                    {"zeta", List({1, "a"})},
                    {"database", Map({{"host", "db"}, {"alpha", Map({{"beta", 1}})}})},
                    {"servers", List({Map({{"name", "a"}}), Map({{"name", "b"}})})}}));
}

TEST(TomlParseTest, DatesAndTimesBecomeRfc3339Strings) {
  ASSERT_OK_AND_ASSIGN(
      Value v,
      ParseOk("a = 1979-05-27T07:32:00Z\nb = 1979-05-27T00:32:00.5-07:00\nc = 1979-05-27T07:32:00\n"
              "d = 1979-05-27\ne = 07:32:00.25\n",
              Format::kToml));
  EXPECT_EQ(v, Map({{"a", "1979-05-27T07:32:00Z"},
                    {"b", "1979-05-27T00:32:00.5-07:00"},
                    {"c", "1979-05-27T07:32:00"},
                    {"d", "1979-05-27"},
                    {"e", "07:32:00.25"}}));
}

TEST(TomlParseTest, SpecialFloats) {
  ASSERT_OK_AND_ASSIGN(Value v, ParseOk("a = inf\nb = -inf\nc = nan\n", Format::kToml));
  EXPECT_EQ(v.Get("a")->AsDouble(), std::numeric_limits<double>::infinity());
  EXPECT_EQ(v.Get("b")->AsDouble(), -std::numeric_limits<double>::infinity());
  EXPECT_TRUE(std::isnan(v.Get("c")->AsDouble()));
}

TEST(TomlParseTest, DuplicateKeysAndSyntaxErrorsHavePositions) {
  EXPECT_THAT(ParseError("a = 1\na = 2\n", Format::kToml), StartsWith("<input>:2:"));
  EXPECT_THAT(ParseError("[t]\nx = 1\n[t]\n", Format::kToml), StartsWith("<input>:3:"));
  EXPECT_THAT(ParseError("a = \n", Format::kToml), StartsWith("<input>:1:"));
  EXPECT_THAT(ParseError("a = \"x", Format::kToml), StartsWith("<input>:1:"));
  EXPECT_EQ(ParseError("a = \"\xFF\"", Format::kToml), "<input>:1:6: invalid UTF-8");
}

TEST(TomlParseTest, ReportsPositions) {
  auto doc = ParseDocument("a = 1\n[t]\nb = \"x\"\nc = [1, 2]\n", Format::kToml,
                           {.source_name = "c.toml"});
  ASSERT_TRUE(doc) << doc.error();
  EXPECT_EQ(LocationOf(*doc, "a"), "c.toml:1:5");
  EXPECT_EQ(LocationOf(*doc, "t.b"), "c.toml:3:5");
  EXPECT_THAT(LocationOf(*doc, "t"), StartsWith("c.toml:2:"));
  EXPECT_THAT(LocationOf(*doc, "t.c[1]"), StartsWith("c.toml:4:"));
  EXPECT_EQ(LocationOf(*doc, ""), "c.toml:1:1");
}

TEST(TomlParseTest, EnforcesTheDepthLimit) {
  EXPECT_TRUE(ParseDocument("a.b.c = 1", Format::kToml, {.max_depth = 3}));
  EXPECT_THAT(ParseError("a.b.c.d = 1", Format::kToml, {.max_depth = 3}),
              HasSubstr("nesting deeper than 3 levels"));
  EXPECT_THAT(ParseError("a = [[[[1]]]]", Format::kToml, {.max_depth = 3}),
              HasSubstr("nesting deeper than 3 levels"));
}

TEST(TomlParseTest, DepthPrescanIgnoresDotsInValuesAndStrings) {
  std::string floats = "a = [";
  for (int i = 0; i < 500; ++i) floats += "1.5, ";
  floats += "2.5]\n\"k.e.y\" = 'x.y.z'\ns = \"\"\"\n" + std::string(500, '.') + "\"\"\"\n";
  auto doc = ParseDocument(floats, Format::kToml, {.max_depth = 4});
  ASSERT_TRUE(doc) << doc.error();
  EXPECT_EQ(doc->root.Get("a")->AsList().size(), 501u);
}

TEST(TomlEmitTest, WritesValuesThenTablesThenArraysOfTables) {
  Value v = Map({{"name", "app"},
                 {"db", Map({{"host", "h"}, {"port", 5432}, {"opts", Map({{"ssl", true}})}})},
                 {"servers", List({Map({{"n", 1}}), Map({{"n", 2}})})},
                 {"mixed", List({1, Map({{"a", "b"}}), List({})})},
                 {"empty", Value::EmptyMap()},
                 {"weird key", 1.0}});
  ASSERT_OK_AND_ASSIGN(std::string out, EmitOk(v, Format::kToml));
  EXPECT_EQ(out,
            "name = \"app\"\n"
            "mixed = [1, { a = \"b\" }, []]\n"
            "empty = {}\n"
            "\"weird key\" = 1.0\n"
            "\n[db]\n"
            "host = \"h\"\n"
            "port = 5432\n"
            "\n[db.opts]\n"
            "ssl = true\n"
            "\n[[servers]]\n"
            "n = 1\n"
            "\n[[servers]]\n"
            "n = 2\n");
  ASSERT_OK_AND_ASSIGN(Value back, ParseOk(out, Format::kToml));
  EXPECT_EQ(back.Get("db")->Get("opts")->Get("ssl")->AsBool(), true);
  EXPECT_EQ(*back.Get("servers"), *v.Get("servers"));
  EXPECT_EQ(*back.Get("mixed"), *v.Get("mixed"));
}

TEST(TomlEmitTest, NullAndNonMapRootsAreErrors) {
  auto null = EmitDocument(Map({{"a", Map({{"b", nullptr}})}}), Format::kToml);
  ASSERT_FALSE(null);
  EXPECT_THAT(null.error().message(), HasSubstr("null at path 'a.b'"));
  auto root = EmitDocument(List({1}), Format::kToml);
  ASSERT_FALSE(root);
  EXPECT_THAT(root.error().message(), HasSubstr("root must be a map"));
}

TEST(TomlEmitTest, EscapesStringsAndWritesSpecialFloats) {
  Value v = Map({{"s", "q\"\\\n\x01\x7F é"},
                 {"i", std::numeric_limits<double>::infinity()},
                 {"b", Value::FromBytes({1, 2})}});
  ASSERT_OK_AND_ASSIGN(std::string out, EmitOk(v, Format::kToml));
  EXPECT_THAT(out, HasSubstr("s = \"q\\\"\\\\\\n\\u0001\\u007F é\"\n"));
  EXPECT_THAT(out, HasSubstr("i = inf\n"));
  ASSERT_OK_AND_ASSIGN(Value back, ParseOk(out, Format::kToml));
  EXPECT_EQ(*back.Get("s"), *v.Get("s"));
  EXPECT_EQ(*back.Get("b"), Value("AQI="));
}

TEST(TomlEmitTest, WritesNanAndInfinitiesAsTomlSpellsThem) {
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(EmitOk(Map({{"a", std::nan("")}, {"b", inf}, {"c", -inf}}), Format::kToml),
            "a = nan\nb = inf\nc = -inf\n");
}

}  // namespace
}  // namespace bulwark::config
