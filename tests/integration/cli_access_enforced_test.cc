// A home with access policies: every store command authorizes through them (issue #15), denials
// exit 3 naming why and are audited with the deciding statement; a broken policy denies
// everything (fail closed).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli_harness.h"

namespace bulwark::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kReaders = R"yaml(apiVersion: bulwark/v1
kind: AccessPolicy
name: readers
settings: {builtin: false}
statements:
  - id: read-dev
    effect: allow
    roles: [reader]
    actions: [read, reveal, list]
    resources: ["config:dev/**"]
  - id: read-the-log
    effect: allow
    roles: [reader]
    actions: [audit.read]
    resources: [audit]
  - id: never-reveal-passwords
    effect: deny
    principals: ["*"]
    actions: [reveal]
    resources: ["config:**:**password"]
)yaml";

class AccessEnforcedTest : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    home_ = dir_ / "home";
    env_ = "BULWARK_HOME=" + home_.string() + " BULWARK_PASSPHRASE=enforced-pass-123";
    ASSERT_EQ(Run("init").exit_code, 0);
    const std::string cfg = Write("app.json", R"({"db": {"password": "pw-secret-1", "port": 1}})");
    auto put = Run("put dev/app " + cfg);
    ASSERT_EQ(put.exit_code, 0) << put.err;
    ASSERT_EQ(Run("put prod/app " + cfg).exit_code, 0);
  }
  CliResult Run(const std::string& args) { return RunBulwarkBinary(args, env_); }
  void Policies(const std::string& text) {
    std::filesystem::create_directories(home_ / "policies");
    Write("home/policies/readers.yaml", text);
    Write("home/config.yaml", "access:\n  local_users:\n    \"*\": {roles: [reader]}\n");
  }
  std::filesystem::path home_;
  std::string env_;
};

TEST_F(AccessEnforcedTest, StoreCommandsAreDecidedByTheHomesPolicies) {
  Policies(kReaders);
  auto get = Run("get dev/app");
  EXPECT_EQ(get.exit_code, 0) << get.err;
  EXPECT_THAT(get.out, Not(HasSubstr("pw-secret-1")));

  // The namespace may be revealed, but not its passwords: decided again on each sensitive path.
  auto reveal = Run("get dev/app --reveal");
  EXPECT_EQ(reveal.exit_code, 3) << reveal.out;
  EXPECT_THAT(reveal.err, HasSubstr("readers/never-reveal-passwords"));
  EXPECT_THAT(reveal.out + reveal.err, Not(HasSubstr("pw-secret-1")));

  auto write = Run("set dev/app db.port 2");
  EXPECT_EQ(write.exit_code, 3);
  EXPECT_THAT(write.err, HasSubstr("no statement allows"));

  auto prod = Run("get prod/app");
  EXPECT_EQ(prod.exit_code, 3);

  // Each denial is in the log, with the statement that decided it, and no value.
  auto log = Run("audit log --json");
  ASSERT_EQ(log.exit_code, 0) << log.err;
  int denied = 0;
  bool named_statement = false;
  std::istringstream in(log.out);
  for (std::string line; std::getline(in, line);) {
    auto ev = nlohmann::json::parse(line);
    if (ev["data"]["outcome"] != "denied") continue;
    ++denied;
    EXPECT_THAT(line, Not(HasSubstr("pw-secret-1")));
    if (line.find("readers/never-reveal-passwords") != std::string::npos) named_statement = true;
  }
  EXPECT_EQ(denied, 3);
  EXPECT_TRUE(named_statement) << log.out;
}

TEST_F(AccessEnforcedTest, ABrokenPolicyDeniesEverythingWithTheReason) {
  Policies("apiVersion: bulwark/v1\nkind: AccessPolicy\nname: readers\nstatements:\n"
           "  - id: s\n    effect: perhaps\n");
  auto get = Run("get dev/app");
  EXPECT_EQ(get.exit_code, 3) << get.out;
  EXPECT_THAT(get.err, HasSubstr("access policies unavailable"));
  EXPECT_THAT(get.err, HasSubstr("readers.yaml"));
}

}  // namespace
}  // namespace bulwark::testing
