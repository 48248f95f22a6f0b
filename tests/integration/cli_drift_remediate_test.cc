// bulwark drift check|watch --remediate adopt|restore end to end (docs/drift.md "Remediation"):
// a drift becomes a change request (docs/change.md), one per distinct drift, secrets adopted only
// from sources that hold them in clear, never printed; restore proposes a rollback only when the
// store itself left the baseline.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "auditship/http_test_server.h"
#include "auditship/test_util.h"
#include "cli_harness.h"

namespace bulwark::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kSecret = "Sup3r-Secret-Pw!";
constexpr const char* kLiveSecret = "L1ve-Rotated-Pw!";

class DriftRemediateTest : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    env_ = "BULWARK_HOME=" + (dir_ / "home").string() + " BULWARK_PASSPHRASE=it-passphrase-123";
    ASSERT_EQ(Run("init").exit_code, 0);
    std::filesystem::create_directories(dir_ / "home" / "policies");  // the built-in roles only
    As("alice");
    cfg_ = Write("app.yaml", std::string("database:\n  host: db1\n  port: 5432\n  password: ") + kSecret +
                                 "\nfeature:\n  beta: false\nbuild: 17\n");
    auto put = Run("put prod/app " + cfg_);
    ASSERT_EQ(put.exit_code, 0) << put.err;
    auto base = Run("drift baseline prod/app");
    ASSERT_EQ(base.exit_code, 0) << base.err;
    // The live side: port and password changed, debug added, feature.beta removed.
    live_ = Write("live.yaml", std::string("database:\n  host: db1\n  port: 6432\n  password: ") + kLiveSecret +
                                   "\nbuild: 17\ndebug: true\n");
  }
  // Who the next commands run as (the OS user maps to local:<name>, a global admin).
  void As(const std::string& name) {
    Write("home/config.yaml",
          "access:\n  local_users:\n    \"*\": {id: \"local:" + name + "\", roles: [global-admin]}\n");
  }
  CliResult Run(const std::string& args) { return RunBulwarkBinary(args, env_); }
  nlohmann::json Json(const CliResult& r) {
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    EXPECT_TRUE(j.is_object()) << r.out << r.err;
    return j;
  }
  std::string env_;
  std::string cfg_;
  std::string live_;
};

TEST_F(DriftRemediateTest, AdoptProposesTheLiveSideOnceAndApplyingItEndsTheDrift) {
  auto r = Run("drift check prod/app --against file:" + live_ + " --remediate adopt --format json");
  EXPECT_EQ(r.exit_code, 1) << r.err;  // still drift: a request is not a fix
  EXPECT_THAT(r.out + r.err, Not(HasSubstr(kLiveSecret)));
  auto j = Json(r);
  ASSERT_TRUE(j.contains("remediation")) << r.out;
  const std::string id = j["remediation"]["change"];
  EXPECT_THAT(id, ::testing::StartsWith("cr-"));
  EXPECT_EQ(j["remediation"]["reused"], false);
  EXPECT_EQ(j["remediation"]["refused"].size(), 0u);

  // The same drift again: the open request is reused, not a second one.
  auto again = Run("drift check prod/app --against file:" + live_ + " --remediate adopt");
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_THAT(again.out, HasSubstr("change " + id + " already proposes this remediation"));
  auto list = Run("change list --json");
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_EQ(nlohmann::json::parse(list.out).size(), 1u);

  auto show = Run("change show " + id + " --json");
  ASSERT_EQ(show.exit_code, 0) << show.err;
  auto v = Json(show);
  EXPECT_EQ(v["requester"], "local:alice");
  EXPECT_THAT(v["tags"].dump(), HasSubstr("drift:adopt"));
  for (const char* p : {"database.password", "database.port", "debug", "feature.beta"}) {
    EXPECT_THAT(v["impact"]["paths"].dump(), HasSubstr(std::string("\"") + p + "\"")) << p;
  }
  EXPECT_EQ(v["impact"]["sensitive_paths"], nlohmann::json({"database.password"}));
  EXPECT_THAT(Run("change diff " + id).out, Not(HasSubstr(kLiveSecret)));

  // Another principal approves; the requester applies; the store now holds the live values.
  As("bob");
  auto approve = Run("change approve " + id);
  ASSERT_EQ(approve.exit_code, 0) << approve.err;
  As("alice");
  auto apply = Run("change apply " + id);
  ASSERT_EQ(apply.exit_code, 0) << apply.err;
  auto pw = Run("get prod/app database.password --reveal");
  EXPECT_THAT(pw.out, HasSubstr(kLiveSecret));
  EXPECT_THAT(Run("get prod/app database.port").out, HasSubstr("6432"));
  ASSERT_EQ(Run("drift baseline prod/app").exit_code, 0);
  auto clean = Run("drift check prod/app --against file:" + live_ + " --remediate adopt");
  EXPECT_EQ(clean.exit_code, 0) << clean.out << clean.err;
  EXPECT_THAT(clean.out, HasSubstr("no drift"));
  // Audited, never with the secret.
  const std::string audit = Run("audit log --json").out;
  EXPECT_THAT(audit, HasSubstr("change.propose"));
  EXPECT_THAT(audit, Not(HasSubstr(kLiveSecret)));
}

