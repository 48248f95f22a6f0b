#include <fmt/format.h>
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

TEST(YamlParseTest, TypesPlainScalarsByTheCoreSchema) {
  ASSERT_OK_AND_ASSIGN(
      Value v,
      ParseOk(
          "n1: null\nn2: ~\nn3:\nb1: true\nb2: False\ni1: 42\ni2: -7\ni3: 0x1F\ni4: 0o17\ni5: +3\n"
          "f1: 1.5\nf2: .5\nf3: 1e3\nf4: -.inf\nf5: 1.\ns1: yes\ns2: on\ns3: 0b101\ns4: 1_000\n"
          "s5: hello world\ns6: 12:30\n",
          Format::kYaml));
  EXPECT_EQ(v, Map({{"n1", nullptr}, {"n2", nullptr},
                    {"n3", nullptr}, {"b1", true},
                    {"b2", false},   {"i1", 42},
                    {"i2", -7},      {"i3", 31},
                    {"i4", 15},      {"i5", 3},
                    {"f1", 1.5},     {"f2", 0.5},
                    {"f3", 1000.0},  {"f4", -std::numeric_limits<double>::infinity()},
                    {"f5", 1.0},     {"s1", "yes"},
                    {"s2", "on"},    {"s3", "0b101"},
                    {"s4", "1_000"}, {"s5", "hello world"},
                    {"s6", "12:30"}}));
  ASSERT_OK_AND_ASSIGN(Value nan, ParseOk("x: .NaN", Format::kYaml));
  EXPECT_TRUE(std::isnan(nan.Get("x")->AsDouble()));
}

TEST(YamlParseTest, QuotedAndBlockScalarsAreStrings) {
  ASSERT_OK_AND_ASSIGN(
      Value v,
      ParseOk("a: \"true\"\nb: '123'\nc: \"\"\nd: |\n  line1\n  line2\ne: >-\n  folded\n  text\n",
              Format::kYaml));
  EXPECT_EQ(
      v,
      Map({{"a", "true"}, {"b", "123"}, {"c", ""}, {"d", "line1\nline2\n"}, {"e", "folded text"}}));
}

// yaml-cpp 0.7 decodes "\N" and "\_" to lone bytes 0x85 / 0xA0; the parser encodes them as the
// code points YAML 1.2 names (found by the yaml fuzzer: the tree held invalid UTF-8).
TEST(YamlParseTest, DecodesEveryDoubleQuotedEscapeToUtf8) {
  ASSERT_OK_AND_ASSIGN(Value v,
                       ParseOk("a: \"x\\Ny\\_z\"\nb: \"\\e\\r\\N\\L\\P\\x85\\u00e9\"\n\"k\\N\": 1\n"
                               "c: \"\\u00a0\\_\u00e0\"\n",
                               Format::kYaml));
  EXPECT_EQ(v, Map({{"a", "x\xC2\x85y\xC2\xA0z"},
                    {"b", "\x1B\r\xC2\x85\xE2\x80\xA8\xE2\x80\xA9\xC2\x85\xC3\xA9"},
                    {"k\xC2\x85", 1},
                    {"c", "\xC2\xA0\xC2\xA0\xC3\xA0"}}));
  ASSERT_OK_AND_ASSIGN(std::string emitted, EmitOk(v, Format::kYaml));
  EXPECT_EQ(ParseOk(emitted, Format::kYaml), v);
}

TEST(YamlParseTest, HonoursCoreTags) {
  ASSERT_OK_AND_ASSIGN(
      Value v,
      ParseOk("a: !!str 123\nb: !!binary aGVsbG8=\nc: !!float 1\nd: !!int \"7\"\n", Format::kYaml));
  EXPECT_EQ(v, Map({{"a", "123"},
                    {"b", Value::FromBytes({'h', 'e', 'l', 'l', 'o'})},
                    {"c", 1.0},
                    {"d", 7}}));
  EXPECT_THAT(ParseError("a: !!int abc", Format::kYaml), HasSubstr("does not match its tag !!int"));
  EXPECT_THAT(ParseError("a: !!binary '***'", Format::kYaml), HasSubstr("not valid base64"));
  EXPECT_THAT(ParseError("a: !Ref x", Format::kYaml), HasSubstr("unsupported tag '!Ref'"));
}

