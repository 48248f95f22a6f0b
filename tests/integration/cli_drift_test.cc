// bulwark drift baseline|check end to end (docs/drift.md): every live source (file, environment,
// HTTPS URL with a token, encrypted file), including an unreachable, a slow and a garbage URL,
// which must be errors (exit 5) and never "no drift".
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "auditship/http_test_server.h"
#include "auditship/test_util.h"
#include "cli_harness.h"

namespace bulwark::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kSecret = "Sup3r-Secret-Pw!";

class DriftCliTest : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    env_ = "BULWARK_HOME=" + (dir_ / "home").string() + " BULWARK_PASSPHRASE=it-passphrase-123";
    auto init = Run("init");
    ASSERT_EQ(init.exit_code, 0) << init.err;
    cfg_ = Write("app.yaml",
                 std::string("database:\n  host: db1\n  port: 5432\n  password: ") + kSecret +
                     "\nfeature:\n  beta: false\nbuild: 17\n");
    auto put = Run("put prod/app " + cfg_);
    ASSERT_EQ(put.exit_code, 0) << put.err;
    auto base = Run("drift baseline prod/app");
    ASSERT_EQ(base.exit_code, 0) << base.err;
  }
  CliResult Run(const std::string& args, const std::string& extra_env = "") {
    return RunBulwarkBinary(args, env_ + " " + extra_env);
  }
  std::string env_;
  std::string cfg_;
};

TEST_F(DriftCliTest, TheFileTheBaselineCameFromHasNoDrift) {
  auto r = Run("drift check prod/app --against file:" + cfg_);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("no drift: prod/app matches baseline version 1"));
}

TEST_F(DriftCliTest, AChangedFileReportsEachPathWithFileAndLineAndHidesTheSecret) {
  const auto live = Write("live/app.json",
                          "{\n  \"database\": {\n    \"host\": \"db2\",\n    \"port\": 5432,\n"
                          "    \"password\": \"another-pw\"\n  },\n  \"feature\": {\"beta\": false},\n"
                          "  \"build\": 17,\n  \"debug\": true\n}\n");
  auto r = Run("drift check prod/app --against file:" + live);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(r.out, HasSubstr("~ changed  database.host: \"db1\" -> \"db2\""));
  EXPECT_THAT(r.out, HasSubstr(live + ":3:"));
  EXPECT_THAT(r.out, HasSubstr("~ changed  database.password (sensitive)"));
  EXPECT_THAT(r.out, HasSubstr("+ added    debug = true"));
  EXPECT_THAT(r.out, Not(HasSubstr("another-pw")));
  EXPECT_THAT(r.out, Not(HasSubstr(kSecret)));

  auto json = Run("drift check prod/app --against file:" + live + " --format json");
  EXPECT_EQ(json.exit_code, 1);
  auto j = nlohmann::json::parse(json.out);
  EXPECT_TRUE(j["drift"].get<bool>());
  ASSERT_EQ(j["entries"].size(), 3u);
  for (const auto& e : j["entries"]) {
    if (e["path"] == "database.password") {
      EXPECT_TRUE(e["sensitive"].get<bool>());
      EXPECT_FALSE(e.contains("baseline"));
      EXPECT_FALSE(e.contains("live"));
    }
  }
  EXPECT_THAT(json.out, Not(HasSubstr("another-pw")));
}

TEST_F(DriftCliTest, IgnoreRulesFromOptionsAndAFile) {
  const auto live = Write("live.yaml",
                          std::string("database:\n  host: db1\n  port: 5432\n  password: ") +
                              kSecret + "\nfeature:\n  beta: true\nbuild: 18\n");
  EXPECT_EQ(Run("drift check prod/app --against file:" + live).exit_code, 1);
  const auto ignore = Write("drift.ignore", "# deploy metadata\nbuild\n");
  auto r = Run("drift check prod/app --against file:" + live + " --ignore 'feature.*' --ignore-file " +
               ignore);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("2 differences ignored"));
  const auto bad = Write("bad.ignore", "ok\n\x01\n");
  auto b = Run("drift check prod/app --against file:" + live + " --ignore-file " + bad);
  EXPECT_EQ(b.exit_code, 2);
  EXPECT_THAT(b.err, HasSubstr(bad + ":2"));
}

