// The CLI as a client of the server (--server, src/cli/remote_commands.cc): the store, check,
// audit and keys commands against a real server, with the local commands' output and exit codes.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "bulwark/cli/app.h"
#include "server/server_fixture_for_test.h"

namespace bulwark::server::testing {
namespace {

using ::testing::HasSubstr;

struct CliRun {
  int code;
  std::string out, err;
};

class ClientModeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(f_.Start());
    for (const char* who : {"admin", "reader"}) {
      std::ofstream(f_.dir() / (std::string(who) + ".token")) << f_.Token(who) << "\n";
    }
    std::ofstream(f_.dir() / "app.yaml") << "database:\n  host: db.internal\n  password: p4ss-w0rd-value\n";
    ::unsetenv("BULWARK_ADDR");
    ::unsetenv("BULWARK_TOKEN");
  }
  CliRun Cli(std::vector<std::string> args, const std::string& who = "admin", const std::string& in = "") {
    std::vector<std::string> full = {"--server", fmt::format("https://127.0.0.1:{}", f_.port()), "--ca",
                                     (f_.dir() / "ca.pem").string(), "--token-file",
                                     (f_.dir() / (who + ".token")).string()};
    full.insert(full.end(), args.begin(), args.end());
    std::istringstream input(in);
    std::ostringstream out, err;
    const int code = cli::RunCli(full, {input, out, err});
    return {code, out.str(), err.str()};
  }
  ServerFixture f_;
};

TEST_F(ClientModeTest, StoreCommandsRunAgainstTheServer) {
  auto put = Cli({"put", "production/api", (f_.dir() / "app.yaml").string(), "-m", "import"});
  ASSERT_EQ(put.code, 0) << put.err;
  EXPECT_THAT(put.out, HasSubstr("production/api version 1"));
  auto get = Cli({"get", "production/api"}, "reader");
  ASSERT_EQ(get.code, 0) << get.err;
  EXPECT_THAT(get.out, HasSubstr("password: \"[redacted]\""));
  auto reveal = Cli({"get", "production/api", "database.password", "--reveal"});
  ASSERT_EQ(reveal.code, 0) << reveal.err;
  EXPECT_EQ(reveal.out, "p4ss-w0rd-value\n");
  auto set = Cli({"set", "production/api", "database.port", "6432", "--expect-version", "1"});
  ASSERT_EQ(set.code, 0) << set.err;
  auto secret = Cli({"set", "production/api", "api.token", "-", "--secret"}, "admin", "from-stdin-secret\n");
  ASSERT_EQ(secret.code, 0) << secret.err;
  auto conflict = Cli({"set", "production/api", "database.port", "7432", "--expect-version", "1"});
  EXPECT_NE(conflict.code, 0);
  EXPECT_THAT(conflict.err, HasSubstr("conflict"));
  EXPECT_EQ(Cli({"unset", "production/api", "database.port"}).code, 0);
  auto history = Cli({"history", "production/api"});
  ASSERT_EQ(history.code, 0) << history.err;
  EXPECT_THAT(history.out, HasSubstr("import"));
  auto diff = Cli({"diff", "production/api", "2", "3"});
  ASSERT_EQ(diff.code, 0) << diff.err;
  EXPECT_THAT(diff.out, HasSubstr("api.token  (sensitive value changed)"));
  EXPECT_EQ(Cli({"rollback", "production/api", "--to", "1", "--reason", "test"}).code, 0);
  auto ls = Cli({"ls", "production/"}, "reader");
  ASSERT_EQ(ls.code, 0) << ls.err;
  EXPECT_THAT(ls.out, HasSubstr("production/api  (version 5"));
  EXPECT_EQ(Cli({"mv", "production/api", "production/api2"}).code, 0);
  EXPECT_EQ(Cli({"check", "production/api2"}).code == 0 || Cli({"check", "production/api2"}).code == 1, true);
}

TEST_F(ClientModeTest, ExitCodesFollowTheServersErrors) {
  ASSERT_EQ(Cli({"put", "production/api", (f_.dir() / "app.yaml").string()}).code, 0);
  EXPECT_EQ(Cli({"get", "production/api", "--reveal"}, "reader").code, 3);  // denied
  EXPECT_EQ(Cli({"get", "production/none"}, "reader").code, 4);            // not found
  std::ofstream(f_.dir() / "bad.token") << "bwk_not-a-real-token";
  EXPECT_EQ(Cli({"get", "production/api"}, "bad").code, 3);  // unauthenticated
  // A server whose certificate the pinned CA did not sign is refused.
  std::vector<std::string> args = {"--server", fmt::format("https://127.0.0.1:{}", f_.port()), "--ca",
                                   (f_.dir() / "other-ca.pem").string(), "get", "production/api"};
  std::istringstream in;
  std::ostringstream out, err;
  EXPECT_EQ(cli::RunCli(args, {in, out, err}), 5);
  EXPECT_THAT(err.str(), HasSubstr("connect to https://127.0.0.1"));
}

