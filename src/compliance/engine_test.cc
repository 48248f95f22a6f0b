#include "bulwark/compliance/engine.h"

#include <fmt/format.h>
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

// ---- one service or a list of services; environments; reasons --------------------------------

constexpr std::string_view kServicePack = R"yaml(apiVersion: bulwark/v1
kind: RulePack
name: svc
rules:
  - id: SSL
    title: database TLS
    severity: critical
    foreach: "has(config.services) ? config.services : [config]"
    when: has(item.database)
    check: has(item.database.ssl_mode) && item.database.ssl_mode != 'disable'
    message: "{{ name }} connects without TLS"
    fix: { op: replace, path: database.ssl_mode, value: verify-full }
  - id: DEBUG
    title: no debug logging in production
    severity: medium
    foreach: "has(config.services) ? config.services : [config]"
    environments: [production]
    when: has(item.logging)
    check: item.logging.level != 'debug'
    message: "{{ name }} logs at debug level in {{ env }}"
  - id: TTL
    title: short tokens
    severity: medium
    foreach: "has(config.services) ? config.services : [config]"
    when: has(item.auth)
    check: item.auth.ttl <= 60
    message: "{{ name }} tokens live {{ item.auth.ttl }} minutes"
    overrides: { production: { severity: high }, development: { severity: low } }
)yaml";

constexpr std::string_view kOneService = R"yaml(environment: production
database:
  ssl_mode: disable
logging:
  level: debug
auth:
  ttl: 90
)yaml";

TEST(EngineServicesTest, ASingleServiceIsCheckedAtTheRootWithPathsLocationsAndFixes) {
  ASSERT_OK_AND_ASSIGN(Report r, CheckYaml({kServicePack}, kOneService, {.target = "svc.yaml"}));
  ASSERT_EQ(r.findings.size(), 3u);
  EXPECT_EQ(r.RuleOf(r.findings[0]).id, "SSL");
  EXPECT_EQ(r.findings[0].path, "database.ssl_mode");
  EXPECT_EQ(r.findings[0].location.ToString(), "app.yaml:3:13");
  EXPECT_EQ(r.findings[0].message, "svc.yaml connects without TLS");  // no name: the target
  ASSERT_TRUE(r.findings[0].fix);
  EXPECT_EQ(r.findings[0].fix->path.ToString(), "database.ssl_mode");
  EXPECT_EQ(r.RuleOf(r.findings[1]).id, "TTL");
  EXPECT_EQ(r.findings[1].severity, Severity::kHigh);  // production override, from the document
  EXPECT_EQ(r.findings[2].message, "svc.yaml logs at debug level in production");
  for (const Finding& f : r.findings) EXPECT_EQ(f.environment, "production");
}

TEST(EngineServicesTest, AServicesListGivesTheSameRulesPerServiceNamedInTheMessages) {
  constexpr std::string_view kList = R"yaml(services:
  - name: api
    environment: production
    database: { ssl_mode: disable }
    logging: { level: debug }
    auth: { ttl: 90 }
  - name: worker
    environment: development
    database: { ssl_mode: disable }
    logging: { level: debug }
    auth: { ttl: 90 }
)yaml";
  ASSERT_OK_AND_ASSIGN(Report r, CheckYaml({kServicePack}, kList));
  std::vector<std::string> got;
  for (const Finding& f : r.findings) {
    got.push_back(fmt::format("{} {} {} {} {}", SeverityName(f.severity), r.RuleOf(f).id, f.path,
                              f.environment, f.message));
  }
  EXPECT_EQ(got,
            (std::vector<std::string>{
                "critical SSL services[0].database.ssl_mode production api connects without TLS",
                "critical SSL services[1].database.ssl_mode development worker connects "
                "without TLS",
                "high TTL services[0].auth.ttl production api tokens live 90 minutes",
                "medium DEBUG services[0].logging.level production api logs at debug level "
                "in production",
                "low TTL services[1].auth.ttl development worker tokens live 90 minutes"}));
  // DEBUG applies to production only: one check (api), the worker is not counted.
  ASSERT_EQ(r.rules.size(), 3u);
  EXPECT_EQ(r.rules[1].applicable, 1u);
  // The rule's own severity: the target has no environment.
  EXPECT_EQ(r.rules[2].severity, Severity::kMedium);
}