TEST_F(DriftCliTest, TheEnvironmentWithAPrefixIsComparedTypedLikeTheBaseline) {
  const std::string same = std::string("VH_DATABASE__HOST=db1 VH_DATABASE__PORT=5432 ") +
                           "VH_DATABASE__PASSWORD=" + kSecret + " VH_FEATURE__BETA=false VH_BUILD=17";
  auto r = Run("drift check prod/app --against env:VH_", same);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  auto changed = Run("drift check prod/app --against env:VH_",
                     "VH_DATABASE__HOST=db1 VH_DATABASE__PORT=6432 VH_DATABASE__PASSWORD=wrong "
                     "VH_FEATURE__BETA=false");
  EXPECT_EQ(changed.exit_code, 1);
  EXPECT_THAT(changed.out, HasSubstr("database.port: 5432 -> 6432    [env:VH_DATABASE__PORT]"));
  EXPECT_THAT(changed.out, HasSubstr("database.password (sensitive)    [env:VH_DATABASE__PASSWORD]"));
  EXPECT_THAT(changed.out, HasSubstr("- removed  build (was 17)"));
  EXPECT_THAT(changed.out, Not(HasSubstr("wrong")));
}

TEST_F(DriftCliTest, AnEncryptedDeployedFileIsDecryptedWithTheHomesKeys) {
  auto enc = Run("encrypt " + cfg_ + " -o " + (dir_ / "app.enc.yaml").string());
  ASSERT_EQ(enc.exit_code, 0) << enc.err;
  auto r = Run("drift check prod/app --against encfile:" + (dir_ / "app.enc.yaml").string());
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  const auto other = Write("other.yaml", "database:\n  host: db1\n  port: 5432\n  password: nope-nope\n"
                                         "feature:\n  beta: false\nbuild: 17\n");
  ASSERT_EQ(Run("encrypt " + other + " -i").exit_code, 0);
  auto d = Run("drift check prod/app --against encfile:" + other);
  EXPECT_EQ(d.exit_code, 1) << d.err;
  EXPECT_THAT(d.out, HasSubstr("~ changed  database.password (sensitive)"));
  EXPECT_THAT(d.out, Not(HasSubstr("nope-nope")));
}

TEST_F(DriftCliTest, ExitCodesForUnknownNamespacesMissingBaselinesAndBadUsage) {
  EXPECT_EQ(Run("drift check prod/none --against file:" + cfg_).exit_code, 4);
  EXPECT_EQ(Run("drift baseline prod/none").exit_code, 4);
  ASSERT_EQ(Run("put prod/other " + cfg_).exit_code, 0);
  auto nob = Run("drift check prod/other --against file:" + cfg_);
  EXPECT_EQ(nob.exit_code, 4);
  EXPECT_THAT(nob.err, HasSubstr("drift baseline prod/other"));
  EXPECT_EQ(Run("drift check prod/app --against nowhere").exit_code, 2);
  EXPECT_EQ(Run("drift check prod/app --against url:http://127.0.0.1/x").exit_code, 2);
  EXPECT_EQ(Run("drift check prod/app --against file:" + cfg_ + " --format xml").exit_code, 2);
  EXPECT_EQ(Run("drift check prod/app").exit_code, 2);
  auto missing = Run("drift check prod/app --against file:" + (dir_ / "gone.yaml").string());
  EXPECT_EQ(missing.exit_code, 5);
  const auto broken = Write("broken.yaml", "a: [1,\n");
  auto b = Run("drift check prod/app --against file:" + broken);
  EXPECT_EQ(b.exit_code, 2);
  EXPECT_THAT(b.err, HasSubstr(broken + ":"));
}

TEST_F(DriftCliTest, ABaselineCanBeAnOlderVersionAndIsAudited) {
  ASSERT_EQ(Run("set prod/app database.host db9").exit_code, 0);
  EXPECT_EQ(Run("drift check prod/app --against file:" + cfg_).exit_code, 0);
  ASSERT_EQ(Run("drift baseline prod/app").exit_code, 0);
  EXPECT_EQ(Run("drift check prod/app --against file:" + cfg_).exit_code, 1);
  auto old = Run("drift baseline prod/app --version 1");
  ASSERT_EQ(old.exit_code, 0) << old.err;
  EXPECT_THAT(old.out, HasSubstr("version 1"));
  EXPECT_EQ(Run("drift check prod/app --against file:" + cfg_).exit_code, 0);
  EXPECT_EQ(Run("drift baseline prod/app --version 9").exit_code, 4);

  auto log = Run("audit log --operation drift.baseline --json");
  ASSERT_EQ(log.exit_code, 0) << log.err;
  const auto events = JsonLines(log.out);
  ASSERT_GE(events.size(), 4u);
  EXPECT_EQ(events[0]["data"]["action"], "approve");
  auto checks = JsonLines(Run("audit log --operation drift.check --json").out);
  ASSERT_FALSE(checks.empty());
  EXPECT_EQ(checks.back()["data"]["outcome"], "success");
  const std::string all = Run("audit log --json").out;
  EXPECT_THAT(all, Not(HasSubstr(kSecret)));
  // The record file holds fingerprints, never the value.
  EXPECT_THAT(ReadText(dir_ / "home" / "drift-baselines.json"), Not(HasSubstr(kSecret)));
}

