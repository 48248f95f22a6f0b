#include "bulwark/access/policy_set.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "bulwark/config/format.h"

namespace bulwark::access {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr std::int64_t kWorkHours = 1714644000;  // 2024-05-02T10:00:00Z
constexpr std::int64_t kNight = 1714687200;      // 2024-05-02T22:00:00Z

std::string Header(std::string_view name, bool builtin = false) {
  return fmt::format("apiVersion: bulwark/v1\nkind: AccessPolicy\nname: {}\n{}", name,
                     builtin ? "" : "settings: {builtin: false}\n");
}

Result<std::shared_ptr<const PolicySet>> TrySet(const std::vector<std::string>& texts) {
  std::vector<Policy> policies;
  for (std::size_t i = 0; i < texts.size(); ++i) {
    BULWARK_ASSIGN_OR_RETURN(Policy p, ParsePolicy(texts[i], fmt::format("p{}.yaml", i)));
    policies.push_back(std::move(p));
  }
  return PolicySet::Create(std::move(policies));
}

std::shared_ptr<const PolicySet> Set(const std::vector<std::string>& texts) {
  auto s = TrySet(texts);
  if (!s) ADD_FAILURE() << s.error();
  return s.value_or(nullptr);
}

config::Value Map(std::string_view yaml) {
  auto doc = config::ParseDocument(yaml, config::Format::kYaml);
  if (!doc) ADD_FAILURE() << doc.error();
  return doc ? doc->root : config::Value::EmptyMap();
}

// One request, owning everything it points at.
struct Ask : OwnedRequest {
  Ask(std::string id, std::vector<std::string> roles, Action a, std::string_view r) {
    action = a;
    facts.time_seconds = kWorkHours;
    principal.id = std::move(id);
    principal.kind = principal.id.substr(0, principal.id.find(':'));
    principal.roles = std::move(roles);
    auto parsed = ResourceName::Parse(r);
    if (!parsed) ADD_FAILURE() << parsed.error();
    resource = parsed.value_or(ResourceName{});
  }
  Request request() const { return view(); }
};

Decision Decide(const PolicySet& set, const Ask& ask) {
  Decision fast = set.Decide(ask.request());
  Decision naive = set.DecideNaive(ask.request());
  EXPECT_EQ(fast.allowed, naive.allowed);
  EXPECT_EQ(fast.reason, naive.reason);
  EXPECT_EQ(fast.statement, naive.statement);
  Explanation ex = set.Explain(ask.request());
  EXPECT_EQ(ex.decision.allowed, fast.allowed);
  EXPECT_EQ(ex.decision.reason, fast.reason);
  EXPECT_EQ(ex.decision.statement, fast.statement);
  return fast;
}

std::string Decided(const PolicySet& set, const Ask& ask) {
  Decision d = Decide(set, ask);
  std::string out(ReasonName(d.reason));
  if (d.statement != nullptr) out += " " + d.statement->QualifiedId();
  return out;
}

const std::string kOps = Header("ops") + R"yaml(statements:
  - id: viewers-read
    effect: allow
    roles: [viewer]
    actions: [read, list]
    resources: ["config:tenant-5/**"]
  - id: operators-write
    effect: allow
    roles: [operator]
    actions: [read, write]
    resources: ["config:tenant-5/**"]
  - id: no-delete-production
    effect: deny
    principals: ["*"]
    actions: [delete, write]
    resources: ["config:**/production:db.*"]
)yaml";

TEST(PolicySetTest, NothingIsAllowedByDefault) {
  auto set = Set({Header("empty")});
  ASSERT_NE(set, nullptr);
  EXPECT_EQ(Decided(*set, Ask("local:alice", {"global-admin"}, Action::kRead, "config:a")),
            "no-allow");
}

TEST(PolicySetTest, AllowsWhatAStatementGrants) {
  auto set = Set({kOps});
  ASSERT_NE(set, nullptr);
  EXPECT_EQ(Decided(*set, Ask("local:v", {"viewer"}, Action::kRead, "config:tenant-5/staging:x")),
            "allowed ops/viewers-read");
  EXPECT_EQ(Decided(*set, Ask("local:v", {"viewer"}, Action::kWrite, "config:tenant-5/staging:x")),
            "no-allow");
  EXPECT_EQ(Decided(*set, Ask("local:v", {"viewer"}, Action::kRead, "config:tenant-6/staging:x")),
            "no-allow");
  EXPECT_EQ(Decided(*set, Ask("local:v", {"viewer"}, Action::kRead, "config:tenant-5")),
            "allowed ops/viewers-read");
}

