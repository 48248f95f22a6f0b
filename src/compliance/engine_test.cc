#include "bulwark/compliance/engine.h"

#include <gtest/gtest.h>

#include "bulwark/compliance/builtin_packs.h"
#include "bulwark/config/format.h"
#include "bulwark/testing/assert_ok.h"
#include "bulwark/testing/test_data.h"

namespace bulwark::compliance {
namespace {

Result<std::shared_ptr<const RulePack>> Pack(std::string_view text) {
  BULWARK_ASSIGN_OR_RETURN(auto pack, RulePack::Parse(text, "pack.yaml"));
  return std::shared_ptr<const RulePack>(std::move(pack));
}

Result<Report> Check(std::vector<std::shared_ptr<const RulePack>> packs,
                     const config::Document& doc, EvalContext ctx = {}) {
  BULWARK_ASSIGN_OR_RETURN(auto engine, Engine::Create(std::move(packs)));
  return engine->Evaluate(doc, ctx);
}

// Parses the pack texts and the YAML document (named app.yaml) and checks one against the other.
Result<Report> CheckYaml(std::vector<std::string_view> pack_texts, std::string_view yaml,
                         EvalContext ctx = {}) {
  std::vector<std::shared_ptr<const RulePack>> packs;
  for (std::string_view text : pack_texts) {
    BULWARK_ASSIGN_OR_RETURN(auto pack, Pack(text));
    packs.push_back(std::move(pack));
  }
  BULWARK_ASSIGN_OR_RETURN(
      config::Document doc,
      config::ParseDocument(yaml, config::Format::kYaml, {.source_name = "app.yaml"}));
  return Check(std::move(packs), doc, ctx);
}

constexpr std::string_view kTls = R"yaml(apiVersion: bulwark/v1
kind: RulePack
name: tls
rules:
  - id: TLS_001
    title: Database TLS
    severity: critical
    frameworks: { pci-dss: ["4.2.1"] }
    foreach: config.services
    when: item.environment == 'production'
    check: item.database.ssl_mode != 'disable'
    message: "TLS disabled for {{ item.name }} ({{ item.database.ssl_mode }})"
    remediation: set database.ssl_mode to verify-full
    fix: { op: replace, path: database.ssl_mode, value: verify-full }
  - id: ENV_001
    title: Environment known
    severity: low
    frameworks: { soc2: ["CC7.2"] }
    check: env in ['production', 'staging', 'development']
    message: "unknown environment '{{ env }}' for {{ meta.namespace }}@{{ meta.version }}"
    remediation: pass --env
)yaml";

constexpr std::string_view kServices = R"yaml(services:
  - name: api
    environment: production
    database:
      ssl_mode: verify-full
  - name: billing
    environment: production
    database:
      ssl_mode: disable
  - name: dev
    environment: development
    database:
      ssl_mode: disable
)yaml";

TEST(EngineTest, ForeachFindingsCarryIndexPathLocationMessageAndFix) {
  ASSERT_OK_AND_ASSIGN(Report r, CheckYaml({kTls}, kServices, {.environment = "production"}));
  ASSERT_EQ(r.findings.size(), 1u);
  const Finding& f = r.findings[0];
  EXPECT_EQ(r.RuleOf(f).id, "TLS_001");
  EXPECT_EQ(f.severity, Severity::kCritical);
  EXPECT_EQ(f.path, "services[1].database.ssl_mode");
  EXPECT_EQ(f.location.ToString(), "app.yaml:9:17");
  EXPECT_EQ(f.message, "TLS disabled for billing (disable)");
  ASSERT_TRUE(f.fix);
  EXPECT_EQ(f.fix->path.ToString(), "services[1].database.ssl_mode");
  EXPECT_EQ(*f.fix->value, config::Value("verify-full"));
  EXPECT_EQ(r.rules[0].status, RuleStatus::kFail);
  EXPECT_EQ(r.rules[0].applicable, 2u);
  EXPECT_EQ(r.rules[0].passed, 1u);
  EXPECT_EQ(r.rules[1].status, RuleStatus::kPass);
  EXPECT_FALSE(r.partial);
  EXPECT_FALSE(r.CompliantAt(Severity::kHigh));
}

TEST(EngineTest, EnvAndMetaAreInScope) {
  ASSERT_OK_AND_ASSIGN(Report r, CheckYaml({kTls}, kServices,
                                           {.environment = "qa", .ns = "prod/api", .version = 7}));
  ASSERT_EQ(r.findings.size(), 2u);
  const Finding& f = r.findings[1];  // low after critical
  EXPECT_EQ(r.RuleOf(f).id, "ENV_001");
  EXPECT_EQ(f.message, "unknown environment 'qa' for prod/api@7");
  EXPECT_EQ(f.path, "");
}

