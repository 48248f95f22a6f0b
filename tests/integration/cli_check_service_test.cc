// bulwark check on the configuration the built-in rules were written for (issue #12): one
// service's file, a stored namespace, the process environment, files merged with the
// environment, --explain and --fix.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>
#include <sstream>

#include "cli_harness.h"

namespace bulwark::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Sets environment variables for the duration of a test (in-process commands read environ).
class ScopedEnv {
 public:
  explicit ScopedEnv(std::vector<std::pair<std::string, std::string>> vars) : vars_(vars) {
    for (const auto& [k, v] : vars_) ::setenv(k.c_str(), v.c_str(), 1);
  }
  ~ScopedEnv() {
    for (const auto& [k, v] : vars_) ::unsetenv(k.c_str());
  }

 private:
  std::vector<std::pair<std::string, std::string>> vars_;
};

class CheckServiceCliTest : public CliTest {};

TEST_F(CheckServiceCliTest, OneServicesFileGetsTheTenRulesWithPassesViolationsAndRemediations) {
  auto r = RunBulwark({"check", RepoPath("examples/config/service.yaml").string()});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(r.out, Not(HasSubstr("could not be evaluated")));
  EXPECT_THAT(r.out, HasSubstr("CRITICAL GDPR_001 region"));
  EXPECT_THAT(r.out, HasSubstr("orchestrator runs in us-east-1, outside the EU"));
  EXPECT_THAT(r.out, HasSubstr("fix: Deploy production services"));
  EXPECT_THAT(r.out, HasSubstr("CRITICAL SEC_002 redis.ssl"));
  EXPECT_THAT(r.out, HasSubstr("HIGH     SEC_004 auth.jwt_expiration_minutes"));  // production
  EXPECT_THAT(r.out, HasSubstr("MEDIUM   OPS_001 logging.level"));
  EXPECT_THAT(r.out, HasSubstr("orchestrator calls an external service over an unencrypted URL"));
  EXPECT_THAT(r.out, HasSubstr("Rules: 6 passed, 5 failed, 0 errors, 0 not applicable"));
  // 6 of the 11 checks passed, as the environment validator reports it.
  EXPECT_THAT(r.out, HasSubstr("Compliance score (production): 54.5%  (6/11 checks), 5 violations"));
  EXPECT_THAT(r.out, HasSubstr("  CRITICAL GDPR_001 EU region required in production: "));
}

