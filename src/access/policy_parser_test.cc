#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "bulwark/access/policy.h"
#include "bulwark/testing/fake_runtime.h"

namespace bulwark::access {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr std::string_view kPolicy = R"yaml(apiVersion: bulwark/v1
kind: AccessPolicy
name: payments
description: Payments team access.
settings:
  environment_isolation: true
environments:
  production: ["config:**/production"]
attributes:
  principal: [clearance]
roles:
  - name: payments-operator
    inherits: [operator]
    members: ["local:alice", "token:ci-*"]
    groups: [payments-team]
statements:
  - id: read-payments
    effect: allow
    roles: [payments-operator]
    actions: [read, list]
    resources: ["config:payments/**"]
  - id: no-reveal-without-mfa
    effect: deny
    principals: ["*"]
    actions: [reveal]
    resources: ["config:payments/production"]
    when: "!(has(request.mfa) && request.mfa)"
access_levels:
  - resources: ["config:payments/production:db.password"]
    levels: {payment_service: [READ], "role:key-rotator": [ROTATE, ROTATE]}
)yaml";

TEST(PolicyParserTest, ReadsEveryPart) {
  auto p = ParsePolicy(kPolicy, "payments.yaml");
  ASSERT_TRUE(p.has_value()) << p.error();
  EXPECT_EQ(p->name, "payments");
  EXPECT_EQ(p->settings.environment_isolation, true);
  EXPECT_FALSE(p->settings.builtin.has_value());
  ASSERT_EQ(p->environments.size(), 1u);
  EXPECT_EQ(p->environments[0].first, "production");
  EXPECT_THAT(p->attributes.principal, ElementsAre("clearance"));
  ASSERT_EQ(p->roles.size(), 1u);
  EXPECT_TRUE(p->roles[0].defines_inheritance);
  EXPECT_THAT(p->roles[0].members, ElementsAre("local:alice", "token:ci-*"));
  ASSERT_EQ(p->statements.size(), 4u);
  const Statement& s = p->statements[1];
  EXPECT_EQ(s.QualifiedId(), "payments/no-reveal-without-mfa");
  EXPECT_EQ(s.effect, Effect::kDeny);
  EXPECT_TRUE(s.actions.Contains(Action::kReveal));
  EXPECT_FALSE(s.actions.Contains(Action::kRead));
  EXPECT_EQ(s.location.line, 22u);
  EXPECT_EQ(s.when_location.line, 27u);
}

TEST(PolicyParserTest, ExpandsAccessLevelsIntoAllowStatements) {
  auto p = ParsePolicy(kPolicy, "payments.yaml");
  ASSERT_TRUE(p.has_value()) << p.error();
  const Statement& read = p->statements[2];
  EXPECT_EQ(read.id, "access_levels[0].payment_service.READ");
  EXPECT_THAT(read.principals, ElementsAre("payment_service"));
  EXPECT_THAT(read.roles, ElementsAre("payment_service"));
  EXPECT_EQ(read.actions.ToString(), "read, reveal, list");
  const Statement& rotate = p->statements[3];
  EXPECT_EQ(rotate.id, "access_levels[0].role:key-rotator.ROTATE");
  EXPECT_THAT(rotate.roles, ElementsAre("key-rotator"));
  EXPECT_TRUE(rotate.principals.empty());
  EXPECT_EQ(rotate.actions.ToString(), "rotate");
}

TEST(PolicyParserTest, AccessLevelsMapToActions) {
  EXPECT_EQ(AccessLevelActions("WRITE").ToString(), "read, reveal, write, delete, list");
  EXPECT_EQ(AccessLevelActions("ADMIN").ToString(), "read, reveal, write, delete, list, rotate, admin");
  EXPECT_TRUE(AccessLevelActions("OWNER").empty());
}

std::string ErrorOf(std::string_view text) {
  auto p = ParsePolicy(text, "bad.yaml");
  if (p) return "parsed";
  EXPECT_EQ(p.error().code(), ErrorCode::kInvalidArgument);
  return p.error().message();
}

constexpr std::string_view kHeader = "apiVersion: bulwark/v1\nkind: AccessPolicy\nname: p\n";

TEST(PolicyParserTest, UnknownActionNamesFileLineAndStatement) {
  std::string text = std::string(kHeader) +
                     "statements:\n"
                     "  - id: s1\n"
                     "    effect: allow\n"
                     "    roles: [viewer]\n"
                     "    actions: [read, raed]\n"
                     "    resources: [config]\n";
  EXPECT_THAT(ErrorOf(text), HasSubstr("bad.yaml:8:21: policy p: statement s1: "
                                       "statements[0].actions[1]: unknown action 'raed'"));
}

