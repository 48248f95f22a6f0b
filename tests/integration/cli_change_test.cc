// bulwark change propose|list|show|diff|approve|reject|apply|rebase|emergency|review|comment end to end
// (docs/change.md): approval policies in the home, principals from `access.local_users` (the test
// switches who is acting by rewriting it between commands), direct writes refused, bad input
// with exit codes and the field named, and two processes racing to apply one request.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>
#include <thread>

#include "cli_harness.h"

namespace bulwark::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kSecret = "Sup3r-Secret-Pw!";
constexpr const char* kNewSecret = "N3w-Secret-Pw!";

constexpr const char* kPolicies = R"(policies:
  - name: production
    namespaces: ["production/**"]
    approvals: 2
    approver_roles: [operator, security-admin]
    require_roles: {security-admin: 1}
    review_approvals: 2
    review_deadline: 4h
)";

class ChangeCliTest : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    home_ = dir_ / "home";
    env_ = "BULWARK_HOME=" + home_.string() + " BULWARK_PASSPHRASE=it-passphrase-123";
    auto init = Run("init");
    ASSERT_EQ(init.exit_code, 0) << init.err;
    const auto cfg = Write("app.yaml", std::string("db:\n  pool: 10\n  password: ") + kSecret + "\n");
    auto put = Run("put production/api " + cfg);
    ASSERT_EQ(put.exit_code, 0) << put.err;
    std::filesystem::create_directories(home_ / "policies");
    // Auditors may approve as far as access control goes, but are not among the approvers.
    Write("home/policies/approvers.yaml", R"(apiVersion: bulwark/v1
kind: AccessPolicy
name: approvers
statements:
  - id: auditors-approve
    effect: allow
    roles: [auditor]
    actions: [approve, read, list]
    resources: [config]
)");
    Write("home/approval-policies.yaml", kPolicies);
    As("alice", "[global-admin, operator]");
  }
  // Who the next commands run as: the OS user maps to local:<name> with these roles.
  void As(const std::string& name, const std::string& roles) {
    Write("home/config.yaml", "access:\n  local_users:\n    \"*\": {id: \"local:" + name +
                                  "\", roles: " + roles + "}\n");
  }
  CliResult Run(const std::string& args, const std::string& stdin_text = "") {
    return RunBulwarkBinary(args, env_, stdin_text);
  }
  // Proposes and returns the id.
  std::string Propose(const std::string& options) {
    auto r = Run("change propose production/api " + options + " --json", kNewSecret);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    if (!j.is_object()) return "";
    return j["id"].get<std::string>();
  }
  void Approve(const std::string& id) {
    As("bob", "[global-admin, operator]");
    auto b = Run("change approve " + id + " --comment ok");
    ASSERT_EQ(b.exit_code, 0) << b.err;
    As("carol", "[global-admin, security-admin]");
    auto c = Run("change approve " + id);
    ASSERT_EQ(c.exit_code, 0) << c.err;
  }
  std::filesystem::path home_;
  std::string env_;
};