TEST(PolicySetTest, AnExplicitDenyWins) {
  auto set = Set({kOps});
  ASSERT_NE(set, nullptr);
  EXPECT_EQ(Decided(*set, Ask("local:o", {"operator"}, Action::kWrite,
                            "config:tenant-5/production:db.password")),
            "denied ops/no-delete-production");
  EXPECT_EQ(Decided(*set, Ask("local:o", {"operator"}, Action::kWrite,
                            "config:tenant-5/production:api.url")),
            "allowed ops/operators-write");
}

TEST(PolicySetTest, TheFirstStatementInSetOrderDecides) {
  std::string b = Header("b") +
                  "statements:\n  - {id: s, effect: allow, roles: [viewer], actions: [read], "
                  "resources: [config]}\n";
  std::string a = Header("a") +
                  "statements:\n  - {id: s, effect: allow, roles: [viewer], actions: [read], "
                  "resources: [\"config:x\"]}\n";
  auto set = Set({b, a});
  ASSERT_NE(set, nullptr);
  EXPECT_EQ(Decided(*set, Ask("local:v", {"viewer"}, Action::kRead, "config:x")), "allowed a/s");
  EXPECT_EQ(Decided(*set, Ask("local:v", {"viewer"}, Action::kRead, "config:y")), "allowed b/s");
}

const std::string kConditions = Header("cond") + R"yaml(statements:
  - id: office-hours
    effect: allow
    roles: [operator]
    actions: [write]
    resources: [config]
    when: request.time.getHours() >= 8 && request.time.getHours() < 18
  - id: internal-network
    effect: allow
    roles: [operator]
    actions: [read]
    resources: [config]
    when: ip(request.source).inCidr('10.0.0.0/8')
  - id: reveal-with-mfa
    effect: allow
    roles: [operator]
    actions: [reveal]
    resources: [config]
    when: principal.tenant == resource.tenant && request.mfa
  - id: no-rotation-without-ticket
    effect: deny
    principals: ["*"]
    actions: [rotate]
    resources: [config]
    when: "!context.ticket.startsWith('CHG-')"
  - id: rotate
    effect: allow
    roles: [operator]
    actions: [rotate]
    resources: [config]
)yaml";

TEST(PolicySetTest, ConditionsSeeTheTime) {
  auto set = Set({kConditions});
  ASSERT_NE(set, nullptr);
  Ask ask("local:o", {"operator"}, Action::kWrite, "config:app");
  EXPECT_EQ(Decided(*set, ask), "allowed cond/office-hours");
  ask.facts.time_seconds = kNight;
  EXPECT_EQ(Decided(*set, ask), "no-allow");
  Explanation ex = set->Explain(ask.request());
  ASSERT_EQ(ex.candidates.size(), 1u);
  EXPECT_EQ(ex.candidates[0].condition, ConditionOutcome::kFalse);
  EXPECT_EQ(ex.candidates[0].failed_conjunct, "request.time.getHours() < 18");
}

TEST(PolicySetTest, ConditionsSeeTheSourceAddress) {
  auto set = Set({kConditions});
  ASSERT_NE(set, nullptr);
  Ask ask("local:o", {"operator"}, Action::kRead, "config:app");
  ask.facts.source = "10.1.2.3";
  EXPECT_EQ(Decided(*set, ask), "allowed cond/internal-network");
  ask.facts.source = "192.0.2.7";
  EXPECT_EQ(Decided(*set, ask), "no-allow");
  ask.facts.source.reset();
  EXPECT_EQ(Decided(*set, ask), "no-allow");
  Explanation ex = set->Explain(ask.request());
  ASSERT_EQ(ex.candidates.size(), 1u);
  EXPECT_EQ(ex.candidates[0].condition, ConditionOutcome::kError);
  EXPECT_EQ(ex.candidates[0].missing_attribute, "request.source");
}

