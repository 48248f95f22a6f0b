#include "bulwark/compliance/rule_pack.h"

#include <gtest/gtest.h>

#include "bulwark/compliance/builtin_packs.h"
#include "compliance/compiled_rule.h"

namespace bulwark::compliance {
namespace {

constexpr std::string_view kPack = R"yaml(apiVersion: bulwark/v1
kind: RulePack
name: demo
rules:
  - id: R1
    title: TLS on
    severity: high
    frameworks: { pci-dss: ["4.2.1"], soc2: ["CC6.7"] }
    foreach: config.services
    when: item.env == 'production'
    check: item.tls == true
    message: "{{ item.name }} has tls {{ item.tls }}"
    fix: { op: replace, path: tls, value: true }
    overrides: { development: { enabled: false }, production: { severity: critical } }
)yaml";

TEST(RulePackTest, ParsesEveryField) {
  auto pack = RulePack::Parse(kPack, "demo.yaml");
  ASSERT_TRUE(pack) << pack.error();
  EXPECT_EQ((*pack)->name(), "demo");
  ASSERT_EQ((*pack)->rules().size(), 1u);
  const Rule& r = (*pack)->rules()[0];
  EXPECT_EQ(r.id, "R1");
  EXPECT_EQ(r.severity, Severity::kHigh);
  ASSERT_EQ(r.frameworks.size(), 2u);
  EXPECT_EQ(r.frameworks[0].framework, "pci-dss");
  EXPECT_EQ(r.frameworks[0].controls, std::vector<std::string>{"4.2.1"});
  ASSERT_TRUE(r.fix);
  EXPECT_EQ(r.fix->path.ToString(), "tls");
  EXPECT_EQ(*r.fix->value, config::Value(true));
  EXPECT_EQ(r.location.line, 5u);
  EXPECT_FALSE(r.EnabledIn("development"));
  EXPECT_TRUE(r.EnabledIn("staging"));
  EXPECT_EQ(r.SeverityIn("production"), Severity::kCritical);
  EXPECT_EQ(r.SeverityIn("staging"), Severity::kHigh);
  const auto& c = (*pack)->compiled(0);
  EXPECT_FALSE(c.compile_error);
  ASSERT_EQ(c.message.size(), 3u);
  EXPECT_TRUE(c.message[0].program != nullptr);
  EXPECT_EQ(c.message[1].literal, " has tls ");
  ASSERT_TRUE(c.foreach_path);
  EXPECT_EQ(c.foreach_path->ToString(), "services");
}

TEST(RulePackTest, SchemaErrorNamesFileLineColumnAndRule) {
  std::string bad(kPack);
  bad.replace(bad.find("severity: high"), 14, "severity: urgent");
  auto pack = RulePack::Parse(bad, "demo.yaml");
  ASSERT_FALSE(pack);
  EXPECT_EQ(pack.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(pack.error().message().find("demo.yaml:7:15"), std::string::npos)
      << pack.error().message();
  EXPECT_NE(pack.error().message().find("rule R1"), std::string::npos) << pack.error().message();
}

TEST(RulePackTest, UnknownFieldIsRejected) {
  std::string bad(kPack);
  bad.replace(bad.find("    when:"), 4, "    wehn_typo: x\n    ");
  auto pack = RulePack::Parse(bad, "demo.yaml");
  ASSERT_FALSE(pack);
  EXPECT_NE(pack.error().message().find("rule R1"), std::string::npos) << pack.error().message();
}

TEST(RulePackTest, WrongKindIsRejected) {
  std::string bad(kPack);
  bad.replace(bad.find("RulePack"), 8, "Policy");
  auto pack = RulePack::Parse(bad, "demo.yaml");
  ASSERT_FALSE(pack);
  EXPECT_NE(pack.error().message().find("demo.yaml:2:"), std::string::npos)
      << pack.error().message();
}

TEST(RulePackTest, DuplicateRuleIdIsRejected) {
  std::string text(kPack);
  text += text.substr(text.find("  - id: R1"));
  auto pack = RulePack::Parse(text, "demo.yaml");
  ASSERT_FALSE(pack);
  EXPECT_NE(pack.error().message().find("duplicate rule id"), std::string::npos);
}

TEST(RulePackTest, BadExpressionIsKeptAsRuleErrorUnlessRejected) {
  std::string bad(kPack);
  bad.replace(bad.find("item.tls == true"), 16, "item.tls == (");
  auto lenient = RulePack::Parse(bad, "demo.yaml");
  ASSERT_TRUE(lenient) << lenient.error();
  ASSERT_TRUE((*lenient)->compiled(0).compile_error);
  EXPECT_NE((*lenient)->compiled(0).compile_error->find("rule R1"), std::string::npos);
  auto strict = RulePack::Parse(bad, "demo.yaml", {.reject_invalid_expressions = true});
  ASSERT_FALSE(strict);
  EXPECT_NE(strict.error().message().find("demo.yaml:11:12"), std::string::npos)
      << strict.error().message();
}

TEST(RulePackTest, UnclosedTemplateIsAnError) {
  std::string bad(kPack);
  bad.replace(bad.find("{{ item.tls }}"), 14, "{{ item.tls");
  auto strict = RulePack::Parse(bad, "demo.yaml", {.reject_invalid_expressions = true});
  ASSERT_FALSE(strict);
  EXPECT_NE(strict.error().message().find("not closed"), std::string::npos);
}

TEST(RulePackTest, SingleChainPathIsDeducedFromTheCheck) {
  EXPECT_EQ(internal::SingleChainPath("item.database.ssl_mode != 'disable'", "item")->ToString(),
            "database.ssl_mode");
  EXPECT_EQ(internal::SingleChainPath("item.region.startsWith('eu-')", "item")->ToString(),
            "region");
  EXPECT_EQ(
      internal::SingleChainPath("size(item.a.b) >= 2 && item.a.b != 'item.c'", "item")->ToString(),
      "a.b");
  EXPECT_FALSE(internal::SingleChainPath("item.a == item.b", "item"));
  EXPECT_FALSE(internal::SingleChainPath("true", "item"));
}

TEST(RulePackTest, EveryBuiltinPackParsesWithoutExpressionErrors) {
  std::vector<std::string> names = BuiltinPackNames();
  EXPECT_EQ(names, (std::vector<std::string>{"baseline", "best-practice", "gdpr", "hipaa",
                                             "pci-dss", "security", "soc2"}));
  for (const std::string& name : names) {
    auto pack = LoadBuiltinPack(name, {.reject_invalid_expressions = true});
    ASSERT_TRUE(pack) << name << ": " << pack.error();
    EXPECT_EQ((*pack)->name(), name);
    EXPECT_FALSE((*pack)->rules().empty());
    for (const Rule& r : (*pack)->rules()) {
      EXPECT_FALSE(r.frameworks.empty()) << name << " " << r.id;
      EXPECT_FALSE(r.remediation.empty()) << name << " " << r.id;
    }
  }
}

TEST(RulePackTest, BaselineHasTheValidatorRulesWithTheirSeverities) {
  auto pack = LoadBuiltinPack("baseline");
  ASSERT_TRUE(pack) << pack.error();
  std::map<std::string, Severity> got;
  for (const Rule& r : (*pack)->rules()) got[r.id] = r.severity;
  std::map<std::string, Severity> want = {
      {"GDPR_001", Severity::kCritical}, {"GDPR_002", Severity::kCritical},
      {"SEC_001", Severity::kCritical},  {"SEC_002", Severity::kCritical},
      {"SEC_003", Severity::kCritical},  {"SEC_004", Severity::kMedium},
      {"SEC_005", Severity::kCritical},  {"SEC_006", Severity::kHigh},
      {"OPS_001", Severity::kMedium},    {"DB_001", Severity::kHigh},
      {"NET_001", Severity::kHigh}};
  EXPECT_EQ(got, want);
}

TEST(RulePackTest, UnknownBuiltinPackIsNotFoundAndListsNames) {
  auto pack = LoadBuiltinPack("nope");
  ASSERT_FALSE(pack);
  EXPECT_EQ(pack.error().code(), ErrorCode::kNotFound);
  EXPECT_NE(pack.error().message().find("baseline"), std::string::npos);
}

}  // namespace
}  // namespace bulwark::compliance
