#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "bulwark/config/format.h"
#include "bulwark/testing/test_data.h"
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

TEST(JsonParseTest, ParsesEveryValueType) {
  ASSERT_OK_AND_ASSIGN(Value v,
                       ParseOk(R"({"n": null, "t": true, "f": false, "i": -42, "d": 1.5, "s": "x",
                        "l": [1, "two", []], "m": {}})",
                               Format::kJson));
  EXPECT_EQ(v, Map({{"n", nullptr},
                    {"t", true},
                    {"f", false},
                    {"i", -42},
                    {"d", 1.5},
                    {"s", "x"},
                    {"l", List({1, "two", Value::EmptyList()})},
                    {"m", Value::EmptyMap()}}));
}

TEST(JsonParseTest, KeepsKeyOrder) {
  ASSERT_OK_AND_ASSIGN(Value v, ParseOk(R"({"b": 1, "a": 2, "c": 3})", Format::kJson));
  ASSERT_TRUE(v.is_map());
  EXPECT_EQ(v.AsMap().at_index(0).key, "b");
  EXPECT_EQ(v.AsMap().at_index(2).key, "c");
}

TEST(JsonParseTest, IntegersThatFitInt64AreIntsOtherNumbersDoubles) {
  EXPECT_EQ(ParseOk("9223372036854775807", Format::kJson), Value(INT64_MAX));
  EXPECT_EQ(ParseOk("-9223372036854775808", Format::kJson), Value(INT64_MIN));
  EXPECT_EQ(ParseOk("9223372036854775808", Format::kJson), Value(9223372036854775808.0));
  EXPECT_EQ(ParseOk("1.0", Format::kJson), Value(1.0));
  EXPECT_EQ(ParseOk("1e2", Format::kJson), Value(100.0));
  EXPECT_EQ(ParseOk("-0.5E-1", Format::kJson), Value(-0.05));
  EXPECT_EQ(ParseOk("1e-400", Format::kJson), Value(0.0));
}

TEST(JsonParseTest, RejectsNumbersOutsideTheGrammarOrRange) {
  EXPECT_THAT(ParseError("01", Format::kJson), HasSubstr("leading zero"));
  EXPECT_THAT(ParseError("1.", Format::kJson), HasSubstr("digit expected"));
  EXPECT_THAT(ParseError("1e", Format::kJson), HasSubstr("exponent"));
  EXPECT_THAT(ParseError("+1", Format::kJson), HasSubstr("unexpected '+'"));
  EXPECT_THAT(ParseError("1e999", Format::kJson), HasSubstr("out of range"));
  EXPECT_THAT(ParseError("NaN", Format::kJson), HasSubstr("unexpected 'N'"));
}

TEST(JsonParseTest, DecodesEscapesAndSurrogatePairs) {
  EXPECT_EQ(ParseOk(R"("a\"\\\/\b\f\n\r\t")", Format::kJson), Value("a\"\\/\b\f\n\r\t"));
  EXPECT_EQ(ParseOk(R"("\u00e9\u4e2d\ud83d\ude00")", Format::kJson), Value("é中😀"));
  EXPECT_EQ(ParseOk(R"("\u0000")", Format::kJson), Value(std::string(1, '\0')));
}

TEST(JsonParseTest, RejectsLoneSurrogatesAndBadEscapes) {
  EXPECT_THAT(ParseError(R"("\ud83d")", Format::kJson), HasSubstr("low surrogate"));
  EXPECT_THAT(ParseError(R"("\ud83dx")", Format::kJson), HasSubstr("low surrogate"));
  EXPECT_THAT(ParseError(R"("\ude00")", Format::kJson), HasSubstr("lone low surrogate"));
  EXPECT_THAT(ParseError(R"("\ud83d\u0041")", Format::kJson), HasSubstr("low surrogate"));
  EXPECT_THAT(ParseError(R"("\x41")", Format::kJson), HasSubstr("invalid escape"));
  EXPECT_THAT(ParseError(R"("\u12")", Format::kJson), HasSubstr("four hex digits"));
}

TEST(JsonParseTest, RejectsInvalidUtf8AndRawControlCharacters) {
  EXPECT_EQ(ParseError("\"a\xC3\x28\"", Format::kJson), "<input>:1:3: invalid UTF-8 in string");
  EXPECT_THAT(ParseError("\"\xED\xA0\x80\"", Format::kJson), HasSubstr("invalid UTF-8"));
  EXPECT_THAT(ParseError("\"\xC0\xAF\"", Format::kJson), HasSubstr("invalid UTF-8"));
  EXPECT_THAT(ParseError("\"a\tb\"", Format::kJson), HasSubstr("must be escaped"));
  EXPECT_THAT(ParseError("\xFF", Format::kJson), HasSubstr("byte 0xFF"));
}