TEST_F(ClientModeTest, AuditAndKeysCommandsAndTheEnvironment) {
  ASSERT_EQ(Cli({"put", "production/api", (f_.dir() / "app.yaml").string()}).code, 0);
  auto log = Cli({"audit", "log", "--ns", "production/api"});
  ASSERT_EQ(log.code, 0) << log.err;
  EXPECT_THAT(log.out, HasSubstr("config.put"));
  auto verify = Cli({"audit", "verify"});
  EXPECT_EQ(verify.code, 0) << verify.out << verify.err;
  EXPECT_EQ(Cli({"audit", "checkpoint"}).code, 0);
  EXPECT_EQ(Cli({"audit", "prove", "0"}).code, 0);
  auto keys = Cli({"keys", "list"});
  ASSERT_EQ(keys.code, 0) << keys.err;
  EXPECT_THAT(keys.out, HasSubstr("primary"));
  EXPECT_EQ(Cli({"keys", "rotate"}).code, 0);
  // $BULWARK_ADDR, $BULWARK_CA and $BULWARK_TOKEN instead of flags.
  ::setenv("BULWARK_ADDR", fmt::format("https://127.0.0.1:{}", f_.port()).c_str(), 1);
  ::setenv("BULWARK_CA", (f_.dir() / "ca.pem").c_str(), 1);
  ::setenv("BULWARK_TOKEN", f_.Token("reader").c_str(), 1);
  std::istringstream in;
  std::ostringstream out, err;
  EXPECT_EQ(cli::RunCli({"history", "production/api"}, {in, out, err}), 0) << err.str();
  ::unsetenv("BULWARK_ADDR");
  ::unsetenv("BULWARK_CA");
  ::unsetenv("BULWARK_TOKEN");
}

// ---- change requests through the CLI (remote `bulwark change ...`) ---------------------------

class ClientChangeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    FixtureOptions o;
    o.approval_policies = R"(policies:
  - name: production
    namespaces: ["production/**"]
    approvals: 2
    approver_roles: [operator, security-admin]
    review_approvals: 1
)";
    f_ = std::make_unique<ServerFixture>(o);
    ASSERT_TRUE(f_->Start());
    for (const char* who : {"admin", "reader", "alice", "bob", "carol", "erin"}) {
      std::ofstream(f_->dir() / (std::string(who) + ".token")) << f_->Token(who) << "\n";
    }
    std::ofstream(f_->dir() / "app.yaml")
        << "region: eu-west-1\ndatabase:\n  host: db\n  ssl_mode: verify-full\n  password: s33d-p4ss-value\n";
    ::unsetenv("BULWARK_ADDR");
    ::unsetenv("BULWARK_TOKEN");
  }
  CliRun Cli(std::vector<std::string> args, const std::string& who, const std::string& in = "") {
    std::vector<std::string> full = {"--server", fmt::format("https://127.0.0.1:{}", f_->port()), "--ca",
                                     (f_->dir() / "ca.pem").string(), "--token-file",
                                     (f_->dir() / (who + ".token")).string()};
    full.insert(full.end(), args.begin(), args.end());
    std::istringstream input(in);
    std::ostringstream out, err;
    const int code = cli::RunCli(full, {input, out, err});
    return {code, out.str(), err.str()};
  }
  // The id on the first line of a printed request ("change cr-... on ...").
  static std::string IdOf(const CliRun& r) {
    const auto at = r.out.find("change cr-");
    return at == std::string::npos ? std::string() : r.out.substr(at + 7, 13);
  }
  std::string Propose(const std::string& who, std::vector<std::string> ops, const std::string& in = "") {
    std::vector<std::string> args = {"change", "propose", "production/api", "--justification", "ticket OPS-7"};
    args.insert(args.end(), ops.begin(), ops.end());
    auto r = Cli(args, who, in);
    EXPECT_EQ(r.code, 0) << r.err;
    return IdOf(r);
  }
  std::unique_ptr<ServerFixture> f_;
};