TEST(YamlParseTest, PlainKeysKeepTheirText) {
  EXPECT_EQ(ParseOk("123: a\ntrue: b\n1.5: c\n", Format::kYaml),
            Map({{"123", "a"}, {"true", "b"}, {"1.5", "c"}}));
  EXPECT_THAT(ParseError("? [a]\n: b\n", Format::kYaml), HasSubstr("map keys must be scalars"));
  EXPECT_THAT(ParseError("~: b\n", Format::kYaml), HasSubstr("non-null"));
}

TEST(YamlParseTest, DuplicateKeysAreErrors) {
  EXPECT_EQ(ParseError("a: 1\nb: 2\na: 3\n", Format::kYaml), "<input>:3:1: duplicate key 'a'");
  EXPECT_THAT(ParseError("{a: 1, a: 2}", Format::kYaml), HasSubstr("duplicate key 'a'"));
}

TEST(YamlParseTest, ResolvesAnchorsAndAliases) {
  auto doc = ParseDocument("base: &b\n  host: db\n  port: 5432\ncopy: *b\nname: &n x\nalias: *n\n",
                           Format::kYaml, {.source_name = "a.yaml"});
  ASSERT_TRUE(doc) << doc.error();
  Value base = Map({{"host", "db"}, {"port", 5432}});
  EXPECT_EQ(doc->root, Map({{"base", base}, {"copy", base}, {"name", "x"}, {"alias", "x"}}));
  EXPECT_EQ(LocationOf(*doc, "copy"), "a.yaml:4:7");
  EXPECT_EQ(LocationOf(*doc, "copy.port"), "a.yaml:3:9");
}

TEST(YamlParseTest, StopsBillionLaughs) {
  std::string text = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  std::string prev = "a";
  for (char c = 'b'; c <= 'j'; ++c) {
    text += fmt::format("{0}: &{0} [*{1}, *{1}, *{1}, *{1}, *{1}, *{1}, *{1}, *{1}, *{1}, *{1}]\n",
                        c, prev);
    prev = std::string(1, c);
  }
  EXPECT_THAT(ParseError(text, Format::kYaml), HasSubstr("aliases expand to more than"));
}

TEST(YamlParseTest, MultipleDocumentsAreAnError) {
  EXPECT_THAT(ParseError("a: 1\n---\nb: 2\n", Format::kYaml),
              AllOf(StartsWith("<input>:2:1:"), HasSubstr("only one YAML document")));
  EXPECT_EQ(ParseOk("---\na: 1\n...\n", Format::kYaml), Map({{"a", 1}}));
}

TEST(YamlParseTest, EmptyInputIsAnEmptyMap) {
  EXPECT_EQ(ParseOk("", Format::kYaml), Value::EmptyMap());
  EXPECT_EQ(ParseOk("# only a comment\n", Format::kYaml), Value::EmptyMap());
}

TEST(YamlParseTest, ReportsPositionsOfEveryNode) {
  auto doc = ParseDocument("db:\n  host: x\n  ports:\n    - 1\n    - 2\n", Format::kYaml,
                           {.source_name = "c.yaml"});
  ASSERT_TRUE(doc) << doc.error();
  EXPECT_EQ(LocationOf(*doc, "db.host"), "c.yaml:2:9");
  EXPECT_EQ(LocationOf(*doc, "db.ports[1]"), "c.yaml:5:7");
  EXPECT_NE(LocationOf(*doc, "db.ports"), "<none>");
  EXPECT_NE(LocationOf(*doc, "db"), "<none>");
  EXPECT_EQ(doc->locations.size(), 6u);
}