TEST(JsonParseTest, AcceptsAByteOrderMarkAtTheStart) {
  EXPECT_EQ(ParseOk("\xEF\xBB\xBF{\"a\": 1}", Format::kJson), Map({{"a", 1}}));
  EXPECT_THAT(ParseError("{\"a\": \xEF\xBB\xBF 1}", Format::kJson), HasSubstr("byte 0xEF"));
}

TEST(JsonParseTest, DuplicateKeysAreErrorsAtTheSecondKey) {
  EXPECT_EQ(ParseError("{\"a\": 1,\n \"a\": 2}", Format::kJson), "<input>:2:2: duplicate key 'a'");
}

TEST(JsonParseTest, ReportsPositionsOfEveryNode) {
  auto doc = ParseDocument("{\n  \"a\": [1,\n    {\"b\": \"x\"}],\n  \"c\": null\n}", Format::kJson,
                           {.source_name = "app.json"});
  ASSERT_TRUE(doc) << doc.error();
  EXPECT_EQ(LocationOf(*doc, ""), "app.json:1:1");
  EXPECT_EQ(LocationOf(*doc, "a"), "app.json:2:8");
  EXPECT_EQ(LocationOf(*doc, "a[0]"), "app.json:2:9");
  EXPECT_EQ(LocationOf(*doc, "a[1]"), "app.json:3:5");
  EXPECT_EQ(LocationOf(*doc, "a[1].b"), "app.json:3:11");
  EXPECT_EQ(LocationOf(*doc, "c"), "app.json:4:8");
  EXPECT_EQ(doc->locations.size(), 6u);
}

TEST(JsonParseTest, LocationsFollowTheNodesWhenTheTreeChanges) {
  auto parsed =
      ParseDocument("{\"a\": {\"b\": 1},\n \"c\": 2}", Format::kJson, {.source_name = "app.json"});
  ASSERT_TRUE(parsed) << parsed.error();
  Document doc = std::move(*parsed);  // moving keeps every node's location
  EXPECT_EQ(doc.LocationOf(Path::Parse("a.b").value())->ToString(), "app.json:1:13");
  // A node added later has no location of its own: its nearest located ancestor answers.
  ASSERT_TRUE(Set(doc.root, Path::Parse("a.d").value(), Value(3)));
  EXPECT_FALSE(doc.ExactLocationOf(Path::Parse("a.d").value()));
  EXPECT_EQ(doc.LocationOf(Path::Parse("a.d").value())->ToString(), "app.json:1:7");
  EXPECT_EQ(doc.LocationOf(Path::Parse("a.d.e.f").value())->ToString(), "app.json:1:7");
  // Removing a key does not disturb the locations of the others.
  ASSERT_TRUE(Remove(doc.root, Path::Parse("a").value()));
  EXPECT_EQ(doc.LocationOf(Path::Parse("c").value())->ToString(), "app.json:2:7");
  EXPECT_EQ(doc.LocationOf(Path::Parse("a.b").value())->ToString(), "app.json:1:1");
}

TEST(JsonParseTest, SkipsLocationsWhenNotTracked) {
  auto doc = ParseDocument(R"({"a": [1, 2]})", Format::kJson, {.track_locations = false});
  ASSERT_TRUE(doc);
  EXPECT_TRUE(doc->locations.empty());
  EXPECT_EQ(doc->root, Map({{"a", List({1, 2})}}));
}

TEST(JsonParseTest, EnforcesTheDepthLimit) {
  std::string ok = std::string(5, '[') + std::string(5, ']');
  EXPECT_TRUE(ParseDocument(ok, Format::kJson, {.max_depth = 5}));
  std::string deep = std::string(6, '[') + std::string(6, ']');
  EXPECT_EQ(ParseError(deep, Format::kJson, {.max_depth = 5}),
            "<input>:1:6: nesting deeper than 5 levels");
}

