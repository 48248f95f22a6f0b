#include "bulwark/monitor/alert_rule.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace bulwark::monitor {
namespace {

using ::testing::HasSubstr;

constexpr const char* kGood = R"(apiVersion: bulwark/v1
kind: AlertRules
rules:
  - id: many-deletes
    title: Many deletes
    severity: medium
    condition: event.action == 'delete' && event.outcome == 'success'
    window: 10m
    threshold: 20
    group_by: event.namespace
    summary: "{{ count }} deletes in {{ group }}"
    channels: [oncall]
    cooldown: 1h
  - id: any-denial
    title: Any denial
    severity: low
    condition: event.outcome == 'denied'
    enabled: false
)";

TEST(AlertRuleTest, ParsesEveryField) {
  auto rules = ParseAlertRules(kGood, "team.yaml");
  ASSERT_TRUE(rules.has_value()) << rules.error().message();
  ASSERT_EQ(rules->size(), 2u);
  const AlertRule& r = (*rules)[0];
  EXPECT_EQ(r.id, "many-deletes");
  EXPECT_EQ(r.severity, Severity::kMedium);
  EXPECT_EQ(r.window, std::chrono::minutes(10));
  EXPECT_EQ(r.threshold, 20u);
  EXPECT_EQ(r.group_by, "event.namespace");
  EXPECT_EQ(r.channels, std::vector<std::string>{"oncall"});
  EXPECT_EQ(r.cooldown, std::chrono::hours(1));
  EXPECT_EQ(r.source, "team.yaml:4:5");
  EXPECT_FALSE((*rules)[1].enabled);
  EXPECT_FALSE((*rules)[1].window.has_value());
}

std::string ErrorOf(const std::string& rule_body) {
  const std::string text =
      "apiVersion: bulwark/v1\nkind: AlertRules\nrules:\n  - id: r1\n    title: T\n" + rule_body;
  auto r = ParseAlertRules(text, "bad.yaml");
  EXPECT_FALSE(r.has_value()) << rule_body;
  return r ? std::string() : r.error().message();
}

TEST(AlertRuleTest, ErrorsNameTheFileLineRuleAndField) {
  EXPECT_THAT(ErrorOf("    severity: urgent\n    condition: 'true'\n"),
              HasSubstr("bad.yaml:6:15: rule r1: rules[0].severity"));
  EXPECT_THAT(ErrorOf("    severity: low\n    condition: event.outcome ==\n"),
              HasSubstr("bad.yaml:7:16: rule r1: rules[0].condition: does not compile"));
  EXPECT_THAT(ErrorOf("    severity: low\n    condition: evnt.outcome == 'x'\n"),
              HasSubstr("rules[0].condition: does not compile"));
  EXPECT_THAT(ErrorOf("    severity: low\n    condition: 'true'\n    window: 5x\n"),
              HasSubstr("rule r1: rules[0].window: duration '5x'"));
  EXPECT_THAT(ErrorOf("    severity: low\n    condition: 'true'\n    window: 30d\n"),
              HasSubstr("expected a window in [1s, 1w]"));
  EXPECT_THAT(ErrorOf("    severity: low\n    condition: 'true'\n    threshold: 3\n"),
              HasSubstr("rules[0]"));
  EXPECT_THAT(ErrorOf("    severity: low\n    condition: 'true'\n    colour: red\n"),
              HasSubstr("rules[0]"));
  EXPECT_THAT(ErrorOf("    severity: low\n    condition: 'true'\n    summary: '{{ x'\n"),
              HasSubstr("rules[0].summary"));
  EXPECT_THAT(ErrorOf("    severity: low\n    condition: 'true'\n    summary: '{{ nope }}'\n"),
              HasSubstr("rules[0].summary: does not compile"));
  EXPECT_THAT(ErrorOf("    severity: low\n    condition: 'true'\n  - id: r1\n    title: U\n"
                      "    severity: low\n    condition: 'true'\n"),
              HasSubstr("duplicate rule id"));
}

TEST(AlertRuleTest, TheBuiltInRulesLoad) {
  std::vector<AlertRule> rules = BuiltinAlertRules();
  std::vector<std::string> ids;
  for (const auto& r : rules) ids.push_back(r.id);
  EXPECT_THAT(ids, ::testing::ElementsAre("failed-logins", "repeated-denials", "emergency-approval",
                                          "prod-reveal-after-hours", "admin-granted",
                                          "audit-verification-failed", "drift-detected",
                                          "secret-rotation-overdue", "secret-rotation-failed"));
  for (const auto& r : rules) EXPECT_EQ(r.source, "builtin");
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(AlertRuleTest, TheSchemaInTheDocsIsTheOneCompiledIn) {
  const std::string doc = ReadFile(std::string(BULWARK_SOURCE_DIR) + "/docs/monitor.md");
  const std::string file =
      ReadFile(std::string(BULWARK_SOURCE_DIR) + "/docs/alertrules.schema.json");
  ASSERT_FALSE(file.empty());
  EXPECT_EQ(AlertRulesSchemaText(), file);
  const auto start = doc.find("```json\n{\n  \"$schema\"");
  ASSERT_NE(start, std::string::npos);
  const auto body = start + 8;
  const auto end = doc.find("```", body);
  EXPECT_EQ(doc.substr(body, end - body), file);
}

}  // namespace
}  // namespace bulwark::monitor