TEST(YamlParseTest, ConvertsSyntaxErrorsWithPositions) {
  EXPECT_THAT(ParseError("a: [1, 2\n", Format::kYaml), StartsWith("<input>:"));
  EXPECT_THAT(ParseError("a: b: c\n", Format::kYaml), StartsWith("<input>:1:"));
  EXPECT_THAT(ParseError("a: *nope\n", Format::kYaml), StartsWith("<input>:1:"));
  EXPECT_EQ(ParseError("a: 'x\n  b: [\n", Format::kYaml),
            "<input>:1:4: unterminated quoted scalar");
  EXPECT_EQ(ParseError("a: &x !!str \"abc\n", Format::kYaml),
            "<input>:1:4: unterminated quoted scalar");
  EXPECT_EQ(ParseOk("a: 'it''s'\nb: \"q\\\"\"\n", Format::kYaml),
            Map({{"a", "it's"}, {"b", "q\""}}));
}

TEST(YamlParseTest, RejectsControlCharactersAndInvalidUtf8) {
  EXPECT_EQ(ParseError("a: b\x04\n", Format::kYaml),
            "<input>:1:5: control or non-printable character is not allowed in YAML");
  EXPECT_EQ(ParseError("a: \xC3\n", Format::kYaml), "<input>:1:4: invalid UTF-8");
  EXPECT_EQ(ParseOk("\xEF\xBB\xBF"
                    "a: 1\n",
                    Format::kYaml),
            Map({{"a", 1}}));
}

TEST(YamlParseTest, EnforcesTheDepthLimit) {
  EXPECT_TRUE(ParseDocument("[[[[1]]]]", Format::kYaml, {.max_depth = 4}));
  EXPECT_THAT(ParseError("[[[[[1]]]]]", Format::kYaml, {.max_depth = 4}),
              HasSubstr("nesting deeper than 4 levels"));
  EXPECT_THAT(ParseError("a:\n b:\n  c:\n   d:\n    e: 1\n", Format::kYaml, {.max_depth = 4}),
              HasSubstr("nesting deeper than 4 levels"));
  EXPECT_THAT(ParseError("- - - - - 1\n", Format::kYaml, {.max_depth = 4}),
              HasSubstr("nesting deeper than 4 levels"));
}

TEST(YamlParseTest, DepthPrescanAcceptsOrdinaryTextThatLooksNested) {
  // Brackets inside plain and quoted scalars and deeply indented block-scalar text are not
  // nesting; the pre-scan may over-count them but stays below its limit for such documents.
  std::string block = "script: |\n";
  for (int i = 1; i <= 150; ++i) block += "  " + std::string(i, ' ') + "x\n";
  ParseOptions options{.max_depth = 100};
  auto doc = ParseDocument("regex: a[[[[[[[[[[[[[[[[[[[[\nq: \"[[[[[[[[[[[[[[[[[[\"\n" + block,
                           Format::kYaml, options);
  ASSERT_TRUE(doc) << doc.error();
  EXPECT_EQ(*doc->root.Get("regex"), Value("a[[[[[[[[[[[[[[[[[[[["));
}

TEST(YamlEmitTest, WritesBlockStyleInKeyOrder) {
  Value v = Map(
      {{"z", 1},
       {"list", List({1, Map({{"a", 1}, {"b", List({"x"})}}), List({1, 2}), Value::EmptyMap()})},
       {"m", Map({{"k", "v"}})},
       {"e", Value::EmptyList()}});
  EXPECT_EQ(EmitOk(v, Format::kYaml),
            "z: 1\n"
            "list:\n"
            "  - 1\n"
            "  - a: 1\n"
            "    b:\n"
            "      - x\n"
            "  - - 1\n"
            "    - 2\n"
            "  - {}\n"
            "m:\n"
            "  k: v\n"
            "e: []\n");
}

