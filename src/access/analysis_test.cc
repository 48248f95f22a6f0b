#include "bulwark/access/analysis.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "bulwark/access/policy_tests.h"

namespace bulwark::access {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::shared_ptr<const PolicySet> Set(const std::vector<std::string>& texts) {
  std::vector<Policy> policies;
  for (std::size_t i = 0; i < texts.size(); ++i) {
    auto p = ParsePolicy(texts[i], fmt::format("p{}.yaml", i));
    if (!p) {
      ADD_FAILURE() << p.error();
      return nullptr;
    }
    policies.push_back(std::move(*p));
  }
  auto s = PolicySet::Create(std::move(policies));
  if (!s) ADD_FAILURE() << s.error();
  return s.value_or(nullptr);
}

std::string Header(std::string_view name, bool builtin = false) {
  return fmt::format("apiVersion: bulwark/v1\nkind: AccessPolicy\nname: {}\n{}", name,
                     builtin ? "" : "settings: {builtin: false}\n");
}

std::vector<std::string> Kinds(const std::vector<LintFinding>& findings) {
  std::vector<std::string> out;
  for (const LintFinding& f : findings) out.push_back(f.statement->id + ":" + f.kind);
  return out;
}

TEST(LintTest, FindsEveryKindOfProblem) {
  auto set = Set({Header("p", true) + R"yaml(environments:
  production: ["config:**/live"]
attributes:
  principal: [clearance]
roles:
  - {name: payments}
statements:
  - {id: audit-write, effect: allow, roles: [payments], actions: [write], resources: ["audit:*"]}
  - {id: never, effect: allow, roles: [payments], actions: [read], resources: [config], when: "1 > 2"}
  - {id: typo, effect: allow, roles: [payments], actions: [read], resources: [config],
     when: "principal.teem == 'x' && principal.clearance > 2 && request.mfa"}
  - {id: ghost, effect: allow, roles: [ghosts], actions: [read], resources: [config]}
  - {id: star, effect: allow, roles: [payments], actions: ["*"], resources: ["config:eu/live"]}
  - {id: fine, effect: allow, roles: [payments], actions: ["*"], resources: ["config:eu/test"]}
  - {id: shadowed, effect: allow, roles: [viewer], actions: [reveal], resources: ["config:eu/*"]}
  - {id: no-reveal, effect: deny, principals: ["*"], actions: [reveal, rotate], resources: ["config:eu/**"]}
  - {id: half, effect: allow, roles: [operator], actions: [reveal], resources: ["config:eu/*", "config:us"]}
)yaml"});
  ASSERT_NE(set, nullptr);
  std::vector<LintFinding> findings = Lint(*set);
  ASSERT_THAT(Kinds(findings),
              ElementsAre("audit-write:never-applies", "never:never-applies",
                          "typo:unknown-attribute", "ghost:unknown-role",
                          "star:star-on-production", "shadowed:shadowed"));
  EXPECT_THAT(findings[2].ToString(),
              HasSubstr("p0.yaml:13:5: p/typo: unknown-attribute: the condition reads "
                        "principal.teem"));
  EXPECT_THAT(findings[5].message, HasSubstr("denied by p/no-reveal (p0.yaml:19:5)"));
}

TEST(LintTest, ACleanPolicyHasNoFindings) {
  auto set = Set({Header("ok") + R"yaml(statements:
  - {id: read, effect: allow, principals: ["local:*"], actions: [read], resources: ["config:app"]}
)yaml"});
  ASSERT_NE(set, nullptr);
  EXPECT_TRUE(Lint(*set).empty());
}

std::vector<std::string> Who(const PolicySet& set, Action a, std::string_view resource,
                             const config::Value& attrs = config::Value::EmptyMap()) {
  std::vector<std::string> out;
  for (const WhoCanEntry& e : WhoCan(set, a, *ResourceName::Parse(resource), attrs)) {
    std::string line = e.subject.Describe() + ": " + e.condition;
    for (const ConditionalStatement& s : e.allows) line += " [" + s.statement + "]";
    for (const ConditionalStatement& s : e.denies) {
      if (s.condition != "always") line += " unless " + s.statement;
    }
    out.push_back(line);
  }
  return out;
}

TEST(WhoCanTest, ListsSubjectsStatementsAndConditions) {
  auto set = Set({Header("p") + R"yaml(roles:
  - {name: ops, inherits: [reader], members: ["local:alice"]}
  - {name: reader}
statements:
  - {id: read, effect: allow, roles: [reader], actions: [read], resources: ["config:app"]}
  - {id: ci, effect: allow, principals: ["token:ci-*"], actions: [read], resources: [config],
     when: "request.mfa"}
  - {id: office, effect: deny, principals: ["*"], actions: [read], resources: [config],
     when: "request.time.getHours() > 18"}
  - {id: other-app, effect: allow, groups: [g], actions: [read], resources: ["config:other"]}
)yaml"});
  ASSERT_NE(set, nullptr);
  EXPECT_THAT(Who(*set, Action::kRead, "config:app:db"),
              ElementsAre("role ops: !(request.time.getHours() > 18) [p/read] unless p/office",
                          "role reader: !(request.time.getHours() > 18) [p/read] unless p/office",
                          "principal local:alice: !(request.time.getHours() > 18) [p/read] unless p/office",
                          "principals token:ci-*: request.mfa && !(request.time.getHours() > 18) [p/ci] unless p/office"));
  EXPECT_TRUE(Who(*set, Action::kWrite, "config:app").empty());
}

TEST(WhoCanTest, ResolvesConditionsOnTheResource) {
  auto set = Set({Header("p", true)});
  ASSERT_NE(set, nullptr);
  config::Value attrs = config::Value::EmptyMap();
  attrs.AsMap().Set("environment", config::Value("production"));
  attrs.AsMap().Set("tenant", config::Value("acme"));
  std::vector<std::string> who = Who(*set, Action::kWrite, "config:app", attrs);
  // The developer statement excludes production (resolved on the resource): only operators and
  // up may write, within the tenant, unless bound to another environment.
  const std::string tenant = "has(principal.tenant) && principal.tenant == resource.tenant";
  const std::string isolation = "!(principal.environment excludes 'production')";
  const std::string unless = " unless builtin/environment-isolation";
  EXPECT_THAT(who, ElementsAre("role global-admin: " + isolation +
                                   " [builtin/global-admin] [builtin/tenant-admin] [builtin/operator]" +
                                   unless,
                               "role operator: " + isolation + " && (" + tenant +
                                   ") [builtin/operator]" + unless,
                               "role tenant-admin: " + isolation + " && (" + tenant +
                                   ") [builtin/tenant-admin] [builtin/operator]" + unless));
}

std::vector<std::string> Changes(const PolicySet& before, const PolicySet& after) {
  std::vector<std::string> out;
  for (const DiffChange& c : Diff(before, after)) {
    out.push_back(fmt::format("{} {} {} ({}): {} {}", c.subject.Describe(), ActionName(c.action),
                              c.pattern, c.example.ToString(),
                              c.now_allowed ? "granted" : "revoked", c.condition));
  }
  return out;
}

TEST(DiffTest, ReportsWhatAPolicyChangeDoes) {
  std::string base = Header("p") + R"yaml(statements:
  - {id: read, effect: allow, roles: [viewer], actions: [read], resources: ["config:tenant-5/**"]}
)yaml";
  auto before = Set({base});
  auto after = Set({base + R"yaml(  - {id: no-prod, effect: deny, principals: ["*"], actions: [read], resources: ["config:*/production"],
     when: "!request.mfa"}
)yaml"});
  ASSERT_NE(before, nullptr);
  ASSERT_NE(after, nullptr);
  EXPECT_THAT(Changes(*before, *after),
              ElementsAre("role viewer read config:*/production & config:tenant-5/** "
                          "(config:tenant-5/production): revoked !request.mfa"));
  EXPECT_TRUE(Changes(*before, *before).empty());
}

TEST(DiffTest, RoleChangesAffectEveryPattern) {
  std::string statements = R"yaml(statements:
  - {id: write, effect: allow, roles: [writer], actions: [write], resources: ["config:app"]}
)yaml";
  auto before = Set({Header("p") + "roles:\n  - {name: writer}\n  - {name: junior}\n" + statements});
  auto after = Set({Header("p") + "roles:\n  - {name: writer}\n  - {name: junior, inherits: [writer]}\n" +
                    statements});
  ASSERT_NE(before, nullptr);
  ASSERT_NE(after, nullptr);
  std::vector<DiffChange> changes = Diff(*before, *after);
  ASSERT_FALSE(changes.empty());
  EXPECT_EQ(changes[0].subject.Describe(), "role junior");
  EXPECT_EQ(changes[0].action, Action::kWrite);
  EXPECT_TRUE(changes[0].now_allowed);
  EXPECT_EQ(changes[0].condition, "always");
  EXPECT_EQ(changes[0].after, "p/write");
}

TEST(PolicyTestsTest, RunsTablesAndReportsFailures) {
  auto set = Set({Header("p") + R"yaml(statements:
  - {id: read, effect: allow, roles: [viewer], actions: [read], resources: ["config:app"],
     when: "request.time.getHours() < 18"}
)yaml"});
  ASSERT_NE(set, nullptr);
  auto suite = ParsePolicyTests(R"yaml(principals:
  vic: {id: "local:vic", roles: [viewer]}
tests:
  - name: viewer reads by day
    principal: vic
    action: read
    resource: config:app:db.host
    request: {time: "2024-05-02T10:00:00Z"}
    expect: allow
    statement: p/read
  - name: viewer reads at night
    principal: vic
    action: read
    resource: config:app
    request: {time: 1714687200}
    expect: allow
  - name: nobody writes
    principal: {id: "token:x"}
    action: write
    resource: config:app
    expect: deny
    reason: no-allow
)yaml",
                                "t.yaml", TimePoint{});
  ASSERT_TRUE(suite.has_value()) << suite.error();
  std::vector<PolicyTestResult> results = RunPolicyTests(*set, *suite);
  ASSERT_EQ(results.size(), 3u);
  EXPECT_TRUE(results[0].passed) << results[0].failure;
  EXPECT_FALSE(results[1].passed);
  EXPECT_EQ(results[1].failure, "expected allow, got deny (no-allow)");
  EXPECT_TRUE(results[2].passed) << results[2].failure;
}

TEST(PolicyTestsTest, MalformedTestsNameTheirPlace) {
  auto bad = ParsePolicyTests("tests:\n  - name: t\n    principal: nobody\n    action: read\n"
                              "    resource: config:a\n    expect: allow\n",
                              "t.yaml", TimePoint{});
  ASSERT_FALSE(bad.has_value());
  EXPECT_THAT(bad.error().message(),
              HasSubstr("t.yaml:3:16: test t: tests[0].principal: no principal named 'nobody'"));
  auto action = ParsePolicyTests("tests:\n  - {name: t, principal: {id: a}, action: peek, "
                                 "resource: 'config:a', expect: allow}\n",
                                 "t.yaml", TimePoint{});
  ASSERT_FALSE(action.has_value());
  EXPECT_THAT(action.error().message(), HasSubstr("unknown action 'peek'"));
  EXPECT_FALSE(ParsePolicyTests("tests: 3\n", "t.yaml", TimePoint{}).has_value());
  auto expect = ParsePolicyTests("tests:\n  - {name: t, principal: {id: a}, action: read, "
                                 "resource: 'config:a', expect: maybe}\n",
                                 "t.yaml", TimePoint{});
  ASSERT_FALSE(expect.has_value());
  EXPECT_THAT(expect.error().message(), HasSubstr("expect: expected allow or deny"));
}

}  // namespace
}  // namespace bulwark::access
