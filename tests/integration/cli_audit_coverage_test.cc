// Every CLI command that acts on keys, files or the store leaves its event in the audit log
// (issue #13, docs/node.md section 4): each command is run against one home, and the newest event
// of its operation is checked (outcome, impact, the resource it names), never a value.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "cli_harness.h"

namespace bulwark::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class AuditCoverageTest : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    home_ = (dir_ / "home").string();
    env_ = "BULWARK_HOME=" + home_ + " BULWARK_PASSPHRASE=coverage-pass-123";
  }
  CliResult Run(const std::string& args, const std::string& extra_env = "") {
    return RunBulwarkBinary(args, env_ + " " + extra_env);
  }
  // Every event of the home's log, oldest first.
  std::vector<nlohmann::json> Events() {
    auto log = Run("audit log --json");
    EXPECT_EQ(log.exit_code, 0) << log.err;
    std::vector<nlohmann::json> out;
    std::istringstream in(log.out);
    for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line));
    return out;
  }
  // The newest event of `operation` after the first `after` events; fails the test when none.
  nlohmann::json Newest(const std::string& operation, std::size_t after) {
    auto events = Events();
    for (std::size_t i = events.size(); i > after; --i) {
      if (events[i - 1]["type"] == "dev.bulwark." + operation) return events[i - 1];
    }
    ADD_FAILURE() << "no " << operation << " event after " << after;
    return nlohmann::json::object();
  }
  // Runs `args` (which must exit with `exit_code`) and checks its event.
  nlohmann::json Expect(const std::string& args, const std::string& operation,
                        const std::string& impact, const std::string& extra_env = "",
                        int exit_code = 0) {
    SCOPED_TRACE(args);
    const std::size_t before = Events().size();
    auto r = Run(args, extra_env);
    EXPECT_EQ(r.exit_code, exit_code) << r.out << r.err;
    nlohmann::json ev = Newest(operation, before);
    if (ev.empty()) return ev;
    EXPECT_EQ(ev["data"]["outcome"], "success") << ev.dump();
    EXPECT_EQ(ev["data"]["impact"]["level"], impact) << ev.dump();
    for (const char* secret : {"p1-secret", "p2-secret", "s3-secret", "k1-secret"}) {
      EXPECT_THAT(ev.dump(), Not(HasSubstr(secret)));
    }
    return ev;
  }
  std::string home_, env_;
};

std::string Slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

