// bulwark check, end to end: packs by name and file, formats, --fail-on, --env overrides, --fix.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "cli_harness.h"

namespace bulwark::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kServices = R"yaml(# two services
services:
  - name: api
    environment: production
    region: eu-west-1
    database: { host: db, port: 5432, ssl_mode: verify-full, password: "correct-horse-battery" }
    redis: { ssl: true }
    auth: { jwt_algorithm: RS256, jwt_expiration_minutes: 30, jwt_secret_key: "0123456789abcdef0123456789abcdef" }
    security: { cors_allowed_origins: ["https://app.example.com"] }
    logging:
      level: debug   # left on by mistake
  - name: worker
    environment: production
    region: eu-west-1
    database:
      host: db
      port: 5432
      ssl_mode: disable
      password: "correct-horse-battery"
    redis: { ssl: true }
    auth: { jwt_algorithm: RS256, jwt_expiration_minutes: 30, jwt_secret_key: "0123456789abcdef0123456789abcdef" }
    security: { cors_allowed_origins: ["https://app.example.com"] }
    logging: { level: info }
)yaml";

std::string ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class CheckCliTest : public CliTest {};

TEST_F(CheckCliTest, BaselineFindsViolationsWithLocationsAndExitsOne) {
  const std::string f = Write("services.yaml", kServices);
  auto r = RunBulwarkBinary("check " + f + " --pack baseline");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(r.out,
              HasSubstr("CRITICAL SEC_001 services[1].database.ssl_mode  [" + f + ":18:17]"));
  EXPECT_THAT(r.out, HasSubstr("MEDIUM   OPS_001 services[0].logging.level"));
  EXPECT_THAT(r.out, HasSubstr("NOT COMPLIANT"));
}

TEST_F(CheckCliTest, FailOnCriticalIgnoresLowerSeverities) {
  const std::string f = Write("svc.yaml", kServices);
  std::string text = kServices;
  text.replace(text.find("ssl_mode: disable"), 17, "ssl_mode: require");
  const std::string g = Write("svc2.yaml", text);
  EXPECT_EQ(RunBulwark({"check", g, "--fail-on", "critical"}).exit_code, 0);
  EXPECT_EQ(RunBulwark({"check", g, "--fail-on", "medium"}).exit_code, 1);
  EXPECT_EQ(RunBulwark({"check", f, "--fail-on", "critical"}).exit_code, 1);
}

TEST_F(CheckCliTest, DevelopmentOverridesDisableRules) {
  std::string text = kServices;
  text.replace(text.find("ssl_mode: disable"), 17, "ssl_mode: require");
  const std::string g = Write("svc.yaml", text);
  auto prod = RunBulwark({"check", g, "--env", "production", "--fail-on", "medium"});
  EXPECT_EQ(prod.exit_code, 1);
  EXPECT_THAT(prod.out, HasSubstr("OPS_001"));
  auto dev = RunBulwark({"check", g, "--env", "development", "--fail-on", "medium"});
  EXPECT_EQ(dev.exit_code, 0) << dev.out;
  EXPECT_THAT(dev.out, Not(HasSubstr("OPS_001 services")));
}

TEST_F(CheckCliTest, BadInputExitsTwo) {
  const std::string f = Write("svc.yaml", kServices);
  EXPECT_EQ(RunBulwark({"check", (dir_ / "missing.yaml").string()}).exit_code, 2);
  EXPECT_EQ(RunBulwark({"check", f, "--pack", "no-such-pack"}).exit_code, 2);
  EXPECT_EQ(RunBulwark({"check", f, "--format", "pdf"}).exit_code, 2);
  EXPECT_EQ(RunBulwark({"check", f, "--fail-on", "urgent"}).exit_code, 2);
  const std::string bad = Write("bad-pack.yaml",
                                "apiVersion: bulwark/v1\nkind: RulePack\nname: x\n"
                                "rules:\n  - id: A\n    title: t\n    severity: "
                                "nope\n    check: 'true'\n");
  auto r = RunBulwark({"check", f, "--pack", bad});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("bad-pack.yaml:7:15: rule A"));
}

TEST_F(CheckCliTest, PackFileAndSeveralPacksAndFormats) {
  const std::string f = Write("svc.yaml", kServices);
  const std::string pack = Write("mine.yaml", R"yaml(apiVersion: bulwark/v1
kind: RulePack
name: mine
rules:
  - id: MINE_001
    title: two services at most
    severity: low
    frameworks: { internal: ["ARCH-1"] }
    check: size(config.services) <= 1
    message: "{{ size(config.services) }} services"
)yaml");
  auto json = RunBulwark({"check", f, "--pack", "baseline", "--pack", pack, "--format", "json"});
  EXPECT_EQ(json.exit_code, 1);
  EXPECT_THAT(json.out, HasSubstr("\"rule\": \"MINE_001\""));
  EXPECT_THAT(json.out, HasSubstr("\"message\": \"2 services\""));
  auto sarif = RunBulwark({"check", f, "--format", "sarif"});
  EXPECT_THAT(sarif.out, HasSubstr("\"version\": \"2.1.0\""));
  auto junit = RunBulwark({"check", f, "--format", "junit"});
  EXPECT_THAT(junit.out, HasSubstr("<testsuites"));
  const std::string html_path = (dir_ / "report.html").string();
  auto html = RunBulwark({"check", f, "--format", "html", "-o", html_path});
  EXPECT_EQ(html.exit_code, 1);
  EXPECT_THAT(ReadFile(html_path), HasSubstr("<svg"));
}

TEST_F(CheckCliTest, FixRewritesOnlyTheFixedValues) {
  const std::string f = Write("svc.yaml", kServices);
  auto r = RunBulwarkBinary("check " + f + " --fix --fail-on medium");
  EXPECT_THAT(r.err, HasSubstr("services[1].database.ssl_mode in " + f));
  EXPECT_THAT(r.err, HasSubstr("fixed OPS_001 services[0].logging.level"));
  EXPECT_EQ(r.exit_code, 0) << r.out;
  std::string expected = kServices;
  expected.replace(expected.find("ssl_mode: disable"), 17, "ssl_mode: verify-full");
  expected.replace(expected.find("level: debug"), 12, "level: info");
  EXPECT_EQ(ReadFile(f), expected);
}

}  // namespace
}  // namespace bulwark::testing
