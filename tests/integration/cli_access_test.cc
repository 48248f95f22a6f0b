// bulwark access check|explain|test|who-can|lint|diff|import-levels, end to end.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cli_harness.h"

namespace bulwark::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kPolicy = R"yaml(apiVersion: bulwark/v1
kind: AccessPolicy
name: payments
environments:
  production: ["config:**/production"]
roles:
  - name: payments-operator
    inherits: [operator]
    members: ["local:olga"]
statements:
  - id: reveal-needs-mfa
    effect: deny
    principals: ["*"]
    actions: [reveal]
    resources: ["config:payments/production"]
    when: "!request.mfa"
)yaml";

class AccessCliTest : public CliTest {
 protected:
  std::string Policies(const std::string& name = "policies", const std::string& text = kPolicy) {
    std::filesystem::create_directories(dir_ / name);
    Write(name + "/payments.yaml", text);
    return (dir_ / name).string();
  }
};

TEST_F(AccessCliTest, CheckAllowsAndDeniesWithExitCodes) {
  const std::string p = Policies();
  auto allowed = RunBulwark({"access", "check", "--policies", p, "--as", "local:olga", "--action",
                             "reveal", "--resource", "config:payments/production:db.password",
                             "--mfa"});
  EXPECT_EQ(allowed.exit_code, 0) << allowed.err;
  EXPECT_THAT(allowed.out, HasSubstr("allow: allowed by statement builtin/operator"));
  auto denied = RunBulwark({"access", "check", "--policies", p, "--as", "local:olga", "--action",
                            "reveal", "--resource", "config:payments/production:db.password",
                            "--no-mfa"});
  EXPECT_EQ(denied.exit_code, 3);
  EXPECT_THAT(denied.out, HasSubstr("deny: denied by statement payments/reveal-needs-mfa ("));
  auto nobody = RunBulwark({"access", "check", "--policies", p, "--as", "token:x", "--action",
                            "read", "--resource", "config:payments/production"});
  EXPECT_EQ(nobody.exit_code, 3);
  EXPECT_THAT(nobody.out, HasSubstr("denied: no statement allows it"));
}

TEST_F(AccessCliTest, ExplainNamesTheMissingAttribute) {
  const std::string p = Policies();
  auto r = RunBulwark({"access", "explain", "--policies", p, "--as", "local:olga", "--action",
                       "reveal", "--resource", "config:payments/production:db.password"});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_THAT(r.out, HasSubstr("decision: deny (denied)"));
  EXPECT_THAT(r.out, HasSubstr("missing attribute: request.mfa"));
  EXPECT_THAT(r.out, HasSubstr("effective roles: operator, payments-operator, viewer"));
  auto j = RunBulwark({"access", "explain", "--json", "--policies", p, "--as", "local:olga",
                       "--attr", "environment=development", "--action", "read", "--resource",
                       "config:payments/production:db.password"});
  EXPECT_EQ(j.exit_code, 3);
  auto doc = nlohmann::json::parse(j.out);
  EXPECT_EQ(doc["reason"], "environment-isolation");
  EXPECT_THAT(doc["isolation"].get<std::string>(), HasSubstr("bound to environment development"));
}