TEST(PolicySetTest, AnExplanationNamesTheMissingAttributeAndTheFailedConjunct) {
  auto set = Set({kConditions});
  ASSERT_NE(set, nullptr);
  Ask ask("local:o", {"operator"}, Action::kReveal, "config:app:db.password");
  ask.principal.attributes = Map("tenant: acme");
  ask.resource_attributes = Map("tenant: acme");
  EXPECT_EQ(Decided(*set, ask), "no-allow");
  Explanation ex = set->Explain(ask.request());
  ASSERT_EQ(ex.candidates.size(), 1u);
  EXPECT_EQ(ex.candidates[0].condition, ConditionOutcome::kError);
  EXPECT_EQ(ex.candidates[0].missing_attribute, "request.mfa");
  EXPECT_EQ(ex.candidates[0].failed_conjunct, "request.mfa");
  EXPECT_THAT(ex.ToText(), HasSubstr("missing attribute: request.mfa"));

  ask.facts.mfa = true;
  EXPECT_EQ(Decided(*set, ask), "allowed cond/reveal-with-mfa");
  ask.principal.attributes = config::Value::EmptyMap();
  ex = set->Explain(ask.request());
  ASSERT_EQ(ex.candidates.size(), 1u);
  EXPECT_EQ(ex.candidates[0].missing_attribute, "principal.tenant");
  ask.principal.attributes = Map("tenant: other");
  ex = set->Explain(ask.request());
  EXPECT_EQ(ex.candidates[0].condition, ConditionOutcome::kFalse);
  EXPECT_EQ(ex.candidates[0].failed_conjunct, "principal.tenant == resource.tenant");
}

TEST(PolicySetTest, ADenyWhoseConditionCannotBeEvaluatedDenies) {
  auto set = Set({kConditions});
  ASSERT_NE(set, nullptr);
  Ask ask("local:o", {"operator"}, Action::kRotate, "config:app");
  EXPECT_EQ(Decided(*set, ask), "denied cond/no-rotation-without-ticket");
  Explanation ex = set->Explain(ask.request());
  ASSERT_FALSE(ex.candidates.empty());
  EXPECT_EQ(ex.candidates[0].missing_attribute, "context.ticket");
  EXPECT_TRUE(ex.candidates[0].holds);
  ask.context = Map("ticket: CHG-42");
  EXPECT_EQ(Decided(*set, ask), "allowed cond/rotate");
  ask.context = Map("ticket: none");
  EXPECT_EQ(Decided(*set, ask), "denied cond/no-rotation-without-ticket");
}

TEST(PolicySetTest, EnvironmentsAreIsolatedByDefault) {
  std::string text = Header("env") + R"yaml(environments:
  production: ["config:**/production"]
statements:
  - {id: all, effect: allow, principals: ["*"], actions: [read], resources: [config]}
)yaml";
  auto set = Set({text});
  ASSERT_NE(set, nullptr);
  Ask ask("token:ci", {}, Action::kRead, "config:tenant-5/production:db.password");
  EXPECT_EQ(Decided(*set, ask), "allowed env/all");  // not bound to an environment
  ask.principal.attributes = Map("environment: development");
  EXPECT_EQ(Decided(*set, ask), "environment-isolation");
  EXPECT_THAT(set->Explain(ask.request()).isolation,
              HasSubstr("bound to environment development and the resource is in production"));
  ask.principal.attributes = Map("environment: [development, production]");
  EXPECT_EQ(Decided(*set, ask), "allowed env/all");
  Ask dev("token:ci", {}, Action::kRead, "config:tenant-5/staging");
  dev.principal.attributes = Map("environment: development");
  EXPECT_EQ(Decided(*set, dev), "allowed env/all");  // unknown environment: not isolated
  dev.resource_attributes = Map("environment: staging");
  EXPECT_EQ(Decided(*set, dev), "environment-isolation");

}

TEST(PolicySetTest, IsolationCanBeTurnedOff) {
  std::string text = Header("env", true) + R"yaml(settings: {builtin: false, environment_isolation: false}
statements:
  - {id: all, effect: allow, principals: ["*"], actions: [read], resources: [config]}
)yaml";
  auto set = Set({text});
  ASSERT_NE(set, nullptr);
  Ask ask("token:ci", {}, Action::kRead, "config:x");
  ask.principal.attributes = Map("environment: development");
  ask.resource_attributes = Map("environment: production");
  EXPECT_EQ(Decided(*set, ask), "allowed env/all");
}