TEST_F(AuditCoverageTest, EveryCommandOnKeysFilesAndTheStoreIsAudited) {
  auto init = Expect("init", "key.init", "medium");
  EXPECT_EQ(init["data"]["resource"]["kind"], "keyring");

  // The store.
  const std::string cfg = Write("app.json", R"({"db": {"password": "s3-secret", "port": 1}})");
  Expect("put dev/app " + cfg, "config.put", "high");
  Expect("get dev/app", "config.get", "low");
  auto reveal = Expect("get dev/app --reveal", "config.get", "medium");
  EXPECT_EQ(reveal["data"]["revealed"], true);
  Expect("set dev/app db.port 2", "config.set", "low");
  Expect("unset dev/app db.port", "config.unset", "low");
  Expect("history dev/app", "config.history", "low");
  Expect("diff dev/app 1 2", "config.diff", "low");
  Expect("rollback dev/app --to 1 --reason undo", "config.rollback", "low");
  Expect("ls", "config.list", "low");
  Expect("mv dev/app dev/api", "namespace.move", "low");
  Expect("export dev/api --format json --reveal", "config.get", "medium");
  // The baseline pack's rules do not apply to this document (not applicable: exit 0).
  Expect("check dev/api", "compliance.check", "low");
  Expect("exec dev/api -- /bin/true", "config.get", "medium");

  // Files.
  const std::string svc = Write("svc.yaml", "services:\n  - name: a\n    database:\n      ssl_mode: disable\n");
  // SEC_001's fix repairs the only finding, so what is left passes (exit 0).
  auto fix = Expect("check " + svc + " --fix --fail-on critical", "file.fix", "critical");
  EXPECT_EQ(fix["data"]["paths"], nlohmann::json::array({"services[0].database.ssl_mode"}));
  const std::string file = Write("secrets.yaml", "password: p1-secret\nhost: h\n");
  auto enc = Expect("encrypt -i " + file, "file.encrypt", "high");
  EXPECT_EQ(enc["subject"], std::filesystem::absolute(file).lexically_normal().string());
  EXPECT_EQ(enc["data"]["resource"]["kind"], "file");
  EXPECT_EQ(enc["data"]["paths"], nlohmann::json::array({"password"}));
  auto dec = Expect("decrypt " + file, "file.decrypt", "medium");
  EXPECT_EQ(dec["data"]["revealed"], true);
  EXPECT_EQ(dec["data"]["paths"], nlohmann::json::array({"password"}));
  Expect("exec " + file + " -- /bin/true", "file.exec", "medium");
  auto edit = Expect("edit " + file, "file.edit", "high", "EDITOR='sed -i s/p1-secret/p2-secret/'");
  EXPECT_EQ(edit["data"]["revealed"], true);

  // Keys.
  Expect("keys list", "key.list", "low");
  const std::string old_kid = [&] {
    std::smatch m;
    const std::string text = Slurp(file);
    EXPECT_TRUE(std::regex_search(text, m, std::regex("kid:([0-9a-f]{8})")));
    return m.size() > 1 ? m[1].str() : "";
  }();
  auto rotate = Expect("keys rotate", "key.rotate", "medium");
  EXPECT_EQ(rotate["data"]["resource"]["kind"], "key");
  Expect("keys reencrypt " + file, "file.reencrypt", "high");
  Expect("keys rewrap", "key.rewrap", "medium");
  auto dis = Expect("keys disable " + old_kid, "key.disable", "high");
  EXPECT_EQ(dis["subject"], old_kid);
  Expect("keys enable " + old_kid, "key.enable", "medium");
  auto comp = Expect("keys compromised " + old_kid, "key.compromised", "critical");
  EXPECT_EQ(comp["data"]["resource"]["name"], old_kid);
  auto destroy = Expect("keys destroy " + old_kid, "key.destroy", "critical");
  EXPECT_EQ(destroy["data"]["action"], "delete");
  EXPECT_THAT(destroy["data"]["impact"]["reasons"].dump(), HasSubstr("data key destroyed"));

  // A refused operation is an event too: decrypting a tampered file fails, audited.
  std::string text = Slurp(file);
  text.replace(text.find("host: h"), 7, "host: x");
  std::ofstream(file, std::ios::trunc) << text;
  const std::size_t before = Events().size();
  auto tampered = Run("decrypt " + file);
  EXPECT_EQ(tampered.exit_code, 1) << tampered.err;  // kDataLoss
  auto failed = Newest("file.decrypt", before);
  EXPECT_EQ(failed["data"]["outcome"], "failure");

  auto verify = Run("audit verify");
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
}

TEST_F(AuditCoverageTest, TheAuditLogCanBeFilteredByOperation) {
  ASSERT_EQ(Run("init").exit_code, 0);
  const std::string file = Write("a.yaml", "token: k1-secret\n");
  ASSERT_EQ(Run("encrypt -i " + file).exit_code, 0);
  ASSERT_EQ(Run("decrypt " + file).exit_code, 0);
  auto log = Run("audit log --operation file.decrypt");
  ASSERT_EQ(log.exit_code, 0) << log.err;
  EXPECT_THAT(log.out, HasSubstr("file.decrypt"));
  EXPECT_THAT(log.out, HasSubstr(std::filesystem::absolute(file).lexically_normal().string()));
  EXPECT_THAT(log.out, Not(HasSubstr("file.encrypt")));
}

}  // namespace
}  // namespace bulwark::testing
