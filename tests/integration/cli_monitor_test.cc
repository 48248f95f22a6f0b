// `bulwark monitor` end to end through the built binary: rules listed and checked, a first start
// at the end of the log, built-in and file rules alerting on real CLI operations (a production
// secret revealed outside working hours, repeated writes, a tampered log found by `audit verify`),
// delivery to a file and a command channel, alerts recorded in the audit log, the state and the
// cool-down across runs, configuration errors naming the field, and the daemon stopped by SIGTERM.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "cli_harness.h"

namespace bulwark::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string Slurp(const std::filesystem::path& p) { return ReadText(p); }

class MonitorCliTest : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    home_ = dir_ / "home";
    env_ = "BULWARK_HOME=" + home_.string() + " BULWARK_PASSPHRASE=it-passphrase-123";
    ASSERT_EQ(Run("init").exit_code, 0);
    std::ofstream(home_ / "team.yaml") << R"(apiVersion: bulwark/v1
kind: AlertRules
rules:
  - id: busy-writer
    title: Many writes to one namespace
    severity: medium
    condition: event.action == 'write' && event.namespace.startsWith('dev/')
    window: 1h
    threshold: 2
    group_by: event.namespace
    summary: "{{ count }} writes to {{ group }} within an hour"
)";
    // Working hours that never apply: every reveal in production is "after hours".
    Config(R"(monitor:
  rules: [team.yaml]
  settings: {timezone: UTC, work_days: []}
  channels:
    - {name: spool, type: file, path: alerts.jsonl}
    - {name: hook, type: command, command: [/bin/sh, -c, 'cat >> "$BULWARK_HOME/hook.out"'], min_severity: critical}
)");
    cfg_ = Write("app.yaml", "database:\n  host: db\n  password: Pw-123456!\n");
  }
  CliResult Run(const std::string& args) { return RunBulwarkBinary(args, env_); }
  void Config(const std::string& yaml) { std::ofstream(home_ / "config.yaml") << yaml; }
  std::vector<nlohmann::json> Spooled() { return JsonLines(Slurp(home_ / "alerts.jsonl")); }

  std::filesystem::path home_;
  std::string env_, cfg_;
};

TEST_F(MonitorCliTest, RulesListsBuiltInsFileRulesAndDetectors) {
  auto r = Run("monitor rules");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("failed-logins"));
  EXPECT_THAT(r.out, HasSubstr("busy-writer"));
  EXPECT_THAT(r.out, HasSubstr("anomaly.rate_spike"));
  auto j = nlohmann::json::parse(Run("monitor rules --json").out);
  EXPECT_EQ(j["rules"].size(), 10u);
  EXPECT_EQ(j["rules"][9]["id"], "busy-writer");
  EXPECT_EQ(j["rules"][9]["window_seconds"], 3600);
  EXPECT_EQ(j["channels"][1]["min_severity"], "critical");
}

TEST_F(MonitorCliTest, CheckValidatesRuleFilesNamingTheError) {
  EXPECT_EQ(Run("monitor check " + (home_ / "team.yaml").string()).exit_code, 0);
  const std::string bad = Write("bad.yaml",
                                "apiVersion: bulwark/v1\nkind: AlertRules\nrules:\n  - id: x\n"
                                "    title: X\n    severity: high\n    condition: event.nope(\n");
  auto r = Run("monitor check " + bad);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("bad.yaml:7:16: rule x: rules[0].condition: does not compile"));
}

TEST_F(MonitorCliTest, AlertsOnCliOperationsDeliversAndRecordsThem) {
  ASSERT_EQ(Run("put production/app " + cfg_).exit_code, 0);
  // The first start begins at the end of the log: the put above raises nothing.
  auto first = Run("monitor --once");
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(first.out, "");

  ASSERT_EQ(Run("get production/app database.password --reveal").exit_code, 0);
  for (const char* k : {"a", "b", "c"})
    ASSERT_EQ(Run(std::string("set dev/app ") + k + " 1").exit_code, 0);
  auto r = Run("monitor --once");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("ALERT high prod-reveal-after-hours local:"));
  EXPECT_THAT(r.out, HasSubstr("ALERT medium busy-writer dev/app: 3 writes to dev/app within an "
                               "hour [delivered: spool]"));
  auto spooled = Spooled();
  ASSERT_EQ(spooled.size(), 2u);
  EXPECT_EQ(spooled[0]["data"]["rule"], "prod-reveal-after-hours");
  EXPECT_EQ(spooled[1]["data"]["count"], 3);
  // No secret value in alerts.
  EXPECT_EQ(Slurp(home_ / "alerts.jsonl").find("Pw-123456!"), std::string::npos);
  // Each alert is an audit event of its own.
  auto logged = Run("audit log --json");
  std::size_t alert_events = 0;
  for (const auto& e : JsonLines(logged.out))
    alert_events += e["data"]["operation"] == "monitor.alert";
  EXPECT_EQ(alert_events, 2u);
  EXPECT_THAT(logged.out, HasSubstr("security alert raised"));
  auto status = nlohmann::json::parse(Run("monitor status --json").out);
  EXPECT_EQ(status["lag"], 0);
  EXPECT_EQ(status["cursor"], status["log_size"]);

  // Within the cool-down the same alert is suppressed, not delivered again.
  ASSERT_EQ(Run("get production/app database.password --reveal").exit_code, 0);
  auto again = Run("monitor --once");
  EXPECT_THAT(again.out, HasSubstr("suppressed high prod-reveal-after-hours"));
  EXPECT_EQ(Spooled().size(), 2u);
}