// ---- url: ------------------------------------------------------------------------------------

class DriftUrlTest : public DriftCliTest {
 protected:
  void SetUp() override {
    DriftCliTest::SetUp();
    tls_ = dir_ / "tls";
    std::filesystem::create_directories(tls_);
    auditship::testing::MakeTestCertificates(tls_);
  }
  std::string UrlArgs(std::uint16_t port, const std::string& more = "") {
    return "drift check prod/app --against url:https://127.0.0.1:" + std::to_string(port) +
           "/config --ca-file " + (tls_ / "ca.pem").string() + " " + more;
  }
  std::filesystem::path tls_;
};

using Server = auditship::testing::TestHttpServer;
using Req = auditship::testing::TestHttpRequest;

TEST_F(DriftUrlTest, AServicesJsonIsFetchedOverVerifiedTlsWithTheToken) {
  const std::string body = std::string("{\"database\":{\"host\":\"db1\",\"port\":5432,\"password\":\"") +
                           kSecret + "\"},\"feature\":{\"beta\":false},\"build\":18}";
  Server server(Server::WithBody{[&](const Req&) { return std::pair<unsigned, std::string>(200, body); }},
                tls_);
  const auto token = Write("token", "tok-abc-123\n");
  auto r = Run(UrlArgs(server.port(), "--token-file " + token));
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("~ changed  build: 17 -> 18    [https://127.0.0.1:"));
  EXPECT_THAT(r.out + r.err, Not(HasSubstr("tok-abc-123")));
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(std::string(requests[0][boost::beast::http::field::authorization]),
            "Bearer tok-abc-123");
  // Without the test CA the server's certificate is refused: unreachable, not "no drift".
  auto untrusted = Run("drift check prod/app --against url:https://127.0.0.1:" +
                       std::to_string(server.port()) + "/config");
  EXPECT_EQ(untrusted.exit_code, 5);
}

TEST_F(DriftUrlTest, GarbageAnErrorStatusAndANonObjectAreUnavailable) {
  for (const auto& [code, body] : std::vector<std::pair<unsigned, std::string>>{
           {200, "<html>oops</html>"}, {200, "[1, 2]"}, {500, "{}"}, {200, ""}}) {
    Server server(Server::WithBody{[&](const Req&) { return std::pair(code, body); }}, tls_);
    auto r = Run(UrlArgs(server.port()));
    EXPECT_EQ(r.exit_code, 5) << body << r.out;
    EXPECT_THAT(r.out, Not(HasSubstr("no drift")));
  }
}

TEST_F(DriftUrlTest, ASlowOrUnreachableServiceIsUnavailable) {
  Server slow(Server::WithBody{[](const Req&) {
                std::this_thread::sleep_for(std::chrono::seconds(3));
                return std::pair<unsigned, std::string>(200, "{}");
              }},
              tls_);
  // The answer ({}) would be drift (exit 1): exit 5 shows the timeout ended the fetch.
  auto r = Run(UrlArgs(slow.port(), "--timeout 1s"));
  EXPECT_EQ(r.exit_code, 5) << r.out;
  EXPECT_THAT(r.err, HasSubstr("unavailable"));

  auto gone = Run(UrlArgs(1));
  EXPECT_EQ(gone.exit_code, 5);
  EXPECT_THAT(gone.out, Not(HasSubstr("no drift")));
}

}  // namespace
}  // namespace bulwark::testing

// ---- watch -----------------------------------------------------------------------------------

