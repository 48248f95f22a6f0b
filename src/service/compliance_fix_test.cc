#include "bulwark/service/compliance_fix.h"

#include <gtest/gtest.h>

#include "bulwark/compliance/engine.h"
#include "bulwark/config/format.h"
#include "bulwark/testing/assert_ok.h"

namespace bulwark::service {
namespace {

using compliance::Engine;
using compliance::Report;
using compliance::RulePack;

constexpr std::string_view kPack = R"yaml(apiVersion: bulwark/v1
kind: RulePack
name: fixes
rules:
  - id: SSL
    title: ssl
    severity: high
    foreach: config.services
    check: item.database.ssl_mode != 'disable'
    fix: { op: replace, path: database.ssl_mode, value: verify-full }
  - id: TTL
    title: ttl
    severity: medium
    foreach: config.services
    check: item.ttl <= 60
    fix: { op: replace, path: ttl, value: 60 }
  - id: ADD
    title: add
    severity: low
    check: has(config.audit)
    fix: { op: add, path: audit, value: true }
)yaml";

Result<Report> Check(std::string_view text, config::Format format) {
  BULWARK_ASSIGN_OR_RETURN(auto pack, RulePack::Parse(kPack, "fixes.yaml"));
  BULWARK_ASSIGN_OR_RETURN(auto engine,
                           Engine::Create({std::shared_ptr<const RulePack>(std::move(pack))}));
  BULWARK_ASSIGN_OR_RETURN(config::Document doc, config::ParseDocument(text, format));
  return engine->Evaluate(doc, {});
}

// In a YAML flow collection the span scanner asks for quotes; block scalars keep their style.
TEST(FixTest, YamlFixChangesOnlyTheValueBytes) {
  const std::string text =
      "# services\r\nservices:\r\n  - name: a   # first\r\n    database: {ssl_mode: disable}\r\n"
      "    ttl: 300 # seconds\r\n  - name: b\r\n    database:\r\n      ssl_mode: 'disable'\r\n"
      "    ttl: 5\r\n";
  ASSERT_OK_AND_ASSIGN(Report r, Check(text, config::Format::kYaml));
  auto fixed = ApplyFixes(text, secfile::FileFormat::kYaml, r);
  ASSERT_TRUE(fixed) << fixed.error();
  EXPECT_EQ(
      fixed->text,
      "# services\r\nservices:\r\n  - name: a   # first\r\n    database: {ssl_mode: "
      "\"verify-full\"}\r\n"
      "    ttl: 60 # seconds\r\n  - name: b\r\n    database:\r\n      ssl_mode: 'verify-full'\r\n"
      "    ttl: 5\r\n");
  EXPECT_EQ(fixed->applied.size(), 3u);
  ASSERT_EQ(fixed->skipped.size(), 1u);
  EXPECT_EQ(fixed->skipped[0].rule_id, "ADD");
  ASSERT_OK_AND_ASSIGN(Report after, Check(fixed->text, config::Format::kYaml));
  EXPECT_EQ(after.findings.size(), 1u);  // only the add fix is left
}

TEST(FixTest, JsonFixKeepsFormatting) {
  const std::string text =
      "{\n  \"services\": [\n    {\"database\": {\"ssl_mode\": \"disable\"},   \"ttl\": 90}\n  ],\n"
      "  \"audit\": true\n}\n";
  ASSERT_OK_AND_ASSIGN(Report r, Check(text, config::Format::kJson));
  auto fixed = ApplyFixes(text, secfile::FileFormat::kJson, r);
  ASSERT_TRUE(fixed) << fixed.error();
  EXPECT_EQ(fixed->text,
            "{\n  \"services\": [\n    {\"database\": {\"ssl_mode\": \"verify-full\"},   \"ttl\": "
            "60}\n  ],\n  \"audit\": true\n}\n");
}

TEST(FixTest, TomlFixQuotesStrings) {
  const std::string text =
      "audit = true\n\n[[services]]\nttl = 61  # too long\n[services.database]\nssl_mode = "
      "\"disable\"\n";
  ASSERT_OK_AND_ASSIGN(Report r, Check(text, config::Format::kToml));
  auto fixed = ApplyFixes(text, secfile::FileFormat::kToml, r);
  ASSERT_TRUE(fixed) << fixed.error();
  EXPECT_EQ(fixed->text,
            "audit = true\n\n[[services]]\nttl = 60  # too long\n[services.database]\nssl_mode = "
            "\"verify-full\"\n");
}

TEST(FixTest, NothingToFixReturnsTheTextUnchanged) {
  const std::string text = "audit: true\nservices: []\n";
  ASSERT_OK_AND_ASSIGN(Report r, Check(text, config::Format::kYaml));
  auto fixed = ApplyFixes(text, secfile::FileFormat::kYaml, r);
  ASSERT_TRUE(fixed);
  EXPECT_EQ(fixed->text, text);
  EXPECT_TRUE(fixed->applied.empty());
}

}  // namespace
}  // namespace bulwark::service