TEST_F(ChangeCliTest, ProposeShowDiffApproveApplyAndDirectWritesAreRefused) {
  auto direct = Run("set production/api db.pool 20");
  EXPECT_EQ(direct.exit_code, 3) << direct.err;
  EXPECT_THAT(direct.err, HasSubstr("covered by approval policy production"));
  EXPECT_THAT(direct.err, HasSubstr("bulwark change propose"));
  EXPECT_EQ(Run("set dev/api db.pool 20").exit_code, 0);  // not covered
  // Nor can a namespace be moved into or out of a covered one.
  auto into = Run("mv dev/api production/new");
  EXPECT_EQ(into.exit_code, 3) << into.err;
  EXPECT_THAT(into.err, HasSubstr("write on production/new denied"));
  auto away = Run("mv production/api dev/old");
  EXPECT_EQ(away.exit_code, 3) << away.err;
  EXPECT_THAT(away.err, HasSubstr("covered by approval policy production"));

  const std::string id = Propose(
      "--set db.pool=20 --set-secret db.password --justification 'black friday' --rollback-plan "
      "'roll back to 1' --tag ticket:OPS-7");
  ASSERT_THAT(id, ::testing::MatchesRegex("cr-[0-9a-f]{10}"));

  auto show = Run("change show " + id);
  ASSERT_EQ(show.exit_code, 0) << show.err;
  EXPECT_THAT(show.out, HasSubstr("open (needs"));
  EXPECT_THAT(show.out, HasSubstr("requested by local:alice"));
  EXPECT_THAT(show.out, HasSubstr("justification: black friday"));
  EXPECT_THAT(show.out, HasSubstr("sensitive paths: db.password"));
  EXPECT_THAT(show.out, HasSubstr("policy: production (2 approvals required, 0 counting)"));
  auto list = Run("change list --ns production");
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_THAT(list.out, HasSubstr(id + "  production/api  open"));
  auto diff = Run("change diff " + id);
  ASSERT_EQ(diff.exit_code, 0) << diff.err;
  EXPECT_THAT(diff.out, HasSubstr("~ db.password (sensitive)"));
  EXPECT_THAT(diff.out, HasSubstr("~ db.pool: 10 -> 20"));
  for (const auto& out : {show.out, list.out, diff.out, show.err, diff.err}) {
    EXPECT_THAT(out, Not(HasSubstr(kNewSecret)));
    EXPECT_THAT(out, Not(HasSubstr(kSecret)));
  }

  auto self = Run("change approve " + id);  // alice proposed it
  EXPECT_EQ(self.exit_code, 3);
  EXPECT_THAT(self.err, HasSubstr("cannot approve"));
  As("dave", "[auditor]");  // (global-admin would do: it inherits operator)
  auto viewer = Run("change approve " + id);
  EXPECT_EQ(viewer.exit_code, 3);
  EXPECT_THAT(viewer.err, HasSubstr("approver roles"));
  As("bob", "[global-admin, operator]");
  ASSERT_EQ(Run("change approve " + id + " --comment lgtm").exit_code, 0);
  auto comment = Run("change comment " + id + " 'pool of 20 was load tested'");
  ASSERT_EQ(comment.exit_code, 0) << comment.err;
  EXPECT_THAT(comment.out, HasSubstr("comment by local:bob at "));
  EXPECT_THAT(comment.out, HasSubstr(": pool of 20 was load tested"));
  EXPECT_EQ(Run("change comment " + id + " ''").exit_code, 2);
  auto early = Run("change apply " + id);
  EXPECT_EQ(early.exit_code, 2);
  EXPECT_THAT(early.err, HasSubstr("not approved: it needs 1 more approval by security-admin"));
  As("carol", "[global-admin, security-admin]");
  ASSERT_EQ(Run("change approve " + id).exit_code, 0);
  auto applied = Run("change apply " + id);
  ASSERT_EQ(applied.exit_code, 0) << applied.err;
  EXPECT_THAT(applied.out, HasSubstr("applied by local:carol as version 2"));

  auto got = Run("get production/api db --reveal --format json");
  ASSERT_EQ(got.exit_code, 0) << got.err;
  EXPECT_THAT(got.out, HasSubstr("20"));
  EXPECT_THAT(got.out, HasSubstr(kNewSecret));
  auto history = Run("history production/api");
  EXPECT_THAT(history.out, HasSubstr("change " + id + ": black friday"));
  auto audit = Run("audit log --operation change.apply --json");
  ASSERT_EQ(audit.exit_code, 0) << audit.err;
  EXPECT_THAT(audit.out, HasSubstr(id));
  EXPECT_THAT(audit.out, HasSubstr("approved by local:bob, local:carol"));
  EXPECT_THAT(audit.out, Not(HasSubstr(kNewSecret)));
  auto again = Run("change apply " + id);
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_THAT(again.err, HasSubstr("already applied"));
}