TEST(YamlEmitTest, QuotesStringsThatWouldReadBackAsAnotherType) {
  Value v = Map({{"a", "true"},
                 {"b", "123"},
                 {"c", "null"},
                 {"d", ""},
                 {"e", "~"},
                 {"f", "1.5"},
                 {"g", "- x"},
                 {"h", "a: b"},
                 {"i", "x #y"},
                 {"j", " pad"},
                 {"k", "line\nbreak"},
                 {"l", "plain text"},
                 {"m", "0x1F"},
                 {"n", ".inf"},
                 {"o", "é"}});
  ASSERT_OK_AND_ASSIGN(std::string out, EmitOk(v, Format::kYaml));
  EXPECT_THAT(out, HasSubstr("a: \"true\"\n"));
  EXPECT_THAT(out, HasSubstr("b: \"123\"\n"));
  EXPECT_THAT(out, HasSubstr("d: \"\"\n"));
  EXPECT_THAT(out, HasSubstr("k: \"line\\nbreak\"\n"));
  EXPECT_THAT(out, HasSubstr("l: plain text\n"));
  EXPECT_EQ(ParseOk(out, Format::kYaml), v);
}

TEST(YamlEmitTest, WritesSpecialDoublesAndBytes) {
  Value v = Map({{"inf", std::numeric_limits<double>::infinity()},
                 {"one", 1.0},
                 {"bytes", Value::FromBytes({0, 1, 2, 255})}});
  ASSERT_OK_AND_ASSIGN(std::string out, EmitOk(v, Format::kYaml));
  EXPECT_EQ(out, "inf: .inf\none: 1.0\nbytes: !!binary \"AAEC/w==\"\n");
  EXPECT_EQ(ParseOk(out, Format::kYaml), v);
}

TEST(YamlEmitTest, EscapesNonPrintableCharacters) {
  Value v = Map({{"k", std::string("a\x01\x7F\xC2\x85\xEF\xBB\xBF\0z", 10)}});
  ASSERT_OK_AND_ASSIGN(std::string out, EmitOk(v, Format::kYaml));
  EXPECT_EQ(ParseOk(out, Format::kYaml), v);
}

// Found by the yaml fuzzer: an anchored plain scalar with 86 '{' was written out twice (alias
// expanded), and the parser's nesting pre-scan counted 172 open brackets in the plain text.
TEST(YamlEmitTest, QuotesBracketsSoTheOutputPassesTheNestingPrescan) {
  const std::string braces = "1" + std::string(86, '{') + ",2[]";
  Value v = Map({{"a", braces}, {"?", braces}, {"b", "x]y}"}});
  ASSERT_OK_AND_ASSIGN(std::string out, EmitOk(v, Format::kYaml));
  bulwark::config::ParseOptions options;
  options.max_depth = 64;
  auto again = bulwark::config::ParseDocument(out, Format::kYaml, options);
  ASSERT_TRUE(again.has_value()) << again.error().message();
  EXPECT_EQ(again->root, v);
}

TEST(YamlEmitTest, WritesKeysLongerThanTheImplicitKeyLimitExplicitly) {
  const std::string long_key(2000, 'k');
  Value v =
      Map({{long_key, 1}, {"list", List({Map({{long_key + "x", Map({{"a", 1}})}, {"b", 2}})})}});
  ASSERT_OK_AND_ASSIGN(std::string out, EmitOk(v, Format::kYaml));
  EXPECT_THAT(out, StartsWith("? kkk"));
  EXPECT_EQ(ParseOk(out, Format::kYaml), v);
}

TEST(YamlEmitTest, RoundTripsScalarRoots) {
  for (const Value& v :
       {Value(nullptr), Value("text"), Value(3), Value::EmptyMap(), Value::EmptyList()}) {
    ASSERT_OK_AND_ASSIGN(std::string emitted, EmitOk(v, Format::kYaml));
    EXPECT_EQ(ParseOk(emitted, Format::kYaml), v);
  }
}

TEST(YamlEmitTest, WritesNanAndInfinitiesAsYamlSpellsThem) {
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(EmitOk(Map({{"a", std::nan("")}, {"b", inf}, {"c", -inf}}), Format::kYaml),
            "a: .nan\nb: .inf\nc: -.inf\n");
}

}  // namespace
}  // namespace bulwark::config
