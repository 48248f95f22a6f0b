// The store commands end to end, through the built binary, against a fresh home and SQLite store.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "cli_harness.h"

namespace bulwark::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class StoreCliTest : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    env_ = "BULWARK_HOME=" + (dir_ / "home").string() + " BULWARK_PASSPHRASE=it-passphrase-123";
    auto init = Run("init");
    ASSERT_EQ(init.exit_code, 0) << init.err;
    cfg_ = Write("app.yaml",
                 "environment: production\ndatabase:\n  host: db\n  port: 5432\n  password: "
                 "Sup3r-Secret-Pw!\nfeature: {beta: false}\n");
  }
  CliResult Run(const std::string& args, const std::string& stdin_text = "") {
    return RunBulwarkBinary(args, env_, stdin_text);
  }
  std::string env_;
  std::string cfg_;
};

TEST_F(StoreCliTest, PutGetRevealAndHistory) {
  auto put = Run("put prod/app " + cfg_ + " -m 'first import'");
  ASSERT_EQ(put.exit_code, 0) << put.err;
  EXPECT_THAT(put.out, HasSubstr("prod/app version 1"));
  auto get = Run("get prod/app");
  EXPECT_EQ(get.exit_code, 0);
  EXPECT_THAT(get.out, HasSubstr("[redacted]"));
  EXPECT_THAT(get.out, Not(HasSubstr("Sup3r-Secret-Pw!")));
  auto one = Run("get prod/app database.password --reveal");
  EXPECT_EQ(one.out, "Sup3r-Secret-Pw!\n");
  auto json = Run("get prod/app --format json");
  EXPECT_THAT(json.out, HasSubstr("\"port\": 5432"));
  // The store file holds only the token, never the plaintext.
  std::ifstream db(dir_ / "home" / "store.db", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(db)), {});
  EXPECT_THAT(bytes, Not(HasSubstr("Sup3r-Secret-Pw!")));
  EXPECT_THAT(bytes, HasSubstr("ENC["));
  auto history = Run("history prod/app");
  EXPECT_THAT(history.out, HasSubstr("first import"));
}

TEST_F(StoreCliTest, SetFromStdinUnsetDiffRollback) {
  ASSERT_EQ(Run("put prod/app " + cfg_).exit_code, 0);
  auto set = Run("set prod/app api_token - --secret -m rotate", "tok-0123456789\n");
  ASSERT_EQ(set.exit_code, 0) << set.err;
  ASSERT_EQ(Run("set prod/app database.port 6432").exit_code, 0);
  ASSERT_EQ(Run("unset prod/app feature.beta").exit_code, 0);
  auto diff = Run("diff prod/app 1 4");
  EXPECT_EQ(diff.exit_code, 0) << diff.err;
  EXPECT_THAT(diff.out, HasSubstr("+ api_token  (sensitive value changed)"));
  EXPECT_THAT(diff.out, HasSubstr("~ database.port  5432 -> 6432"));
  EXPECT_THAT(diff.out, HasSubstr("- feature.beta"));
  EXPECT_THAT(diff.out, Not(HasSubstr("tok-0123456789")));
  auto rb = Run("rollback prod/app --to 1 --reason 'bad rollout'");
  EXPECT_EQ(rb.exit_code, 0) << rb.err;
  EXPECT_THAT(Run("get prod/app database.port").out, HasSubstr("5432"));
  auto at_v2 = Run("get prod/app api_token --version 2 --reveal");
  EXPECT_EQ(at_v2.out, "tok-0123456789\n");
}

TEST_F(StoreCliTest, CompareAndSetAndErrorsHaveDistinctExitCodes) {
  ASSERT_EQ(Run("put prod/app " + cfg_ + " --expect-version 0").exit_code, 0);
  auto conflict = Run("put prod/app " + cfg_ + " --expect-version 0");
  EXPECT_EQ(conflict.exit_code, 2);
  EXPECT_THAT(conflict.err, HasSubstr("conflict"));
  EXPECT_EQ(Run("get nope/ns").exit_code, 4);
  EXPECT_EQ(Run("get prod/app no.such.path").exit_code, 4);
  EXPECT_EQ(Run("get 'Bad Namespace'").exit_code, 2);
  auto wrong_pass = RunBulwarkBinary("get prod/app --reveal",
                                     "BULWARK_HOME=" + (dir_ / "home").string() +
                                         " BULWARK_PASSPHRASE=wrong-passphrase");
  EXPECT_EQ(wrong_pass.exit_code, 3) << wrong_pass.err;
}

TEST_F(StoreCliTest, VersionNumbersAreWholeAndPositive) {
  ASSERT_EQ(Run("put prod/app " + cfg_).exit_code, 0);
  ASSERT_EQ(Run("set prod/app database.port 6432").exit_code, 0);
  EXPECT_EQ(Run("get prod/app database.port --version 1").exit_code, 0);
  for (const std::string bad : {"-1", "0", "1.5", "x", "99999999999999999999"}) {
    auto get = Run("get prod/app --version " + bad);
    EXPECT_EQ(get.exit_code, 2) << bad;
    EXPECT_THAT(get.err, HasSubstr("--version: expected a version number (1 or more), got '" + bad + "'"));
    EXPECT_EQ(Run("diff prod/app " + bad + " 2").exit_code, 2) << bad;
    EXPECT_EQ(Run("rollback prod/app --to " + bad).exit_code, 2) << bad;
  }
  auto cas = Run("set prod/app database.port 1 --expect-version -1");
  EXPECT_EQ(cas.exit_code, 2);
  EXPECT_THAT(cas.err, HasSubstr("--expect-version: expected a version number (0: the namespace must be new)"));
  // Nothing was written by the refused commands.
  EXPECT_THAT(Run("history prod/app").out, Not(HasSubstr("    3  ")));
}