TEST_F(AccessCliTest, BadPoliciesAndRequestsAreBadInput) {
  std::string bad_policy = kPolicy;
  bad_policy.replace(bad_policy.find("actions: [reveal]"), 17, "actions: [reed]");
  const std::string p = Policies("bad", bad_policy);
  auto r = RunBulwark({"access", "check", "--policies", p, "--as", "a", "--action", "read",
                       "--resource", "config:a"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("payments.yaml:14:15: policy payments: statement reveal-needs-mfa: "
                               "statements[0].actions[0]: unknown action 'reed'"));
  const std::string ok = Policies();
  auto action = RunBulwark({"access", "check", "--policies", ok, "--as", "a", "--action", "peek",
                            "--resource", "config:a"});
  EXPECT_EQ(action.exit_code, 2);
  EXPECT_THAT(action.err, HasSubstr("unknown action"));
  auto resource = RunBulwark({"access", "check", "--policies", ok, "--as", "a", "--action", "read",
                              "--resource", "secret:a"});
  EXPECT_EQ(resource.exit_code, 2);
  auto missing = RunBulwark({"access", "check", "--policies", (dir_ / "none").string(), "--as", "a",
                             "--action", "read", "--resource", "config:a"});
  EXPECT_EQ(missing.exit_code, 4);
}

TEST_F(AccessCliTest, TheHomeMapsTheLocalUserAndHoldsThePolicies) {
  std::filesystem::path home = dir_ / "home";
  std::filesystem::create_directories(home / "rules");
  Write("home/rules/p.yaml", kPolicy);
  Write("home/config.yaml", "access:\n  policies: rules\n  local_users:\n    \"*\": {roles: [viewer]}\n");
  auto r = RunBulwark({"access", "check", "--home", home.string(), "--action", "read",
                       "--resource", "config:payments/staging:x"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("builtin/viewer"));
  auto w = RunBulwark({"access", "check", "--home", home.string(), "--action", "write",
                       "--resource", "config:payments/staging:x"});
  EXPECT_EQ(w.exit_code, 3);
  Write("home/config.yaml", "access:\n  local_users: [oops]\n");
  auto bad = RunBulwark({"access", "check", "--home", home.string(), "--action", "read",
                         "--resource", "config:a"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("access.local_users"));
}

TEST_F(AccessCliTest, TheShippedExamplesPassTheirTests) {
  auto r = RunBulwarkBinary("access test " + RepoPath("examples/policies").string() + " " +
                            RepoPath("examples/access-tests.yaml").string());
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("18 passed, 0 failed"));
  auto lint = RunBulwark({"access", "lint", RepoPath("examples/policies").string()});
  EXPECT_EQ(lint.exit_code, 0) << lint.out;
}

TEST_F(AccessCliTest, AFailingPolicyTestExitsOne) {
  const std::string p = Policies();
  const std::string tests = Write("tests.yaml", R"yaml(tests:
  - name: olga reveals without mfa
    principal: {id: "local:olga"}
    action: reveal
    resource: config:payments/production:db.password
    request: {mfa: false}
    expect: allow
  - name: strangers read nothing
    principal: {id: "token:x"}
    action: read
    resource: config:payments/production
    expect: deny
    reason: no-allow
)yaml");
  auto r = RunBulwark({"access", "test", p, tests});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.out, HasSubstr("FAIL olga reveals without mfa"));
  EXPECT_THAT(r.out, HasSubstr("expected allow, got deny (denied)"));
  EXPECT_THAT(r.out, HasSubstr("PASS strangers read nothing"));
  EXPECT_THAT(r.out, HasSubstr("1 passed, 1 failed"));
  auto j = RunBulwark({"access", "test", "--json", p, tests});
  EXPECT_EQ(nlohmann::json::parse(j.out)["failed"], 1);
  const std::string bad = Write("bad.yaml", "tests:\n  - {name: t, principal: nobody}\n");
  EXPECT_EQ(RunBulwark({"access", "test", p, bad}).exit_code, 2);
}

TEST_F(AccessCliTest, WhoCanListsSubjectsAndStatements) {
  const std::string p = Policies();
  auto r = RunBulwark({"access", "who-can", "--policies", p, "reveal",
                       "config:payments/production:db.password"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("role payments-operator:"));
  EXPECT_THAT(r.out, HasSubstr("principal local:olga:"));
  EXPECT_THAT(r.out, HasSubstr("unless payments/reveal-needs-mfa when !request.mfa"));
  EXPECT_THAT(r.out, Not(HasSubstr("role viewer")));
  auto j = RunBulwark({"access", "who-can", "--json", "--policies", p, "audit.read", "audit:log"});
  auto doc = nlohmann::json::parse(j.out);
  ASSERT_TRUE(doc.is_array());
  ASSERT_EQ(doc.size(), 2u);
  EXPECT_EQ(doc[0]["subject"], "role global-admin");
  EXPECT_EQ(doc[1]["subject"], "role security-auditor");
}

TEST_F(AccessCliTest, LintReportsFindingsWithExitOne) {
  const std::string p = Policies("lint", R"yaml(apiVersion: bulwark/v1
kind: AccessPolicy
name: sloppy
statements:
  - {id: all-prod, effect: allow, roles: [ops], actions: ["*"], resources: ["config:prod/**"]}
)yaml");
  auto r = RunBulwark({"access", "lint", p});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.out, HasSubstr("sloppy/all-prod: unknown-role"));
  EXPECT_THAT(r.out, HasSubstr("sloppy/all-prod: star-on-production"));
  EXPECT_THAT(r.out, HasSubstr("2 findings"));
}

TEST_F(AccessCliTest, DiffShowsWhatAChangeDoes) {
  const std::string before = Policies("before");
  std::string changed = kPolicy;
  changed.replace(changed.find("actions: [reveal]"), 17, "actions: [reveal, read]");
  const std::string after = Policies("after", changed);
  auto r = RunBulwark({"access", "diff", before, after});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(r.out, HasSubstr("- revoked read for "));
  EXPECT_THAT(r.out, HasSubstr("role viewer"));
  EXPECT_THAT(r.out, HasSubstr("when !request.mfa"));
  EXPECT_THAT(r.out, HasSubstr("e.g. "));
  auto same = RunBulwark({"access", "diff", before, before});
  EXPECT_EQ(same.exit_code, 0);
  EXPECT_THAT(same.out, HasSubstr("0 changes"));
}

TEST_F(AccessCliTest, ImportLevelsWritesAValidPolicy) {
  const std::string levels = Write("levels.json", R"({"payment_service": ["READ"], "key_rotator": ["ROTATE"]})");
  auto r = RunBulwark({"access", "import-levels", levels, "--resource",
                       "config:payments/production:db.password", "--name", "payments-secret"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("name: payments-secret"));
  std::filesystem::create_directories(dir_ / "imported");
  Write("imported/levels.yaml", r.out);
  auto check = RunBulwark({"access", "check", "--policies", (dir_ / "imported").string(), "--as",
                           "payment_service", "--action", "reveal", "--resource",
                           "config:payments/production:db.password"});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  auto bad = RunBulwark({"access", "import-levels", levels});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("give --resource"));
  const std::string typo = Write("typo.json", R"({"svc": ["OWN"]})");
  EXPECT_EQ(RunBulwark({"access", "import-levels", typo, "--resource", "config:a"}).exit_code, 2);
}

}  // namespace
}  // namespace bulwark::testing
