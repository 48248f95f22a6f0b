#include "bulwark/audit/jcs.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <map>

#include "bulwark/core/encoding.h"

namespace bulwark::audit {
namespace {

std::string Canon(std::string_view text) {
  auto r = CanonicalizeJsonText(text);
  EXPECT_TRUE(r.has_value()) << r.error();
  return r.value_or("");
}

bool IsValidUtf8Key(const std::string& k) { return bulwark::IsValidUtf8(k); }

std::string Num(double d) {
  auto r = FormatEcmaScriptNumber(d);
  EXPECT_TRUE(r.has_value());
  return r.value_or("");
}

// RFC 8785 section 3.2.2 / appendix A example.
TEST(JcsTest, Rfc8785MainExample) {
  const std::string input = R"({
    "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
    "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
    "literals": [null, true, false]
  })";
  EXPECT_EQ(Canon(input),
            "{\"literals\":[null,true,false],\"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27],"
            "\"string\":\"\xE2\x82\xAC$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}");
}

// RFC 8785 section 3.2.3: sorting by UTF-16 code units.
TEST(JcsTest, Rfc8785SortingExampleUsesUtf16CodeUnitOrder) {
  const std::string input = R"({
    "\u20ac": "Euro Sign",
    "\r": "Carriage Return",
    "\ufb33": "Hebrew Letter Dalet With Dagesh",
    "1": "One",
    "\ud83d\ude00": "Emoji: Grinning Face",
    "\u0080": "Control",
    "\u00f6": "Latin Small Letter O With Diaeresis"
  })";
  EXPECT_EQ(Canon(input),
            "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\xC2\x80\":\"Control\","
            "\"\xC3\xB6\":\"Latin Small Letter O With Diaeresis\",\"\xE2\x82\xAC\":\"Euro Sign\","
            "\"\xF0\x9F\x98\x80\":\"Emoji: Grinning Face\","
            "\"\xEF\xAC\xB3\":\"Hebrew Letter Dalet With Dagesh\"}");
}

TEST(JcsTest, NumbersFromTheBrief) {
  EXPECT_EQ(Num(333333333.33333329), "333333333.3333333");
  EXPECT_EQ(Num(1e30), "1e+30");
  EXPECT_EQ(Num(4.50), "4.5");
  EXPECT_EQ(Num(2e-3), "0.002");
  EXPECT_EQ(Num(0.000001), "0.000001");
  EXPECT_EQ(Num(1e-7), "1e-7");
}

// RFC 8785 appendix B: IEEE 754 bit patterns and their ECMAScript serialization.
TEST(JcsTest, Rfc8785AppendixBNumbers) {
  struct Case {
    std::uint64_t bits;
    const char* want;
  };
  const Case cases[] = {
      {0x0000000000000000, "0"},
      {0x8000000000000000, "0"},
      {0x0000000000000001, "5e-324"},
      {0x8000000000000001, "-5e-324"},
      {0x7fefffffffffffff, "1.7976931348623157e+308"},
      {0xffefffffffffffff, "-1.7976931348623157e+308"},
      {0x4340000000000000, "9007199254740992"},
      {0xc340000000000000, "-9007199254740992"},
      {0x4430000000000000, "295147905179352830000"},
      {0x44b52d02c7e14af5, "9.999999999999997e+22"},
      {0x44b52d02c7e14af6, "1e+23"},
      {0x44b52d02c7e14af7, "1.0000000000000001e+23"},
      {0x444b1ae4d6e2ef4e, "999999999999999700000"},
      {0x444b1ae4d6e2ef4f, "999999999999999900000"},
      {0x444b1ae4d6e2ef50, "1e+21"},
      {0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"},
      {0x3eb0c6f7a0b5ed8d, "0.000001"},
      {0x41b3de4355555553, "333333333.3333332"},
      {0x41b3de4355555554, "333333333.33333325"},
      {0x41b3de4355555555, "333333333.3333333"},
      {0x41b3de4355555556, "333333333.3333334"},
      {0x41b3de4355555557, "333333333.33333343"},
      {0xbecbf647612f3696, "-0.0000033333333333333333"},
      {0x43143ff3c1cb0959, "1424953923781206.2"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(Num(std::bit_cast<double>(c.bits)), c.want) << std::hex << c.bits;
  }
}

TEST(JcsTest, NaNAndInfinityAreRejected) {
  EXPECT_FALSE(FormatEcmaScriptNumber(std::numeric_limits<double>::quiet_NaN()).has_value());
  EXPECT_FALSE(FormatEcmaScriptNumber(std::numeric_limits<double>::infinity()).has_value());
  EXPECT_FALSE(CanonicalizeJson(nlohmann::json(-std::numeric_limits<double>::infinity())));
}

TEST(JcsTest, IntegersBeyondTwoToThe53AreRejectedNotRounded) {
  EXPECT_EQ(Canon("[9007199254740992, -9007199254740992, 0, -0, 10]"),
            "[9007199254740992,-9007199254740992,0,0,10]");
  // JSON text is read like JSON.parse: the nearest double.
  EXPECT_EQ(Canon("[9007199254740993, 18446744073709551615]"),
            "[9007199254740992,18446744073709552000]");
  nlohmann::json event = {{"t", std::int64_t{9007199254740993}}};
  auto r = CanonicalizeJson(event);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message().find("$.t"), std::string::npos) << r.error();
}

TEST(JcsTest, DuplicateNamesAndBadJsonAreRejected) {
  EXPECT_FALSE(CanonicalizeJsonText(R"({"a":1,"b":{"a":2},"a":3})").has_value());
  EXPECT_TRUE(CanonicalizeJsonText(R"({"a":1,"b":{"a":2}})").has_value());
  EXPECT_FALSE(CanonicalizeJsonText("{\"a\":").has_value());
  nlohmann::json bad = {{"k", std::string("\xff")}};
  EXPECT_FALSE(CanonicalizeJson(bad).has_value());
}

TEST(JcsTest, ControlCharactersUseShortOrLowercaseUnicodeEscapes) {
  nlohmann::json v = std::string("\x01\x1f\x7f\b\t\n\f\r/\"\\", 11);
  EXPECT_EQ(*CanonicalizeJson(v), "\"\\u0001\\u001f\x7f\\b\\t\\n\\f\\r/\\\"\\\\\"");
}

TEST(JcsTest, NestedStructuresAreSortedAtEveryLevelAndArraysKeepOrder) {
  EXPECT_EQ(Canon(R"({"b":[3,{"z":1,"a":[]}],"a":{"d":null,"c":true}})"),
            R"({"a":{"c":true,"d":null},"b":[3,{"a":[],"z":1}]})");
}

TEST(JcsTest, NestingDeeperThan512LevelsIsRejected) {
  const std::string deep = std::string(600, '[') + std::string(600, ']');
  auto r = CanonicalizeJsonText(deep);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kResourceExhausted);
  EXPECT_TRUE(CanonicalizeJsonText(std::string(500, '[') + std::string(500, ']')).has_value());
}