TEST_F(ChangeCliTest, BadInputIsRefusedNamingTheField) {
  auto no_why = Run("change propose production/api --set db.pool=20");
  EXPECT_EQ(no_why.exit_code, 2);
  EXPECT_THAT(no_why.err, HasSubstr("justification: required"));
  auto empty = Run("change propose production/api --justification x");
  EXPECT_EQ(empty.exit_code, 2);
  EXPECT_THAT(empty.err, HasSubstr("change-set: empty"));
  auto bad_set = Run("change propose production/api --set db.pool --justification x");
  EXPECT_EQ(bad_set.exit_code, 2);
  EXPECT_THAT(bad_set.err, HasSubstr("--set 'db.pool': expected PATH=VALUE"));
  auto bad_path = Run("change propose production/api --unset 'a..b' --justification x");
  EXPECT_EQ(bad_path.exit_code, 2);
  EXPECT_THAT(bad_path.err, HasSubstr("ops[0].path"));
  auto no_secret = Run("change propose production/api --set-secret db.password --justification x");
  EXPECT_EQ(no_secret.exit_code, 2);
  EXPECT_THAT(no_secret.err, HasSubstr("--set-secret: no value on standard input"));
  auto bad_version = Run("change propose production/api --rollback-to -1 --justification x");
  EXPECT_EQ(bad_version.exit_code, 2);
  EXPECT_THAT(bad_version.err, HasSubstr("--rollback-to"));
  auto bad_state = Run("change list --state limbo");
  EXPECT_EQ(bad_state.exit_code, 2);
  EXPECT_THAT(bad_state.err, HasSubstr("--state 'limbo'"));
  auto unknown = Run("change show cr-0000000000");
  EXPECT_EQ(unknown.exit_code, 4);
  EXPECT_THAT(unknown.err, HasSubstr("change request cr-0000000000 not found"));
  auto malformed = Run("change apply 17");
  EXPECT_EQ(malformed.exit_code, 2);
  EXPECT_THAT(malformed.err, HasSubstr("change request id '17'"));
  const std::string id = Propose("--set db.pool=30 --justification 'more'");
  As("bob", "[global-admin, operator]");
  auto reject = Run("change reject " + id);
  EXPECT_EQ(reject.exit_code, 2);
  EXPECT_THAT(reject.err, HasSubstr("comment: required"));
  auto override = Run("change approve " + id + " --override SEC_001");
  EXPECT_EQ(override.exit_code, 2);
  EXPECT_THAT(override.err, HasSubstr("--override SEC_001: not a blocking compliance rule"));
  ASSERT_EQ(Run("change reject " + id + " --comment 'not now'").exit_code, 0);
  auto shown = Run("change show " + id);
  EXPECT_THAT(shown.out, HasSubstr(": rejected"));
  EXPECT_THAT(shown.out, HasSubstr("rejected by local:bob"));
  EXPECT_EQ(Run("change apply " + id).exit_code, 2);

  // A broken policy file: every change command and every write is refused, naming file:line.
  Write("home/approval-policies.yaml", "policies:\n  - name: p\n    namespaces: [a]\n    approvals: 0\n");
  auto broken = Run("change list");
  EXPECT_EQ(broken.exit_code, 2);
  EXPECT_THAT(broken.err, HasSubstr("approval-policies.yaml:4:"));
  EXPECT_THAT(broken.err, HasSubstr("policies[0].approvals"));
  auto write = Run("set dev/api x 1");
  EXPECT_EQ(write.exit_code, 3);
  EXPECT_THAT(write.err, HasSubstr("approval policies unavailable"));
}

TEST_F(ChangeCliTest, AStaleRequestIsRefusedUntilRebasedAndItsApprovalsAreVoided) {
  const std::string first = Propose("--set db.pool=20 --justification first");
  As("alice", "[global-admin, operator]");
  const std::string second = Propose("--unset db.pool --justification second");
  Approve(first);
  Approve(second);
  ASSERT_EQ(Run("change apply " + first).exit_code, 0);
  auto stale = Run("change apply " + second);
  EXPECT_EQ(stale.exit_code, 2);
  EXPECT_THAT(stale.err, HasSubstr("is stale"));
  EXPECT_THAT(stale.err, HasSubstr("bulwark change rebase " + second));
  auto list = Run("change list --state stale --json");
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_THAT(list.out, HasSubstr(second));
  EXPECT_THAT(list.out, Not(HasSubstr(first)));
  auto rebase = Run("change rebase " + second + " --json");
  ASSERT_EQ(rebase.exit_code, 0) << rebase.err;
  auto j = nlohmann::json::parse(rebase.out);
  EXPECT_EQ(j["state"], "open");
  EXPECT_EQ(j["base_version"], 2);
  EXPECT_EQ(j["approvals_counting"], 0);
  auto not_stale = Run("change rebase " + second);
  EXPECT_EQ(not_stale.exit_code, 2);
  EXPECT_THAT(not_stale.err, HasSubstr("not stale"));
  Approve(second);
  auto applied = Run("change apply " + second);
  ASSERT_EQ(applied.exit_code, 0) << applied.err;
}