TEST(EngineTest, FrameworkScoresArePassedOverApplicable) {
  ASSERT_OK_AND_ASSIGN(Report r, CheckYaml({kTls}, kServices, {.environment = "production"}));
  ASSERT_EQ(r.frameworks.size(), 2u);
  EXPECT_EQ(r.frameworks[0].framework, "pci-dss");
  EXPECT_EQ(r.frameworks[0].applicable, 2u);
  EXPECT_EQ(r.frameworks[0].passed, 1u);
  EXPECT_DOUBLE_EQ(r.frameworks[0].score(), 0.5);
  EXPECT_EQ(r.frameworks[0].failing_controls, std::vector<std::string>{"4.2.1"});
  EXPECT_EQ(r.frameworks[1].framework, "soc2");
  EXPECT_DOUBLE_EQ(r.frameworks[1].score(), 1.0);
  EXPECT_EQ(r.by_severity[static_cast<int>(Severity::kCritical)], 1u);
}

constexpr std::string_view kBroken = R"yaml(apiVersion: bulwark/v1
kind: RulePack
name: broken
rules:
  - id: BAD_SYNTAX
    title: does not compile
    severity: high
    check: "item.x == ("
  - id: MISSING_FIELD
    title: reads a field some services lack
    severity: high
    foreach: config.services
    check: item.redis.ssl
  - id: TYPE_ERROR
    title: compares a string with an int
    severity: medium
    foreach: config.services
    check: item.name > 3
  - id: TOO_COSTLY
    title: exceeds the cost budget
    severity: low
    check: "[1,2,3,4,5,6,7,8,9,10].all(a, [1,2,3,4,5,6,7,8,9,10].all(b, [1,2,3,4,5,6,7,8,9,10].all(c, a + b + c > 0)))"
  - id: GOOD
    title: still runs
    severity: high
    foreach: config.services
    check: item.database.ssl_mode != 'disable'
)yaml";

TEST(EngineTest, RulesThatFailToEvaluateBecomeErrorsAndTheOthersRun) {
  RulePackOptions opts;
  opts.limits.cost_budget = 500;
  ASSERT_OK_AND_ASSIGN(auto pack, RulePack::Parse(kBroken, "broken.yaml", opts));
  ASSERT_OK_AND_ASSIGN(config::Document doc,
                       config::ParseDocument(kServices, config::Format::kYaml));
  ASSERT_OK_AND_ASSIGN(Report r, Check({std::shared_ptr<const RulePack>(std::move(pack))}, doc));
  ASSERT_EQ(r.rules.size(), 5u);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(r.rules[i].status, RuleStatus::kError) << r.rules[i].id;
    EXPECT_FALSE(r.rules[i].errors.empty()) << r.rules[i].id;
  }
  EXPECT_NE(r.rules[0].errors[0].find("broken.yaml:8:"), std::string::npos) << r.rules[0].errors[0];
  EXPECT_NE(r.rules[1].errors[0].find("services[0]"), std::string::npos) << r.rules[1].errors[0];
  EXPECT_EQ(r.rules[4].status, RuleStatus::kFail);
  EXPECT_EQ(r.findings.size(), 2u);
  EXPECT_TRUE(r.partial);
  EXPECT_FALSE(r.CompliantAt(Severity::kHigh));
  EXPECT_TRUE(r.CompliantAt(Severity::kCritical));  // no critical finding or critical rule error
}

TEST(EngineTest, DisabledRulesDoNotRun) {
  constexpr std::string_view kPackText = R"yaml(apiVersion: bulwark/v1
kind: RulePack
name: p
rules:
  - id: A
    title: a
    severity: high
    check: "false"
    overrides: { development: { enabled: false } }
)yaml";
  ASSERT_OK_AND_ASSIGN(Report dev,
                       CheckYaml({kPackText}, "x: 1\n", {.environment = "development"}));
  ASSERT_EQ(dev.rules.size(), 1u);
  EXPECT_EQ(dev.rules[0].status, RuleStatus::kDisabled);
  EXPECT_TRUE(dev.findings.empty());
  ASSERT_OK_AND_ASSIGN(Report prod,
                       CheckYaml({kPackText}, "x: 1\n", {.environment = "production"}));
  EXPECT_EQ(prod.findings.size(), 1u);
}

TEST(EngineTest, DuplicateRuleIdsAcrossPacksAreRejected) {
  ASSERT_OK_AND_ASSIGN(auto tls, Pack(kTls));
  auto engine = Engine::Create({tls, tls});
  ASSERT_FALSE(engine);
  EXPECT_NE(engine.error().message().find("TLS_001"), std::string::npos);
}