TEST(PolicySetTest, BuiltinRolesFollowTheirHierarchy) {
  auto set = Set({Header("none", true)});
  ASSERT_NE(set, nullptr);
  EXPECT_THAT(set->RoleClosure("global-admin"),
              ElementsAre("developer", "global-admin", "operator", "tenant-admin", "viewer"));
  EXPECT_EQ(Decided(*set, Ask("local:root", {"global-admin"}, Action::kAuditRead, "audit:log")),
            "allowed builtin/global-admin");

  Ask admin("local:t", {"tenant-admin"}, Action::kAdmin, "config:acme/production");
  admin.principal.attributes = Map("tenant: acme");
  admin.resource_attributes = Map("tenant: acme");
  EXPECT_EQ(Decided(*set, admin), "allowed builtin/tenant-admin");
  admin.resource_attributes = Map("tenant: globex");
  EXPECT_EQ(Decided(*set, admin), "no-allow");

  EXPECT_EQ(Decided(*set, Ask("local:v", {"viewer"}, Action::kRead, "config:app")),
            "allowed builtin/viewer");
  EXPECT_EQ(Decided(*set, Ask("local:v", {"viewer"}, Action::kReveal, "config:app")), "no-allow");
  EXPECT_EQ(Decided(*set, Ask("local:o", {"operator"}, Action::kReveal, "config:app")),
            "allowed builtin/operator");
  Ask dev("local:d", {"developer"}, Action::kWrite, "config:app");
  EXPECT_EQ(Decided(*set, dev), "allowed builtin/developer");
  dev.resource_attributes = Map("environment: production");
  EXPECT_EQ(Decided(*set, dev), "no-allow");
  dev.action = Action::kRead;
  EXPECT_EQ(Decided(*set, dev), "allowed builtin/viewer");  // inherited, redacted

  EXPECT_EQ(Decided(*set, Ask("local:s", {"security-auditor"}, Action::kAuditRead, "audit:log")),
            "allowed builtin/security-auditor");
  EXPECT_EQ(Decided(*set, Ask("local:s", {"security-auditor"}, Action::kRead, "config:app")),
            "no-allow");
}

TEST(PolicySetTest, RolesComeFromMembersGroupsAndInheritance) {
  std::string text = Header("teams") + R"yaml(roles:
  - name: payments-reader
    members: ["local:alice", "token:ci-*"]
    groups: [payments]
  - name: payments-admin
    inherits: [payments-reader]
    members: ["local:root"]
statements:
  - {id: read, effect: allow, roles: [payments-reader], actions: [read], resources: ["config:payments"]}
  - {id: ci, effect: allow, principals: ["token:ci-*"], actions: [write], resources: ["config:payments"]}
)yaml";
  auto set = Set({text});
  ASSERT_NE(set, nullptr);
  EXPECT_EQ(Decided(*set, Ask("local:alice", {}, Action::kRead, "config:payments")),
            "allowed teams/read");
  EXPECT_EQ(Decided(*set, Ask("local:root", {}, Action::kRead, "config:payments")),
            "allowed teams/read");
  EXPECT_EQ(Decided(*set, Ask("token:ci-deploy", {}, Action::kWrite, "config:payments")),
            "allowed teams/ci");
  EXPECT_EQ(Decided(*set, Ask("token:other", {}, Action::kRead, "config:payments")), "no-allow");
  Ask grouped("ldap:bob", {}, Action::kRead, "config:payments");
  grouped.principal.groups = {"payments"};
  EXPECT_EQ(Decided(*set, grouped), "allowed teams/read");
  EXPECT_THAT(set->EffectiveRoles(Principal{.id = "local:root"}),
              ElementsAre("payments-admin", "payments-reader"));
}

TEST(PolicySetTest, PerSecretAccessLevelsGrantTheirActions) {
  std::string text = Header("levels") + R"yaml(access_levels:
  - resources: ["config:payments/production:db.password"]
    levels: {payment_service: [READ], key_rotator: [ROTATE]}
)yaml";
  auto set = Set({text});
  ASSERT_NE(set, nullptr);
  const char* secret = "config:payments/production:db.password";
  EXPECT_EQ(Decided(*set, Ask("payment_service", {}, Action::kReveal, secret)),
            "allowed levels/access_levels[0].payment_service.READ");
  EXPECT_EQ(Decided(*set, Ask("token:x", {"payment_service"}, Action::kRead, secret)),
            "allowed levels/access_levels[0].payment_service.READ");
  EXPECT_EQ(Decided(*set, Ask("payment_service", {}, Action::kWrite, secret)), "no-allow");
  EXPECT_EQ(Decided(*set, Ask("key_rotator", {}, Action::kRotate, secret)),
            "allowed levels/access_levels[0].key_rotator.ROTATE");
  EXPECT_EQ(Decided(*set, Ask("key_rotator", {}, Action::kReveal, secret)), "no-allow");
}