TEST_F(ClientChangeTest, TwoApproversWithTheirOwnTokensAndAThirdApplies) {
  auto proposed = Cli({"change", "propose", "production/api", "--file", (f_->dir() / "app.yaml").string(),
                       "--justification", "first deployment", "--rollback-plan", "delete it", "--tag", "ticket:OPS-1"},
                      "alice");
  ASSERT_EQ(proposed.code, 0) << proposed.err;
  const std::string id = IdOf(proposed);
  ASSERT_THAT(id, ::testing::MatchesRegex("cr-[0-9a-f]{10}"));
  EXPECT_THAT(proposed.out, HasSubstr(" on production/api: open (needs "));
  EXPECT_THAT(proposed.out, HasSubstr("  requested by token:alice at "));
  EXPECT_THAT(proposed.out, HasSubstr("  rollback plan: delete it\n  tags: ticket:OPS-1\n"));
  EXPECT_THAT(proposed.out, HasSubstr("  policy: production (2 approvals required, 0 counting)\n"));
  EXPECT_THAT(proposed.out, HasSubstr("  sensitive paths: database.password"));
  EXPECT_THAT(proposed.out + proposed.err, ::testing::Not(HasSubstr("s33d-p4ss-value")));

  // The requester may not approve their own change: denied, exit 3.
  auto self = Cli({"change", "approve", id}, "alice");
  EXPECT_EQ(self.code, 3) << self.out << self.err;
  // Not approved yet: apply is refused (exit 2).
  EXPECT_EQ(Cli({"change", "apply", id}, "alice").code, 2);

  auto one = Cli({"change", "approve", id, "--comment", "lgtm"}, "bob");
  ASSERT_EQ(one.code, 0) << one.err;
  EXPECT_THAT(one.out, HasSubstr("(2 approvals required, 1 counting)"));
  EXPECT_THAT(one.out, ::testing::MatchesRegex("(.|\n)*  approved by token:bob at [^\n]*: lgtm\n(.|\n)*"));
  EXPECT_EQ(Cli({"change", "approve", id}, "bob").code, 2);  // the same approver twice
  auto two = Cli({"change", "approve", id}, "carol");
  ASSERT_EQ(two.code, 0) << two.err;
  EXPECT_THAT(two.out, HasSubstr(": approved"));

  auto applied = Cli({"change", "apply", id}, "erin");
  ASSERT_EQ(applied.code, 0) << applied.err;
  EXPECT_THAT(applied.out, HasSubstr(": applied"));
  EXPECT_THAT(applied.out, HasSubstr("  applied by token:erin as version 1\n"));
  auto get = Cli({"get", "production/api", "region"}, "reader");
  ASSERT_EQ(get.code, 0) << get.err;
  EXPECT_EQ(get.out, "eu-west-1\n");

  // show and list as text and JSON; the JSON is the server's view.
  auto show = Cli({"change", "show", id}, "reader");
  ASSERT_EQ(show.code, 0) << show.err;
  EXPECT_EQ(show.out, applied.out);
  auto json_show = Cli({"change", "show", id, "--json"}, "reader");
  ASSERT_EQ(json_show.code, 0) << json_show.err;
  auto view = nlohmann::ordered_json::parse(json_show.out);
  EXPECT_EQ(view["state"], "applied");
  EXPECT_EQ(view["approvals"].size(), 2u);
  auto list = Cli({"change", "list", "--ns", "production/", "--state", "applied"}, "reader");
  ASSERT_EQ(list.code, 0) << list.err;
  EXPECT_THAT(list.out, HasSubstr(id + "  production/api  applied  token:alice  first deployment\n"));
  auto none = Cli({"change", "list", "--state", "open"}, "reader");
  EXPECT_EQ(none.out, "no change requests\n");
  EXPECT_EQ(Cli({"change", "list", "--state", "nearly"}, "reader").code, 2);
  auto listed = Cli({"change", "list", "--json"}, "reader");
  ASSERT_EQ(listed.code, 0) << listed.err;
  EXPECT_EQ(nlohmann::ordered_json::parse(listed.out).size(), 1u);

  // Unknown ids, readers who may not approve.
  EXPECT_EQ(Cli({"change", "show", "cr-0000000000"}, "reader").code, 4);
  EXPECT_EQ(Cli({"change", "approve", "cr-0000000000"}, "bob").code, 4);
  auto applied_twice = Cli({"change", "apply", id}, "bob");
  EXPECT_EQ(applied_twice.code, 2) << applied_twice.err;
}