TEST_F(DriftRemediateTest, AdoptRefusesWhenTheStoreMovedPastTheBaselineAndBadModesAreUsage) {
  auto bad = Run("drift check prod/app --against file:" + live_ + " --remediate heal");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("--remediate 'heal': expected adopt or restore"));
  ASSERT_EQ(Run("set prod/app build 18").exit_code, 0);
  auto moved = Run("drift check prod/app --against file:" + live_ + " --remediate adopt");
  EXPECT_EQ(moved.exit_code, 2) << moved.out << moved.err;
  EXPECT_THAT(moved.err, HasSubstr("past its baseline version 1"));
  EXPECT_THAT(moved.out, HasSubstr("drift: prod/app"));  // the report is still printed
  EXPECT_EQ(Run("change list --json").out.find("cr-"), std::string::npos);
}

TEST_F(DriftRemediateTest, RestoreProposesARollbackOnlyWhenTheStoreLeftTheBaseline) {
  // The store holds the baseline: the live side must be redeployed; nothing is proposed.
  auto same = Run("drift check prod/app --against file:" + live_ + " --remediate restore");
  EXPECT_EQ(same.exit_code, 1) << same.err;
  EXPECT_THAT(same.out, HasSubstr("the store holds the baseline of prod/app (version 1): nothing to propose"));
  EXPECT_THAT(same.out, HasSubstr("redeploy: database.password, database.port, debug, feature.beta"));
  EXPECT_EQ(Run("change list --json").out.find("cr-"), std::string::npos);

  // The store moved away (version 2): restoring is a rollback request to the baseline, once.
  ASSERT_EQ(Run("set prod/app database.port 6432").exit_code, 0);
  auto r = Run("drift check prod/app --against file:" + live_ + " --remediate restore --format json");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const std::string id = Json(r)["remediation"]["change"];
  auto again = Run("drift check prod/app --against file:" + live_ + " --remediate restore --format json");
  EXPECT_EQ(Json(again)["remediation"]["change"], id);
  EXPECT_EQ(Json(again)["remediation"]["reused"], true);
  auto v = Json(Run("change show " + id + " --json"));
  EXPECT_THAT(v["tags"].dump(), HasSubstr("drift:restore"));
  EXPECT_EQ(v["base_version"], 2);
  EXPECT_EQ(v["impact"]["paths"], nlohmann::json({"database.port"}));
}

TEST_F(DriftRemediateTest, WatchOpensOneRequestPerDistinctDrift) {
  const auto targets = Write("targets.yaml", "targets:\n  - name: app\n    namespace: prod/app\n    against: file:" +
                                                 live_ + "\n");
  auto first = Run("drift watch --targets " + targets + " --once --remediate adopt");
  EXPECT_EQ(first.exit_code, 1) << first.err;
  EXPECT_THAT(first.out, HasSubstr("app: remediation: proposed change cr-"));
  auto second = Run("drift watch --targets " + targets + " --once --remediate adopt");
  EXPECT_EQ(second.exit_code, 1) << second.err;
  EXPECT_THAT(second.out, HasSubstr("already proposes this remediation"));
  EXPECT_EQ(nlohmann::json::parse(Run("change list --json").out).size(), 1u);
  // A different drift is a different request.
  Write("live.yaml", std::string("database:\n  host: db2\n  port: 6432\n  password: ") + kLiveSecret +
                         "\nbuild: 17\ndebug: true\n");
  auto third = Run("drift watch --targets " + targets + " --once --remediate adopt");
  EXPECT_THAT(third.out, HasSubstr("proposed change cr-"));
  EXPECT_EQ(nlohmann::json::parse(Run("change list --json").out).size(), 2u);
  EXPECT_THAT(first.out + second.out + third.out, Not(HasSubstr(kLiveSecret)));
}

// A url: source is compared by fingerprint only: its secrets are not adopted from the network.
TEST_F(DriftRemediateTest, AUrlSourcesSecretIsRefusedAndTheRestIsProposed) {
  const auto tls = dir_ / "tls";
  std::filesystem::create_directories(tls);
  auditship::testing::MakeTestCertificates(tls);
  const std::string body = std::string("{\"database\":{\"host\":\"db1\",\"port\":5432,\"password\":\"") +
                           kLiveSecret + "\"},\"feature\":{\"beta\":false},\"build\":18}";
  auditship::testing::TestHttpServer server(
      auditship::testing::TestHttpServer::WithBody{
          [&](const auditship::testing::TestHttpRequest&) { return std::pair<unsigned, std::string>(200, body); }},
      tls);
  auto r = Run("drift check prod/app --against url:https://127.0.0.1:" + std::to_string(server.port()) +
               "/config --ca-file " + (tls / "ca.pem").string() + " --remediate adopt");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(r.out, HasSubstr("refused database.password: sensitive, and a url: source is compared by fingerprint only"));
  EXPECT_THAT(r.out, HasSubstr("proposed change cr-"));
  EXPECT_THAT(r.out + r.err, Not(HasSubstr(kLiveSecret)));
  auto list = nlohmann::json::parse(Run("change list --json").out);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["impact"]["paths"], nlohmann::json({"build"}));
}

}  // namespace
}  // namespace bulwark::testing