TEST(EngineServicesTest, ScoresArePerEnvironmentWithTheirViolations) {
  constexpr std::string_view kList = R"yaml(services:
  - name: api
    environment: production
    database: { ssl_mode: verify-full }
    logging: { level: debug }
    auth: { ttl: 30 }
  - name: worker
    environment: development
    database: { ssl_mode: disable }
    logging: { level: debug }
    auth: { ttl: 30 }
)yaml";
  ASSERT_OK_AND_ASSIGN(Report r, CheckYaml({kServicePack}, kList));
  ASSERT_EQ(r.environments.size(), 2u);
  const EnvironmentScore& dev = r.environments[0];
  const EnvironmentScore& prod = r.environments[1];
  EXPECT_EQ(dev.environment, "development");
  EXPECT_EQ(dev.applicable, 2u);  // SSL, TTL (DEBUG is production only)
  EXPECT_EQ(dev.passed, 1u);
  EXPECT_DOUBLE_EQ(dev.percent(), 50.0);
  ASSERT_EQ(dev.violations.size(), 1u);
  EXPECT_EQ(r.RuleOf(r.findings[dev.violations[0]]).id, "SSL");
  EXPECT_EQ(prod.environment, "production");
  EXPECT_EQ(prod.applicable, 3u);
  EXPECT_EQ(prod.passed, 2u);
  ASSERT_EQ(prod.violations.size(), 1u);
  EXPECT_EQ(r.findings[prod.violations[0]].message, "api logs at debug level in production");
}

TEST(EngineServicesTest, TheTargetEnvironmentWinsOverTheServicesOwn) {
  constexpr std::string_view kDev = "environment: development\nlogging: { level: debug }\n";
  ASSERT_OK_AND_ASSIGN(Report as_is, CheckYaml({kServicePack}, kDev));
  EXPECT_TRUE(as_is.findings.empty());
  EXPECT_EQ(as_is.rules[1].status, RuleStatus::kNotApplicable);
  EXPECT_EQ(as_is.rules[1].note, "applies to production; 1 item in development");
  ASSERT_OK_AND_ASSIGN(
      Report prod,
      CheckYaml({kServicePack}, kDev, {.environment = "production", .ns = "production/api"}));
  ASSERT_EQ(prod.findings.size(), 1u);
  EXPECT_EQ(prod.findings[0].message, "production/api logs at debug level in production");
}

TEST(EngineServicesTest, NotApplicableRulesSayWhy) {
  constexpr std::string_view kPackText = R"yaml(apiVersion: bulwark/v1
kind: RulePack
name: p
rules:
  - id: ABSENT
    title: listeners use TLS
    severity: high
    foreach: config.listeners
    check: item.tls
  - id: NULLED
    title: routes are named
    severity: low
    foreach: config.routes
    check: has(item.name)
  - id: EMPTY
    title: backends are healthy
    severity: low
    foreach: config.backends
    check: item.healthy
  - id: WHEN
    title: redis TLS
    severity: high
    when: has(config.redis)
    check: config.redis.ssl
  - id: DISABLED
    title: not in development
    severity: high
    check: "false"
    overrides: { development: { enabled: false } }
  - id: PRESENT_BUT_WRONG
    title: a foreach over a string is an error
    severity: high
    foreach: config.name
    check: "true"
)yaml";
  ASSERT_OK_AND_ASSIGN(Report r, CheckYaml({kPackText},
                                           "environment: development\nname: x\nroutes: null\n"
                                           "backends: []\n"));
  ASSERT_EQ(r.rules.size(), 6u);
  EXPECT_EQ(r.rules[0].status, RuleStatus::kNotApplicable);
  EXPECT_EQ(r.rules[0].note, "foreach target config.listeners is absent");
  EXPECT_EQ(r.rules[1].status, RuleStatus::kNotApplicable);
  EXPECT_EQ(r.rules[1].note, "foreach target config.routes is absent");
  EXPECT_EQ(r.rules[2].status, RuleStatus::kNotApplicable);
  EXPECT_EQ(r.rules[2].note, "foreach target config.backends is empty");
  EXPECT_EQ(r.rules[3].status, RuleStatus::kNotApplicable);
  EXPECT_EQ(r.rules[3].note, "`when` was false for 1 item: has(config.redis)");
  EXPECT_EQ(r.rules[4].status, RuleStatus::kDisabled);
  EXPECT_EQ(r.rules[4].note, "disabled in development");
  EXPECT_EQ(r.rules[5].status, RuleStatus::kError);  // present data: still an error
  EXPECT_TRUE(r.partial);
  EXPECT_TRUE(r.findings.empty());
}