TEST(PolicyParserTest, BadResourcePatternNamesTheStatement) {
  std::string text = std::string(kHeader) +
                     "statements:\n"
                     "  - id: s2\n"
                     "    effect: deny\n"
                     "    principals: ['*']\n"
                     "    actions: ['*']\n"
                     "    resources: [\"secrets:*\"]\n";
  EXPECT_THAT(ErrorOf(text), HasSubstr("bad.yaml:9:17: policy p: statement s2: "
                                       "statements[0].resources[0]: resource pattern 'secrets:*'"));
}

TEST(PolicyParserTest, SchemaViolationsNameThePlace) {
  std::string no_subject = std::string(kHeader) +
                           "statements:\n"
                           "  - id: s3\n"
                           "    effect: allow\n"
                           "    actions: [read]\n"
                           "    resources: [config]\n";
  EXPECT_THAT(ErrorOf(no_subject), HasSubstr("bad.yaml:5:5: policy p: statement s3: statements[0]"));
  std::string bad_effect = std::string(kHeader) +
                           "statements:\n"
                           "  - id: s4\n"
                           "    effect: permit\n"
                           "    roles: [viewer]\n"
                           "    actions: [read]\n"
                           "    resources: [config]\n";
  EXPECT_THAT(ErrorOf(bad_effect), HasSubstr("statement s4: statements[0].effect"));
  EXPECT_THAT(ErrorOf("apiVersion: bulwark/v1\nkind: RulePack\nname: p\n"), HasSubstr("kind"));
  EXPECT_THAT(ErrorOf(std::string(kHeader) + "surprise: 1\n"), HasSubstr("bad.yaml"));
  EXPECT_THAT(ErrorOf("- just a list\n"), HasSubstr("is a map"));
  EXPECT_THAT(ErrorOf("a: [unclosed\n"), HasSubstr("bad.yaml"));
}

TEST(PolicyParserTest, DuplicateIdsAndRolesAreErrors) {
  std::string dup = std::string(kHeader) +
                    "statements:\n"
                    "  - {id: s, effect: allow, roles: [a], actions: [read], resources: [config]}\n"
                    "  - {id: s, effect: allow, roles: [b], actions: [read], resources: [config]}\n";
  EXPECT_THAT(ErrorOf(dup), HasSubstr("statement s: statements[1].id: statement id used twice"));
  std::string dup_role = std::string(kHeader) + "roles:\n  - name: a\n  - name: a\n";
  EXPECT_THAT(ErrorOf(dup_role), HasSubstr("role a: roles[1].name: role defined twice"));
}

TEST(PolicyParserTest, ReadsJsonPolicies) {
  auto p = ParsePolicy(
      R"({"apiVersion": "bulwark/v1", "kind": "AccessPolicy", "name": "j",
          "statements": [{"id": "a", "effect": "allow", "groups": ["ops"],
                          "actions": ["*"], "resources": ["key:*"]}]})",
      "j.json");
  ASSERT_TRUE(p.has_value()) << p.error();
  EXPECT_TRUE(p->statements[0].actions.is_all());
}

TEST(PolicyParserTest, LoadsEveryPolicyFileOfADirectory) {
  auto fs = std::make_shared<testing::FakeFileSystem>();
  ASSERT_TRUE(fs->CreateDirectories("/p", std::filesystem::perms::owner_all).has_value());
  ASSERT_TRUE(fs->WriteFileAtomic("/p/b.yaml", std::string(kHeader) + "description: b\n",
                                  std::filesystem::perms::owner_all)
                  .has_value());
  ASSERT_TRUE(fs->WriteFileAtomic("/p/a.yml", kPolicy, std::filesystem::perms::owner_all).has_value());
  ASSERT_TRUE(fs->WriteFileAtomic("/p/README.md", "# not a policy", std::filesystem::perms::owner_all)
                  .has_value());
  auto policies = LoadPolicyDirectory(*fs, "/p");
  ASSERT_TRUE(policies.has_value()) << policies.error();
  ASSERT_EQ(policies->size(), 2u);
  EXPECT_EQ((*policies)[0].name, "payments");
  EXPECT_EQ((*policies)[0].source, "/p/a.yml");
  EXPECT_EQ(LoadPolicyDirectory(*fs, "/missing").error().code(), ErrorCode::kNotFound);
}

TEST(PolicyParserTest, TheBuiltinPolicyParses) {
  const Policy& b = BuiltinPolicy();
  EXPECT_EQ(b.name, "builtin");
  EXPECT_EQ(b.roles.size(), 6u);
  EXPECT_FALSE(b.statements.empty());
}

}  // namespace
}  // namespace bulwark::access