TEST_F(ChangeCliTest, EmergencyBreakGlassAppliesAtOnceIsCriticalAndNeedsAReview) {
  auto denied = Run("change emergency production/api --set db.pool=99 --justification outage");
  EXPECT_EQ(denied.exit_code, 3);
  EXPECT_THAT(denied.err, HasSubstr("emergency roles"));
  As("erin", "[global-admin, emergency-responder]");
  auto no_why = Run("change emergency production/api --set db.pool=99");
  EXPECT_EQ(no_why.exit_code, 2);
  EXPECT_THAT(no_why.err, HasSubstr("justification: required for an emergency change"));
  auto glass = Run("change emergency production/api --set db.pool=99 --justification 'outage INC-4' --json");
  ASSERT_EQ(glass.exit_code, 0) << glass.err;
  auto j = nlohmann::json::parse(glass.out);
  const std::string id = j["id"];
  EXPECT_EQ(j["state"], "applied");
  EXPECT_EQ(j["review"]["required"], 2);
  EXPECT_FALSE(j["review"]["closed"].get<bool>());
  auto got = Run("get production/api db.pool");
  EXPECT_THAT(got.out, HasSubstr("99"));
  auto audit = Run("audit log --operation change.emergency --json");
  ASSERT_EQ(audit.exit_code, 0) << audit.err;
  EXPECT_THAT(audit.out, HasSubstr("\"level\":\"critical\""));
  EXPECT_THAT(audit.out, HasSubstr("emergency approval used"));

  auto self = Run("change review " + id);
  EXPECT_EQ(self.exit_code, 3);
  auto approve = Run("change approve " + id);
  EXPECT_EQ(approve.exit_code, 2);
  EXPECT_THAT(approve.err, HasSubstr("review it"));
  As("bob", "[global-admin, operator]");
  auto one = Run("change review " + id + " --comment 'needed'");
  ASSERT_EQ(one.exit_code, 0) << one.err;
  EXPECT_THAT(one.out, HasSubstr("review open (1/2)"));
  EXPECT_EQ(Run("change review " + id).exit_code, 2);  // once each
  As("carol", "[global-admin, security-admin]");
  auto two = Run("change review " + id);
  ASSERT_EQ(two.exit_code, 0) << two.err;
  EXPECT_THAT(two.out, HasSubstr("review closed"));
}

// Two processes apply the same approved request at once: one writes the version, the other is
// refused (a conflict, or "already applied" when it starts after the first finished).
TEST_F(ChangeCliTest, TwoProcessesRacingToApplyWriteOneVersion) {
  for (int round = 0; round < 3; ++round) {
    As("alice", "[global-admin, operator]");
    const std::string id = Propose("--set db.pool=" + std::to_string(40 + round) + " --justification race");
    Approve(id);
    CliResult a, b;
    std::thread ta([&] { a = Run("change apply " + id); });
    std::thread tb([&] { b = Run("change apply " + id); });
    ta.join();
    tb.join();
    EXPECT_EQ((a.exit_code == 0) + (b.exit_code == 0), 1) << a.err << b.err;
    const CliResult& loser = a.exit_code == 0 ? b : a;
    EXPECT_EQ(loser.exit_code, 2) << loser.err;
    EXPECT_TRUE(loser.err.find("applied meanwhile by another process") != std::string::npos ||
                loser.err.find("already applied") != std::string::npos)
        << loser.err;
    auto history = Run("history production/api --json");
    auto h = nlohmann::json::parse(history.out, nullptr, false);
    ASSERT_TRUE(h.is_array()) << history.out;
    EXPECT_EQ(h.size(), static_cast<std::size_t>(2 + round));
  }
}

// Two processes approve at once as the same principal: the record's compare-and-set lets one
// approval in; the other process reloads, sees it, and is refused.
TEST_F(ChangeCliTest, TwoProcessesRacingToApproveRecordOneApproval) {
  for (int round = 0; round < 3; ++round) {
    As("alice", "[global-admin, operator]");
    const std::string id = Propose("--set db.pool=" + std::to_string(60 + round) + " --justification race");
    As("bob", "[global-admin, operator]");
    CliResult a, b;
    std::thread ta([&] { a = Run("change approve " + id); });
    std::thread tb([&] { b = Run("change approve " + id); });
    ta.join();
    tb.join();
    EXPECT_EQ((a.exit_code == 0) + (b.exit_code == 0), 1) << a.err << b.err;
    const CliResult& loser = a.exit_code == 0 ? b : a;
    EXPECT_EQ(loser.exit_code, 2) << loser.err;
    EXPECT_THAT(loser.err, HasSubstr("local:bob already approved change " + id));
    auto shown = Run("change show " + id + " --json");
    auto j = nlohmann::json::parse(shown.out, nullptr, false);
    ASSERT_TRUE(j.is_object()) << shown.out;
    EXPECT_EQ(j["approvals"].size(), 1u);
  }
}

}  // namespace
}  // namespace bulwark::testing