std::u16string ToUtf16(const std::u32string& s) {
  std::u16string out;
  for (char32_t c : s) {
    if (c >= 0x10000) {
      out.push_back(static_cast<char16_t>(0xD800 + ((c - 0x10000) >> 10)));
      out.push_back(static_cast<char16_t>(0xDC00 + ((c - 0x10000) & 0x3FF)));
    } else {
      out.push_back(static_cast<char16_t>(c));
    }
  }
  return out;
}

RC_GTEST_PROP(JcsProperty, MembersAreOrderedByUtf16CodeUnits, ()) {
  // Code points from ranges where UTF-8 and UTF-16 orders disagree, plus ASCII.
  const auto gen_cp = rc::gen::oneOf(rc::gen::inRange<char32_t>(0x20, 0x80),
                                     rc::gen::inRange<char32_t>(0xE000, 0x10000),
                                     rc::gen::inRange<char32_t>(0x10000, 0x110000));
  const auto keys =
      *rc::gen::container<std::vector<std::u32string>>(rc::gen::container<std::u32string>(gen_cp));
  nlohmann::json object = nlohmann::json::object();
  std::vector<std::u16string> want;
  for (const auto& k : keys) {
    std::string utf8;
    for (char32_t c : k) bulwark::AppendUtf8(utf8, c);
    if (object.contains(utf8)) continue;
    object[utf8] = 1;
    want.push_back(ToUtf16(k));
  }
  std::sort(want.begin(), want.end());
  const std::string canonical = *CanonicalizeJson(object);
  const auto parsed = nlohmann::ordered_json::parse(canonical);
  std::vector<std::u16string> got;
  for (const auto& [k, v] : parsed.items()) {
    std::u32string cps;
    for (std::size_t i = 0; i < k.size();) {
      const auto b = static_cast<unsigned char>(k[i]);
      const int len = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
      char32_t cp = len == 1 ? b : len == 2 ? (b & 0x1F) : len == 3 ? (b & 0x0F) : (b & 0x07);
      for (int j = 1; j < len; ++j) cp = (cp << 6) | (static_cast<unsigned char>(k[i + j]) & 0x3F);
      cps.push_back(cp);
      i += len;
    }
    got.push_back(ToUtf16(cps));
  }
  RC_ASSERT(got == want);
}

RC_GTEST_PROP(JcsProperty, EveryFiniteDoubleRoundTripsThroughItsEcmaScriptForm, ()) {
  const auto bits = *rc::gen::arbitrary<std::uint64_t>();
  const double d = std::bit_cast<double>(bits);
  RC_PRE(std::isfinite(d));
  const std::string s = *FormatEcmaScriptNumber(d);
  RC_ASSERT(std::strtod(s.c_str(), nullptr) == d);
}

RC_GTEST_PROP(JcsProperty, CanonicalizationIsIdempotent,
              (std::map<std::string, int> m, std::vector<double> numbers)) {
  nlohmann::json v;
  for (const auto& [k, x] : m) {
    if (!IsValidUtf8Key(k)) continue;
    v["k" + k] = x;
  }
  nlohmann::json arr = nlohmann::json::array();
  for (double d : numbers) {
    if (std::isfinite(d)) arr.push_back(d);
  }
  v["numbers"] = arr;
  const std::string once = *CanonicalizeJson(v);
  RC_ASSERT(Canon(once) == once);
}

}  // namespace
}  // namespace bulwark::audit
