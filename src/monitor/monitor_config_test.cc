#include "bulwark/monitor/monitor_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "bulwark/config/format.h"
#include "bulwark/testing/fake_runtime.h"

namespace bulwark::monitor {
namespace {

using ::testing::HasSubstr;

Result<MonitorConfig> Parse(std::string_view yaml) {
  config::ParseOptions o;
  o.source_name = "config.yaml";
  auto doc = config::ParseDocument(yaml, config::Format::kYaml, o);
  if (!doc) return std::unexpected(doc.error());
  return ParseMonitorConfig(*doc, "/home/b");
}

TEST(MonitorConfigTest, AbsentSectionGivesDefaults) {
  auto c = Parse("audit: {}\n");
  ASSERT_TRUE(c.has_value());
  EXPECT_TRUE(c->channels.empty());
  EXPECT_EQ(c->cooldown, std::chrono::minutes(10));
  EXPECT_EQ(c->history, 100000u);
  EXPECT_EQ(c->settings.timezone, "UTC");
}

TEST(MonitorConfigTest, ParsesEverySection) {
  auto c = Parse(R"(monitor:
  rules: [alerts/team.yaml]
  disable: [prod-reveal-after-hours, anomaly.unusual_hour]
  settings: {timezone: Europe/Paris, work_start: 7, work_end: 20, work_days: [1, 2, 3]}
  cooldown: 15m
  history: 5000
  max_groups: 100
  anomalies:
    channels: [page]
    cooldown: 2h
    rate_spike: {z: 5, min_count: 50, bucket: 5m}
    mass_read: {threshold: 20, severity: critical}
  channels:
    - {name: oncall, type: webhook, url: "https://hooks.example/x", secret_env: HMAC, min_severity: high}
    - {name: siem, type: syslog, host: 127.0.0.1, port: 514, transport: relp, retries: 0}
    - {name: page, type: command, command: [/bin/page, --team, sec], timeout_ms: 3000}
    - {name: spool, type: file, path: alerts.jsonl}
)");
  ASSERT_TRUE(c.has_value()) << c.error().message();
  EXPECT_EQ(c->rule_files, std::vector<std::filesystem::path>{"/home/b/alerts/team.yaml"});
  EXPECT_EQ(c->disable.size(), 2u);
  EXPECT_EQ(c->settings.work_days, (std::vector<std::int64_t>{1, 2, 3}));
  EXPECT_EQ(c->cooldown, std::chrono::minutes(15));
  EXPECT_EQ(c->anomaly_cooldown, std::chrono::hours(2));
  EXPECT_EQ(c->anomalies.rate_spike.z, 5.0);
  EXPECT_EQ(c->anomalies.rate_spike.bucket, std::chrono::minutes(5));
  EXPECT_EQ(c->anomalies.mass_read.severity, Severity::kCritical);
  ASSERT_EQ(c->channels.size(), 4u);
  EXPECT_EQ(c->channels[0].type, ChannelType::kWebhook);
  EXPECT_EQ(c->channels[0].min_severity, Severity::kHigh);
  EXPECT_EQ(c->channels[1].transport, auditship::SyslogTransport::kRelp);
  EXPECT_EQ(c->channels[1].retries, 0u);
  EXPECT_EQ(c->channels[2].command.size(), 3u);
  EXPECT_EQ(c->channels[2].timeout, std::chrono::milliseconds(3000));
  EXPECT_EQ(c->channels[3].path, "/home/b/alerts.jsonl");
}

TEST(MonitorConfigTest, ErrorsNameTheLineAndField) {
  auto port = Parse("monitor:\n  channels:\n    - {name: s, type: syslog, host: h, port: 70000}\n");
  ASSERT_FALSE(port.has_value());
  EXPECT_THAT(port.error().message(), HasSubstr("config.yaml:3:"));
  EXPECT_THAT(port.error().message(),
              HasSubstr("monitor.channels[0].port: expected an integer in [1, 65535]"));
  EXPECT_THAT(Parse("monitor:\n  colour: red\n").error().message(),
              HasSubstr("monitor.colour: unknown field"));
  EXPECT_THAT(
      Parse("monitor:\n  channels:\n    - {name: w, type: webhook, url: 'https://u:p@h/x'}\n")
          .error()
          .message(),
      HasSubstr("credentials in the URL are refused"));
  EXPECT_THAT(Parse("monitor:\n  channels:\n    - {name: w, type: pager}\n").error().message(),
              HasSubstr("'pager': expected webhook, syslog, command or file"));
  EXPECT_THAT(Parse("monitor:\n  settings: {work_start: 18, work_end: 8}\n").error().message(),
              HasSubstr("monitor.settings.work_end: must be after work_start"));
  EXPECT_THAT(Parse("monitor:\n  anomalies: {channels: [nobody]}\n").error().message(),
              HasSubstr("no channel named 'nobody'"));
  EXPECT_THAT(Parse("monitor:\n  cooldown: soon\n").error().message(),
              HasSubstr("monitor.cooldown: duration 'soon'"));
}

TEST(MonitorConfigTest, RuleFilesReplaceBuiltInsAndAddRules) {
  testing::FakeFileSystem fs;
  ASSERT_TRUE(fs.WriteFileAtomic("/home/b/alerts.yaml", R"(apiVersion: bulwark/v1
kind: AlertRules
rules:
  - id: failed-logins
    title: Stricter failed logins
    severity: critical
    condition: event.operation == 'auth.login' && event.outcome == 'failure'
    window: 1m
    threshold: 2
    channels: [oncall]
  - id: team-rule
    title: Team rule
    severity: low
    condition: event.namespace.startsWith('team/')
)",
                                 std::filesystem::perms::owner_read)
                  .has_value());
  MonitorConfig c;
  c.rule_files = {"/home/b/alerts.yaml"};
  c.disable = {"drift-detected"};
  ChannelConfig oncall;
  oncall.name = "oncall";
  c.channels = {oncall};
  auto rules = EffectiveRules(c, fs);
  ASSERT_TRUE(rules.has_value()) << rules.error().message();
  ASSERT_EQ(rules->size(), 10u);
  EXPECT_EQ((*rules)[0].id, "failed-logins");
  EXPECT_EQ((*rules)[0].severity, Severity::kCritical);
  EXPECT_EQ(rules->back().id, "team-rule");
  for (const auto& r : *rules) EXPECT_EQ(r.enabled, r.id != "drift-detected") << r.id;

  c.channels.clear();
  EXPECT_THAT(EffectiveRules(c, fs).error().message(), HasSubstr("no channel named 'oncall'"));
  c.channels = {oncall};
  c.disable = {"no-such-rule"};
  EXPECT_THAT(EffectiveRules(c, fs).error().message(), HasSubstr("'no-such-rule' is neither"));
}

}  // namespace
}  // namespace bulwark::monitor