TEST(PolicySetTest, LargeBucketsAreIndexedByResourcePrefix) {
  std::string text = Header("many") + "statements:\n";
  for (int i = 0; i < 200; ++i) {
    text += fmt::format(
        "  - {{id: s{0}, effect: allow, roles: [r], actions: [read], resources: "
        "[\"config:ns-{0}/**\", \"config:other-{0}:a.*\"]}}\n",
        i);
  }
  text += "  - {id: glob, effect: allow, roles: [r], actions: [read], resources: [\"config:*-x\"]}\n";
  auto set = Set({text});
  ASSERT_NE(set, nullptr);
  EXPECT_EQ(Decided(*set, Ask("u", {"r"}, Action::kRead, "config:ns-17/production:db")),
            "allowed many/s17");
  EXPECT_EQ(Decided(*set, Ask("u", {"r"}, Action::kRead, "config:ns-17")), "allowed many/s17");
  EXPECT_EQ(Decided(*set, Ask("u", {"r"}, Action::kRead, "config:other-3:a.b")), "allowed many/s3");
  EXPECT_EQ(Decided(*set, Ask("u", {"r"}, Action::kRead, "config:other-3:b")), "no-allow");
  EXPECT_EQ(Decided(*set, Ask("u", {"r"}, Action::kRead, "config:a-x")), "allowed many/glob");
  EXPECT_EQ(Decided(*set, Ask("u", {"r"}, Action::kRead, "config:ns-200")), "no-allow");
}

TEST(PolicySetTest, InvalidSetsAreRejectedWithTheirPlace) {
  std::string cycle = Header("cyc") + "roles:\n  - {name: a, inherits: [b]}\n  - {name: b, inherits: [a]}\n";
  auto c = TrySet({cycle});
  ASSERT_FALSE(c.has_value());
  EXPECT_THAT(c.error().message(), HasSubstr("p0.yaml:6:5: policy cyc: role a: role inheritance cycle: a -> b -> a"));

  std::string bad_when = Header("w") + R"yaml(statements:
  - id: s
    effect: allow
    roles: [r]
    actions: [read]
    resources: [config]
    when: "request.mfa &&"
)yaml";
  auto w = TrySet({bad_when});
  ASSERT_FALSE(w.has_value());
  EXPECT_THAT(w.error().message(), HasSubstr("p0.yaml:11:11: policy w: statement s: when: does not compile"));
  auto undeclared = TrySet({Header("u") + "statements:\n  - {id: s, effect: allow, roles: [r], "
                                          "actions: [read], resources: [config], when: 'user.x'}\n"});
  ASSERT_FALSE(undeclared.has_value());
  EXPECT_THAT(undeclared.error().message(), HasSubstr("statement s: when"));

  auto conflict = TrySet({Header("a", true) + "settings: {environment_isolation: true}\n",
                          Header("b", true) + "settings: {environment_isolation: false}\n"});
  ASSERT_FALSE(conflict.has_value());
  EXPECT_THAT(conflict.error().message(), HasSubstr("settings.environment_isolation"));
  auto dup = TrySet({Header("a"), Header("a")});
  ASSERT_FALSE(dup.has_value());
  EXPECT_THAT(dup.error().message(), HasSubstr("policy name 'a' is used by both p0.yaml and p1.yaml"));
  auto reserved = TrySet({Header("builtin")});
  ASSERT_FALSE(reserved.has_value());
  EXPECT_THAT(reserved.error().message(), HasSubstr("reserved"));
}

TEST(PolicySetTest, ExplanationsListTheDecidingStatements) {
  auto set = Set({kOps});
  ASSERT_NE(set, nullptr);
  Ask ask("local:o", {"operator", "viewer"}, Action::kRead, "config:tenant-5/staging:x");
  Explanation ex = set->Explain(ask.request());
  EXPECT_TRUE(ex.decision.allowed);
  ASSERT_EQ(ex.deciding.size(), 2u);
  EXPECT_EQ(ex.deciding[0]->id, "viewers-read");
  EXPECT_EQ(ex.deciding[1]->id, "operators-write");
  EXPECT_THAT(ex.effective_roles, ElementsAre("operator", "viewer"));
  EXPECT_THAT(ex.ToText(), HasSubstr("allowed by ops/viewers-read (p0.yaml:6:5)"));
  EXPECT_EQ(ex.decision.Describe(), "allowed by statement ops/viewers-read (p0.yaml:6:5)");
  Decision none{false, Reason::kNoAllow, nullptr};
  EXPECT_EQ(none.Describe(), "denied: no statement allows it");
}

}  // namespace
}  // namespace bulwark::access