TEST_F(StoreCliTest, SchemaAttachedOnPutGuardsLaterWrites) {
  const auto schema = RepoPath("examples/config/schema.json").string();
  const auto base = RepoPath("examples/config/base.yaml").string();
  ASSERT_EQ(Run("put prod/api " + base + " --schema " + schema).exit_code, 0);
  auto bad = Run("set prod/api database.port 70000");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("database.port"));
  EXPECT_EQ(Run("history prod/api --json").out.find("\"version\": 2"), std::string::npos);
}

TEST_F(StoreCliTest, ListMoveAndExport) {
  ASSERT_EQ(Run("put staging/app " + cfg_).exit_code, 0);
  ASSERT_EQ(Run("put staging/db " + cfg_).exit_code, 0);
  auto ls = Run("ls staging/");
  EXPECT_THAT(ls.out, HasSubstr("staging/app"));
  EXPECT_THAT(ls.out, HasSubstr("staging/db"));
  EXPECT_THAT(ls.out, Not(HasSubstr(".bulwark")));
  ASSERT_EQ(Run("mv staging/app production/app").exit_code, 0);
  EXPECT_EQ(Run("mv staging/db production/app").exit_code, 2);  // target exists
  auto env = Run("export production/app --format env --env-prefix APP_ --reveal");
  EXPECT_THAT(env.out, HasSubstr("export APP_DATABASE__PASSWORD='Sup3r-Secret-Pw!'"));
  auto redacted = Run("export production/app --format json");
  EXPECT_THAT(redacted.out, Not(HasSubstr("Sup3r-Secret-Pw!")));
  // Every operation above is in the audit log, without the secret.
  auto exported = Run("audit export --format cloudevents");
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  const std::string& log = exported.out;
  EXPECT_THAT(log, HasSubstr("\"operation\":\"namespace.move\""));
  EXPECT_THAT(log, HasSubstr("\"revealed\":true"));
  EXPECT_THAT(log, Not(HasSubstr("Sup3r-Secret-Pw!")));
}

}  // namespace
}  // namespace bulwark::testing

namespace bulwark::testing {
namespace {

TEST_F(StoreCliTest, CheckStoredNamespacesGateWritesAndShowHistory) {
  const auto svc = Write("svc.yaml",
                         "services:\n  - name: api\n    environment: production\n    region: eu-west-1\n"
                         "    database: {ssl_mode: verify-full, password: Long-Enough-Pass}\n"
                         "    redis: {ssl: true}\n"
                         "    auth: {jwt_algorithm: RS256, jwt_expiration_minutes: 15, "
                         "jwt_secret_key: 0123456789abcdef0123456789abcdef}\n"
                         "    security: {cors_allowed_origins: ['https://a.example.eu']}\n"
                         "    logging: {level: info}\n");
  ASSERT_EQ(Run("put production/api " + svc).exit_code, 0);
  auto ok = Run("check production/api --format json");
  EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
  ASSERT_EQ(Run("set production/api services[0].logging.level debug").exit_code, 0);
  auto medium = Run("check production/api --fail-on medium");
  EXPECT_EQ(medium.exit_code, 1);
  EXPECT_THAT(medium.out, HasSubstr("OPS_001"));
  auto history = Run("check production/api --history");
  EXPECT_EQ(history.exit_code, 0);
  EXPECT_THAT(history.out, HasSubstr("+ medium OPS_001"));
  // Turn the gate on: a change that introduces a critical finding is refused and not stored.
  std::ofstream(dir_ / "home" / "config.yaml") << "compliance:\n  packs: [baseline]\n  gate: high\n";
  auto refused = Run("set production/api services[0].database.ssl_mode disable");
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_THAT(refused.err, HasSubstr("compliance gate"));
  EXPECT_THAT(refused.err, HasSubstr("SEC_001"));
  EXPECT_THAT(Run("get production/api services[0].database.ssl_mode").out, HasSubstr("verify-full"));
  EXPECT_EQ(Run("check no/such-ns").exit_code, 4);
}

}  // namespace
}  // namespace bulwark::testing

namespace bulwark::testing {
namespace {

TEST_F(StoreCliTest, ExecRunsACommandWithANamespaceInItsEnvironment) {
  ASSERT_EQ(Run("put prod/app " + cfg_).exit_code, 0);
  auto r = Run("exec prod/app --env-prefix APP_ -- sh -c 'echo \"$APP_DATABASE__PASSWORD:$APP_DATABASE__PORT:${BULWARK_PASSPHRASE:-unset}\"; exit 7'");
  EXPECT_EQ(r.exit_code, 7) << r.err;  // the child's exit code
  EXPECT_EQ(r.out, "Sup3r-Secret-Pw!:5432:unset\n");
  EXPECT_EQ(Run("exec no/such -- true").exit_code, 4);
}

}  // namespace
}  // namespace bulwark::testing