TEST(EngineTest, ForeachOverAMapUsesKeyPaths) {
  constexpr std::string_view kPackText = R"yaml(apiVersion: bulwark/v1
kind: RulePack
name: p
rules:
  - id: PORT
    title: privileged port
    severity: high
    foreach: config.listeners
    check: item.port >= 1024
)yaml";
  ASSERT_OK_AND_ASSIGN(
      Report r, CheckYaml({kPackText}, "listeners:\n  web: {port: 80}\n  admin: {port: 8443}\n"));
  ASSERT_EQ(r.findings.size(), 1u);
  EXPECT_EQ(r.findings[0].path, "listeners.web.port");
  EXPECT_EQ(r.findings[0].location.ToString(), "app.yaml:2:15");
}

// The benchmark workload (bench/workloads/): the document and the pack written for it.
Result<config::Document> LoadWorkload(std::string_view name) {
  BULWARK_ASSIGN_OR_RETURN(std::string text, testing::ReadDataFile(testing::WorkloadPath(name)));
  return config::ParseDocument(text, config::Format::kJson, {.source_name = std::string(name)});
}

Result<std::shared_ptr<const RulePack>> WorkloadPack() {
  const std::string path = testing::WorkloadPath("baseline-services.yaml");
  BULWARK_ASSIGN_OR_RETURN(std::string text, testing::ReadDataFile(path));
  BULWARK_ASSIGN_OR_RETURN(auto pack,
                           RulePack::Parse(text, path, {.reject_invalid_expressions = true}));
  return std::shared_ptr<const RulePack>(std::move(pack));
}

TEST(EngineTest, BenchPackFinds455ProblemsIn1000Services) {
  ASSERT_OK_AND_ASSIGN(auto pack, WorkloadPack());
  ASSERT_OK_AND_ASSIGN(config::Document doc, LoadWorkload("services-1000.json"));
  ASSERT_OK_AND_ASSIGN(Report r, Check({pack}, doc));
  EXPECT_EQ(r.findings.size(), 455u);
  EXPECT_FALSE(r.partial);
}

// Locations are read from the nodes during evaluation; they must be what a lookup of the finding's
// path in the document gives (the node, or its nearest located ancestor when the target is absent).
TEST(EngineTest, FindingLocationsAreThoseOfTheirPathsInTheDocument) {
  ASSERT_OK_AND_ASSIGN(auto pack, WorkloadPack());
  ASSERT_OK_AND_ASSIGN(config::Document doc, LoadWorkload("services-1000.json"));
  ASSERT_OK_AND_ASSIGN(Report r, Check({pack}, doc));
  ASSERT_EQ(r.findings.size(), 455u);
  for (const Finding& f : r.findings) {
    auto path = config::Path::Parse(f.path);
    ASSERT_TRUE(path) << f.path;
    auto expected = doc.LocationOf(*path);
    ASSERT_TRUE(expected) << f.path;
    EXPECT_EQ(f.location, *expected) << f.path;
  }
}

TEST(EngineTest, AFindingOnAnAbsentValueIsLocatedAtItsNearestAncestor) {
  constexpr std::string_view kPackText = R"yaml(apiVersion: bulwark/v1
kind: RulePack
name: p
rules:
  - id: TLS
    title: listeners declare tls
    severity: high
    foreach: config.listeners
    check: has(item.tls)
)yaml";
  ASSERT_OK_AND_ASSIGN(
      Report r,
      CheckYaml({kPackText},
                "listeners:\n  - {port: 80}\n  - {port: 443, tls: true}\n  - {port: 8080}\n"));
  ASSERT_EQ(r.findings.size(), 2u);
  EXPECT_EQ(r.findings[0].path, "listeners[0].tls");
  EXPECT_EQ(r.findings[0].location.ToString(), "app.yaml:2:5");
  EXPECT_EQ(r.findings[1].path, "listeners[2].tls");
  EXPECT_EQ(r.findings[1].location.ToString(), "app.yaml:4:5");
}

TEST(EngineTest, BuiltinBaselineAgreesWithTheValidatorOn1000Services) {
  ASSERT_OK_AND_ASSIGN(auto pack, LoadBuiltinPack("baseline"));
  ASSERT_OK_AND_ASSIGN(config::Document doc, LoadWorkload("services-1000.json"));
  ASSERT_OK_AND_ASSIGN(Report r, Check({std::shared_ptr<const RulePack>(std::move(pack))}, doc));
  ASSERT_EQ(r.findings.size(), 455u);
  EXPECT_FALSE(r.partial);
  EXPECT_NE(r.findings.front().location.line, 0u);
}

}  // namespace
}  // namespace bulwark::compliance