TEST_F(CheckServiceCliTest, ExplainSaysWhyEachRuleHasItsStatus) {
  const std::string f = Write("dev.yaml",
                              "name: api\nenvironment: development\ndatabase: {ssl_mode: "
                              "disable}\nlogging: {level: debug}\n");
  auto r = RunBulwark({"check", f, "--explain"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(r.out, HasSubstr("Every rule:"));
  EXPECT_THAT(r.out, HasSubstr("SEC_001        critical fail           1 of 1 check failed"));
  EXPECT_THAT(r.out, HasSubstr("OPS_001        medium   not_applicable applies to production; "
                               "1 item in development"));
  EXPECT_THAT(r.out, HasSubstr("SEC_002        critical not_applicable applies to production"));
  EXPECT_THAT(r.out, HasSubstr("SEC_003        critical not_applicable `when` was false for 1 "
                               "item: has(item.auth)"));
  // The development score counts only the rules that apply there.
  EXPECT_THAT(r.out, HasSubstr("Compliance score (development): 0.0%  (0/1 checks), 1 violation"));
  // JSON carries the same reasons.
  auto json = RunBulwark({"check", f, "--format", "json"});
  EXPECT_THAT(json.out, HasSubstr("\"note\": \"applies to production; 1 item in development\""));
  EXPECT_THAT(json.out, HasSubstr("\"environments\": ["));
}

TEST_F(CheckServiceCliTest, AServicesListNamesEachServiceAndScoresEachEnvironment) {
  const std::string f = Write(
      "services.yaml",
      "services:\n"
      "  - name: api\n    environment: production\n    region: eu-west-1\n"
      "    database: {ssl_mode: disable, password: correct-horse-battery}\n"
      "  - name: tools\n    environment: development\n    region: us-east-1\n"
      "    database: {ssl_mode: disable, password: dev}\n");
  auto r = RunBulwark({"check", f});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(r.out, HasSubstr("CRITICAL SEC_001 services[0].database.ssl_mode"));
  EXPECT_THAT(r.out, HasSubstr("api connects to its database without TLS"));
  EXPECT_THAT(r.out, HasSubstr("CRITICAL SEC_001 services[1].database.ssl_mode"));
  EXPECT_THAT(r.out, HasSubstr("tools connects to its database without TLS"));
  EXPECT_THAT(r.out, Not(HasSubstr("tools runs in us-east-1")));  // GDPR_001: production only
  EXPECT_THAT(r.out, HasSubstr("Compliance score (development): 0.0%  (0/1 checks), 1 violation"));
  EXPECT_THAT(r.out, HasSubstr("Compliance score (production): 50.0%  (2/4 checks), 2 violations"));
}

TEST_F(CheckServiceCliTest, EnvPrefixAloneChecksTheProcessEnvironment) {
  ScopedEnv env({{"BWTEST_SERVICE_NAME", "voice-gateway"},
                 {"BWTEST_ENVIRONMENT", "production"},
                 {"BWTEST_REGION", "eu-west-1"},
                 {"BWTEST_DATABASE__SSL_MODE", "disable"},
                 {"BWTEST_DATABASE__PASSWORD", "short"},
                 {"BWTEST_REDIS__SSL", "true"},  // a boolean by the service schema
                 {"BWTEST_AUTH__JWT_ALGORITHM", "HS256"},
                 {"BWTEST_AUTH__JWT_EXPIRATION_MINUTES", "30"},
                 {"BWTEST_SECURITY__CORS_ALLOWED_ORIGINS", "[\"https://app.example.eu\", \"*\"]"},
                 {"BWTEST_LOGGING__LEVEL", "info"}});
  auto r = RunBulwark({"check", "--env-prefix", "BWTEST_"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(r.out, HasSubstr("== environment BWTEST_*"));
  EXPECT_THAT(r.out, HasSubstr("voice-gateway connects to its database without TLS"));
  EXPECT_THAT(r.out, HasSubstr("voice-gateway database ssl_mode is disable"));
  EXPECT_THAT(r.out, HasSubstr("voice-gateway signs tokens with HS256"));
  EXPECT_THAT(r.out, HasSubstr("voice-gateway database password is shorter than 12 characters"));
  EXPECT_THAT(r.out, HasSubstr("voice-gateway allows any CORS origin"));
  EXPECT_THAT(r.out, Not(HasSubstr("SEC_002")));  // redis.ssl=true read as a boolean
  EXPECT_THAT(r.out, Not(HasSubstr("could not be evaluated")));
  EXPECT_THAT(r.out, HasSubstr("Compliance score (production): "));
}

TEST_F(CheckServiceCliTest, FilesAndTheEnvironmentAreMergedAsConfigLoadMergesThem) {
  const std::string base = RepoPath("examples/config/base.yaml").string();
  const std::string prod = RepoPath("examples/config/production.yaml").string();
  ScopedEnv env({{"BWMERGE_LOGGING__LEVEL", "debug"}, {"BWMERGE_REDIS__SSL", "false"}});
  auto load = RunBulwark({"config", "load", base, prod, "--env-prefix", "BWMERGE_", "--format",
                          "json", "--reveal"});
  ASSERT_EQ(load.exit_code, 0) << load.err;
  EXPECT_THAT(load.out, HasSubstr("\"level\": \"debug\""));
  auto r = RunBulwark({"check", base, prod, "--env-prefix", "BWMERGE_", "--format", "json"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(r.out, HasSubstr("\"target\": \"" + base + " + " + prod + " + environment BWMERGE_*\""));
  // production.yaml makes it production; the variables win over both files.
  EXPECT_THAT(r.out, HasSubstr("\"rule\": \"OPS_001\""));
  EXPECT_THAT(r.out, HasSubstr("\"path\": \"logging.level\""));
  EXPECT_THAT(r.out, HasSubstr("\"rule\": \"SEC_002\""));
  EXPECT_THAT(r.out, HasSubstr("\"environment\": \"production\""));
  // Without the variables the same files pass those two rules.
  auto files_only = RunBulwark({"check", base, prod, "--env-prefix", "NO_SUCH_PREFIX_"});
  EXPECT_THAT(files_only.out, Not(HasSubstr("OPS_001")));
  EXPECT_THAT(files_only.out, Not(HasSubstr("SEC_002")));
}

TEST_F(CheckServiceCliTest, EnvPrefixRefusesFixNamespacesAndUntypeableValues) {
  const std::string f = Write("a.yaml", "environment: production\n");
  auto fix = RunBulwark({"check", f, "--env-prefix", "X_", "--fix"});
  EXPECT_EQ(fix.exit_code, 2);
  EXPECT_THAT(fix.err, HasSubstr("--fix cannot be combined with --env-prefix"));
  auto ns = RunBulwark({"check", "prod/app", "--env-prefix", "X_"});
  EXPECT_EQ(ns.exit_code, 2);
  EXPECT_THAT(ns.err, HasSubstr("prod/app is not a file"));
  ScopedEnv env(std::vector<std::pair<std::string, std::string>>{{"BWBAD_REDIS__SSL", "maybe"}});
  auto bad = RunBulwark({"check", "--env-prefix", "BWBAD_"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("BWBAD_REDIS__SSL"));
  EXPECT_THAT(bad.err, Not(HasSubstr("maybe")));  // values are never echoed
  auto none = RunBulwark({"check"});
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_THAT(none.err, HasSubstr("give files, namespaces or --env-prefix"));
}

TEST_F(CheckServiceCliTest, FixRewritesOnlyTheFixableValuesOfAServiceFile) {
  const std::string original = ReadFile(RepoPath("examples/config/service.yaml"));
  const std::string f = Write("service.yaml", original);
  auto r = RunBulwark({"check", f, "--fix"});
  EXPECT_EQ(r.exit_code, 1) << r.err;  // GDPR_001 and NET_001 have no automatic fix
  EXPECT_THAT(r.err, HasSubstr("fixed SEC_002 redis.ssl"));
  EXPECT_THAT(r.err, HasSubstr("fixed SEC_004 auth.jwt_expiration_minutes"));
  EXPECT_THAT(r.err, HasSubstr("fixed OPS_001 logging.level"));
  EXPECT_THAT(r.out, HasSubstr("GDPR_001"));
  EXPECT_THAT(r.out, HasSubstr("NET_001"));
  EXPECT_THAT(r.out, Not(HasSubstr("SEC_002 redis.ssl")));
  std::string expected = original;
  auto replace = [&](const std::string& from, const std::string& to) {
    const auto at = expected.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    expected.replace(at, from.size(), to);
  };
  replace("  ssl: false  ", "  ssl: true  ");
  replace("jwt_expiration_minutes: 120", "jwt_expiration_minutes: 60");
  replace("  level: debug  ", "  level: info  ");
  EXPECT_EQ(ReadFile(f), expected);  // comments, order and every other byte kept
}

class CheckServiceStoreCliTest : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    env_ = "BULWARK_HOME=" + (dir_ / "home").string() + " BULWARK_PASSPHRASE=it-passphrase-123";
    ASSERT_EQ(Run("init").exit_code, 0);
  }
  CliResult Run(const std::string& args) { return RunBulwarkBinary(args, env_); }
  std::string env_;
};

TEST_F(CheckServiceStoreCliTest, AStoredServiceIsCheckedForItsNamespacesEnvironment) {
  // base.yaml says development; stored under production/ it is checked as production.
  ASSERT_EQ(Run("put production/api " + RepoPath("examples/config/base.yaml").string()).exit_code,
            0);
  auto r = Run("check production/api --explain");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(r.out, HasSubstr("== production/api@1 (environment: production)"));
  EXPECT_THAT(r.out, HasSubstr("production/api connects to Redis without TLS"));
  EXPECT_THAT(r.out, HasSubstr("production/api logs at debug level in production"));
  EXPECT_THAT(r.out, HasSubstr("SEC_001        critical pass"));
  EXPECT_THAT(r.out, Not(HasSubstr("could not be evaluated")));
  EXPECT_THAT(r.out, HasSubstr("Compliance score (production): "));
  EXPECT_THAT(r.out, Not(HasSubstr("dev-password-please-rotate")));
}

}  // namespace
}  // namespace bulwark::testing