TEST(JsonParseTest, RejectsTrailingCommasCommentsAndTrailingText) {
  EXPECT_THAT(ParseError("[1,]", Format::kJson), HasSubstr("1:4: unexpected ']'"));
  EXPECT_THAT(ParseError("{\"a\":1,}", Format::kJson), HasSubstr("expected a string key"));
  EXPECT_THAT(ParseError("// c\n1", Format::kJson), HasSubstr("unexpected '/'"));
  EXPECT_THAT(ParseError("1 2", Format::kJson), HasSubstr("end of input"));
  EXPECT_THAT(ParseError("", Format::kJson), HasSubstr("unexpected end of input"));
  EXPECT_THAT(ParseError("{'a': 1}", Format::kJson), HasSubstr("unexpected '''"));
  EXPECT_THAT(ParseError("tru", Format::kJson), HasSubstr("expected a value"));
}

TEST(JsonParseTest, ErrorsNeverEchoLongInput) {
  std::string key(500, 'k');
  std::string msg = ParseError("{\"" + key + "\": 1, \"" + key + "\": 2}", Format::kJson);
  EXPECT_THAT(msg, HasSubstr("duplicate key 'kkkk"));
  EXPECT_LT(msg.size(), 100u);
}

TEST(JsonEmitTest, WritesCompactAndIndentedForms) {
  Value v =
      Map({{"a", List({1, true, nullptr})}, {"b", Map({{"c", "x"}})}, {"e", Value::EmptyMap()}});
  EXPECT_EQ(EmitOk(v, Format::kJson, {.indent = 0}), R"({"a":[1,true,null],"b":{"c":"x"},"e":{}})");
  EXPECT_EQ(EmitOk(v, Format::kJson),
            "{\n  \"a\": [\n    1,\n    true,\n    null\n  ],\n  \"b\": {\n    \"c\": \"x\"\n  },\n"
            "  \"e\": {}\n}\n");
}

TEST(JsonEmitTest, WritesShortestRoundTripDoublesThatStayDoubles) {
  EXPECT_EQ(EmitOk(Value(1.0), Format::kJson, {.indent = 0}), "1.0");
  EXPECT_EQ(EmitOk(Value(0.1), Format::kJson, {.indent = 0}), "0.1");
  EXPECT_EQ(EmitOk(Value(1e300), Format::kJson, {.indent = 0}), "1e+300");
  ASSERT_OK_AND_ASSIGN(std::string emitted, EmitOk(Value(1e300), Format::kJson));
  EXPECT_EQ(ParseOk(emitted, Format::kJson), Value(1e300));
}

TEST(JsonEmitTest, NanAndInfinityAreErrorsNamingThePath) {
  Value v = Map({{"a", List({Value(std::numeric_limits<double>::quiet_NaN())})}});
  auto out = EmitDocument(v, Format::kJson);
  ASSERT_FALSE(out);
  EXPECT_THAT(out.error().message(), HasSubstr("NaN at path 'a[0]'"));
  auto inf = EmitDocument(Map({{"x", std::numeric_limits<double>::infinity()}}), Format::kJson);
  ASSERT_FALSE(inf);
  EXPECT_THAT(inf.error().message(), HasSubstr("infinity at path 'x'"));
}

TEST(JsonEmitTest, EscapesControlCharactersAndWritesBytesAsBase64) {
  EXPECT_EQ(EmitOk(Value("a\"\\\n\x01é"), Format::kJson, {.indent = 0}),
            "\"a\\\"\\\\\\n\\u0001é\"");
  EXPECT_EQ(EmitOk(Value::FromBytes({0xDE, 0xAD, 0xBE, 0xEF}), Format::kJson, {.indent = 0}),
            "\"3q2+7w==\"");
}

TEST(JsonEmitTest, RejectsStringsThatAreNotUtf8) {
  auto out = EmitDocument(Map({{"k", "\xFF"}}), Format::kJson);
  ASSERT_FALSE(out);
  EXPECT_THAT(out.error().message(), HasSubstr("path 'k' is not valid UTF-8"));
}

TEST(JsonParseTest, LoadsTheBenchmarkWorkload) {
  ASSERT_OK_AND_ASSIGN(std::string text, bulwark::testing::ReadDataFile(
                                             bulwark::testing::WorkloadPath("services-1000.json")));
  auto doc = ParseDocument(text, Format::kJson);
  ASSERT_TRUE(doc) << doc.error();
  EXPECT_EQ(doc->root.Get("services")->AsList().size(), 1000u);
  EXPECT_EQ(doc->root.CountLeaves(), 13000u);
  EXPECT_THAT(LocationOf(*doc, "services[999].database.port"), StartsWith("<input>:1:"));
}

}  // namespace
}  // namespace bulwark::config
