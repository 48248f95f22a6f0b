// bulwark --version/--help and bulwark config load|validate, end to end.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cli_harness.h"

namespace bulwark::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(CliBasicsTest, VersionHelpAndUsageErrors) {
  auto v = RunBulwarkBinary("--version");
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_THAT(v.out, HasSubstr("bulwark 0."));
  auto h = RunBulwarkBinary("--help");
  EXPECT_EQ(h.exit_code, 0);
  EXPECT_THAT(h.out, HasSubstr("config"));
  auto ch = RunBulwarkBinary("config load --help");
  EXPECT_EQ(ch.exit_code, 0);
  EXPECT_THAT(ch.out, HasSubstr("--provenance"));
  auto bad = RunBulwarkBinary("no-such-command");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("bulwark:"));
  auto bad_flag = RunBulwarkBinary("config load --frobnicate x.yaml");
  EXPECT_EQ(bad_flag.exit_code, 2);
}

class ConfigCliTest : public CliTest {};

TEST_F(ConfigCliTest, LoadMergesLayersAndRedactsSecrets) {
  const auto base = RepoPath("examples/config/base.yaml").string();
  const auto prod = RepoPath("examples/config/production.yaml").string();
  auto r = RunBulwark({"config", "load", base, prod, "--format", "json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("\"db.prod.internal\""));
  EXPECT_THAT(r.out, HasSubstr("[redacted]"));
  EXPECT_THAT(r.out, Not(HasSubstr("dev-password-please-rotate")));
  auto revealed = RunBulwark({"config", "load", base, prod, "--format", "json", "--reveal"});
  EXPECT_THAT(revealed.out, HasSubstr("dev-password-please-rotate"));
}

TEST_F(ConfigCliTest, ProvenanceNamesFileLineColumnAndVariables) {
  const auto base = RepoPath("examples/config/base.yaml").string();
  const auto prod = RepoPath("examples/config/production.yaml").string();
  auto r = RunBulwarkBinary("config load " + base + " " + prod + " --env-prefix APP_ --provenance",
                            "APP_DATABASE__PORT=6432");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("env:APP_DATABASE__PORT"));
  EXPECT_THAT(r.out, HasSubstr("production.yaml:4:9"));  // database.host
  EXPECT_THAT(r.out, HasSubstr("base.yaml:"));
  EXPECT_THAT(r.out, Not(HasSubstr("dev-password-please-rotate")));
}

TEST_F(ConfigCliTest, ValidatePassesTheExampleAndListsEveryProblem) {
  const auto base = RepoPath("examples/config/base.yaml").string();
  const auto schema = RepoPath("examples/config/schema.json").string();
  auto ok = RunBulwark({"config", "validate", base, "--schema", schema});
  EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
  EXPECT_THAT(ok.out, HasSubstr("valid:"));

  const auto bad = Write("bad.yaml",
                         "environment: prod\nregion: mars\ndatabase:\n  host: h\n  port: 99999\n"
                         "  password: short\nauth:\n  jwt_algorithm: none\n  jwt_secret_key: x\n");
  auto r = RunBulwark({"config", "validate", bad, "--schema", schema});
  EXPECT_EQ(r.exit_code, 1);
  for (const char* path : {"environment", "region", "database.port", "database.password",
                           "auth.jwt_algorithm", "auth.jwt_secret_key"}) {
    EXPECT_THAT(r.out, HasSubstr(std::string(path) + ":")) << r.out;
  }
  EXPECT_THAT(r.out, HasSubstr("bad.yaml:5:9"));  // the source of database.port
  EXPECT_THAT(r.out, Not(HasSubstr("short")));      // never echo a secret
}

TEST_F(ConfigCliTest, StrictModeListsMissingValues) {
  const auto schema = RepoPath("examples/config/schema.json").string();
  const auto partial = Write("partial.yaml", "environment: production\nregion: eu-west-1\n");
  auto lenient = RunBulwark({"config", "validate", partial, "--schema", schema, "--json"});
  EXPECT_EQ(lenient.exit_code, 1);
  auto strict = RunBulwark({"config", "validate", partial, "--schema", schema, "--strict"});
  EXPECT_EQ(strict.exit_code, 1);
  EXPECT_THAT(strict.out, HasSubstr("database: missing required value"));
  EXPECT_THAT(strict.out, HasSubstr("auth: missing required value"));
}

TEST_F(ConfigCliTest, BadInputExitsTwoNamingFileLineAndColumn) {
  const auto broken = Write("broken.yaml", "a: 1\nb: [1, 2\n");
  auto r = RunBulwark({"config", "load", broken});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("broken.yaml:"));
  auto missing = RunBulwark({"config", "load", (dir_ / "nope.yaml").string()});
  EXPECT_EQ(missing.exit_code, 4);
  auto bad_format = RunBulwark({"config", "load", broken, "--format", "xml"});
  EXPECT_EQ(bad_format.exit_code, 2);
  auto bad_env = RunBulwarkBinary(
      "config load " + RepoPath("examples/config/base.yaml").string() + " --env-prefix APP_ --schema " +
          RepoPath("examples/config/schema.json").string(),
      "APP_DATABASE__PORT=secret-value");
  EXPECT_EQ(bad_env.exit_code, 2);
  EXPECT_THAT(bad_env.err, HasSubstr("APP_DATABASE__PORT"));
  EXPECT_THAT(bad_env.err, Not(HasSubstr("secret-value")));
}

TEST_F(ConfigCliTest, EveryOutputFormatLoadsBack) {
  const auto base = RepoPath("examples/config/base.yaml").string();
  for (const char* fmt : {"json", "yaml", "toml"}) {
    auto r = RunBulwark({"config", "load", base, "--format", fmt, "--reveal"});
    ASSERT_EQ(r.exit_code, 0) << fmt << r.err;
    const auto file = Write(std::string("out.") + fmt, r.out);
    auto again = RunBulwark({"config", "load", file, "--format", "json", "--reveal"});
    auto first = RunBulwark({"config", "load", base, "--format", "json", "--reveal"});
    EXPECT_EQ(again.out, first.out) << fmt;
  }
  auto env = RunBulwark({"config", "load", base, "--format", "env", "--env-prefix", "APP_", "--reveal"});
  EXPECT_EQ(env.exit_code, 0);
  EXPECT_THAT(env.out, HasSubstr("APP_DATABASE__PORT="));
}

}  // namespace
}  // namespace bulwark::testing