TEST(EngineServicesTest, AComputedListOfNodesKeepsEachItemsPath) {
  constexpr std::string_view kPackText = R"yaml(apiVersion: bulwark/v1
kind: RulePack
name: p
rules:
  - id: PORT
    title: high ports
    severity: low
    foreach: "config.public + config.private"
    check: item.port >= 1024
)yaml";
  ASSERT_OK_AND_ASSIGN(
      Report r,
      CheckYaml({kPackText},
                "public:\n  - {port: 80}\n  - {port: 8080}\n  - {port: 1}\n  - {port: 2}\n"
                "  - {port: 3}\nprivate:\n  - {port: 22}\n"));
  std::vector<std::string> paths;
  for (const Finding& f : r.findings) paths.push_back(f.path + " " + f.location.ToString());
  EXPECT_EQ(paths, (std::vector<std::string>{
                       "public[0].port app.yaml:2:12", "public[2].port app.yaml:4:12",
                       "public[3].port app.yaml:5:12", "public[4].port app.yaml:6:12",
                       "private[0].port app.yaml:8:12"}));
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

// Issue #14: a rule template that names a secret printed it for `bulwark check FILE`.
TEST(EngineTest, TemplatesNeverRenderSensitiveValues) {
  ASSERT_OK_AND_ASSIGN(auto pack, Pack(R"yaml(apiVersion: bulwark/v1
kind: RulePack
name: leak
rules:
  - id: LEAK_001
    title: Leaky message
    severity: high
    check: "false"
    message: "password {{ config.database.password }} / {{ 'x' + config.database.password }} / pin {{ config.database.pin }} / {{ config.database }} / host {{ config.database.host }}"
  - id: LEAK_002
    title: Leaky error
    severity: high
    check: int(config.database.password) > 0
    message: "unused"
)yaml"));
  ASSERT_OK_AND_ASSIGN(config::Document doc,
                       config::ParseDocument(
                           "database:\n  host: db.internal\n  password: Sup3r-Secret-Pw\n  pin: 77\n",
                           config::Format::kYaml, {.source_name = "app.yaml"}));
  EvalContext ctx;
  ctx.sensitive = {config::Path::Parse("database.password").value(),
                   config::Path::Parse("database.pin").value()};
  ASSERT_OK_AND_ASSIGN(const Report r, Check({pack}, doc, ctx));
  ASSERT_EQ(r.findings.size(), 1u);
  const std::string& m = r.findings[0].message;
  EXPECT_EQ(m.find("Sup3r-Secret-Pw"), std::string::npos) << m;
  EXPECT_EQ(m.find("77"), std::string::npos) << m;
  EXPECT_NE(m.find("password [redacted] / [redacted] / pin [redacted] / [redacted] / host db.internal"),
            std::string::npos)
      << m;
  for (const RuleResult& rr : r.rules) {
    for (const std::string& e : rr.errors) EXPECT_EQ(e.find("Sup3r-Secret-Pw"), std::string::npos) << e;
  }
  // Without sensitive paths the engine renders what it is given (the caller classifies).
  ASSERT_OK_AND_ASSIGN(const Report plain, Check({pack}, doc));
  ASSERT_EQ(plain.findings.size(), 1u);
  EXPECT_NE(plain.findings[0].message.find("Sup3r-Secret-Pw"), std::string::npos);
}

}  // namespace
}  // namespace bulwark::compliance
