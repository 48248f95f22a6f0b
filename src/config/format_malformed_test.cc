// Hostile input for every parser: truncation, invalid UTF-8, duplicate keys, 100,000 levels of
// nesting, a 10 MB value and binary garbage must give a value or a clean positioned error.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "bulwark/config/format.h"
#include "config/format_test_util.h"

namespace bulwark::config {
namespace {

using ::testing::ContainsRegex;
using ::testing::HasSubstr;

constexpr Format kAllFormats[] = {Format::kJson, Format::kYaml, Format::kToml, Format::kDotenv,
                                  Format::kEnv};

// A parse either succeeds or fails with "<input>:<line>:<column>: <short message>".
void ExpectCleanResult(std::string_view text, Format format) {
  auto doc = ParseDocument(text, format);
  if (doc) return;
  EXPECT_EQ(doc.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_THAT(doc.error().message(), ContainsRegex("^<input>:[0-9]+:[0-9]+: "))
      << FormatName(format);
  EXPECT_LT(doc.error().message().size(), 260u) << doc.error().message();
}

void ExpectPositionedError(std::string_view text, Format format, ParseOptions options = {}) {
  auto doc = ParseDocument(text, format, options);
  ASSERT_FALSE(doc) << FormatName(format) << " accepted the input";
  EXPECT_EQ(doc.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_THAT(doc.error().message(), ContainsRegex("^<input>:[0-9]+:[0-9]+: "));
}

std::string Sample(Format format) {
  switch (format) {
    case Format::kJson:
      return R"({"name": "svc", "ports": [80, 443.5, -1e3], "db": {"host": "h\u00e9", "ok": true,
                 "none": null}})";
    case Format::kYaml:
      return "name: svc\nports: [80, 443]\ndb:\n  host: \"h\\u00e9\"\n  list:\n    - a\n    - "
             "&x {k: v}\n  copy: *x\nblock: |\n  text\n";
    case Format::kToml:
      return "name = \"svc\"\nports = [80, 443]\n[db]\nhost = 'h'\nwhen = 1979-05-27T07:32:00Z\n"
             "[[s]]\nx = \"\"\"multi\nline\"\"\"\n";
    case Format::kDotenv:
      return "A=1\nexport B='two'\nC=\"x\\ny\nz\" # c\nD=plain # c\n";
    case Format::kEnv:
      return "export A='x'\\''y'\nB=word\nexport C='multi\nline'\n";
  }
  return "";
}

TEST(FormatMalformedTest, SamplesParse) {
  for (Format f : kAllFormats) {
    auto doc = ParseDocument(Sample(f), f);
    EXPECT_TRUE(doc) << FormatName(f) << ": " << doc.error();
  }
}

TEST(FormatMalformedTest, EveryFormatAcceptsAByteOrderMark) {
  for (Format f : kAllFormats) {
    auto plain = ParseDocument(Sample(f), f);
    auto bom = ParseDocument("\xEF\xBB\xBF" + Sample(f), f);
    ASSERT_TRUE(bom) << FormatName(f) << ": " << bom.error();
    EXPECT_EQ(bom->root, plain->root) << FormatName(f);
  }
}

TEST(FormatMalformedTest, EveryTruncationGivesAValueOrAPositionedError) {
  for (Format f : kAllFormats) {
    std::string text = Sample(f);
    for (std::size_t n = 0; n < text.size(); ++n) ExpectCleanResult(text.substr(0, n), f);
  }
}

TEST(FormatMalformedTest, InvalidUtf8IsAPositionedError) {
  const std::string bad[] = {"\xFF",     "\xC3\x28", "\xED\xA0\x80", "\xF4\x90\x80\x80",
                             "\xE2\x82", "\xC0\xAF"};
  for (const std::string& b : bad) {
    ExpectPositionedError("{\"a\": \"" + b + "\"}", Format::kJson);
    ExpectPositionedError("a: " + b + "\n", Format::kYaml);
    ExpectPositionedError("a: '" + b + "'\n", Format::kYaml);
    ExpectPositionedError("a = \"" + b + "\"\n", Format::kToml);
    ExpectPositionedError("A='" + b + "'\n", Format::kDotenv);
    ExpectPositionedError("A='" + b + "'\n", Format::kEnv);
  }
}

TEST(FormatMalformedTest, DuplicateKeysAreErrorsInEveryFormat) {
  EXPECT_THAT(testing::ParseError("{\"x\":{\"a\":1,\"a\":1}}", Format::kJson),
              HasSubstr("duplicate"));
  EXPECT_THAT(testing::ParseError("x:\n  a: 1\n  a: 1\n", Format::kYaml), HasSubstr("duplicate"));
  ExpectPositionedError("[x]\na = 1\na = 1\n", Format::kToml);
  EXPECT_THAT(testing::ParseError("A=1\nexport A=1\n", Format::kDotenv), HasSubstr("duplicate"));
  EXPECT_THAT(testing::ParseError("A='1'\nA='1'\n", Format::kEnv), HasSubstr("duplicate"));
}

TEST(FormatMalformedTest, HundredThousandLevelsOfNestingAreCleanErrors) {
  const std::size_t n = 100000;
  std::string brackets(n, '[');
  ExpectPositionedError(brackets, Format::kJson);
  ExpectPositionedError(brackets + std::string(n, ']'), Format::kJson);
  std::string objects;
  for (std::size_t i = 0; i < n; ++i) objects += "{\"a\":";
  ExpectPositionedError(objects, Format::kJson);

  ExpectPositionedError(brackets, Format::kYaml);
  ExpectPositionedError("a: " + brackets, Format::kYaml);
  std::string flow_maps;
  for (std::size_t i = 0; i < n; ++i) flow_maps += "{a: ";
  ExpectPositionedError(flow_maps, Format::kYaml);
  std::string compact;
  for (std::size_t i = 0; i < n; ++i) compact += "- ";
  ExpectPositionedError(compact + "x\n", Format::kYaml);
  std::string indented;  // 3,000 levels of block indentation (4.5 MB)
  for (std::size_t i = 0; i < 3000; ++i) indented += std::string(i, ' ') + "a:\n";
  ExpectPositionedError(indented, Format::kYaml);

  std::string dotted = "a";
  for (std::size_t i = 0; i < n; ++i) dotted += ".a";
  ExpectPositionedError(dotted + " = 1\n", Format::kToml);
  ExpectPositionedError("[" + dotted + "]\n", Format::kToml);
  ExpectPositionedError("[[" + dotted + "]]\n", Format::kToml);
  ExpectPositionedError("a = " + brackets, Format::kToml);
  std::string inline_tables = "a = ";
  for (std::size_t i = 0; i < n; ++i) inline_tables += "{b = ";
  ExpectPositionedError(inline_tables, Format::kToml);
  std::string inline_dotted = "a = {" + dotted + " = 1}\n";
  ExpectPositionedError(inline_dotted, Format::kToml);

  ExpectCleanResult(brackets, Format::kDotenv);
  ExpectCleanResult(brackets, Format::kEnv);
}

TEST(FormatMalformedTest, TenMegabyteValuesWork) {
  const std::string big(10 << 20, 'x');
  auto check = [&](std::string text, Format f, std::string_view key) {
    auto doc = ParseDocument(text, f);
    ASSERT_TRUE(doc) << FormatName(f) << ": " << doc.error();
    const Value* v = doc->root.Get(key);
    ASSERT_NE(v, nullptr);
    EXPECT_EQ(v->AsString().size(), big.size());
  };
  check("{\"a\": \"" + big + "\"}", Format::kJson, "a");
  check("a: \"" + big + "\"\n", Format::kYaml, "a");
  check("a: " + big + "\n", Format::kYaml, "a");
  check("a = \"" + big + "\"\n", Format::kToml, "a");
  check("A=\"" + big + "\"\n", Format::kDotenv, "A");
  check("A=" + big + "\n", Format::kDotenv, "A");
  check("A='" + big + "'\n", Format::kEnv, "A");
}

TEST(FormatMalformedTest, UnterminatedTenMegabyteValuesFailCleanly) {
  const std::string big(10 << 20, 'x');
  ExpectPositionedError("{\"a\": \"" + big, Format::kJson);
  ExpectPositionedError("a: \"" + big, Format::kYaml);
  ExpectPositionedError("a = \"" + big, Format::kToml);
  ExpectPositionedError("A=\"" + big, Format::kDotenv);
  ExpectPositionedError("A='" + big, Format::kEnv);
}

TEST(FormatMalformedTest, BinaryGarbageGivesCleanErrors) {
  std::mt19937 rng(1234);
  for (int i = 0; i < 300; ++i) {
    std::string junk(static_cast<std::size_t>(rng() % 200), '\0');
    for (char& c : junk) c = static_cast<char>(rng());
    for (Format f : kAllFormats) ExpectCleanResult(junk, f);
  }
}

TEST(FormatMalformedTest, MutatedSamplesGiveCleanResults) {
  std::mt19937 rng(99);
  const std::string alphabet = "[]{}:,\"'#-\n\\ &*!|>=.xa0\t";
  for (Format f : kAllFormats) {
    const std::string sample = Sample(f);
    for (int i = 0; i < 400; ++i) {
      std::string text = sample;
      for (int k = 0; k < 3; ++k) {
        std::size_t pos = rng() % text.size();
        text[pos] = alphabet[rng() % alphabet.size()];
      }
      ExpectCleanResult(text, f);
    }
  }
}

}  // namespace
}  // namespace bulwark::config