TEST_F(ClientChangeTest, SecretsGoInTheBodyStaleChangesRebaseAndNotes) {
  const std::string seed = Propose("alice", {"--file", (f_->dir() / "app.yaml").string()});
  ASSERT_EQ(Cli({"change", "approve", seed}, "bob").code, 0);
  ASSERT_EQ(Cli({"change", "approve", seed}, "carol").code, 0);
  ASSERT_EQ(Cli({"change", "apply", seed}, "alice").code, 0);

  // A secret from stdin: in the body only, never printed; the diff withholds it.
  auto secret = Cli({"change", "propose", "production/api", "--justification", "rotate db", "--set-secret",
                     "database.password", "--set", "pool=20"},
                    "alice", "n3w-s3cret-from-stdin\n");
  ASSERT_EQ(secret.code, 0) << secret.err;
  const std::string a = IdOf(secret);
  auto diff = Cli({"change", "diff", a}, "reader");
  ASSERT_EQ(diff.code, 0) << diff.err;
  EXPECT_EQ(diff.out, "~ database.password (sensitive)\n+ pool = 20\n2 differences\n");
  for (const auto& r : {secret, diff}) EXPECT_THAT(r.out + r.err, ::testing::Not(HasSubstr("n3w-s3cret")));
  EXPECT_EQ(Cli({"change", "propose", "production/api", "--justification", "x", "--set-secret", "p"}, "alice", "")
                .code,
            2);  // no value on stdin

  // b is made against version 1; a is applied first, so b goes stale: exit 2, then rebase.
  const std::string b = Propose("bob", {"--unset", "database.host"});
  ASSERT_EQ(Cli({"change", "approve", a}, "bob").code, 0);
  ASSERT_EQ(Cli({"change", "approve", a}, "carol").code, 0);
  ASSERT_EQ(Cli({"change", "approve", b}, "alice").code, 0);
  ASSERT_EQ(Cli({"change", "apply", a}, "carol").code, 0);
  auto stale = Cli({"change", "approve", b}, "carol");
  EXPECT_EQ(stale.code, 2) << stale.out << stale.err;
  EXPECT_THAT(stale.err, HasSubstr("stale"));
  auto shown = Cli({"change", "show", b}, "reader");
  EXPECT_THAT(shown.out, HasSubstr(": stale (base 1 < latest 2: rebase)\n"));
  EXPECT_THAT(shown.out, HasSubstr("  approved by token:alice at "));
  EXPECT_EQ(Cli({"change", "apply", b}, "bob").code, 2);
  auto rebased = Cli({"change", "rebase", b}, "bob");
  ASSERT_EQ(rebased.code, 0) << rebased.err;
  EXPECT_THAT(rebased.out, HasSubstr("  base version 2, change "));
  EXPECT_THAT(rebased.out, HasSubstr("(2 approvals required, 0 counting)"));
  EXPECT_THAT(rebased.out, HasSubstr("  approved by token:alice at "));
  EXPECT_THAT(rebased.out, HasSubstr(" (for an earlier base or change-set)"));  // no longer counts

  auto commented = Cli({"change", "comment", b, "why unset the host?"}, "carol");
  ASSERT_EQ(commented.code, 0) << commented.err;
  EXPECT_THAT(commented.out, HasSubstr("  comment by token:carol at "));
  EXPECT_EQ(Cli({"change", "reject", b}, "carol").code, 2);  // a comment is required
  auto rejected = Cli({"change", "reject", b, "--comment", "the host is needed"}, "carol");
  ASSERT_EQ(rejected.code, 0) << rejected.err;
  EXPECT_THAT(rejected.out, HasSubstr(": rejected\n"));
  EXPECT_THAT(rejected.out, HasSubstr("  rejected by token:carol at "));
  EXPECT_EQ(Cli({"change", "approve", b}, "alice").code, 2);  // already decided
}

TEST_F(ClientChangeTest, EmergencyChangeAndItsReview) {
  const std::string seed = Propose("alice", {"--file", (f_->dir() / "app.yaml").string()});
  ASSERT_EQ(Cli({"change", "approve", seed}, "bob").code, 0);
  ASSERT_EQ(Cli({"change", "approve", seed}, "carol").code, 0);
  ASSERT_EQ(Cli({"change", "apply", seed}, "alice").code, 0);
  // Only an emergency role may break glass.
  EXPECT_EQ(Cli({"change", "emergency", "production/api", "--set", "pool=50", "--justification", "outage"}, "bob")
                .code,
            3);
  auto e = Cli({"change", "emergency", "production/api", "--set", "pool=50", "--justification", "outage INC-9"},
               "erin");
  ASSERT_EQ(e.code, 0) << e.err;
  EXPECT_THAT(e.out, HasSubstr(" (emergency) on production/api: applied, review open (0/1)\n"));
  const std::string id = IdOf(e);
  auto reviewed = Cli({"change", "review", id, "--comment", "fine"}, "carol");
  ASSERT_EQ(reviewed.code, 0) << reviewed.err;
  EXPECT_THAT(reviewed.out, HasSubstr(", review closed\n"));
  EXPECT_THAT(reviewed.out, HasSubstr("    reviewed by token:carol at "));
}

}  // namespace
}  // namespace bulwark::server::testing
