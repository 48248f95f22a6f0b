// The CLI as a client of the server (--server, src/cli/remote_commands.cc): the store, check,
// audit and keys commands against a real server, with the local commands' output and exit codes.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>
#include <sstream>

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

}  // namespace
}  // namespace bulwark::server::testing