namespace bulwark::testing {
namespace {

TEST_F(DriftCliTest, WatchAuditsEachTargetsChangeOnceNotEveryRound) {
  const auto live = Write("live.yaml", ReadText(cfg_));
  const auto targets = Write("targets.yaml",
                             "targets:\n"
                             "  - name: api-file\n"
                             "    namespace: prod/app\n"
                             "    against: file:live.yaml\n"
                             "    ignore: [build]\n"
                             "  - name: api-gone\n"
                             "    namespace: prod/app\n"
                             "    against: file:gone.yaml\n");
  auto count = [&](const std::string& op) {
    return JsonLines(Run("audit log --operation " + op + " --json").out).size();
  };
  auto first = Run("drift watch --once --targets " + targets);
  EXPECT_EQ(first.exit_code, 5) << first.out << first.err;  // one target unreachable
  EXPECT_THAT(first.out, HasSubstr("api-file: ok"));
  EXPECT_THAT(first.out, HasSubstr("api-gone: unreachable"));
  EXPECT_EQ(count("drift.unreachable"), 1u);
  EXPECT_EQ(count("drift.detected"), 0u);

  // Drift appears: audited once, however many rounds see it.
  Write("live.yaml", ReadText(cfg_) + "debug: true\n");
  for (int i = 0; i < 3; ++i) Run("drift watch --once --targets " + targets);
  EXPECT_EQ(count("drift.detected"), 1u);
  EXPECT_EQ(count("drift.unreachable"), 1u);
  // A different drift is a new event; an ignored difference is not.
  Write("live.yaml", ReadText(cfg_) + "debug: false\n");
  Run("drift watch --once --targets " + targets);
  EXPECT_EQ(count("drift.detected"), 2u);
  Write("live.yaml", [&] {
    std::string t = ReadText(cfg_) + "debug: false\n";
    t.replace(t.find("build: 17"), 9, "build: 99");
    return t;
  }());
  Run("drift watch --once --targets " + targets);
  EXPECT_EQ(count("drift.detected"), 2u);
  // Back to the baseline: resolved, once.
  Write("live.yaml", ReadText(cfg_));
  auto back = Run("drift watch --once --targets " + targets + " --format json");
  Run("drift watch --once --targets " + targets);
  EXPECT_EQ(count("drift.resolved"), 1u);
  const auto lines = JsonLines(back.out);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["target"], "api-file");
  EXPECT_EQ(lines[0]["state"], "ok");
  EXPECT_TRUE(lines[0]["changed"].get<bool>());
  const auto detected = JsonLines(Run("audit log --operation drift.detected --json").out);
  EXPECT_EQ(detected[0]["data"]["outcome"], "failure");
  EXPECT_EQ(detected[0]["data"]["paths"][0], "debug");
  // The monitor's built-in rule turns the change into an alert for its channels.
  auto mon = Run("monitor --once --dry-run --from-start");
  EXPECT_EQ(mon.exit_code, 0) << mon.err;
  EXPECT_THAT(mon.out + mon.err, HasSubstr("drift-detected prod/app"));
}

TEST_F(DriftCliTest, ASecretThatDriftsAgainToAnotherValueIsANewDrift) {
  const std::string base = ReadText(cfg_);
  auto with_password = [&](const std::string& pw) {
    std::string t = base;
    t.replace(t.find(kSecret), std::string(kSecret).size(), pw);
    return t;
  };
  Write("live.yaml", with_password("first-other-pw"));
  const auto targets = Write("targets.yaml",
                             "targets:\n  - name: api\n    namespace: prod/app\n"
                             "    against: file:live.yaml\n");
  auto count = [&] {
    return JsonLines(Run("audit log --operation drift.detected --json").out).size();
  };
  Run("drift watch --once --targets " + targets);
  Run("drift watch --once --targets " + targets);
  EXPECT_EQ(count(), 1u);
  // The same path, another value: only fingerprints tell them apart, and they must.
  Write("live.yaml", with_password("second-other-pw"));
  auto r = Run("drift watch --once --targets " + targets);
  EXPECT_EQ(count(), 2u);
  EXPECT_THAT(r.out + r.err, Not(HasSubstr("second-other-pw")));
  const std::string log = Run("audit log --json").out;
  EXPECT_THAT(log, Not(HasSubstr("other-pw")));
}

TEST_F(DriftCliTest, WatchRefusesABadTargetsFileNamingTheField) {
  const auto bad = Write("bad.yaml", "targets:\n  - namespace: prod/app\n    against: nowhere\n");
  auto r = Run("drift watch --once --targets " + bad);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("bad.yaml:3:"));
  EXPECT_THAT(r.err, HasSubstr("targets[0].against"));
  const auto unknown = Write("unknown.yaml", "targets:\n  - namespace: prod/app\n    against: env:X_\n    colour: red\n");
  EXPECT_EQ(Run("drift watch --once --targets " + unknown).exit_code, 2);
  EXPECT_EQ(Run("drift watch --once --targets " + bad + " --interval 0s").exit_code, 2);
}

}  // namespace
}  // namespace bulwark::testing
