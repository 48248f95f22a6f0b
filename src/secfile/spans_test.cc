#include "bulwark/secfile/spans.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace bulwark::secfile {
namespace {

// path -> exact source bytes of the value
std::map<std::string, std::string> Raw(std::string_view text, FileFormat format) {
  auto spans = ScanValues(text, format);
  EXPECT_TRUE(spans.has_value()) << (spans ? "" : spans.error().ToString());
  std::map<std::string, std::string> out;
  if (!spans) return out;
  for (const ValueSpan& s : *spans) {
    out[s.path.ToString()] = std::string(text.substr(s.begin, s.end - s.begin));
  }
  return out;
}

const ValueSpan* FindSpan(const std::vector<ValueSpan>& spans, std::string_view path) {
  for (const ValueSpan& s : spans) {
    if (s.path.ToString() == path) return &s;
  }
  return nullptr;
}

constexpr std::string_view kYaml =
    "# service configuration\n"
    "defaults: &defaults\n"
    "  timeout: 30   # seconds\n"
    "  ratio: 0.75\n"
    "database:\n"
    "  <<: *defaults\n"
    "  host: db.example.com\n"
    "  password: &pw 's3cr''et'  # rotated monthly\n"
    "  dsn: \"postgres://u:p@h/db?x=\\\"1\\\"\"\n"
    "  backup_password: *pw\n"
    "  name: \xC3\xA9t\xC3\xA9 \xF0\x9F\x94\x91 key\n"
    "tls:\n"
    "  private_key: |\n"
    "    -----BEGIN KEY-----\n"
    "    MIIEvQIBADANBg\n"
    "\n"
    "    -----END KEY-----\n"
    "\n"
    "  note: >-\n"
    "    folded\n"
    "    text\n"
    "servers: [alpha, \"beta\", {name: gamma, token: g4mm4}]\n"
    "tokens:\n"
    "- first\n"
    "-   second token\n"
    "  continued\n"
    "enabled: true\n"
    "nothing: ~\n"
    "blob: !!binary aGVsbG8=\n"
    "last: x";

TEST(YamlSpans, FindsExactBytesOfEveryStyle) {
  const auto raw = Raw(kYaml, FileFormat::kYaml);
  EXPECT_EQ(raw.at("defaults.timeout"), "30");
  EXPECT_EQ(raw.at("defaults.ratio"), "0.75");
  EXPECT_EQ(raw.at("database.host"), "db.example.com");
  EXPECT_EQ(raw.at("database.password"), "'s3cr''et'");
  EXPECT_EQ(raw.at("database.dsn"), "\"postgres://u:p@h/db?x=\\\"1\\\"\"");
  EXPECT_EQ(raw.at("database.name"), "\xC3\xA9t\xC3\xA9 \xF0\x9F\x94\x91 key");
  EXPECT_EQ(raw.at("tls.private_key"),
            "|\n    -----BEGIN KEY-----\n    MIIEvQIBADANBg\n\n    -----END KEY-----");
  EXPECT_EQ(raw.at("tls.note"), ">-\n    folded\n    text");
  EXPECT_EQ(raw.at("servers[0]"), "alpha");
  EXPECT_EQ(raw.at("servers[1]"), "\"beta\"");
  EXPECT_EQ(raw.at("servers[2].name"), "gamma");
  EXPECT_EQ(raw.at("servers[2].token"), "g4mm4");
  EXPECT_EQ(raw.at("tokens[0]"), "first");
  EXPECT_EQ(raw.at("tokens[1]"), "second token\n  continued");
  EXPECT_EQ(raw.at("enabled"), "true");
  EXPECT_EQ(raw.at("blob"), "aGVsbG8=");
  EXPECT_EQ(raw.at("last"), "x");
  // Aliases, merge keys and nulls are not values.
  EXPECT_EQ(raw.count("database.backup_password"), 0u);
  EXPECT_EQ(raw.count("database.<<"), 0u);
  EXPECT_EQ(raw.count("nothing"), 0u);
}

TEST(YamlSpans, ReportsStylesTypesAndDecodedText) {
  auto spans = ScanValues(kYaml, FileFormat::kYaml);
  ASSERT_TRUE(spans.has_value()) << spans.error().ToString();
  const ValueSpan* pw = FindSpan(*spans, "database.password");
  ASSERT_NE(pw, nullptr);
  EXPECT_EQ(pw->quote, QuoteStyle::kSingle);
  EXPECT_EQ(pw->text, "s3cr'et");
  EXPECT_EQ(pw->line, 8u);
  EXPECT_EQ(FindSpan(*spans, "defaults.timeout")->type, ScalarType::kInt);
  EXPECT_EQ(FindSpan(*spans, "defaults.ratio")->type, ScalarType::kFloat);
  EXPECT_EQ(FindSpan(*spans, "enabled")->type, ScalarType::kBool);
  EXPECT_EQ(FindSpan(*spans, "blob")->type, ScalarType::kBytes);
  EXPECT_EQ(FindSpan(*spans, "tls.private_key")->quote, QuoteStyle::kLiteralBlock);
  EXPECT_EQ(FindSpan(*spans, "tls.note")->quote, QuoteStyle::kFoldedBlock);
  EXPECT_EQ(FindSpan(*spans, "tls.note")->text, "folded text");
  EXPECT_TRUE(FindSpan(*spans, "servers[2].token")->needs_quotes);
  EXPECT_FALSE(FindSpan(*spans, "tokens[0]")->needs_quotes);
}

TEST(YamlSpans, HandlesCrlfLineEndingsAndByteOrderMark) {
  const std::string text =
      "\xEF\xBB\xBF# c\r\napi:\r\n  key: abc123   # k\r\n  secret: |\r\n    line one\r\n    line "
      "two\r\n"
      "  after: \"q\"\r\n";
  const auto raw = Raw(text, FileFormat::kYaml);
  EXPECT_EQ(raw.at("api.key"), "abc123");
  EXPECT_EQ(raw.at("api.secret"), "|\r\n    line one\r\n    line two");
  EXPECT_EQ(raw.at("api.after"), "\"q\"");
  EXPECT_EQ(DetectLineEnding(text), "\r\n");
}

TEST(YamlSpans, RejectsMultipleDocumentsAndSyntaxErrors) {
  EXPECT_FALSE(ScanValues("a: 1\n---\nb: 2\n", FileFormat::kYaml).has_value());
  auto bad = ScanValues("a: [1, 2\n", FileFormat::kYaml);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(bad.error().message().find("<input>:"), std::string::npos);
}

TEST(JsonSpans, FindsStringsNumbersAndLiterals) {
  const std::string text =
      "{\r\n  \"db\": {\"password\": \"p\\u00e4ss\\\"w\", \"port\": 5432, \"ratio\": -1.5e3},\r\n"
      "  \"list\": [true, null, \"\xE2\x9C\x93\"], \"empty\": {}, \"k.dot\": \"v\"\r\n}\r\n";
  const auto raw = Raw(text, FileFormat::kJson);
  EXPECT_EQ(raw.at("db.password"), "\"p\\u00e4ss\\\"w\"");
  EXPECT_EQ(raw.at("db.port"), "5432");
  EXPECT_EQ(raw.at("db.ratio"), "-1.5e3");
  EXPECT_EQ(raw.at("list[0]"), "true");
  EXPECT_EQ(raw.at("list[1]"), "null");
  EXPECT_EQ(raw.at("list[2]"), "\"\xE2\x9C\x93\"");
  EXPECT_EQ(raw.at("\"k.dot\""), "\"v\"");
  auto spans = ScanValues(text, FileFormat::kJson);
  ASSERT_TRUE(spans.has_value());
  EXPECT_EQ(FindSpan(*spans, "db.password")->text, "p\xC3\xA4ss\"w");
  EXPECT_EQ(FindSpan(*spans, "db.ratio")->type, ScalarType::kFloat);
  EXPECT_EQ(FindSpan(*spans, "list[1]")->type, ScalarType::kNull);
}

TEST(JsonSpans, RejectsDuplicateKeysAndTrailingText) {
  EXPECT_FALSE(ScanValues("{\"a\": 1, \"a\": 2}", FileFormat::kJson).has_value());
  EXPECT_FALSE(ScanValues("{\"a\": 1} x", FileFormat::kJson).has_value());
  EXPECT_FALSE(ScanValues("{\"a\": 01x}", FileFormat::kJson).has_value());
}

TEST(TomlSpans, FindsValuesInTablesArraysAndInlineTables) {
  const std::string text =
      "# app\n"
      "title = \"Demo\"  # comment\n"
      "[database]\n"
      "password = 'lit\\eral'\n"
      "port = 5_432\n"
      "ratio = 0.5\n"
      "created = 1979-05-27 07:32:00Z\n"
      "cert = \"\"\"\n"
      "line \"one\"\n"
      "line two\"\"\"\n"
      "raw = '''\n"
      "x'''\n"
      "\"quoted key\".sub = true\n"
      "creds = { user = \"u\", token = \"t0k\" }\n"
      "hosts = [\n"
      "  \"a\", # first\n"
      "  \"b\",\n"
      "]\n"
      "[[servers]]\n"
      "name = \"one\"\n"
      "[[servers]]\n"
      "name = \"two\"\n"
      "[servers.tls]\n"
      "key = \"k2\"\n";
  const auto raw = Raw(text, FileFormat::kToml);
  EXPECT_EQ(raw.at("title"), "\"Demo\"");
  EXPECT_EQ(raw.at("database.password"), "'lit\\eral'");
  EXPECT_EQ(raw.at("database.port"), "5_432");
  EXPECT_EQ(raw.at("database.created"), "1979-05-27 07:32:00Z");
  EXPECT_EQ(raw.at("database.cert"), "\"\"\"\nline \"one\"\nline two\"\"\"");
  EXPECT_EQ(raw.at("database.raw"), "'''\nx'''");
  EXPECT_EQ(raw.at("database.\"quoted key\".sub"), "true");
  EXPECT_EQ(raw.at("database.creds.token"), "\"t0k\"");
  EXPECT_EQ(raw.at("database.hosts[1]"), "\"b\"");
  EXPECT_EQ(raw.at("servers[0].name"), "\"one\"");
  EXPECT_EQ(raw.at("servers[1].name"), "\"two\"");
  EXPECT_EQ(raw.at("servers[1].tls.key"), "\"k2\"");
  auto spans = ScanValues(text, FileFormat::kToml);
  ASSERT_TRUE(spans.has_value());
  EXPECT_EQ(FindSpan(*spans, "database.cert")->text, "line \"one\"\nline two");
  EXPECT_EQ(FindSpan(*spans, "database.port")->type, ScalarType::kInt);
}

TEST(TomlSpans, ReportsParserErrorsWithLocation) {
  auto r = ScanValues("a = \n", FileFormat::kToml, {.source_name = "app.toml"});
  ASSERT_FALSE(r.has_value());
  EXPECT_TRUE(r.error().message().starts_with("app.toml:1:")) << r.error().message();
}

TEST(DotenvSpans, FindsQuotedUnquotedAndMultilineValues) {
  const std::string text =
      "# env\r\n"
      "export API_KEY=abc123 # key\r\n"
      "DB_PASSWORD=\"p a\\\"ss\"\r\n"
      "SINGLE='x#y'\r\n"
      "EMPTY=\r\n"
      "CERT=\"line1\r\nline2\"\r\n"
      "URL=http://h/#frag\r\n";
  const auto raw = Raw(text, FileFormat::kDotenv);
  EXPECT_EQ(raw.at("API_KEY"), "abc123");
  EXPECT_EQ(raw.at("DB_PASSWORD"), "\"p a\\\"ss\"");
  EXPECT_EQ(raw.at("SINGLE"), "'x#y'");
  EXPECT_EQ(raw.at("EMPTY"), "");
  EXPECT_EQ(raw.at("CERT"), "\"line1\r\nline2\"");
  EXPECT_EQ(raw.at("URL"), "http://h/#frag");
  auto spans = ScanValues(text, FileFormat::kDotenv);
  ASSERT_TRUE(spans.has_value());
  EXPECT_EQ(FindSpan(*spans, "DB_PASSWORD")->text, "p a\"ss");
}

TEST(IniSpans, FindsSectionValues) {
  const std::string text =
      "; top\n"
      "name = demo\n"
      "[database]\n"
      "password = hunter2 ; inline\n"
      "dsn: \"host=h port=5\"\n"
      "[a.b]\n"
      "token=t\n";
  const auto raw = Raw(text, FileFormat::kIni);
  EXPECT_EQ(raw.at("name"), "demo");
  EXPECT_EQ(raw.at("database.password"), "hunter2");
  EXPECT_EQ(raw.at("database.dsn"), "\"host=h port=5\"");
  EXPECT_EQ(raw.at("\"a.b\".token"), "t");
  EXPECT_FALSE(ScanValues("[s]\nnovalue\n", FileFormat::kIni).has_value());
}

TEST(ValueTree, RebuildsTypedTreeFromSpans) {
  auto spans = ScanValues("a:\n  b: 1\n  c: [x, true]\n", FileFormat::kYaml);
  ASSERT_TRUE(spans.has_value());
  const config::Value tree = BuildValueTree(*spans);
  ASSERT_NE(config::Find(tree, *config::Path::Parse("a.b")), nullptr);
  EXPECT_EQ(*config::Find(tree, *config::Path::Parse("a.b")), config::Value(1));
  EXPECT_EQ(*config::Find(tree, *config::Path::Parse("a.c[1]")), config::Value(true));
}

TEST(FileFormats, FromPathAndName) {
  EXPECT_EQ(*FileFormatFromPath("x/app.yml"), FileFormat::kYaml);
  EXPECT_EQ(*FileFormatFromPath(".env.production"), FileFormat::kDotenv);
  EXPECT_EQ(*FileFormatFromPath("a.INI"), FileFormat::kIni);
  EXPECT_FALSE(FileFormatFromPath("a.txt").has_value());
  EXPECT_EQ(*ParseFileFormatName("toml"), FileFormat::kToml);
}

// Found by the encfile fuzzer: yaml-cpp ends a double-quoted scalar at an under-indented
// continuation line and reads the next line as a key, while the byte scanner runs to the closing
// quote; the two value spans overlapped. The scan is refused with the position instead.
TEST(YamlSpans, RefusesValuesWhoseBytesOverlap) {
  std::string_view text = ";db:\n t\"\"un: \r\r\"b}]\nin8x;db:\n t\"\nin8_GC_GCM\x1f :";
  auto spans = ScanValues(text, FileFormat::kYaml);
  ASSERT_FALSE(spans.has_value());
  EXPECT_EQ(spans.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(spans.error().message().find("overlaps the value before it"), std::string::npos)
      << spans.error().message();
}

}  // namespace
}  // namespace bulwark::secfile
