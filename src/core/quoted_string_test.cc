#include "bulwark/core/quoted_string.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bulwark/core/encoding.h"

namespace bulwark {
namespace {

std::string Quoted(std::string_view s, QuoteStyle style = {}) {
  std::string out;
  AppendQuotedString(out, s, style);
  return out;
}

TEST(QuotedStringTest, EscapesQuotesBackslashesAndControlCharactersAsJcsDoes) {
  EXPECT_EQ(Quoted(""), R"("")");
  EXPECT_EQ(Quoted("a\"b\\c/d"), R"("a\"b\\c/d")");
  EXPECT_EQ(Quoted("\b\f\n\r\t"), R"("\b\f\n\r\t")");
  EXPECT_EQ(Quoted(std::string("\0\x01\x1f", 3)), R"("\u0000\u0001\u001f")");
  // DEL and non-ASCII characters are written as they are.
  EXPECT_EQ(Quoted("\x7f\xc3\xa9\xe2\x80\xa8"), "\"\x7f\xc3\xa9\xe2\x80\xa8\"");
}

TEST(QuotedStringTest, TomlStyleUsesUppercaseHexAndEscapesDel) {
  const QuoteStyle toml{.uppercase_hex = true, .escape_del = true};
  EXPECT_EQ(Quoted("x\x1f\x7fy\n", toml), R"("x\u001F\u007Fy\n")");
  EXPECT_EQ(Quoted("\x1b", {.uppercase_hex = true}), R"("\u001B")");
  EXPECT_EQ(Quoted("\x7f", {.escape_del = true}), R"("\u007f")");
}

TEST(QuotedStringTest, AppendsToWhatIsAlreadyThere) {
  std::string out = "k=";
  AppendQuotedString(out, "v");
  EXPECT_EQ(out, "k=\"v\"");
}

// Any valid UTF-8 string, in either style, is a JSON string that parses back to itself.
RC_GTEST_PROP(QuotedStringTest, OutputIsJsonThatParsesBackToTheInput, ()) {
  // Code points, mostly ASCII (control characters included), never surrogates.
  const auto code_points =
      *rc::gen::container<std::vector<std::uint32_t>>(rc::gen::weightedOneOf<std::uint32_t>(
          {{4, rc::gen::inRange<std::uint32_t>(0, 0x80)},
           {1, rc::gen::inRange<std::uint32_t>(0x80, 0xD800)},
           {1, rc::gen::inRange<std::uint32_t>(0xE000, 0x110000)}}));
  std::string s;
  for (std::uint32_t cp : code_points) AppendUtf8(s, static_cast<char32_t>(cp));
  for (const QuoteStyle style : {QuoteStyle{}, QuoteStyle{true, true}}) {
    const nlohmann::json parsed = nlohmann::json::parse(Quoted(s, style));
    RC_ASSERT(parsed.get<std::string>() == s);
  }
}

// The byte-at-a-time escaper AppendQuotedString had before it scanned eight bytes at a time.
std::string ReferenceQuoted(std::string_view s, QuoteStyle style) {
  const char* digits = style.uppercase_hex ? "0123456789ABCDEF" : "0123456789abcdef";
  std::string out = "\"";
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || (style.escape_del && c == 0x7F)) {
          out += "\\u00";
          out += digits[c >> 4];
          out += digits[c & 0xF];
        } else {
          out += ch;
        }
    }
  }
  out += '"';
  return out;
}

// Any bytes, in every style: the same output as the byte-at-a-time reference. The bytes are mostly
// ones near the escape boundaries (around 0x20, '"', '\\', DEL, 0x80) so that 8-byte words mix
// them.
RC_GTEST_PROP(QuotedStringTest, EscapesEveryByteStringAsTheReferenceDoes, ()) {
  const auto bytes = *rc::gen::container<std::string>(rc::gen::weightedOneOf<char>(
      {{3, rc::gen::inRange<char>('a', 'z' + 1)},
       {2, rc::gen::element<char>('"', '\\', '\x1f', ' ', '!', '#', '[', ']', '\x7e', '\x7f', '\0',
                                  '\n', '\x21', '\x5b', '\x5d')},
       {1, rc::gen::arbitrary<char>()}}));
  const std::string prefix = *rc::gen::element<std::string>("", "k=", std::string(13, 'x'));
  for (const QuoteStyle style :
       {QuoteStyle{}, QuoteStyle{true, false}, QuoteStyle{false, true}, QuoteStyle{true, true}}) {
    std::string out = prefix;
    AppendQuotedString(out, bytes, style);
    RC_ASSERT(out == prefix + ReferenceQuoted(bytes, style));
  }
}

TEST(QuotedStringTest, FindsEscapesAtEveryPositionOfALongString) {
  for (const char special : {'"', '\\', '\x01', '\x1f', '\x7f'}) {
    for (std::size_t pos = 0; pos < 40; ++pos) {
      std::string s(40, 'a');
      s[pos] = special;
      s[(pos * 7 + 3) % 40] = '\xc3';  // non-ASCII bytes are copied, never escaped
      for (const QuoteStyle style : {QuoteStyle{}, QuoteStyle{true, true}}) {
        EXPECT_EQ(Quoted(s, style), ReferenceQuoted(s, style)) << pos;
      }
    }
  }
}

}  // namespace
}  // namespace bulwark