TEST_F(MonitorCliTest, ATamperedLogFoundByVerifyPagesTheCriticalChannel) {
  ASSERT_EQ(Run("set dev/app a 1").exit_code, 0);
  ASSERT_EQ(Run("monitor --once").exit_code, 0);
  ASSERT_EQ(Run("audit verify").exit_code, 0);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((home_ / "audit.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(
      sqlite3_exec(db,
                   "DROP TRIGGER IF EXISTS events_append_only_u;"
                   "UPDATE events SET leaf = replace(leaf, 'dev/app', 'dev/xyz') WHERE idx = "
                   "(SELECT MIN(idx) FROM events WHERE CAST(leaf AS TEXT) LIKE '%dev/app%')",
                   nullptr, nullptr, nullptr),
      SQLITE_OK);
  const int changed = sqlite3_changes(db);
  sqlite3_close(db);
  ASSERT_EQ(changed, 1);  // the set event (the first event of a home is key.init)
  EXPECT_EQ(Run("audit verify").exit_code, 1);
  auto r = Run("monitor --once");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("ALERT critical audit-verification-failed"));
  EXPECT_THAT(r.out, HasSubstr("[delivered: spool, hook]"));
  EXPECT_THAT(Slurp(home_ / "hook.out"), HasSubstr("\"rule\":\"audit-verification-failed\""));
}

TEST_F(MonitorCliTest, ConfigurationErrorsNameTheField) {
  Config("monitor:\n  channels:\n    - {name: s, type: syslog, host: h, port: 0}\n");
  auto r = Run("monitor --once");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("config.yaml:3:"));
  EXPECT_THAT(r.err, HasSubstr("monitor.channels[0].port: expected an integer in [1, 65535]"));
  Config("monitor:\n  rules: [missing.yaml]\n");
  auto m = Run("monitor rules");
  EXPECT_EQ(m.exit_code, 4);
  EXPECT_THAT(m.err, HasSubstr("missing.yaml"));
}

TEST_F(MonitorCliTest, DryRunPrintsWithoutDeliveringOrKeepingState) {
  for (const char* k : {"a", "b", "c"})
    ASSERT_EQ(Run(std::string("set dev/app ") + k + " 1").exit_code, 0);
  auto r = Run("monitor --once --dry-run --from-start --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto alerts = JsonLines(r.out);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0]["data"]["rule"], "busy-writer");
  EXPECT_EQ(alerts[0]["delivery"]["delivered"].size(), 0u);
  EXPECT_FALSE(std::filesystem::exists(home_ / "alerts.jsonl"));
  EXPECT_FALSE(std::filesystem::exists(home_ / "monitor-state.json"));
}

TEST_F(MonitorCliTest, TheDaemonFollowsTheLogUntilSigterm) {
  ASSERT_EQ(Run("monitor --once").exit_code, 0);  // the state starts at the current end
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::setenv("BULWARK_HOME", home_.c_str(), 1);
    const std::string err = (dir_ / "daemon.err").string();
    const std::string out = (dir_ / "daemon.out").string();
    FILE* e = std::freopen(err.c_str(), "w", stderr);
    FILE* o = std::freopen(out.c_str(), "w", stdout);
    (void)e;
    (void)o;
    const std::string bin = std::string(BULWARK_BINARY_DIR) + "/bulwark";
    ::execl(bin.c_str(), bin.c_str(), "monitor", "--poll-ms", "50", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  for (const char* k : {"a", "b", "c"})
    ASSERT_EQ(Run(std::string("set dev/app ") + k + " 1").exit_code, 0);
  std::vector<nlohmann::json> spooled;
  for (int i = 0; i < 2000 && spooled.empty(); ++i) {  // up to 20 s
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    spooled = Spooled();
  }
  auto second = Run("monitor --once");
  EXPECT_EQ(second.exit_code, 2);
  EXPECT_THAT(second.err, HasSubstr("another 'bulwark monitor' is running for this home"));
  EXPECT_THAT(second.err, HasSubstr((home_ / "monitor.lock").string()));
  ASSERT_EQ(::kill(pid, SIGTERM), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << Slurp(dir_ / "daemon.err");
  ASSERT_EQ(spooled.size(), 1u);
  EXPECT_EQ(spooled[0]["data"]["rule"], "busy-writer");
  EXPECT_THAT(Slurp(dir_ / "daemon.out"), HasSubstr("ALERT medium busy-writer"));
}

}  // namespace
}  // namespace bulwark::testing
